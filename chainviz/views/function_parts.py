"""What the function explorers' figures are made of: names and numbers for titles, the colours
of each theme, a row of matrices with their printed numbers, the heading, and the panels as
tables.

A row of matrices (:func:`panel_row`) puts each matrix in its own subplot with equal square
cells. A matrix is two traces: a heatmap for the colours (:func:`matrix_trace`) and a text
trace for the numbers (:func:`label_trace`), whose colour is chosen per cell, black or white,
for a contrast of at least 4.5:1 with that cell (:func:`chainviz.views.theme.label_colours`);
plotly's own heatmap labels take one colour for all cells (#444 on a mid red is 2.6:1).

Everything that is not data follows the theme (:class:`Tones`); the data scale is the same
in both, so a colour means the same number everywhere.
"""

from __future__ import annotations

import html

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..core.notation import fmt, sub
from . import theme
from .style import FONT, MAX_LABELLED, heatmap, labels, rounded, symmetric_limit, text_px

#: Figure width (px): fits JupyterLab's output area at 1280 px with the file browser open.
FIGURE_WIDTH = 860
TITLE_SIZE = 20
PANEL_TITLE_SIZE = 15
OPERATOR_SIZE = 30
TICK_SIZE = 14

_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


# -- colours of each theme ---------------------------------------------------------------------
@dataclass(frozen=True)
class Tones:
    """The colours of a function explorer's figure in one theme, beyond :class:`~.theme.Palette`.

    ``forward``/``reverse`` draw the two modes (bars, lines and their words): the dark ends
    of the data scale on a light paper, its light ends on a dark one, so the hues match
    the heatmaps. ``ok``/``kink``/``bad`` are a check's text and border, each on its ``*_fill``.
    Every text colour here has at least 4.5:1 on the paper and on its fill.
    """

    pal: theme.Palette
    muted: str  # subtitles and notes
    grid: str  # grid lines of the charts
    forward: str
    reverse: str
    ok: str
    ok_fill: str
    kink: str
    kink_fill: str
    bad: str
    bad_fill: str

    @property
    def dark(self) -> bool:
        return self.pal is theme.DARK


LIGHT = Tones(theme.LIGHT, muted="#444444", grid="#e5e5e5", forward="#b2182b", reverse="#2166ac",
              ok="#1b5e20", ok_fill="#eef7ee", kink="#8a4b00", kink_fill="#fff4e0", bad="#b00020", bad_fill="#fdecec")
DARK = Tones(theme.DARK, muted="#bdbdbd", grid="#3c3c3c", forward="#f4a582", reverse="#92c5de",
             ok="#8fd694", ok_fill="#1d3320", kink="#ffc266", kink_fill="#3a2c12", bad="#ff8a80", bad_fill="#3f1a1c")


def tones(dark: bool) -> Tones:
    return DARK if dark else LIGHT


# -- names and numbers -------------------------------------------------------------------------
def component_names(symbol: str, k: int) -> list[str]:
    """``['x₁', 'x₂']`` for ``('x', 2)``; a lone component keeps the bare symbol."""
    return [symbol] if k == 1 else [f"{symbol}{sub(i + 1)}" for i in range(k)]


def point_text(v: np.ndarray, most: int = 6, short: bool = False) -> str:
    """A point as printed in titles: ``(1, 2.5)``; one number bare; long vectors cut after ``most``.

    A cut vector ends ``… (12 in all))``, or just ``…)`` when ``short``.
    """
    v = np.atleast_1d(v)
    if v.size == 1:
        return fmt(float(v[0]))
    rest = ["…" if short else f"… ({v.size} in all)"] if v.size > most else []
    return "(" + ", ".join([fmt(float(a)) for a in v[:most]] + rest) + ")"


def count_text(v: float, plain_below: float = 10_000) -> str:
    """A count as printed: ``1,000``, ``10⁹``, ``9.01×10¹²`` (powers of ten from ``plain_below`` on)."""
    v = float(v)
    if v < plain_below:
        return f"{v:,.0f}"
    e = int(np.floor(np.log10(v)))
    mant = float(f"{v / 10**e:.3g}")
    if mant >= 10:
        mant, e = mant / 10, e + 1
    power = "10" + str(e).translate(_SUP)
    return power if mant == 1 else f"{mant:.3g}×{power}"


