"""The figure of :class:`~chainviz.widgets.function_explorers.ModeCostExplorer`: what forward
and reverse mode carry and cost for widths ``[n, d_1, ..., d_L]``, predicted and measured.

Pure: a :class:`~chainviz.core.modes.ModeCost` (and a measurement) in,
``{"traces": [...], "layout": {...}, "tables": [...]}`` out, in the light or the dark theme
(:class:`~.function_parts.Tones`; forward mode is drawn in the red of the data scale,
reverse mode in its blue).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..core.modes import ModeCost, SweepTimes
from ..core.notation import sub
from .function_parts import FIGURE_WIDTH, TICK_SIZE, PanelTable, count_text, heading, page_layout, ratio_text, tones
from .style import rounded


def stage_names(depth: int) -> list[str]:
    """``['x', 'a₁', ..., 'a_L']``: the stages between layers, input side first."""
    return ["x"] + [f"a{sub(l)}" for l in range(1, depth + 1)]


def widths_text(widths: Sequence[int]) -> str:
    """``n = 10⁶; layers 1,000 ×10``: runs of equal hidden widths are counted, not repeated."""
    n, ds = widths[0], list(widths[1:])
    runs: list[list[int]] = []
    for d in ds:
        if runs and runs[-1][0] == d:
            runs[-1][1] += 1
        else:
            runs.append([d, 1])
    parts = [count_text(d) + (f" ×{c}" if c > 1 else "") for d, c in runs]
    return f"n = {count_text(n)}; layer widths {', '.join(parts)}"


def _log_range(values, pad_top: float = 1.4) -> list[float]:
    v = np.asarray([a for a in values if a > 0], dtype=float)
    lo = np.log10(v.min()) if v.size else 0.0
    hi = np.log10(v.max()) if v.size else 1.0
    return [float(np.floor(min(lo, 0.0)) - 0.3), float(hi + pad_top)]


def _table(name: str, rows, columns, values, seconds: bool = False) -> PanelTable:
    """A table of counts (exact, with thousands separators) or of ``seconds`` (printed in ms); NaN is blank."""
    values = np.asarray(values, dtype=float)
    text = [["" if not np.isfinite(v) else (f"{v * 1e3:.3g} ms" if seconds else f"{int(v):,}") for v in row]
            for row in values]
    return PanelTable(name, tuple(rows), tuple(columns), values, tuple(tuple(r) for r in text))


def mode_cost_tables(cost: ModeCost, measured: SweepTimes | None = None) -> list[PanelTable]:
    """The figure's numbers as tables: what each mode carries at every stage, the whole sweeps,
    and (once measured) the seconds over n."""
    w = cost.widths
    stages = stage_names(len(w) - 1)
    reverse = dict(zip(stages[::-1], cost.reverse_carried))
    forward = dict(zip(stages[1:], cost.forward_carried))
    out = [
        _table("numbers carried after each stage", stages, ("forward mode (∂a/∂x, d×n)", "reverse mode (∂L/∂a, d)"),
               [[forward.get(s, np.nan), reverse[s]] for s in stages]),
        _table("the whole sweep for ∂L/∂x", ("multiply-adds", "most numbers held at once"),
               ("forward mode", "reverse mode"),
               [[cost.forward_madds, cost.reverse_madds], [cost.forward_peak, cost.reverse_peak]]),
    ]
    if measured is not None:
        out.append(_table("measured seconds over the input size n", [f"n = {int(n):,}" for n in measured.ns],
                          ("forward, measured", "reverse, measured", "forward, predicted", "reverse, predicted"),
                          np.column_stack([measured.forward_seconds, measured.reverse_seconds,
                                           measured.forward_predicted, measured.reverse_predicted]),
                          seconds=True))
    return out


def mode_cost_figure(cost: ModeCost, measured: SweepTimes | None = None, measuring_note: str = "",
                     dark: bool = False) -> dict:
    """The spec of :class:`ModeCostExplorer`, in the light or the ``dark`` theme.

    Traces (8), in order:

    0. forward mode, numbers carried after each layer: ``y = cost.forward_carried``
       (``d_l·n``), ``x = a₁ … a_L``;
    1. reverse mode, row lengths in the order computed: ``y = cost.reverse_carried``
       (``d_L, …, d_1, n``), ``x = a_L … a₁, x``;
    2. forward, whole sweep: ``y = [forward_madds, forward_peak]``;
    3. reverse, whole sweep: ``y = [reverse_madds, reverse_peak]``;
    4.–7. measured seconds (forward, reverse) and predicted seconds
       (multiply-adds × one fitted constant) over ``n``; empty until measured.

    Counts are sent exactly (they are integers, and few). ``"tables"``: :func:`mode_cost_tables`.
    """
    tone = tones(dark)
    fwd_c, rev_c, text_c = tone.forward, tone.reverse, tone.pal.text
    w = cost.widths
    L = len(w) - 1
    stages = stage_names(L)
    n = w[0]
    fwd_x, rev_x = stages[1:], stages[::-1]
    fwd_hover = [f"forward mode after layer {l}: ∂a{sub(l)}/∂x is {count_text(d)}×{count_text(n)},"
                 f"<br>{count_text(v)} numbers" for l, (d, v) in enumerate(zip(w[1:], cost.forward_carried), 1)]
    rev_hover = [f"reverse mode: the row ∂L/∂{s} has length {count_text(v)}"
                 for s, v in zip(rev_x, cost.reverse_carried)]
    totals = ["multiply-adds", "most numbers held at once"]
    # Labels stay 13 px (never shrunk to fit a thin bar); powers of ten keep them short.
    bar = dict(type="bar", textposition="outside", cliponaxis=False, textfont=dict(size=13, color=text_c),
               constraintext="none", hovertemplate="%{customdata}<extra></extra>")
    label = (lambda v: count_text(v, 1000)) if L <= 12 else (lambda v: "")  # noqa: E731 - too many bars to label
    traces = [
        dict(bar, name="forward mode", x=fwd_x, y=list(cost.forward_carried), xaxis="x", yaxis="y",
             marker=dict(color=fwd_c), text=[label(v) for v in cost.forward_carried],
             customdata=fwd_hover, showlegend=True, legendgroup="forward"),
        dict(bar, name="reverse mode", x=rev_x, y=list(cost.reverse_carried), xaxis="x", yaxis="y",
             marker=dict(color=rev_c), text=[label(v) for v in cost.reverse_carried],
             customdata=rev_hover, showlegend=True, legendgroup="reverse"),
        dict(bar, name="forward mode", x=totals, y=[cost.forward_madds, cost.forward_peak], xaxis="x2", yaxis="y2",
             marker=dict(color=fwd_c), text=[count_text(cost.forward_madds), count_text(cost.forward_peak)],
             customdata=[f"forward mode: {count_text(cost.forward_madds)} multiply-adds",
                         f"forward mode holds up to {count_text(cost.forward_peak)} numbers (its widest d×n)"],
             showlegend=False, legendgroup="forward"),
        dict(bar, name="reverse mode", x=totals, y=[cost.reverse_madds, cost.reverse_peak], xaxis="x2", yaxis="y2",
             marker=dict(color=rev_c), text=[count_text(cost.reverse_madds), count_text(cost.reverse_peak)],
             customdata=[f"reverse mode: {count_text(cost.reverse_madds)} multiply-adds",
                         f"reverse mode holds up to {count_text(cost.reverse_peak)} numbers (its longest row)"],
             showlegend=False, legendgroup="reverse"),
    ]
    line = dict(xaxis="x3", yaxis="y3", hovertemplate="n = %{x:,}: %{y:.3~s}s<extra>%{fullData.name}</extra>")
    if measured is None:
        ns, series = [], [[], [], [], []]
    else:
        ns = [int(v) for v in measured.ns]
        series = [rounded(a)[0] for a in (measured.forward_seconds, measured.reverse_seconds,
                                           measured.forward_predicted, measured.reverse_predicted)]

    def end_label(word: str) -> list[str]:  # the line is named at its last point, no legend needed
        return [""] * (len(ns) - 1) + [word] if ns else []

    traces += [
        dict(line, type="scatter", mode="lines+markers+text", name="forward, measured", x=ns, y=series[0],
             marker=dict(color=fwd_c, size=10), line=dict(color=fwd_c, width=2),
             text=end_label("forward"), textposition="top left", textfont=dict(size=14, color=fwd_c)),
        dict(line, type="scatter", mode="lines+markers+text", name="reverse, measured", x=ns, y=series[1],
             marker=dict(color=rev_c, size=10, symbol="square"), line=dict(color=rev_c, width=2),
             text=end_label("reverse"), textposition="top left", textfont=dict(size=14, color=rev_c)),
        dict(line, type="scatter", mode="lines", name="forward, predicted", x=ns, y=series[2],
             line=dict(color=fwd_c, width=2, dash="dash")),
        dict(line, type="scatter", mode="lines", name="reverse, predicted", x=ns, y=series[3],
             line=dict(color=rev_c, width=2, dash="dash")),
    ]
    for t in traces[4:]:
        t["showlegend"] = False

    tick = dict(tickfont=dict(size=TICK_SIZE, color=text_c), title=dict(font=dict(size=14, color=text_c)),
                linecolor=tone.grid, zerolinecolor=tone.grid)
    log = dict(tick, type="log", exponentformat="power", gridcolor=tone.grid)
    stage_vals = list(cost.forward_carried) + list(cost.reverse_carried)
    total_vals = [cost.forward_madds, cost.forward_peak, cost.reverse_madds, cost.reverse_peak]
    stage_range = _log_range(stage_vals, 1.0)
    layout = page_layout(
        tone, width=FIGURE_WIDTH, height=800, autosize=False, margin=dict(l=80, r=24, t=150, b=70),
        barmode="group", bargap=0.25, bargroupgap=0.05,
        legend=dict(orientation="h", x=1.0, xanchor="right", y=1.0, yanchor="bottom",
                    font=dict(size=14, color=text_c)),
        xaxis=dict(tick, domain=[0, 1], anchor="y", type="category", categoryorder="array",
                   categoryarray=stages, tickfont=dict(size=15, color=text_c)),
        yaxis=dict(log, domain=[0.56, 1], anchor="x", range=stage_range,
                   title=dict(text="numbers carried", font=dict(size=14, color=text_c)),
                   dtick=1 if stage_range[1] - stage_range[0] <= 8 else 2),
        xaxis2=dict(tick, domain=[0, 0.42], anchor="y2", type="category"),
        yaxis2=dict(log, domain=[0, 0.36], anchor="x2", range=_log_range(total_vals, 1.0),
                    title=dict(text="count", font=dict(size=14, color=text_c)),
                    dtick=3 if total_vals and max(total_vals) >= 1e6 else 1),
        xaxis3=dict(log, domain=[0.55, 1], anchor="y3", title=dict(text="input size n", font=dict(color=text_c)),
                    dtick=1),
        yaxis3=dict(log, domain=[0, 0.36], anchor="x3", title=dict(text="seconds", font=dict(color=text_c)),
                    dtick=1),
    )
    layout["showlegend"] = True
    heading(layout,
            f"Forward mode does {ratio_text(cost.madds_ratio)} the multiply-adds of reverse mode",
            f"for a scalar loss after {widths_text(w)}, and holds {ratio_text(cost.peak_ratio)} "
            f"as many numbers at once.<br>"
            f"Between layers forward mode carries d×n numbers, reverse mode a row of d: "
            f"n = {count_text(n)} times fewer.<br>"
            f"Reverse mode's last row ∂L/∂x is as long as the input (n); it also keeps "
            f"{count_text(cost.stored_activations)} slopes from the forward pass.", tone, size=18)
    head = dict(xref="paper", yref="paper", showarrow=False, yanchor="bottom", font=dict(size=15))
    annotations = [
        dict(head, text="<b>What each mode carries between stages</b> (log scale)", x=0, xanchor="left", y=1.0,
             yshift=4),
        dict(head, text="forward: input → loss, carries ∂a/∂x (d×n)", x=0.0, xanchor="left", y=0.56, yshift=-52,
             yanchor="top", font=dict(size=14, color=fwd_c)),
        dict(head, text="reverse: loss → input, carries a row ∂L/∂a (length d)", x=1.0, xanchor="right", y=0.56,
             yshift=-52, yanchor="top", font=dict(size=14, color=rev_c)),
        dict(head, text="<b>The whole sweep for ∂L/∂x</b> (log scale)", x=0, xanchor="left", y=0.36, yshift=4),
    ]
    if measured is None:
        annotations += [
            dict(head, text="<b>Measured</b>", x=0.55, xanchor="left", y=0.36, yshift=4),
            dict(head, text=measuring_note or ("Press <b>Measure</b> to time both sweeps<br>on a real sigmoid net, "
                                               "hidden widths fixed,<br>n from about n/32 up to n."),
                 x=0.775, y=0.18, xanchor="center", yanchor="middle", font=dict(size=15, color=tone.muted)),
        ]
        layout["xaxis3"].update(range=[0, 1], visible=False)
        layout["yaxis3"].update(range=[-4, 0], visible=False)
    else:
        spm = measured.seconds_per_madd
        annotations.append(dict(
            head, x=0.55, xanchor="left", y=0.36, yshift=4,
            text=f"<b>Measured</b> (solid); dashed: multiply-adds × {spm * 1e9:.2g} ns"))
        ys = [v for ser in series for v in ser if v is not None and v > 0]
        layout["xaxis3"].update(range=[float(np.log10(min(ns))) - 0.1, float(np.log10(max(ns))) + 0.1],
                                visible=True)
        layout["yaxis3"].update(range=[float(np.log10(min(ys))) - 0.3, float(np.log10(max(ys))) + 0.5],
                                visible=True)
    layout["annotations"] += annotations
    return {"traces": traces, "layout": layout, "tables": mode_cost_tables(cost, measured)}
