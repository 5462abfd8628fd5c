"""The loss during training, as a small line chart under the panels of the chain-rule figure.

Two traces on their own pair of axes (``x2``/``y2``): the loss before each step and now
(a line with markers), and the first-order prediction made before each step
(``L − η·Σ‖∂L/∂W_l‖²``, hollow markers), so a learner sees where the prediction and
the real step part ways. Both traces are always there (hidden without a history): a
figure whose traces come and go would have to be rebuilt, not updated. Before the first
step they sit, hidden, on the panels' axes, and the chart's axes do not exist yet
(see ``charted`` in :class:`chainviz.views.chain.Options`).
"""

from __future__ import annotations

from ..core.notation import fmt

HEIGHT = {False: 120, True: 140}  # px of the chart, normal and presentation


def history_traces(losses, predicted, pal, fs: float, charted: bool = True) -> list[dict]:
    """The two traces (see the module docstring); ``losses`` has one more value than ``predicted``.
    ``charted``: on the chart's axes ``x2``/``y2``, else (hidden) on the panels' ``x``/``y``."""
    shown = len(losses) > 1
    steps = list(range(len(losses)))
    xaxis, yaxis = ("x2", "y2") if charted else ("x", "y")
    loss = dict(type="scatter", name="loss history", mode="lines+markers", xaxis=xaxis, yaxis=yaxis,
                x=steps, y=[float(v) for v in losses], visible=shown, line=dict(color=pal.text, width=2),
                marker=dict(size=6, color=pal.text), hovertemplate="after %{x} steps: L = %{y:.4g}<extra></extra>",
                showlegend=False)
    pred = dict(type="scatter", name="first-order prediction", mode="markers", xaxis=xaxis, yaxis=yaxis,
                x=steps[1:], y=[float(v) for v in predicted], visible=shown and bool(predicted),
                marker=dict(size=9, symbol="circle-open", color=pal.highlight, line=dict(width=2)),
                hovertemplate="step %{x}: first order predicted L = %{y:.4g}<extra></extra>", showlegend=False)
    return [loss, pred]


def history_layout(losses, predicted, pal, fs: float, x_domain, y_domain, visible: bool) -> dict:
    """Axes ``xaxis2``/``yaxis2`` and a title for the chart, placed in the given paper domains."""
    values = [v for v in list(losses) + list(predicted)]
    lo, hi = (min(values), max(values)) if values else (0.0, 1.0)
    pad = 0.1 * (hi - lo) or max(abs(hi), 1e-3) * 0.1
    axis_font = dict(size=fs - 2, color=pal.text)
    out = {
        "xaxis2": dict(domain=list(x_domain), anchor="y2", visible=visible, range=[-0.5, max(len(losses) - 0.5, 1.5)],
                       title=dict(text="step", font=axis_font, standoff=2), tickfont=axis_font, fixedrange=True,
                       gridcolor=pal.blank, zeroline=False, dtick=max(1, (len(losses) // 8) or 1)),
        "yaxis2": dict(domain=list(y_domain), anchor="x2", visible=visible, range=[lo - pad, hi + pad],
                       title=dict(text="L", font=axis_font, standoff=2), tickfont=axis_font, fixedrange=True,
                       gridcolor=pal.blank, zeroline=False, nticks=4),
    }
    return out


def history_heading(losses, predicted) -> str:
    """The chart's title: the loss now and after how many steps."""
    k = len(losses) - 1
    return f"<b>Training</b>: L = {fmt(losses[-1], 4)} after {k} step{'s' if k != 1 else ''}"