def ratio_text(r: float) -> str:
    """``8,930×`` or ``2.5×``."""
    return f"{r:,.0f}×" if r >= 10 else f"{r:.2g}×"


def shape_text(r: int, c: int) -> str:
    return f"{r}×{c}"


def plain(text: str) -> str:
    """Figure text (plotly's HTML subset) as plain text: ``J<sub>f</sub>`` → ``J_f``, tags and breaks dropped."""
    text = re.sub(r"<sub>(.*?)</sub>", r"_\1", text)
    text = re.sub(r"<br\s*/?>", ", ", text)
    return re.sub(r"<[^>]+>", "", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def limit(*arrays) -> float:
    """Symmetric colour limit, rounded like the cells so the largest cell gets the end colour."""
    return rounded(np.array([symmetric_limit(*arrays)]))[0][0]


# -- the panels as tables (a text alternative of the figure) -----------------------------------
@dataclass(frozen=True, eq=False)
class PanelTable:
    """One panel as a table: what a "numbers as a table" view or a screen reader needs.

    name : plain text (no HTML), e.g. ``"J_f(x), 2×2, at x = (1, 2)"``.
    rows, columns : row and column headers, as the figure names them.
    values : ``(r, k)`` ndarray, each value as shown (rounded to the displayed digits).
    text : ``(r, k)`` nested tuples, each value as printed on its cell (Unicode minus).
    """

    name: str
    rows: tuple
    columns: tuple
    values: np.ndarray
    text: tuple


def tables_html(tables: Sequence[PanelTable]) -> str:
    """The panels as HTML tables (caption, column and row headers, the values as printed): the
    text alternative of a figure's colours, for a screen reader or anyone who asks for numbers."""
    out = []
    for t in tables:
        head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in t.columns)
        body = "".join(
            f'<tr><th scope="row">{html.escape(str(r))}</th>' + "".join(f"<td>{html.escape(v)}</td>" for v in row)
            + "</tr>" for r, row in zip(t.rows, t.text))
        out.append(f'<table class="cv-table"><caption>{html.escape(t.name)}</caption><thead><tr>'
                   f'<td class="cv-corner"></td>{head}</tr></thead><tbody>{body}</tbody></table>')
    return '<section class="cv-tables-static" aria-label="the figure\'s panels as tables">' + "".join(out) + "</section>"


def panel_table(name: str, z, rows: Sequence[str], columns: Sequence[str]) -> PanelTable:
    shown = rounded(z)
    return PanelTable(plain(name), tuple(rows), tuple(columns), shown,
                      tuple(tuple(r) for r in labels(shown).tolist()))


# -- a row of matrices ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Panel:
    """One matrix in a row of panels: its shape, title lines and the operator written before it."""

    rows: int
    cols: int
    title: str
    operator: str = ""
    ticks: bool = True  # row/column names next to the cells
    gap: float = 0.0  # extra space before the panel (px), on top of the operator's


@dataclass(frozen=True)
class RowGeometry:
    width: int
    height: int
    cell: float
    x_domains: list
    y_domains: list
    operator_at: list  # (x paper, y paper) of each panel's operator, or None
    margin: dict


def panel_row(panels: Sequence[Panel], *, max_width: int = FIGURE_WIDTH, max_plot_height: int = 420,
              top: int = 150, bottom: int = 50, left: int = 70, right: int = 24,
              min_panel: int = 80, cell_max: int = 80, cell_min: int = 12) -> RowGeometry:
    """Place matrices side by side with equal square cells, top-aligned, within ``max_width``.

    Each panel is ``max(cols·cell, min_panel)`` px wide so its title fits;
    the space before a panel holds its operator and its row names.
    """
    gaps = [(40 if p.operator else 24) + (28 if p.ticks else 0) + p.gap for p in panels]
    gaps[0] = 0  # the first panel's row names sit in the left margin
    room = max_width - left - right - sum(gaps)
    # Panels narrower than min_panel take min_panel; the rest share what is left.
    narrow: set[int] = set()
    for _ in panels:
        wide_cols = sum(p.cols for k, p in enumerate(panels) if k not in narrow)
        cell = (room - min_panel * len(narrow)) / max(wide_cols, 1)
        now = {k for k, p in enumerate(panels) if p.cols * cell < min_panel}
        if now == narrow:
            break
        narrow = now
    cell = min(cell_max, max(cell_min, cell), max(cell_min, max_plot_height / max(p.rows for p in panels)))
    widths = [max(p.cols * cell, min_panel) for p in panels]
    plot_w = sum(widths) + sum(gaps)
    plot_h = max(p.rows for p in panels) * cell
    x_domains, y_domains, ops = [], [], []
    x = 0.0
    prev_rows = panels[0].rows
    for p, w, g in zip(panels, widths, gaps):
        x += g
        x_domains.append([x / plot_w, (x + w) / plot_w])
        y_domains.append([1 - p.rows * cell / plot_h, 1.0])
        rows_mid = 1 - min(p.rows, prev_rows) * cell / plot_h / 2  # level with both neighbours' rows
        prev_rows = p.rows
        ops.append(((x - g / 2 - (14 if p.ticks else 0)) / plot_w, rows_mid) if p.operator else None)
        x += w
    margin = dict(l=left, r=right, t=top, b=bottom, pad=0)
    return RowGeometry(int(round(plot_w + left + right)), int(round(plot_h + top + bottom)), cell,
                       x_domains, y_domains, ops, margin)


