"""The two ways people show the same panels today, built from the same numbers.

Both baselines draw exactly the panels the explorer's one figure shows by
default (the factor band, J, the reverse-mode rows and the forward-mode
carries; the weight-gradient band is hidden by default, so it is left out here
too), with the numbers of :func:`chainviz.core.snapshot.snapshot` and the titles,
rounding and colour scale of :func:`chainviz.views.chain.panels` /
:func:`chainviz.views.chain.figure_spec`:

* :func:`mpl_figure` – a matplotlib figure of the panels, as a lecturer's
  ``ipywidgets.interact`` callback draws it on every edit (annotated heatmaps);
* :class:`SeparateFigures` – one ``go.FigureWidget`` per panel, each updated
  with its own ``batch_update`` on an edit;
* :func:`plotly_figure` – a fresh ``go.Figure`` of the whole spec per edit, as
  code that re-displays a figure in an ``Output`` widget does.

Used by :mod:`bench_python` (Python side) and by the browser notebooks
written by :mod:`bench_browser` (imported there with ``sys.path``).
"""

from __future__ import annotations

import re

import numpy as np

from chainviz.core.snapshot import snapshot
from chainviz.views import chain as view
from chainviz.views import style

_TAG = re.compile(r"<[^>]+>")


def plain(title: str) -> str:
    """A plotly HTML title as plain text for matplotlib (``<br>`` -> newline)."""
    return _TAG.sub("", title.replace("<br>", "\n"))


def shown_panels(snap, opts=None) -> dict:
    """``{slot: {"z", "title", "hover"}}`` of the panels the explorer's figure shows with
    default options, in the order the figure lists them."""
    spec = view.figure_spec(snap, opts or view.Options())
    P = view.panels(snap)
    names = [name for tr in spec["traces"] if tr.get("type") == "heatmap" and tr.get("visible") is not False
             for name in (tr.get("meta") or {}).get("panels", {})]
    return {slot: P[slot] for slot in ((n.split(":")[0], n.split(":")[1]) for n in names) if slot in P}


def edited_snapshot(net, x, loss, value: float, layer: int = 1, i: int = 0, j: int = 0):
    """The snapshot after ``W_layer[i, j] = value`` (what every baseline computes per edit)."""
    return snapshot(net.with_weight(layer, i, j, float(value)), x, loss)


# --------------------------------------------------------------------------- matplotlib
def mpl_figure(snap, labelled_max: int = 8):
    """A matplotlib Figure of the default panels: 3 bands × 6 columns, annotated if small.

    Uses the object-oriented API (``matplotlib.figure.Figure``) so it needs no
    pyplot state; in a notebook the interact callback passes it to ``display``
    exactly as ``plt.show()`` under the inline backend would.
    """
    from matplotlib.figure import Figure

    P = shown_panels(snap)
    bands = [b for b in view.BANDS if any(slot[0] == b for slot in P)]
    c = max(float(np.nanmax(np.abs(p["z"]))) if np.isfinite(p["z"]).any() else 0.0 for p in P.values()) or 1.0
    cols = [c for c in view.columns(snap) if any(slot[1] == c for slot in P)]
    fig = Figure(figsize=(14, 8))  # no layout engine: the cheapest usual choice
    axes = fig.subplots(len(bands), len(cols), squeeze=False)
    fig.subplots_adjust(left=0.02, right=0.95, top=0.93, bottom=0.02, wspace=0.3, hspace=0.55)
    im = None
    for r, band in enumerate(bands):
        for k, col in enumerate(cols):
            ax = axes[r][k]
            p = P.get((band, col))
            if p is None:
                ax.set_axis_off()
                continue
            z = np.atleast_2d(np.asarray(p["z"], dtype=float))
            im = ax.imshow(z, cmap="RdBu_r", vmin=-c, vmax=c, aspect="equal", interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(plain(p["title"]), fontsize=9)
            if max(z.shape) <= labelled_max:
                for (a, b), v in np.ndenumerate(z):
                    if np.isfinite(v):
                        ax.text(b, a, f"{v:.3g}", ha="center", va="center", fontsize=8)
    if im is not None:
        fig.colorbar(im, ax=axes[0][-1], shrink=0.8)
    return fig


def png_bytes(fig) -> bytes:
    """What the inline backend does with a figure: ``print_figure(fig, 'png', bbox_inches='tight')``."""
    from IPython.core.pylabtools import print_figure

    return print_figure(fig, "png", bbox_inches="tight")


# --------------------------------------------------------------------------- plotly
def single_trace_spec(snap) -> list[tuple[tuple, dict, dict]]:
    """``[(slot, trace, layout)]``: each default panel as a one-trace figure of its own.

    The trace is a heatmap as one would write it for one matrix (the explorer's
    rounding, colours, labels and cell size, cells parted by 1 px gaps).
    """
    spec = view.figure_spec(snap, view.Options())
    lay = spec["layout"]
    x0, x1 = lay["xaxis"]["range"]
    cell = (lay["width"] - lay["margin"]["l"] - lay["margin"]["r"]) / (x1 - x0)
    P = shown_panels(snap)
    c = style.symmetric_limit(*[p["z"] for p in P.values()])
    out = []
    for slot, p in P.items():
        r, k = np.atleast_2d(p["z"]).shape
        tr = style.heatmap(p["z"], labelled=max(r, k) <= style.MAX_LABELLED and cell >= 26, c=c,
                           hovertemplate=p["hover"] + " = %{z:.4g}", name=f"{slot[0]}:{slot[1]}",
                           xaxis="x", yaxis="y", number_format="%{z:.2f}")
        layout = dict(
            title=dict(text=p["title"], font=dict(size=12)),
            width=int(max(160, k * cell + 40)), height=int(max(120, r * cell + 90)),
            margin=dict(l=20, r=20, t=60, b=10),
            xaxis=dict(visible=False, range=[-0.5, k - 0.5], fixedrange=True),
            yaxis=dict(visible=False, range=[r - 0.5, -0.5], fixedrange=True),
            plot_bgcolor="#e4e4e4", dragmode=False,
        )
        out.append((slot, tr, layout))
    return out


class SeparateFigures:
    """The same panels as one ``go.FigureWidget`` each (the usual way with plotly widgets)."""

    def __init__(self, snap):
        import ipywidgets as W
        import plotly.graph_objects as go

        self.figures = {}
        for slot, tr, layout in single_trace_spec(snap):
            self.figures[slot] = go.FigureWidget(data=[tr], layout=layout)
        self.widget = W.Box(list(self.figures.values()),
                            layout=W.Layout(display="flex", flex_flow="row wrap", align_items="flex-start"))

    def update(self, snap) -> None:
        """Restyle every figure's trace and retitle it, one ``batch_update`` per figure."""
        for slot, tr, layout in single_trace_spec(snap):
            fw = self.figures.get(slot)
            if fw is None:
                continue
            with fw.batch_update():
                fw.data[0].z = tr["z"]
                fw.data[0].zmin, fw.data[0].zmax = tr["zmin"], tr["zmax"]
                fw.layout.title.text = layout["title"]["text"]


def plotly_figure(snap):
    """A new ``go.Figure`` of the whole explorer spec (validated, as ``go.Figure(...)`` does)."""
    import plotly.graph_objects as go

    spec = view.figure_spec(snap, view.Options())
    return go.Figure(data=spec["traces"], layout=spec["layout"])
