"""Views for the function explorers: core results in, one figure spec out.

Every ``*_figure`` function returns ``{"traces": [...], "layout": {...}}`` for
:class:`chainviz.widgets.base.Explorer` (plain dicts, values already rounded),
always with the same number of traces in the same order, so an edit is a diff.

Matrices are laid out in one row, in written order, with the operator between
them (``J_g(f(x)) · J_f(x) = J_h(x)``); every cell has the same size, so the
shapes can be compared by eye and the shared inner dimension lines up.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..core.modes import ModeCost
from ..core.notation import sub
from ..core.jacobian import ChainAt, JacobianAt, LinearApproximation
from ..core.modes import SweepTimes
from ..core.notation import fmt
from .style import COLORSCALE, FONT, MAX_LABELLED, heatmap, rounded, symmetric_limit

#: Figure width (px): fits JupyterLab's output area at 1280 px with the file browser open.
FIGURE_WIDTH = 860
TITLE_SIZE = 20
PANEL_TITLE_SIZE = 15
OPERATOR_SIZE = 30
TICK_SIZE = 14
FORWARD_COLOR = COLORSCALE[9][1]  # dark red: the two ends of the shared scale
REVERSE_COLOR = COLORSCALE[1][1]  # dark blue
OK_COLOR = "#1b5e20"
KINK_COLOR = "#8a4b00"  # dark amber: neither right nor wrong, the differences cannot judge
BAD_COLOR = "#b00020"

_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


# -- names and numbers -------------------------------------------------------------
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


def _text_px(text: str, size: int = PANEL_TITLE_SIZE) -> float:
    """Rough width of ``text`` in px: digits and letters ~0.55 em, punctuation and spaces ~0.28 em."""
    return sum((0.28 if c in " .,()" else 0.55) * size for c in text)


def _fitted_point(label: str, v: np.ndarray, geo: "RowGeometry", k: int) -> str:
    """``label`` + the point, with as many entries as fit over panel ``k`` (and 30 px into each gap)."""
    x0, x1 = geo.x_domains[k]
    room = (x1 - x0) * (geo.width - geo.margin["l"] - geo.margin["r"]) + 60
    for most in range(np.atleast_1d(v).size, 0, -1):
        text = label + point_text(v, most, short=True)
        if _text_px(text) <= room:
            return text
    return label + point_text(v, 1, short=True)


def _limit(*arrays) -> float:
    """Symmetric colour limit, rounded like the cells so the largest cell gets the end colour."""
    return rounded(np.array([symmetric_limit(*arrays)]))[0][0]


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


def _small(v: float) -> str:
    """A difference that should be tiny: ``0`` or ``6.1e-10``."""
    return "0" if v == 0 else f"{v:.1e}"


def ratio_text(r: float) -> str:
    """``8,930×`` or ``2.5×``."""
    return f"{r:,.0f}×" if r >= 10 else f"{r:.2g}×"


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


def _shape(r: int, c: int) -> str:
    return f"{r}×{c}"


# -- a row of matrices ---------------------------------------------------------------
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


def _axis_names(k: int) -> tuple[str, str, str, str]:
    """(trace xaxis, trace yaxis, layout xaxis key, layout yaxis key) of subplot ``k`` (0-based)."""
    s = "" if k == 0 else str(k + 1)
    return f"x{s}", f"y{s}", f"xaxis{s}", f"yaxis{s}"


def _matrix_axes(layout: dict, k: int, geo: RowGeometry, row_names, col_names, ticks: bool,
                 col_ticks: bool = True) -> None:
    xa, ya, xk, yk = _axis_names(k)
    common = dict(showgrid=False, zeroline=False, ticks="", tickfont=dict(size=TICK_SIZE), fixedrange=True,
                  type="category")
    layout[xk] = dict(common, domain=geo.x_domains[k], anchor=ya, side="bottom", showticklabels=col_ticks,
                      categoryorder="array", categoryarray=list(col_names))
    layout[yk] = dict(common, domain=geo.y_domains[k], anchor=xa, autorange="reversed", showticklabels=ticks,
                      categoryorder="array", categoryarray=list(row_names))


#: Room below a panel for its column names, then a horizontal colour bar (px).
COLORBAR_OFFSET, COLORBAR_ROOM = 34, 56


def _matrix_trace(z, k: int, row_names, col_names, c: float, hover: str, name: str, geo: RowGeometry,
                  colorbar_span: Sequence[float] | None = None) -> dict:
    """A heatmap of ``z`` ``(r, k)`` in subplot ``k``; a colour bar under ``colorbar_span`` (paper x) if given.

    Cells carry their numbers up to 8×8; bigger matrices need the colour bar to be read.
    """
    z = np.atleast_2d(np.asarray(z, dtype=float))
    labelled = max(z.shape) <= MAX_LABELLED
    xa, ya, _, _ = _axis_names(k)
    size = 18 if geo.cell >= 64 else 16 if geo.cell >= 44 else 14 if geo.cell >= 32 else 13
    t = heatmap(z, labelled=labelled, c=c, hovertemplate=hover, name=name, xaxis=xa, yaxis=ya, font_size=size)
    t["x"], t["y"] = list(col_names), list(row_names)
    if colorbar_span is not None:
        plot_h = geo.height - geo.margin["t"] - geo.margin["b"]
        x0, x1 = colorbar_span
        t["showscale"] = True
        t["colorbar"] = dict(orientation="h", x=(x0 + x1) / 2, xanchor="center", len=x1 - x0, lenmode="fraction",
                             y=-COLORBAR_OFFSET / plot_h, yanchor="top", yref="paper",
                             thickness=12, outlinewidth=0, tickfont=dict(size=13), tickangle=0,
                             nticks=5 if x1 - x0 > 150 / geo.width else 3)
    return t


def _with_colorbar_room(geo: RowGeometry) -> RowGeometry:
    margin = dict(geo.margin, b=geo.margin["b"] + COLORBAR_ROOM)
    return RowGeometry(geo.width, geo.height + COLORBAR_ROOM, geo.cell, geo.x_domains, geo.y_domains,
                       geo.operator_at, margin)


def _title_annotation(text: str, x_domain, size: int = PANEL_TITLE_SIZE) -> dict:
    return dict(text=text, x=(x_domain[0] + x_domain[1]) / 2, y=1.0, xref="paper", yref="paper",
                xanchor="center", yanchor="bottom", yshift=6, showarrow=False, font=dict(size=size),
                align="center")


def _operator_annotations(geo: RowGeometry, panels: Sequence[Panel]) -> list[dict]:
    return [dict(text=p.operator, x=at[0], y=at[1], xref="paper", yref="paper", showarrow=False,
                 font=dict(size=int(OPERATOR_SIZE * (1.5 if p.operator == "·" else 1))), xanchor="center",
                 yanchor="middle")
            for p, at in zip(panels, geo.operator_at) if at is not None]


def _heading(layout: dict, title: str, subtitle: str, size: int = TITLE_SIZE) -> None:
    """Put ``title`` (one line) at the top of the figure and ``subtitle`` (grey, ``<br>`` lines) under it.

    The subtitle is an annotation placed in pixels from the figure's top edge
    (``layout`` must already hold ``height`` and ``margin``): plotly's own
    ``title.subtitle`` was seen drawn over the title in JupyterLab, and a
    multi-line title with ``yanchor="top"`` is pushed up out of the figure.
    """
    height, top = layout["height"], layout["margin"]["t"]
    plot_h = height - top - layout["margin"]["b"]
    layout["title"] = dict(text=title, x=0.0, xanchor="left", xref="paper", y=1 - 10 / height, yanchor="top",
                           yref="container", font=dict(size=size))
    below_title = 10 + size + 12
    layout.setdefault("annotations", []).insert(0, dict(
        text=subtitle, x=0.0, xanchor="left", xref="paper", y=1 + (top - below_title) / plot_h, yanchor="top",
        yref="paper", align="left", showarrow=False, font=dict(size=14, color="#444"), name="subtitle"))


def subtitle_text(layout) -> str:
    """The subtitle lines of a figure made here (for tests and the static export)."""
    return next(a["text"] for a in layout["annotations"] if a.get("name") == "subtitle")


def _base_layout(geo: RowGeometry, title: str, subtitle: str) -> dict:
    layout = dict(
        width=geo.width, height=geo.height, margin=geo.margin, autosize=False,
        font=dict(FONT, size=14), paper_bgcolor="white", plot_bgcolor="white",
        hoverlabel=dict(font=dict(size=15)), showlegend=False,
    )
    _heading(layout, title, subtitle)
    return layout


# -- JacobianExplorer -------------------------------------------------------------------
def jacobian_figure(at: JacobianAt, lin: LinearApproximation, input_names: Sequence[str],
                    output_names: Sequence[str], symbol: str = "f") -> dict:
    """The spec of :class:`JacobianExplorer`.

    Panels, left to right: ``f(x)`` ``(m,)``; ``J_f(x)`` ``(m, n)``; then the
    linear approximation ``J_f(x) · Δx = J·Δx ≈ f(x+Δx) − f(x)`` and the error
    ``(f(x+Δx) − f(x)) − J·Δx`` ``(m,)``. Traces in that order (6).
    """
    m, n = at.J.shape
    xs, fs = list(input_names), list(output_names)
    at_x = point_text(at.x)
    f_sub = f"<sub>{symbol}</sub>"
    err = float(np.max(np.abs(lin.error)))
    step = float(np.max(np.abs(lin.dx)))
    panels = [
        Panel(m, 1, f"{symbol}(x)<br>length {m}"),
        Panel(m, n, ""),  # titled below, once its width is known
        Panel(n, 1, f"Δx<br>length {n}", "·"),
        Panel(m, 1, f"J{f_sub}(x)·Δx<br>predicted", "=", ticks=False),
        Panel(m, 1, f"{symbol}(x+Δx)<br>− {symbol}(x)", "≈", ticks=False),
        Panel(m, 1, "error<br>(2nd order)", "", ticks=False),
    ]
    geo = panel_row(panels, top=150)
    panels[1] = replace(panels[1], title=f"<b>J{f_sub}(x)</b>  {_shape(m, n)}<br>"
                                         + _fitted_point("at x = ", at.x, geo, 1))
    bars = max(m, n) > MAX_LABELLED  # no numbers on the cells: colour bars say what colours mean
    if bars:
        geo = _with_colorbar_room(geo)
    dom = geo.x_domains
    span = (lambda a, b: (dom[a][0], dom[b][1])) if bars else (lambda a, b: None)  # noqa: E731
    c_f = _limit(at.fx)
    c_J = _limit(at.J)
    c_step = _limit(lin.dx, lin.predicted, lin.delta_f, lin.error)
    col = lambda v: np.asarray(v, dtype=float).reshape(-1, 1)  # noqa: E731 - a vector drawn as a column
    one = [" "]
    traces = [
        _matrix_trace(col(at.fx), 0, fs, one, c_f, f"%{{y}}(x) = %{{z:.4~g}}<br>at x = {at_x}", "f(x)", geo,
                      span(0, 0)),
        _matrix_trace(at.J, 1, fs, xs, c_J,
                      f"∂%{{y}}/∂%{{x}} = %{{z:.4~g}}<br>at x = {at_x}<br>row: output %{{y}}, column: input %{{x}}",
                      "J", geo, span(1, 1)),
        _matrix_trace(col(lin.dx), 2, xs, one, c_step, "Δ%{y} = %{z:.4~g}", "Δx", geo),
        _matrix_trace(col(lin.predicted), 3, fs, one, c_step,
                      "row %{y} of J times Δx = %{z:.4~g}<br>(first-order change of %{y})", "J·Δx", geo,
                      span(3, 5)),
        _matrix_trace(col(lin.delta_f), 4, fs, one, c_step,
                      "%{y}(x+Δx) − %{y}(x) = %{z:.4~g}<br>(true change)", "Δf", geo),
        _matrix_trace(col(lin.error), 5, fs, one, c_step,
                      "true − predicted change of %{y} = %{z:.4~g}<br>(second order in Δx)", "error", geo),
    ]
    method = _method_text(at)
    title = (f"{symbol}: ℝ{str(n).translate(_SUP)} → ℝ{str(m).translate(_SUP)} at x = {point_text(at.x, 4)}"
             + (f",  {symbol}(x) = {point_text(at.fx)}" if m <= 4 else ""))
    subtitle = (f"J{f_sub}(x) is {_shape(m, n)}, {method}<br>"
                f"linear approximation: step |Δx| ≤ {fmt(step)}, largest error {fmt(err)}")
    layout = _base_layout(geo, title, subtitle)
    for k, (p, rows, cols_) in enumerate([(panels[0], fs, one), (panels[1], fs, xs), (panels[2], xs, one),
                                          (panels[3], fs, one), (panels[4], fs, one), (panels[5], fs, one)]):
        _matrix_axes(layout, k, geo, rows, cols_, p.ticks, col_ticks=(k == 1))
    layout["annotations"] += ([_title_annotation(p.title, d) for p, d in zip(panels, geo.x_domains)]
                              + _operator_annotations(geo, panels))
    return {"traces": traces, "layout": layout}


def _wrapped(text: str, room: int) -> list[str]:
    """``text`` (plain) as escaped lines of at most about ``room`` characters, broken after ``; ``
    or ``: `` where it can (a sentence's parts stay whole), else between words."""
    parts = re.split(r"(?<=[;:]) ", text)
    pieces = [w for part in parts for w in ([part] if len(part) <= room else part.split(" "))]
    lines: list[str] = []
    for piece in pieces:
        if lines and len(lines[-1]) + 1 + len(piece) <= room:
            lines[-1] += " " + piece
        else:
            lines.append(piece)
    return [html.escape(line) for line in lines]


def _subscripts(text: str) -> str:
    """The check's plain ``J_(g∘f)``, ``J_g``, ``J_f`` as the figure writes them elsewhere (HTML)."""
    for plain, sub_ in (("J_(g∘f)", "g∘f"), ("J_g", "g"), ("J_f", "f")):
        text = text.replace(plain, f"J<sub>{sub_}</sub>")
    return text


def _step_text(eps: float) -> str:
    """``10⁻⁶`` for 1e-6, ``4.9·10⁻³`` otherwise: the relative step as printed."""
    e = int(np.floor(np.log10(eps)))
    mant = float(f"{eps / 10**e:.2g}")
    power = "10" + str(e).translate(_SUP)
    return power if mant == 1 else f"{mant:g}·{power}"


def _method_text(at: JacobianAt) -> str:
    """How J was obtained, and on a line of its own how far it can be trusted (``at.check``):
    each line fits the figure's width."""
    check = at.check
    if at.exact:
        said = "exact: from the Jacobian derived by hand"
    else:
        h = _step_text(at.differences.eps) if at.differences is not None else "10⁻⁶"
        said = (f"numerical: central differences, (f(x + h·e<sub>j</sub>) − f(x − h·e<sub>j</sub>)) / 2h, "
                f"h = {h}·max(1, |x<sub>j</sub>|)")
    if check is None:
        return said
    mark = "⚠ " if check.status == "kink" else ""
    return f"{said}<br>{mark}{html.escape(check.text)}"


# -- CompositionExplorer ------------------------------------------------------------------
def composition_figure(chain: ChainAt, input_names: Sequence[str], *, shared_scale: bool = True,
                       closed_form: np.ndarray | None = None, closed_form_text: str = "",
                       heading: str = "") -> dict:
    """The spec of :class:`CompositionExplorer`: ``J_g(f(x)) · J_f(x) = J_h(x)`` and the check.

    Traces (3): ``J_g`` ``(p, m)`` at ``f(x)``, ``J_f`` ``(m, n)`` at ``x``,
    their product ``(p, n)``. When all three are 1×1 the scalar names
    ``g'(f(x)) · f'(x) = h'(x)`` are used. ``closed_form`` ``(p, n)``, a
    hand-derived ``J_h``, is compared in the check badge as well (:meth:`ChainAt.compare`),
    with the tolerance :mod:`chainviz.core.gradcheck` derives from the difference step.
    """
    p, m = chain.J_g.shape
    n = chain.J_f.shape[1]
    scalar = p == m == n == 1
    xs = list(input_names)
    us, fs, gs, hs = (component_names(s, k) for s, k in (("u", m), ("f", m), ("g", p), ("h", p)))
    at_x, at_fx = point_text(chain.x), point_text(chain.fx)
    if scalar:
        names = ("g′(f(x))", "f′(x)", "h′(x) = g′(f(x))·f′(x)")
    else:
        names = ("J<sub>g</sub>(f(x))", "J<sub>f</sub>(x)", "J<sub>g</sub>·J<sub>f</sub> = J<sub>g∘f</sub>(x)")
    panels = [
        Panel(p, m, f"<b>{names[0]}</b>  {_shape(p, m)}"),
        Panel(m, n, f"<b>{names[1]}</b>  {_shape(m, n)}", "·"),
        Panel(p, n, f"<b>{names[2]}</b>  {_shape(p, n)}", "=", gap=20),
    ]
    geo = panel_row(panels, top=150, bottom=110, min_panel=150)
    where = [("at f(x) = ", chain.fx), ("at x = ", chain.x), ("h(x) = g(f(x)) = ", chain.hx)]
    panels = [replace(pn, title=pn.title + "<br>" + _fitted_point(label, v, geo, k))
              for k, (pn, (label, v)) in enumerate(zip(panels, where))]
    bars = max(p, m, n) > MAX_LABELLED
    if bars:
        geo = _with_colorbar_room(geo)
    dom = geo.x_domains
    spans = ([(dom[0][0], dom[2][1]), None, None] if shared_scale else [tuple(d) for d in dom]) if bars \
        else [None] * 3
    if shared_scale:
        c = [_limit(chain.J_g, chain.J_f, chain.J_h)] * 3
    else:
        c = [_limit(a) for a in (chain.J_g, chain.J_f, chain.J_h)]
    traces = [
        _matrix_trace(chain.J_g, 0, gs, us, c[0],
                      f"∂%{{y}}/∂%{{x}} = %{{z:.4~g}}<br>at u = f(x) = {at_fx}", "J_g", geo, spans[0]),
        _matrix_trace(chain.J_f, 1, fs, xs, c[1], f"∂%{{y}}/∂%{{x}} = %{{z:.4~g}}<br>at x = {at_x}", "J_f", geo,
                      spans[1]),
        _matrix_trace(chain.J_h, 2, hs, xs, c[2],
                      f"∂%{{y}}/∂%{{x}} = %{{z:.4~g}}<br>row %{{y}} of J_g times column %{{x}} of J_f<br>at x = {at_x}",
                      "J_h", geo, spans[2]),
    ]
    layout = _base_layout(
        geo,
        heading or f"The chain rule at x = {at_x}:  J<sub>g∘f</sub>(x) = J<sub>g</sub>(f(x)) · J<sub>f</sub>(x)",
        ("J<sub>f</sub> " + ("exact (derived by hand)" if chain.exact_f else "by central differences")
         + ",  J<sub>g</sub> " + ("exact (derived by hand)" if chain.exact_g else "by central differences")
         + f",  J<sub>g</sub> taken at f(x) = {at_fx}, the point g actually sees"),
    )
    for k, (rows, cols) in enumerate([(gs, us), (fs, xs), (hs, xs)]):
        _matrix_axes(layout, k, geo, rows, cols, True)
    check = chain.check
    ok = check.status != "mismatch"
    mark = "" if check.status != "kink" else "⚠ "
    room = int((geo.width - geo.margin["l"] - 20) / (0.5 * 15))  # characters of 15 px text across the figure
    lines = [_subscripts(line) for line in _wrapped(mark + check.text, room)]
    if closed_form is not None:
        closed = chain.compare(closed_form, "the closed form")
        ok = ok and closed.ok
        diff = float(np.max(np.abs(np.atleast_2d(closed_form) - chain.J_h)))
        lines.append(f"{'✓' if closed.ok else '✗'} closed form {html.escape(closed_form_text)} = "
                     f"{point_text(np.ravel(closed_form))}, differs by {_small(diff)}")
    if not ok:
        lines.append("a mismatch: a Jacobian callable you passed is probably wrong")
    tone, fill = (OK_COLOR, "#eef7ee") if ok else (BAD_COLOR, "#fdecec")
    if ok and check.status == "kink":
        tone, fill = KINK_COLOR, "#fff4e0"
    low = COLORBAR_ROOM if bars else 0  # the colour bar sits between the panels and these lines
    chain_text = (f"shapes: ({_shape(p, m)})({_shape(m, n)}) = {_shape(p, n)}   "
                  f"(p×m)(m×n) = p×n: the inner m = {m}, the length of f(x), cancels")
    layout["annotations"] += (
        [_title_annotation(pn.title, d) for pn, d in zip(panels, geo.x_domains)]
        + _operator_annotations(geo, panels)
        + [dict(text=chain_text, x=0.0, y=0, xref="paper", yref="paper", xanchor="left", yanchor="top",
                yshift=-34 - low, showarrow=False, font=dict(size=15)),
           dict(text="<br>".join(lines), x=0.0, y=0, xref="paper", yref="paper", xanchor="left", yanchor="top",
                yshift=-62 - low, showarrow=False, align="left", font=dict(size=15, color=tone),
                bordercolor=tone, borderwidth=2, borderpad=5, bgcolor=fill)]
    )
    if len(lines) > 1:
        layout["height"] = geo.height + 22 * (len(lines) - 1)
        layout["margin"] = dict(geo.margin, b=geo.margin["b"] + 22 * (len(lines) - 1))
    return {"traces": traces, "layout": layout}


# -- ModeCostExplorer -------------------------------------------------------------------------
def stage_names(depth: int) -> list[str]:
    """``['x', 'a₁', ..., 'a_L']``: the stages between layers, input side first."""
    return ["x"] + [f"a{sub(l)}" for l in range(1, depth + 1)]


def _log_range(values, pad_top: float = 1.4) -> list[float]:
    v = np.asarray([a for a in values if a > 0], dtype=float)
    lo = np.log10(v.min()) if v.size else 0.0
    hi = np.log10(v.max()) if v.size else 1.0
    return [float(np.floor(min(lo, 0.0)) - 0.3), float(hi + pad_top)]


def mode_cost_figure(cost: ModeCost, measured: SweepTimes | None = None, measuring_note: str = "") -> dict:
    """The spec of :class:`ModeCostExplorer`.

    Traces (8), in order:

    0. forward mode, numbers carried after each layer: ``y = cost.forward_carried``
       (``d_l·n``), ``x = a₁ … a_L``;
    1. reverse mode, row lengths in the order computed: ``y = cost.reverse_carried``
       (``d_L, …, d_1, n``), ``x = a_L … a₁, x``;
    2. forward, whole sweep: ``y = [forward_madds, forward_peak]``;
    3. reverse, whole sweep: ``y = [reverse_madds, reverse_peak]``;
    4.–7. measured seconds (forward, reverse) and predicted seconds
       (multiply-adds × one fitted constant) over ``n``; empty until measured.

    Counts are sent exactly (they are integers, and few).
    """
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
    bar = dict(type="bar", textposition="outside", cliponaxis=False, textfont=dict(size=13), constraintext="none",
               hovertemplate="%{customdata}<extra></extra>")
    label = (lambda v: count_text(v, 1000)) if L <= 12 else (lambda v: "")  # noqa: E731 - too many bars to label
    traces = [
        dict(bar, name="forward mode", x=fwd_x, y=list(cost.forward_carried), xaxis="x", yaxis="y",
             marker=dict(color=FORWARD_COLOR), text=[label(v) for v in cost.forward_carried],
             customdata=fwd_hover, showlegend=True, legendgroup="forward"),
        dict(bar, name="reverse mode", x=rev_x, y=list(cost.reverse_carried), xaxis="x", yaxis="y",
             marker=dict(color=REVERSE_COLOR), text=[label(v) for v in cost.reverse_carried],
             customdata=rev_hover, showlegend=True, legendgroup="reverse"),
        dict(bar, name="forward mode", x=totals, y=[cost.forward_madds, cost.forward_peak], xaxis="x2", yaxis="y2",
             marker=dict(color=FORWARD_COLOR), text=[count_text(cost.forward_madds), count_text(cost.forward_peak)],
             customdata=[f"forward mode: {count_text(cost.forward_madds)} multiply-adds",
                         f"forward mode holds up to {count_text(cost.forward_peak)} numbers (its widest d×n)"],
             showlegend=False, legendgroup="forward"),
        dict(bar, name="reverse mode", x=totals, y=[cost.reverse_madds, cost.reverse_peak], xaxis="x2", yaxis="y2",
             marker=dict(color=REVERSE_COLOR), text=[count_text(cost.reverse_madds), count_text(cost.reverse_peak)],
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
             marker=dict(color=FORWARD_COLOR, size=10), line=dict(color=FORWARD_COLOR, width=2),
             text=end_label("forward"), textposition="top left", textfont=dict(size=14, color=FORWARD_COLOR)),
        dict(line, type="scatter", mode="lines+markers+text", name="reverse, measured", x=ns, y=series[1],
             marker=dict(color=REVERSE_COLOR, size=10, symbol="square"), line=dict(color=REVERSE_COLOR, width=2),
             text=end_label("reverse"), textposition="top left", textfont=dict(size=14, color=REVERSE_COLOR)),
        dict(line, type="scatter", mode="lines", name="forward, predicted", x=ns, y=series[2],
             line=dict(color=FORWARD_COLOR, width=2, dash="dash")),
        dict(line, type="scatter", mode="lines", name="reverse, predicted", x=ns, y=series[3],
             line=dict(color=REVERSE_COLOR, width=2, dash="dash")),
    ]
    for t in traces[4:]:
        t["showlegend"] = False

    tick = dict(tickfont=dict(size=TICK_SIZE), title=dict(font=dict(size=14)))
    stage_vals = list(cost.forward_carried) + list(cost.reverse_carried)
    total_vals = [cost.forward_madds, cost.forward_peak, cost.reverse_madds, cost.reverse_peak]
    stage_range = _log_range(stage_vals, 1.0)
    layout = dict(
        width=FIGURE_WIDTH, height=800, autosize=False, margin=dict(l=80, r=24, t=150, b=70),
        font=dict(FONT, size=14), paper_bgcolor="white", plot_bgcolor="white",
        barmode="group", bargap=0.25, bargroupgap=0.05, hoverlabel=dict(font=dict(size=15)),
        legend=dict(orientation="h", x=1.0, xanchor="right", y=1.0, yanchor="bottom", font=dict(size=14)),
        xaxis=dict(tick, domain=[0, 1], anchor="y", type="category", categoryorder="array",
                   categoryarray=stages, tickfont=dict(size=15)),
        yaxis=dict(tick, domain=[0.56, 1], anchor="x", type="log", range=stage_range,
                   title=dict(text="numbers carried", font=dict(size=14)),
                   dtick=1 if stage_range[1] - stage_range[0] <= 8 else 2, exponentformat="power",
                   gridcolor="#e5e5e5"),
        xaxis2=dict(tick, domain=[0, 0.42], anchor="y2", type="category"),
        yaxis2=dict(tick, domain=[0, 0.36], anchor="x2", type="log", range=_log_range(total_vals, 1.0),
                    title=dict(text="count", font=dict(size=14)), exponentformat="power", gridcolor="#e5e5e5",
                    dtick=3 if total_vals and max(total_vals) >= 1e6 else 1),
        xaxis3=dict(tick, domain=[0.55, 1], anchor="y3", type="log", title=dict(text="input size n"),
                    exponentformat="power", gridcolor="#e5e5e5", dtick=1),
        yaxis3=dict(tick, domain=[0, 0.36], anchor="x3", type="log", title=dict(text="seconds"),
                    exponentformat="power", gridcolor="#e5e5e5", dtick=1),
    )
    _heading(layout,
             f"Forward mode does {ratio_text(cost.madds_ratio)} the multiply-adds of reverse mode",
             f"for a scalar loss after {widths_text(w)}, and holds {ratio_text(cost.peak_ratio)} "
             f"as many numbers at once.<br>"
             f"Between layers forward mode carries d×n numbers, reverse mode a row of d: "
             f"n = {count_text(n)} times fewer.<br>"
             f"Reverse mode's last row ∂L/∂x is as long as the input (n); it also keeps "
             f"{count_text(cost.stored_activations)} slopes from the forward pass.", size=18)
    head = dict(xref="paper", yref="paper", showarrow=False, yanchor="bottom", font=dict(size=15))
    annotations = [
        dict(head, text="<b>What each mode carries between stages</b> (log scale)", x=0, xanchor="left", y=1.0,
             yshift=4),
        dict(head, text="forward: input → loss, carries ∂a/∂x (d×n)", x=0.0, xanchor="left", y=0.56, yshift=-52,
             yanchor="top", font=dict(size=14, color=FORWARD_COLOR)),
        dict(head, text="reverse: loss → input, carries a row ∂L/∂a (length d)", x=1.0, xanchor="right", y=0.56,
             yshift=-52, yanchor="top", font=dict(size=14, color=REVERSE_COLOR)),
        dict(head, text="<b>The whole sweep for ∂L/∂x</b> (log scale)", x=0, xanchor="left", y=0.36, yshift=4),
    ]
    if measured is None:
        annotations += [
            dict(head, text="<b>Measured</b>", x=0.55, xanchor="left", y=0.36, yshift=4),
            dict(head, text=measuring_note or ("Press <b>Measure</b> to time both sweeps<br>on a real sigmoid net, "
                                               "hidden widths fixed,<br>n from about n/32 up to n."),
                 x=0.775, y=0.18, xanchor="center", yanchor="middle", font=dict(size=15, color="#444")),
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
    return {"traces": traces, "layout": layout}