def fitted_point(label: str, v: np.ndarray, geo: RowGeometry, k: int) -> str:
    """``label`` + the point, with as many entries as fit over panel ``k`` (and 30 px into each gap)."""
    x0, x1 = geo.x_domains[k]
    room = (x1 - x0) * (geo.width - geo.margin["l"] - geo.margin["r"]) + 60
    for most in range(np.atleast_1d(v).size, 0, -1):
        text = label + point_text(v, most, short=True)
        if text_px(text, PANEL_TITLE_SIZE) <= room:
            return text
    return label + point_text(v, 1, short=True)


def axis_names(k: int) -> tuple[str, str, str, str]:
    """(trace xaxis, trace yaxis, layout xaxis key, layout yaxis key) of subplot ``k`` (0-based)."""
    s = "" if k == 0 else str(k + 1)
    return f"x{s}", f"y{s}", f"xaxis{s}", f"yaxis{s}"


def matrix_axes(layout: dict, k: int, geo: RowGeometry, row_names, col_names, ticks: bool,
                col_ticks: bool = True) -> None:
    xa, ya, xk, yk = axis_names(k)
    common = dict(showgrid=False, zeroline=False, ticks="", tickfont=dict(size=TICK_SIZE), fixedrange=True,
                  type="category")
    layout[xk] = dict(common, domain=geo.x_domains[k], anchor=ya, side="bottom", showticklabels=col_ticks,
                      categoryorder="array", categoryarray=list(col_names))
    layout[yk] = dict(common, domain=geo.y_domains[k], anchor=xa, autorange="reversed", showticklabels=ticks,
                      categoryorder="array", categoryarray=list(row_names))


#: Room below a panel for its column names, then a horizontal colour bar (px).
COLORBAR_OFFSET, COLORBAR_ROOM = 34, 56


def _label_size(geo: RowGeometry) -> int:
    return 18 if geo.cell >= 64 else 16 if geo.cell >= 44 else 14 if geo.cell >= 32 else 13


def matrix_trace(z, k: int, row_names, col_names, c: float, hover: str, name: str, geo: RowGeometry,
                 tone: Tones, colorbar_span: Sequence[float] | None = None) -> dict:
    """The colours of ``z`` ``(r, k)`` as a heatmap in subplot ``k``; a colour bar under
    ``colorbar_span`` (paper x) if given. Its numbers are :func:`label_trace`."""
    z = np.atleast_2d(np.asarray(z, dtype=float))
    xa, ya, _, _ = axis_names(k)
    t = heatmap(z, labelled=False, c=c, hovertemplate=hover, name=name, xaxis=xa, yaxis=ya,
                font_size=_label_size(geo))
    t["x"], t["y"] = list(col_names), list(row_names)
    if colorbar_span is not None:
        plot_h = geo.height - geo.margin["t"] - geo.margin["b"]
        x0, x1 = colorbar_span
        t["showscale"] = True
        t["colorbar"] = dict(orientation="h", x=(x0 + x1) / 2, xanchor="center", len=x1 - x0, lenmode="fraction",
                             y=-COLORBAR_OFFSET / plot_h, yanchor="top", yref="paper",
                             thickness=12, outlinewidth=0, tickfont=dict(size=13, color=tone.pal.text),
                             tickangle=0, nticks=5 if x1 - x0 > 150 / geo.width else 3)
    return t


