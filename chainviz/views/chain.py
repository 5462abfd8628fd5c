"""The chain-rule explorer's one figure, for a net of any depth, fitted to the width it has.

Every panel (see :mod:`.panels`) is a block of cells of one heatmap grid (see
:mod:`.grid` for why one grid): the colours are one heatmap trace, the printed
numbers one text trace whose label colours are chosen per cell for contrast
(:func:`chainviz.views.theme.label_colours`), the titles and headings two more
text traces (:mod:`.words` says why not annotations). Columns follow the written
order of the product; bands are stacked: factors and J, the reverse rows, what
forward mode carries, and the weight gradients under their weights.

The cell size is the largest that fits the width given (and the height, for a
slide), between a readable minimum and a comfortable maximum; below the minimum
the figure keeps it and is wider than its box, which then scrolls.

:func:`figure_spec` is pure: a :class:`~chainviz.core.snapshot.Snapshot` and
:class:`Options` in, ``{"traces": [...], "layout": {...}}`` out (plus ``"cells"``,
the shown values, for :func:`changed_cells`, and ``"marked"``, the cells outlined as changed;
neither is sent).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.notation import fmt, short
from ..core.snapshot import Snapshot
from . import grid, style, theme
from .style import text_px
from .history import HEIGHT as HISTORY_HEIGHT, history_heading, history_layout, history_traces
from .panels import BANDS, HIDDEN_HOVER, band_heading, columns, factor_column, panels, revealing, row_columns
from .words import Word, word_traces

MARGIN = dict(l=4, r=46, t=6, b=6)  # the colour scale and its ticks live in the right margin
#: Smallest printed number (px): small on a laptop, still legible; slides ask for more.
MIN_LABEL_PX = {False: 9.0, True: 12.0}
#: Smallest cell (px) of a figure with no printed numbers: a 256-wide matrix still shows its shape.
MIN_CELL_PX = 1.5
MAX_HEIGHT = 1500  # px: taller figures get smaller cells (they never need scrolling down a page)


@dataclass(frozen=True)
class Options:
    """How to draw.

    free_limits : each panel gets its own symmetric colour limits (else one shared scale).
    color_limit : the shared symmetric limit; ``None`` takes it from the data.
    show_weight_grads, show_forward : add the ∂L/∂W band, the forward-mode band.
    step : how many factors the backward walk-through has applied (``None``: all).
    selected : ``(band, column, i, j)`` of a clicked cell, or ``None``.
    presentation : larger type and cells for a projector.
    width : px the figure may take; max_height : px (``None``: no limit but :data:`MAX_HEIGHT`).
    hidden : slots drawn as empty grids of the right shape (exercise mode).
    marked : grid cells ``(row, col)`` whose shown value just changed.
    emphasis : panel cells ``(band, column, i, j)`` to outline like changed ones (the weights a
        gradient step moved most).
    history, predicted : the loss before each gradient step and now, and the first-order
        prediction made before each step (:mod:`.history`); empty without training.
    charted : the loss chart has its own axes (``x2``/``y2``), hidden while the history is empty.
        Until the first step it has none: plotly.js redraws a pair of axes on every edit, even
        empty ones (2–3 ms of each redraw), and an update can add axes but not remove them.
    dark : the dark palette (:mod:`.theme`).
    """

    free_limits: bool = False
    color_limit: float | None = None
    show_weight_grads: bool = False
    step: int | None = None
    selected: tuple | None = None
    presentation: bool = False
    width: int = 840
    max_height: int | None = None
    hidden: frozenset = frozenset()
    show_forward: bool = True
    marked: tuple = field(default=())
    emphasis: tuple = ()
    history: tuple = ()
    predicted: tuple = ()
    charted: bool = False
    dark: bool = False


def _title_lines(title: str) -> tuple[str, str]:
    head, _, detail = title.partition("<br>")
    return head, detail


def _fit_detail(detail: str, room: float, size: float) -> str:
    """``detail`` shortened to ``room`` px: a vector loses entries from its end, then itself."""
    if text_px(detail, size) <= room:
        return detail
    m = re.match(r"(.*?= )\((.*)\)$", detail)
    if m:
        parts = [p for p in m.group(2).split(", ") if p != "…"]
        for k in range(len(parts) - 1, 0, -1):
            short = f"{m.group(1)}({', '.join(parts[:k])}, …)"
            if text_px(short, size) <= room:
                return short
        return m.group(1).rstrip(" =")
    return detail


@dataclass(frozen=True)
class _Layout:
    cell: float
    fs: int
    boxes: dict
    shape: tuple[int, int]
    titles: dict
    heading_h: float
    title_h: float
    tops: list


#: the ``name`` of an annotation that a live figure's front end draws itself
#: (``chainviz/_static/figure_loader.js``); plotly.js draws it everywhere else
PAGE_NOTE = "drawn by page"


def _scale_ticks(shared: float) -> tuple[str, str, str]:
    """The shared colour scale's three tick labels, top to bottom."""
    return short(shared, 2), "0", short(-shared, 2)


