"""The chain-rule explorer's one figure: factors, reverse rows, forward carries, weight gradients.

Columns follow the written order of the product, output side first::

    loss  | diag(s2'(z2)) | W2     | diag(s1'(z1)) | W1    | J
          |  factors, with · between them and = before J          band "top"
    ∂L/∂y | ∂L/∂z2        | ∂L/∂a1 | ∂L/∂z1        | ∂L/∂x |       band "rev": the row after each factor
    ∂y/∂x | ∂z2/∂x        | ∂a1/∂x | ∂z1/∂x        | I     |       band "fwd": what forward mode holds there
    ∂L/∂W2, ∂L/∂W1                                                 band "grad" (on a toggle)

Each reverse row sits under the factor that produced it, so its length is that
factor's column count and the shapes explain themselves. Every panel is a block
of cells of one heatmap grid (see :mod:`.grid` for why); a missing slope factor
(identity activation) leaves its column out.

:func:`figure_spec` is pure: a :class:`~chainviz.snapshot.Snapshot` and
:class:`Options` in, ``{"traces": [...], "layout": {...}}`` out.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ..core.notation import sub
from ..core.snapshot import Snapshot
from . import grid, style

COLUMNS = ["loss", "D2", "W2", "D1", "W1", "J"]
SLOTS = [
    ("top", "D2"), ("top", "W2"), ("top", "D1"), ("top", "W1"), ("top", "J"),
    ("rev", "loss"), ("rev", "D2"), ("rev", "W2"), ("rev", "D1"), ("rev", "W1"),
    ("fwd", "loss"), ("fwd", "D2"), ("fwd", "W2"), ("fwd", "D1"), ("fwd", "W1"),
    ("grad", "W2"), ("grad", "W1"),
]
BLANK = "#e4e4e4"  # grey: behind blank cells, and the borders between cells
MARGIN = dict(l=8, r=72, t=8, b=8)  # the colour scale and its ticks live in the right margin
BANDS = ["top", "rev", "fwd", "grad"]
SYMBOL = {"identity": "id", "sigmoid": "σ", "tanh": "tanh", "relu": "relu", "leaky_relu": "lrelu", "softplus": "softplus"}


@dataclass(frozen=True)
class Options:
    """How to draw.

    free_limits : each panel gets its own symmetric colour limits (else one shared scale).
    color_limit : a fixed symmetric limit, e.g. for slides; ``None`` takes it from the data.
    show_weight_grads : add the ∂L/∂W band.
    show_forward : show the band of what forward mode would carry.
    step : how many factors the backward walk-through has applied (``None``: all).
    selected : ``(band, column, i, j)`` of a clicked cell, or ``None``.
    presentation : larger type and cells for a projector.
    width : figure width in px.
    hidden : slots drawn as empty grids of the right shape (exercise mode).
    """

    free_limits: bool = False
    color_limit: float | None = None
    show_weight_grads: bool = False
    step: int | None = None
    selected: tuple | None = None
    presentation: bool = False
    width: int = 840  # fits JupyterLab's output area at 1280 px with the file browser open
    hidden: frozenset = frozenset()  # slots shown as empty grids: an exercise to fill in
    show_forward: bool = True


def _vec(v, n=4) -> str:
    vals = ", ".join(style.fmt(t, 2) for t in v[:n])
    return f"({vals}{', …' if len(v) > n else ''})"


def _shape(a) -> str:
    r, k = np.atleast_2d(a).shape
    return f"{r}×{k}"


def _count(k: int) -> str:
    return f"{k:,} number{'s' if k != 1 else ''}"


def factor_column(f) -> str:
    return ("D" if f.kind == "slope" else "W") + str(f.layer)


def panels(s: Snapshot, step: int | None = None) -> dict[tuple[str, str], dict]:
    """Each present panel's matrix ``z``, title and hover template, keyed by slot.

    Rows not yet reached by the walk-through (``step``) are blank.
    """
    tr, acts = s.trace, s.net.activations
    out: dict[tuple[str, str], dict] = {}
    for f in s.factors:
        l = f.layer
        if f.kind == "slope":
            z = np.where(np.eye(f.matrix.shape[0], dtype=bool), f.matrix, np.nan)  # blank off-diagonal
            title = f"<b>{f.text}</b>  {_shape(f.matrix)}<br>at z{sub(l)} = {_vec(tr.zs[l - 1])}"
            hover = f"{SYMBOL[acts[l - 1]]}′(z{sub(l)}[%{{y}}])"
        else:
            src = "x" if l == 1 else f"a{sub(l - 1)}"
            z = f.matrix
            title = f"<b>{f.text}</b>  {_shape(z)}<br>= ∂z{sub(l)}/∂{src}"
            hover = f"W{l}[%{{y}},%{{x}}] = ∂z{sub(l)}[%{{y}}]/∂{src}[%{{x}}]"
        out[("top", factor_column(f))] = dict(z=z, title=title, hover=hover)
    chain = "·".join(f.text for f in s.factors)
    if s.net.depth == 2:
        l1, l2 = acts
        d1 = "" if l1 == "identity" else f"·{SYMBOL[l1]}′(z₁[k])"
        d2 = "" if l2 == "identity" else f"{SYMBOL[l2]}′(z₂[%{{y}}])·"
        how = f"Σₖ {d2}W2[%{{y}},k]{d1}·W1[k,%{{x}}]"
    else:
        how = f"({chain})[%{{y}},%{{x}}]"
    out[("top", "J")] = dict(
        z=s.J,
        title=f"<b>J = ∂y/∂x</b>  {_shape(s.J)}<br>at x = {_vec(s.x)}",
        hover=f"J[%{{y}},%{{x}}] = ∂y[%{{y}}]/∂x[%{{x}}] = {how}",
    )
    cols = ["loss"] + [factor_column(f) for f in s.factors]
    shown = len(s.rows) if step is None else step + 1
    for i, (row, col, C) in enumerate(zip(s.rows, cols, s.carried)):
        d = row.values.size
        how = "" if i == 0 else f" = ∂L/∂{s.rows[i - 1].text.split('/∂')[1]} · {s.factors[i - 1].text}"
        reached = i < shown
        out[("rev", col)] = dict(
            z=row.values[None, :] if reached else np.full((1, d), np.nan),
            title=f"<b>{row.text}</b>  1×{d}<br>{_count(d)}" if reached else f"{row.text}  1×{d}<br>not yet computed",
            hover=f"{row.text}[%{{x}}]{how}[%{{x}}]",
        )
        v = row.text.split("/∂")[1]
        r, n = C.shape
        out[("fwd", col)] = dict(
            z=C,
            title=f"<b>∂{v}/∂x</b>  {r}×{n}<br>{_count(r * n)}",
            hover=f"∂{v}[%{{y}}]/∂x[%{{x}}]",
        )
    for l, G in enumerate(s.weight_grads, start=1):
        src = "x" if l == 1 else f"a{sub(l - 1)}"
        out[("grad", f"W{l}")] = dict(
            z=G,
            title=f"<b>∂L/∂W{l}</b>  {_shape(G)}<br>= (∂L/∂z{sub(l)})ᵀ · {src}ᵀ",
            hover=f"∂L/∂W{l}[%{{y}},%{{x}}] = ∂L/∂z{sub(l)}[%{{y}}] · {src}[%{{x}}]",
        )
    return out


def _band_text(s: Snapshot, band: str, step: int | None) -> str:
    if band == "top":
        shapes = "".join(f"({_shape(f.matrix)})" for f in s.factors)
        chain = " · ".join(f.text for f in s.factors)
        return f"<b>Jacobian factors</b>, written order:  J = {chain}    {shapes} = {_shape(s.J)}"
    if band == "rev":
        K = len(s.factors)
        where = "" if step is None or step >= K else f"  ·  step {step} of {K}"
        return (f"<b>Reverse mode</b>: from ∂L/∂y, one factor at a time (each row under its factor)"
                f"  ·  L = {style.fmt(s.loss_value, 4)}{where}")
    if band == "fwd":
        total_f = sum(C.size for C in s.carried[:-1])
        total_r = sum(r.values.size for r in s.rows)
        return (f"<b>Forward mode</b> would carry ∂(stage)/∂x, a d×n matrix, instead: "
                f"{_count(total_f)} in all vs {_count(total_r)} in the rows")
    return "<b>Weight gradients</b>: the row reaching a layer times that layer's input (outer product)"


def revealing(s: Snapshot, hidden) -> set:
    """The hidden slots plus the panels that would give them away at a glance.

    J is forward mode's last carry; a slope factor's diagonal can be read off the
    row it produces (∂L/∂z = ∂L/∂a ⊙ σ′) and the forward carry it scales.
    """
    out = set(hidden)
    if ("top", "J") in out:
        out.add(("fwd", "loss"))
    cols = ["loss"] + [factor_column(f) for f in s.factors]
    for k, f in enumerate(s.factors):
        if f.kind == "slope" and ("top", cols[k + 1]) in out:
            out.add(("rev", cols[k + 1]))  # the row after the slope factor
            out.add(("fwd", cols[k]))  # the carry just after it (forward mode reads right to left)
    return out


def _layout_cells(P: dict, bands: list[str], opts: Options) -> dict:
    """Cell size (px) and every panel's :class:`~.grid.Box` on one grid.

    Columns follow the written order; a panel narrower than its column is centred
    in it (to the cell). Whole empty columns part the panels (room for "·") and
    whole empty rows part the bands (room for a band's heading and titles).
    """
    fs = (style.FONT_PRESENTATION if opts.presentation else style.FONT)["size"]
    col_cells = {c: max([P[(b, c)]["z"].shape[1] for b in bands if b != "grad" and (b, c) in P], default=0)
                 for c in COLUMNS}
    present = [c for c in COLUMNS if col_cells[c]]
    grads = [P[("grad", c)]["z"].shape[1] for c in ("W2", "W1")] if "grad" in bands else []
    band_rows = {b: max(P[slot]["z"].shape[0] for slot in P if slot[0] == b) for b in bands}

    def width(gap: int) -> int:
        return max(sum(col_cells[c] for c in present) + gap * (len(present) - 1), sum(grads) + gap * (len(grads) - 1))

    heading_h, title_h, pad = 1.9 * fs, 2.9 * fs, 1.2 * fs
    avail = opts.width - MARGIN["l"] - MARGIN["r"]
    tallest = max(4.0, (1500 - len(bands) * (heading_h + title_h + pad)) / sum(band_rows.values()))

    def cell_for(gap: int) -> float:
        return min((2.6 if opts.presentation else 3.0) * fs, avail / width(gap), tallest)

    gap = max(1, math.ceil(2.2 * fs / cell_for(1)))  # "·" and titles that overhang need ~2 em
    cell = cell_for(gap)
    band_gap = math.ceil((pad + heading_h + title_h) / cell)
    boxes, row = {}, 0
    for b in bands:
        col = 0
        if b == "grad":
            for c, k in zip(("W2", "W1"), grads):
                boxes[(b, c)] = grid.Box(row, col, *P[(b, c)]["z"].shape)
                col += k + gap
        else:
            for c in present:
                if (b, c) in P:
                    r, k = P[(b, c)]["z"].shape
                    boxes[(b, c)] = grid.Box(row, col + (col_cells[c] - k) // 2, r, k)
                col += col_cells[c] + gap
        row += band_rows[b] + band_gap
    return dict(cell=cell, fs=fs, boxes=boxes, shape=(row - band_gap, width(gap)),
                heading_h=heading_h, title_h=title_h, present=present)


def _title(text: str, box: grid.Box, cell: float, fs: float) -> dict:
    """A panel's title, centred over it; pushed right where it would stick out past the left edge."""
    longest = max(len(re.sub(r"<[^>]+>", "", line)) for line in text.split("<br>"))
    half = 0.3 * (fs - 1) * longest / cell  # about half the text's width, in cells
    x, anchor = ((box.left + box.right) / 2, "center")
    if x - half < -0.5:
        x, anchor = -0.5, "left"
    return dict(text=text, x=x, y=box.top, xref="x", yref="y", xanchor=anchor, yanchor="bottom",
                showarrow=False, font=dict(size=fs - 1))


def figure_spec(s: Snapshot, opts: Options = Options()) -> dict:
    """The whole figure for one state: two heatmap traces and a layout dict.

    Every panel is a block of cells in one grid (see :mod:`.grid`); trace 0 holds the
    panels small enough to carry their numbers, trace 1 the larger ones. Each
    trace's ``meta["panels"]`` maps ``"band:column"`` to ``[row, col, rows, cols]``
    of that panel's block; in free-limit mode ``meta["limits"]`` gives each panel's
    colour limit (its cells hold ``value / limit``, their text the value).
    """
    if s.net.depth != 2:
        raise ValueError(f"the explorer draws two-layer nets; this net has {s.net.depth} layers")
    K = len(s.factors)
    step = None if opts.step is None or opts.step >= K else max(0, opts.step)
    P = panels(s, step)
    hidden = revealing(s, opts.hidden)
    for slot in hidden:
        if slot in P:
            p = P[slot]
            name = p["title"].split("</b>")[0].replace("<b>", "")
            r, k = p["z"].shape
            P[slot] = dict(z=np.full((r, k), np.nan), hover="hidden: this is the exercise",
                           title=f"<b>? {name}</b>  {r}×{k}<br>your turn: fill it in below")
    font = style.FONT_PRESENTATION if opts.presentation else style.FONT
    bands = [b for b in BANDS if b in ("top", "rev") or (b == "fwd" and opts.show_forward)
             or (b == "grad" and opts.show_weight_grads)]
    shown = {slot: P[slot] for slot in SLOTS if slot in P and slot[0] in bands}
    L = _layout_cells(shown, bands, opts)
    cell, fs, boxes, (R, C) = L["cell"], L["fs"], L["boxes"], L["shape"]

    # -- the plot area in cells: the first band's heading and titles sit above row 0 --------
    above = (L["heading_h"] + L["title_h"]) / cell
    plot_w = max(C * cell, 46 * fs)  # 46 em: room for the band headings
    plot_h = (R + above + 0.2) * cell
    x_range = [-0.5, -0.5 + plot_w / cell]
    y_range = [R - 0.3, -0.5 - above]  # reversed: row 0 on top

    def paper_y(y: float) -> float:
        return round(min(max((y_range[0] - y) / (y_range[0] - y_range[1]), 0.0), 1.0), 5)

    # -- colours: one symmetric scale, or each panel its own (cells then hold value / limit) --
    shared = opts.color_limit or style.symmetric_limit(*[p["z"] for p in shown.values()])
    limits = {slot: (opts.color_limit or style.symmetric_limit(p["z"])) if opts.free_limits else shared
              for slot, p in shown.items()}
    # numbers on the cells of small matrices, where a cell has room for "−0.12" at least;
    # three significant digits where it has room for "−0.123", else two decimals
    labelled = {slot for slot, b in boxes.items() if max(b.rows, b.cols) <= style.MAX_LABELLED and cell >= 2 * fs}
    wide = cell >= 3.9 * fs
    number_format = "%{z:.3~g}" if wide else "%{z:.2f}"
    hover = grid.hover_cells((R, C), tuple((boxes[slot], p["hover"]) for slot, p in shown.items()))
    traces = []
    for name, members in (("labelled", [sl for sl in shown if sl in labelled]),
                          ("plain", [sl for sl in shown if sl not in labelled])):
        if not members:
            traces.append(dict(type="heatmap", name=name, visible=False))
            continue
        key = {f"{b}:{c}": [boxes[(b, c)].row, boxes[(b, c)].col, boxes[(b, c)].rows, boxes[(b, c)].cols]
               for b, c in members}  # where each panel is: for clicks, tests, anyone reading the figure
        values = grid.pack((R, C), {sl: (boxes[sl], shown[sl]["z"]) for sl in members})
        tr = dict(type="heatmap", name=name, visible=True, colorscale=style.COLORSCALE, showscale=False,
                  hoverongaps=False, customdata=hover, meta=dict(panels=key),
                  textfont=dict(size=fs if cell >= 2.6 * fs else int(0.8 * fs)))
        if opts.free_limits:
            scale = grid.pack((R, C), {sl: (boxes[sl], np.full((boxes[sl].rows, boxes[sl].cols), limits[sl]))
                                       for sl in members})
            # the cells hold value / limit, so the numbers come as text: printed, and in the hover
            said = hover.copy()
            ok = np.isfinite(values)
            said[ok] = [f"{h} = {style.fmt(v, 4)}" for h, v in zip(hover[ok], values[ok])]
            tr.update(z=style.cell_values(values / scale), zmin=-1.0, zmax=1.0, customdata=said,
                      hovertemplate="%{customdata}<extra></extra>")
            if name == "labelled":
                tr.update(text=style.labels(values, None if wide else 2), texttemplate="%{text}")
            tr["meta"]["limits"] = {f"{b}:{c}": limits[(b, c)] for b, c in members}
        else:
            tr.update(z=style.cell_values(values), zmin=-shared, zmax=shared,
                      texttemplate=number_format if name == "labelled" else "",
                      hovertemplate="%{customdata} = %{z:.4g}<extra></extra>")
        traces.append(tr)

    # -- words: panel titles, "·" and "=" between factors, band headings ----------------
    annotations = [_title(p["title"], boxes[slot], cell, fs) for slot, p in shown.items()]
    tops = [c for c in L["present"] if ("top", c) in shown]
    for a, b in zip(tops, tops[1:]):
        A, B = boxes[("top", a)], boxes[("top", b)]
        annotations.append(dict(text="=" if b == "J" else "·", x=(A.right + B.left) / 2,
                                y=(A.top + A.bottom + B.top + B.bottom) / 4, xref="x", yref="y",
                                showarrow=False, font=dict(size=2.2 * fs)))
    for b in bands:
        row0 = min(box.row for slot, box in boxes.items() if slot[0] == b)
        annotations.append(dict(text=_band_text(s, b, step), x=-0.5, y=row0 - 0.5 - L["title_h"] / cell,
                                xref="x", yref="y", xanchor="left", yanchor="bottom", showarrow=False,
                                align="left", font=dict(size=fs)))
    images = []
    if not opts.free_limits:  # the shared scale, beside J
        J = boxes[("top", "J")]
        y1, y0 = paper_y(J.top), paper_y(J.bottom)
        length = max(y1 - y0, 0.25)
        x = 1 + 6 / plot_w
        images.append(dict(source=grid.colour_bar_image(style.COLORSCALE), xref="paper", yref="paper", x=x,
                           y=y1, sizex=14 / plot_w, sizey=length, xanchor="left", yanchor="top",
                           sizing="stretch", layer="above"))
        for text, y, anchor in ((style.fmt(shared, 2), y1, "top"), ("0", y1 - length / 2, "middle"),
                                (style.fmt(-shared, 2), y1 - length, "bottom")):
            annotations.append(dict(text=text, x=x + 18 / plot_w, y=y, xref="paper", yref="paper",
                                    xanchor="left", yanchor=anchor, showarrow=False, font=dict(size=fs - 2)))

    # -- shapes: grey behind blank cells, cell borders where cells are big enough to need them,
    #    the walk-through's current factor and row, a clicked cell and what it is made of
    shapes = [dict(type="path", path=grid.panel_backgrounds(boxes.values()), xref="x", yref="y",
                   fillcolor=BLANK, line=dict(width=0), layer="below")]
    if cell >= 8:
        shapes.append(dict(type="path", path=grid.cell_borders(boxes.values()), xref="x", yref="y",
                           line=dict(color=BLANK, width=1), layer="above"))

    def outline(slot, i0=None, i1=None, j0=None, j1=None, dash="solid"):
        b = boxes[slot]
        shapes.append(dict(type="rect", xref="x", yref="y",
                           x0=b.left if j0 is None else b.col + j0 - 0.5, x1=b.right if j1 is None else b.col + j1 + 0.5,
                           y0=b.top if i0 is None else b.row + i0 - 0.5, y1=b.bottom if i1 is None else b.row + i1 + 0.5,
                           line=dict(color=style.HIGHLIGHT, width=4, dash=dash), fillcolor="rgba(0,0,0,0)"))

    if step is not None:
        cols = ["loss"] + [factor_column(f) for f in s.factors]
        outline(("rev", cols[step]))
        if step >= 1:
            outline(("top", cols[step]), dash="dot")
    if opts.selected is not None:
        band, col, i, j = opts.selected
        if (band, col) == ("top", "J") and i < s.J.shape[0] and j < s.J.shape[1]:
            left, right = factor_column(s.factors[0]), factor_column(s.factors[-1])
            outline(("top", left), i0=i, i1=i)
            outline(("top", right), j0=j, j1=j)
            outline(("top", "J"), i0=i, i1=i, j0=j, j1=j)
        elif (band, col) in shown:
            b = boxes[(band, col)]
            if i < b.rows and j < b.cols:
                outline((band, col), i0=i, i1=i, j0=j, j1=j)

    axis = dict(visible=False, fixedrange=True, domain=[0, 1])
    layout = dict(
        width=int(plot_w + MARGIN["l"] + MARGIN["r"]),
        height=int(plot_h + MARGIN["t"] + MARGIN["b"]),
        margin=dict(MARGIN, autoexpand=False),
        xaxis=dict(axis, range=x_range),
        yaxis=dict(axis, range=y_range),
        font=font,
        plot_bgcolor="white",
        paper_bgcolor="white",
        showlegend=False,
        hoverlabel=dict(font=dict(size=fs)),
        annotations=annotations,
        shapes=shapes,
        images=images,
        dragmode=False,
    )
    return {"traces": traces, "layout": layout}


def panel_at(traces, r: int, c: int) -> tuple[str, str, int, int] | None:
    """``(band, column, i, j)`` of the panel entry drawn at grid cell ``(r, c)`` (a click), or ``None``."""
    for tr in traces:
        for name, (row, col, rows, cols) in ((tr.get("meta") or {}).get("panels") or {}).items():
            hit = grid.Box(row, col, rows, cols).entry(r, c)
            if hit is not None:
                band, column = name.split(":")
                return band, column, hit[0], hit[1]
    return None


QUIZ_NAMES = ["J", "D1", "D2", "dL/dy", "dL/dz2", "dL/da1", "dL/dz1", "dL/dx"]


def quiz_slot(s: Snapshot, name: str) -> tuple[str, str]:
    """The slot an exercise name refers to: ``"J"``, ``"D1"`` (a slope factor) or a row like ``"dL/dz1"``."""
    if name == "J":
        return ("top", "J")
    if name in ("D1", "D2"):
        if not any(factor_column(f) == name for f in s.factors):
            raise ValueError(f"quiz {name!r}: this net has no slope factor {name} (its activation is the identity)")
        return ("top", name)
    if name.startswith("dL/d"):
        v = name[4:]
        text = "∂L/∂" + (v if v in ("x", "y") else v[0] + sub(int(v[1:])) if v[1:].isdigit() else v)
        cols = ["loss"] + [factor_column(f) for f in s.factors]
        for row, col in zip(s.rows, cols):
            if row.text == text:
                return ("rev", col)
        raise ValueError(f"quiz {name!r}: this net has no row {text}")
    raise ValueError(f"quiz {name!r} is not a panel; choose from: {', '.join(QUIZ_NAMES)}")


def quiz_answer(s: Snapshot, slot: tuple[str, str]) -> np.ndarray:
    """The true values an exercise on ``slot`` asks for: a slope factor's diagonal, a row, or J."""
    z = panels(s)[slot]["z"]
    return np.diag(np.nan_to_num(z)) [None, :] if slot[1].startswith("D") and slot[0] == "top" else z