def label_trace(z, k: int, row_names, col_names, c: float, name: str, geo: RowGeometry) -> dict:
    """The numbers on the cells of ``z`` ``(r, k)`` in subplot ``k``, each black or white for
    contrast with its cell at colour limits ±``c``; no numbers above 8×8 (a colour bar says
    what colours mean there). Always one trace, empty when unlabelled, so an edit is a diff."""
    z = np.atleast_2d(np.asarray(z, dtype=float))
    xa, ya, _, _ = axis_names(k)
    shown = rounded(z)
    xs, ys, text, colours = [], [], [], []
    if max(z.shape) <= MAX_LABELLED:
        i, j = np.nonzero(np.isfinite(shown))
        xs, ys = [col_names[b] for b in j], [row_names[a] for a in i]
        text = labels(shown)[i, j].tolist()
        # the colour of the cell as plotly paints it: from the rounded value it is sent
        colours = theme.label_colours(shown[i, j], c).tolist()
    return dict(type="scatter", mode="text", name=f"{name} numbers", x=xs, y=ys, text=text, xaxis=xa, yaxis=ya,
                textfont=dict(size=_label_size(geo), color=colours), hoverinfo="skip", showlegend=False)


def with_colorbar_room(geo: RowGeometry) -> RowGeometry:
    margin = dict(geo.margin, b=geo.margin["b"] + COLORBAR_ROOM)
    return RowGeometry(geo.width, geo.height + COLORBAR_ROOM, geo.cell, geo.x_domains, geo.y_domains,
                       geo.operator_at, margin)


def title_annotation(text: str, x_domain, size: int = PANEL_TITLE_SIZE) -> dict:
    return dict(text=text, x=(x_domain[0] + x_domain[1]) / 2, y=1.0, xref="paper", yref="paper",
                xanchor="center", yanchor="bottom", yshift=6, showarrow=False, font=dict(size=size),
                align="center")


def operator_annotations(geo: RowGeometry, panels: Sequence[Panel]) -> list[dict]:
    return [dict(text=p.operator, x=at[0], y=at[1], xref="paper", yref="paper", showarrow=False,
                 font=dict(size=int(OPERATOR_SIZE * (1.5 if p.operator == "·" else 1))), xanchor="center",
                 yanchor="middle")
            for p, at in zip(panels, geo.operator_at) if at is not None]


# -- heading and page --------------------------------------------------------------------------
def heading(layout: dict, title: str, subtitle: str, tone: Tones, size: int = TITLE_SIZE) -> None:
    """Put ``title`` (one line) at the top of the figure and ``subtitle`` (muted, ``<br>`` lines) under it.

    The subtitle is an annotation placed in pixels from the figure's top edge
    (``layout`` must already hold ``height`` and ``margin``): plotly's own
    ``title.subtitle`` was seen drawn over the title in JupyterLab, and a
    multi-line title with ``yanchor="top"`` is pushed up out of the figure.
    """
    height, top = layout["height"], layout["margin"]["t"]
    plot_h = height - top - layout["margin"]["b"]
    layout["title"] = dict(text=title, x=0.0, xanchor="left", xref="paper", y=1 - 10 / height, yanchor="top",
                           yref="container", font=dict(size=size, color=tone.pal.text))
    below_title = 10 + size + 12
    layout.setdefault("annotations", []).insert(0, dict(
        text=subtitle, x=0.0, xanchor="left", xref="paper", y=1 + (top - below_title) / plot_h, yanchor="top",
        yref="paper", align="left", showarrow=False, font=dict(size=14, color=tone.muted), name="subtitle"))


def subtitle_text(layout) -> str:
    """The subtitle lines of a figure made here (for tests and the static export)."""
    return next(a["text"] for a in layout["annotations"] if a.get("name") == "subtitle")


def page_layout(tone: Tones, **layout) -> dict:
    """The layout keys every function figure has: font, paper, hover labels, no legend, in ``tone``."""
    return dict(font=dict(FONT, size=14, color=tone.pal.text), paper_bgcolor=tone.pal.paper,
                plot_bgcolor=tone.pal.paper, hoverlabel=dict(font=dict(size=15)), showlegend=False, **layout)


def base_layout(geo: RowGeometry, title: str, subtitle: str, tone: Tones) -> dict:
    layout = page_layout(tone, width=geo.width, height=geo.height, margin=geo.margin, autosize=False)
    heading(layout, title, subtitle, tone)
    return layout