def _margin(shared: float, opts: Options) -> dict:
    """The figure's margins (px): on the right, the colour scale (20 px) and its widest tick label."""
    fs = (style.FONT_PRESENTATION if opts.presentation else style.FONT)["size"]
    if opts.free_limits:
        return MARGIN
    return dict(MARGIN, r=max(MARGIN["r"], math.ceil(22 + max(text_px(t, fs - 2) for t in _scale_ticks(shared)))))


def _layout(P: dict, bands: list[str], cols: list[str], opts: Options, margin: dict = MARGIN) -> _Layout:
    """Cell size (px) and every panel's :class:`~.grid.Box`; see the module docstring."""
    fs = (style.FONT_PRESENTATION if opts.presentation else style.FONT)["size"]
    tsize = fs - 1
    col_k = {c: max([P[(b, c)]["z"].shape[1] for b in bands if (b, c) in P], default=0) for c in cols}
    present = [c for c in cols if col_k[c]]
    band_rows = {b: max(P[s]["z"].shape[0] for s in P if s[0] == b) for b in bands}
    head_w = {c: max([text_px(_title_lines(P[(b, c)]["title"])[0], tsize) for b in bands if (b, c) in P], default=0)
              for c in present}
    labelled_possible = any(max(P[s]["z"].shape) <= style.MAX_LABELLED for s in P if s[0] in bands)
    gap_px = 1.4 * fs  # room for "·" and "=" between the factors
    heading_h, title_h, pad = 1.8 * fs, 2.7 * fs, 0.9 * fs
    avail_w = opts.width - margin["l"] - margin["r"]
    avail_h = min(opts.max_height or MAX_HEIGHT, MAX_HEIGHT) - margin["t"] - margin["b"]
    fixed_h = len(bands) * (heading_h + title_h + pad)

    def columns_at(cell: float) -> tuple[dict, int]:
        gap = max(1, math.ceil(gap_px / cell))
        return {c: max(col_k[c], math.ceil((head_w[c] - gap * cell * 0.5) / cell)) for c in present}, gap

    def fits(cell: float) -> bool:
        widths, gap = columns_at(cell)
        wide = (sum(widths.values()) + gap * (len(present) - 1)) * cell <= avail_w
        tall = fixed_h + sum(band_rows.values()) * cell <= avail_h
        return wide and tall

    top = (2.6 if opts.presentation else 3.0) * fs
    low = _cell_for_label(MIN_LABEL_PX[opts.presentation]) if labelled_possible else MIN_CELL_PX
    if labelled_possible and not fits(low) and any(max(P[s]["z"].shape) > style.MAX_LABELLED for s in P if s[0] in bands):
        # a matrix too large to print numbers on makes the figure too wide at the readable label
        # size (13,000 px at widths (256, 16, 4)): the small panels give up their numbers (the hover
        # and the tables keep them) and every cell shrinks until the figure fits
        low = MIN_CELL_PX
    cell = top
    if not fits(top):
        lo, hi = low, top
        for _ in range(30):  # bisection to a fraction of a pixel
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if fits(mid) else (lo, mid)
        cell = lo  # at the readable minimum it may still not fit: the box then scrolls
    widths, gap = columns_at(cell)
    boxes, titles, row = {}, {}, 0
    for b in bands:
        col = 0
        for c in present:
            if (b, c) in P:
                r, k = P[(b, c)]["z"].shape
                box = grid.Box(row, col + (widths[c] - k) // 2, r, k)
                boxes[(b, c)] = box
                head, detail = _title_lines(P[(b, c)]["title"])
                room = (widths[c] + gap * 0.9) * cell
                titles[(b, c)] = head + ("<br>" + _fit_detail(detail, room, tsize) if detail else "")
            col += widths[c] + gap
        row += band_rows[b] + math.ceil((pad + heading_h + title_h) / cell)
    R = row - math.ceil((pad + heading_h + title_h) / cell)
    C = sum(widths.values()) + gap * (len(present) - 1)
    tops = [c for c in present if ("top", c) in P]
    return _Layout(cell, fs, boxes, (R, C), titles, heading_h, title_h, tops)


def _cell_for_label(size: float) -> float:
    """The narrowest cell that holds "−0.28" (2.53 em in Helvetica) at ``size`` px, with 1 px each side."""
    return 2.55 * size + 2


def _label_size(cell: float, fs: float) -> float:
    """The label size a cell holds (see :func:`_cell_for_label`), at most the figure's font size."""
    return min(fs, (cell - 2) / 2.55)


def _hidden_panel(p: dict) -> dict:
    name = _title_lines(p["title"])[0].split("</b>")[0].replace("<b>", "")
    r, k = p["z"].shape
    return dict(z=np.full((r, k), np.nan), hover=HIDDEN_HOVER, title=f"<b>? {name}</b>  {r}×{k}<br>your turn")


def label_text(values: np.ndarray, wide: bool, cell: float = math.inf, size: float = 13) -> np.ndarray:
    """Each value as printed on its cell: 3 significant digits where cells are wide, else 2 decimals
    below 10 in magnitude (3 significant digits above, written short: ``1440``, ``3.2e5``). A value
    that is not zero but rounds to it prints as ``0.00`` (``−0.00``), so that only a true zero reads
    ``0``. A label wider than its ``cell`` (px, at font ``size``) gets 2 digits, then none (the
    colour, the hover and the tables still give it)."""
    out = np.empty(values.shape, dtype=object)
    room = cell - 2
    for idx, v in np.ndenumerate(values):
        if wide or abs(v) >= 10 or v == 0:
            text = short(v, 3)
        elif abs(v) < 0.005:
            text = "−0.00" if v < 0 else "0.00"
        else:
            text = fmt(float(f"{v:.2f}"), 3)
        if text_px(text, size) > room:  # fewer digits, then none
            text = short(v, 2)
            text = text if text_px(text, size) <= room else ""
        out[idx] = text
    return out


def figure_spec(s: Snapshot, opts: Options = Options(), previous: dict | None = None) -> dict:
    """The whole figure for one state: a heatmap of every panel's cells, a text trace of their
    numbers, and a layout dict.

    With ``previous`` (the spec drawn before an edit) the cells whose shown value changed are
    outlined (:func:`changed_cells`), on top of ``opts.marked``.

    The heatmap's ``meta["panels"]`` maps ``"band:column"`` to ``[row, col, rows, cols]`` of that
    panel's block of the grid; in free-limit mode ``meta["limits"]`` gives each panel's colour
    limit (its cells then hold ``value / limit``, and the hover text states the value).
    """
    K = len(s.factors)
    step = None if opts.step is None or opts.step >= K else max(0, opts.step)
    P = panels(s, step)
    for slot in revealing(s, opts.hidden):
        if slot in P:
            P[slot] = _hidden_panel(P[slot])
    pal = theme.palette(opts.dark)
    font = dict(style.FONT_PRESENTATION if opts.presentation else style.FONT, color=pal.text)
    bands = [b for b in BANDS if b in ("top", "rev") or (b == "fwd" and opts.show_forward)
             or (b == "grad" and opts.show_weight_grads)]
    cols = columns(s)
    shown = {(b, c): P[(b, c)] for b in bands for c in cols if (b, c) in P}
    shared = opts.color_limit or style.symmetric_limit(*[p["z"] for p in shown.values()])
    margin = _margin(shared, opts)
    L = _layout(shown, bands, cols, opts, margin)
    cell, fs, boxes, (R, C) = L.cell, L.fs, L.boxes, L.shape

    # -- the plot area in cells: the first band's heading and titles sit above row 0 --------------
    above = (L.heading_h + L.title_h) / cell
    headings = {}
    for b in bands:  # the long heading where it fits above the panels, else the short one
        text = band_heading(s, b, step)
        headings[b] = text if text_px(text, fs) <= C * cell else band_heading(s, b, step, short=True)
    plot_w = max(C * cell, max(text_px(t, fs) for t in headings.values()) + 4)
    grid_h = (R + above + 0.2) * cell
    trained = len(opts.history) > 1
    hist_h = HISTORY_HEIGHT[opts.presentation] + 2.6 * fs if trained else 0.0  # the chart, its heading and ticks
    plot_h = grid_h + hist_h
    x_range = [-0.5, -0.5 + plot_w / cell]
    y_range = [R - 0.3, -0.5 - above]  # reversed: row 0 on top
    grid_bottom = hist_h / plot_h  # the panels' axes take the paper above the chart

    def paper_y(y: float) -> float:
        u = min(max((y_range[0] - y) / (y_range[0] - y_range[1]), 0.0), 1.0)
        return round(grid_bottom + u * (1 - grid_bottom), 5)

    # -- colours: one symmetric scale, or each panel its own (cells then hold value / limit) -------
    limits = {slot: style.symmetric_limit(p["z"]) if opts.free_limits else shared for slot, p in shown.items()}
    values = grid.pack((R, C), {sl: (boxes[sl], p["z"]) for sl, p in shown.items()})
    shown_values = style.rounded(values)
    scale = grid.pack((R, C), {sl: (boxes[sl], np.full((boxes[sl].rows, boxes[sl].cols), limits[sl]))
                               for sl in shown})
    hover = grid.hover_cells((R, C), tuple((boxes[slot], p["hover"], *p.get("values", ()))
                                           for slot, p in shown.items()))
    cells = dict(type="heatmap", name="cells", colorscale=style.COLORSCALE, showscale=False, hoverongaps=False,
                 customdata=hover, meta=dict(panels={f"{b}:{c}": [bx.row, bx.col, bx.rows, bx.cols]
                                                     for (b, c), bx in boxes.items()}))
    if opts.free_limits:
        said = hover.copy()
        ok = np.isfinite(shown_values)
        said[ok] = [f"{h} = {fmt(v, 3)}" for h, v in zip(hover[ok], shown_values[ok])]
        cells.update(z=style.cell_values(values / scale), zmin=-1.0, zmax=1.0, customdata=said,
                     hovertemplate="%{customdata}<extra></extra>")
        cells["meta"]["limits"] = {f"{b}:{c}": limits[(b, c)] for b, c in shown}
    else:
        cells.update(z=style.cell_values(values), zmin=-shared, zmax=shared,
                     hovertemplate="%{customdata} = %{z:.3~g}<extra></extra>")

    # -- numbers on the cells of small matrices, black or white for contrast with each cell -------
    label_size = _label_size(cell, fs)
    labelled = [sl for sl, b in boxes.items()
                if max(b.rows, b.cols) <= style.MAX_LABELLED and label_size >= MIN_LABEL_PX[opts.presentation] - 0.01]
    rr, cc = [], []
    for sl in labelled:
        b = boxes[sl]
        r, c = np.nonzero(np.isfinite(shown_values[b.row:b.row + b.rows, b.col:b.col + b.cols]))  # row by row
        rr.extend((r + b.row).tolist())
        cc.extend((c + b.col).tolist())
    rr, cc = np.array(rr, dtype=int), np.array(cc, dtype=int)
    v = values[rr, cc]  # printed from the exact values: rounding twice (3 digits, then 2 decimals) can be off
    colours = (theme.label_colours(v / scale[rr, cc], 1.0) if opts.free_limits
               else theme.label_colours(v, shared))
    # meta.drawn_by: a live figure's front end draws these texts itself and rewrites only those an
    # edit changed (chainviz/_static/figure_loader.js); plotly.js draws them everywhere else
    labels = dict(type="scatter", name="labels", mode="text", x=cc.tolist(), y=rr.tolist(),
                  text=label_text(v, cell >= 3.4 * fs, cell, label_size).tolist(), hoverinfo="skip", showlegend=False,
                  textfont=dict(size=max(1.0, round(label_size, 1)), color=colours.tolist()), meta={"drawn_by": "page"})

    # -- words: panel titles, "·" and "=" between factors, band headings -------------------------
    words = [_title(L.titles[slot], boxes[slot], cell, fs, bool(p.get("live"))) for slot, p in shown.items()]
    for a, b in zip(L.tops, L.tops[1:]):
        A, B = boxes[("top", a)], boxes[("top", b)]
        words.append(Word("=" if b == "J" else "·", (A.right + B.left) / 2, (A.top + A.bottom + B.top + B.bottom) / 4,
                          round(1.9 * fs)))
    for b in bands:
        row0 = min(box.row for slot, box in boxes.items() if slot[0] == b)
        words.append(Word(headings[b], -0.5, row0 - 0.5 - L.title_h / cell, fs, ("left", "bottom"), live=b == "rev"))
    images, annotations = [], []
    if not opts.free_limits:  # the shared scale, beside J
        J = boxes[("top", "J")]
        y1, y0 = paper_y(J.top), paper_y(J.bottom)
        length = max(y1 - y0, 0.25)
        x = 1 + 5 / plot_w
        images.append(dict(source=grid.colour_bar_image(style.COLORSCALE), xref="paper", yref="paper", x=x,
                           y=y1, sizex=12 / plot_w, sizey=length, xanchor="left", yanchor="top",
                           sizing="stretch", layer="above"))
        # annotations, not words: plotly hides a text trace's points outside its axes' range. Named
        # PAGE_NOTE, a live figure's front end draws them (plotly.js draws every annotation twice
        # on every full redraw, measuring each with a forced layout); a static export leaves them
        # to plotly.js
        for text, y, anchor in zip(_scale_ticks(shared), (y1, y1 - length / 2, y1 - length), ("top", "middle", "bottom")):
            annotations.append(dict(text=text, x=x + 15 / plot_w, y=y, xref="paper", yref="paper", name=PAGE_NOTE,
                                    xanchor="left", yanchor=anchor, showarrow=False, font=dict(size=fs - 2)))

    if previous is not None:
        opts = replace(opts, marked=tuple(dict.fromkeys(tuple(opts.marked) + changed_cells(
            previous, {"cells": shown_values, "traces": [cells]}))))
    emphasis = [(boxes[(b, c)].row + i, boxes[(b, c)].col + j) for b, c, i, j in opts.emphasis if (b, c) in boxes]
    if emphasis:
        opts = replace(opts, marked=tuple(dict.fromkeys(tuple(opts.marked) + tuple(emphasis))))
    shapes = _shapes(s, boxes, step, opts, cell, pal)
    chart_w = min(1.0, max(260.0, 0.5 * plot_w) / plot_w)
    chart_top = (HISTORY_HEIGHT[opts.presentation] + 0.5 * fs) / plot_h if trained else 0.0
    charted = opts.charted or trained
    hist_layout = history_layout(opts.history, opts.predicted, pal, fs, (0.07, chart_w),
                                 (1.6 * fs / plot_h if trained else 0.0, chart_top or 0.001), trained) if charted else {}
    # the chart's heading stays an annotation: it is in paper space, under the grid's axes
    annotations.append(dict(text=history_heading(opts.history, opts.predicted) if trained else "", x=0, xref="paper",
                            y=chart_top + 0.3 * fs / plot_h if trained else 0, yref="paper", xanchor="left",
                            yanchor="bottom", showarrow=False, font=dict(size=fs), visible=trained))
    axis = dict(visible=False, fixedrange=True)
    layout = dict(
        width=int(plot_w + margin["l"] + margin["r"]),
        height=int(plot_h + margin["t"] + margin["b"]),
        margin=dict(margin, autoexpand=False),
        xaxis=dict(axis, range=x_range, domain=[0, 1]),
        yaxis=dict(axis, range=y_range, domain=[round(grid_bottom, 5), 1]),
        **hist_layout,
        font=font,
        plot_bgcolor=pal.paper,
        paper_bgcolor=pal.paper,
        showlegend=False,
        hoverlabel=dict(font=dict(size=fs)),
        annotations=annotations,
        shapes=shapes,
        images=images,
        dragmode=False,
    )
    traces = [cells, labels, *word_traces(words, pal.text)] + history_traces(opts.history, opts.predicted, pal, fs, charted)
    return {"traces": traces, "layout": layout, "cells": shown_values, "marked": tuple(opts.marked)}


def _title(text: str, box: grid.Box, cell: float, fs: float, live: bool) -> Word:
    """A panel's title, centred over it; pushed right where it would stick out past the left edge."""
    half = max(text_px(line, fs - 1) for line in text.split("<br>")) / 2 / cell
    x, anchor = ((box.left + box.right) / 2, "center")
    if x - half < -0.5:
        x, anchor = -0.5, "left"
    return Word(text, x, box.top, fs - 1, (anchor, "bottom"), live)


def _shapes(s: Snapshot, boxes: dict, step, opts: Options, cell: float, pal) -> list[dict]:
    """Grey behind blank cells, cell borders where cells are big enough to need them, then three
    outlines that are always there (hidden when empty, so an edit that moves them sends a path,
    not the whole list): what the walk-through or a click highlights (solid), the factor the
    walk-through just applied (dotted), and the cells whose shown value just changed."""
    shapes = [dict(type="path", path=grid.panel_backgrounds(boxes.values()), xref="x", yref="y",
                   fillcolor=pal.blank, line=dict(width=0), layer="below")]
    if cell >= 8:
        shapes.append(dict(type="path", path=grid.cell_borders(boxes.values()), xref="x", yref="y",
                           line=dict(color=pal.blank, width=1), layer="above"))
    solid, dotted = [], []

    def outline(into, slot, i0=None, i1=None, j0=None, j1=None):
        b = boxes[slot]
        into.append(grid.rect_path(b.left if j0 is None else b.col + j0 - 0.5,
                                   b.right if j1 is None else b.col + j1 + 0.5,
                                   b.top if i0 is None else b.row + i0 - 0.5,
                                   b.bottom if i1 is None else b.row + i1 + 0.5))

    if step is not None:
        cols = row_columns(s)
        outline(solid, ("rev", cols[step]))
        if step >= 1:
            outline(dotted, ("top", cols[step]))
    if opts.selected is not None:
        band, col, i, j = opts.selected
        if (band, col) == ("top", "J") and i < s.J.shape[0] and j < s.J.shape[1]:
            outline(solid, ("top", factor_column(s.factors[0])), i0=i, i1=i)
            outline(solid, ("top", factor_column(s.factors[-1])), j0=j, j1=j)
            outline(solid, ("top", "J"), i0=i, i1=i, j0=j, j1=j)
        elif (band, col) in boxes:
            b = boxes[(band, col)]
            if i < b.rows and j < b.cols:
                outline(solid, (band, col), i0=i, i1=i, j0=j, j1=j)
    for name, paths, colour, width, dash in (("highlight", solid, pal.highlight, 4, "solid"),
                                             ("applied", dotted, pal.highlight, 4, "dot"),
                                             ("changed", [grid.runs_path(opts.marked)] if opts.marked else [],
                                              pal.mark, 3, "solid")):
        shapes.append(dict(type="path", name=name, path="".join(paths) or "M0,0", visible=bool(paths), xref="x",
                           yref="y", fillcolor="rgba(0,0,0,0)", line=dict(color=colour, width=width, dash=dash),
                           layer="above"))
    return shapes


def changed_cells(old: dict | None, new: dict) -> tuple:
    """Grid cells ``(row, col)`` whose shown value differs between two specs of the same layout.

    A different layout (the net changed shape, a band appeared) marks nothing: every
    cell moved, and marking them all would say nothing.
    """
    if old is None or old["cells"].shape != new["cells"].shape:
        return ()
    if old["traces"][0]["meta"]["panels"] != new["traces"][0]["meta"]["panels"]:
        return ()
    a, b = old["cells"], new["cells"]
    differ = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    return tuple((int(r), int(c)) for r, c in np.argwhere(differ))


def panel_at(traces, r: int, c: int) -> tuple[str, str, int, int] | None:
    """``(band, column, i, j)`` of the panel entry drawn at grid cell ``(r, c)`` (a click), or ``None``."""
    for tr in traces:
        for name, (row, col, rows, cols) in ((tr.get("meta") or {}).get("panels") or {}).items():
            hit = grid.Box(row, col, rows, cols).entry(r, c)
            if hit is not None:
                band, column = name.split(":")
                return band, column, hit[0], hit[1]
    return None
