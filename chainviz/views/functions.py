"""Views for the function explorers: core results in, one figure spec out.

Every ``*_figure`` function returns ``{"traces": [...], "layout": {...}, "tables": [...]}``
for :class:`chainviz.widgets.base.Explorer` (plain dicts, values already rounded),
always with the same number of traces in the same order, so an edit is a diff.
``"tables"`` (not sent) holds each panel as a :class:`~.function_parts.PanelTable`, for a
text alternative of the figure.

Matrices are laid out in one row, in written order, with the operator between
them (``J_g(f(x)) · J_f(x) = J_h(x)``); every cell has the same size, so the
shapes can be compared by eye and the shared inner dimension lines up. The parts
(geometry, traces, colours of each theme) are :mod:`.function_parts`; the mode-cost
figure is :mod:`.mode_cost`.
"""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import Sequence

import numpy as np

from ..core.jacobian import ChainAt, JacobianAt, LinearApproximation
from ..core.notation import fmt
from .function_parts import (
    COLORBAR_ROOM, MAX_LABELLED, Panel, base_layout, component_names, count_text, fitted_point, label_trace,
    limit, matrix_axes, matrix_trace, operator_annotations, panel_row, panel_table, point_text, ratio_text,
    shape_text, subtitle_text, title_annotation, tones, with_colorbar_room,
)
from .mode_cost import mode_cost_figure, stage_names, widths_text

__all__ = ["jacobian_figure", "composition_figure", "mode_cost_figure", "component_names", "point_text",
           "count_text", "ratio_text", "subtitle_text", "stage_names", "widths_text"]

_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _small(v: float) -> str:
    """A difference that should be tiny: ``0`` or ``6.1e-10``."""
    return "0" if v == 0 else f"{v:.1e}"


def _matrices(mats: Sequence[dict], geo, tone) -> tuple[list[dict], list]:
    """Heatmaps (one per matrix, in order), then their number traces (same order), and the tables.

    Each entry of ``mats``: ``z``, ``rows``, ``cols`` (names on the axes), ``c`` (colour limit),
    ``hover``, ``name``, ``table`` (the panel's plain name), optional ``span`` (a colour bar
    under that paper-x span) and ``columns`` (table headers when ``cols`` are blank).
    """
    heat = [matrix_trace(d["z"], k, d["rows"], d["cols"], d["c"], d["hover"], d["name"], geo, tone, d.get("span"))
            for k, d in enumerate(mats)]
    text = [label_trace(d["z"], k, d["rows"], d["cols"], d["c"], d["name"], geo) for k, d in enumerate(mats)]
    tables = [panel_table(d["table"], d["z"], d["rows"], d.get("columns", d["cols"])) for d in mats]
    return heat + text, tables


# -- JacobianExplorer -------------------------------------------------------------------
def jacobian_figure(at: JacobianAt, lin: LinearApproximation, input_names: Sequence[str],
                    output_names: Sequence[str], symbol: str = "f", dark: bool = False) -> dict:
    """The spec of :class:`JacobianExplorer`, in the light or the ``dark`` theme.

    Panels, left to right: ``f(x)`` ``(m,)``; ``J_f(x)`` ``(m, n)``; then the
    linear approximation ``J_f(x) · Δx = J·Δx ≈ f(x+Δx) − f(x)`` and the error
    ``(f(x+Δx) − f(x)) − J·Δx`` ``(m,)``. Traces: those six heatmaps in that order,
    then their six number traces in the same order (12).
    """
    tone = tones(dark)
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
    panels[1] = replace(panels[1], title=f"<b>J{f_sub}(x)</b>  {shape_text(m, n)}<br>"
                                         + fitted_point("at x = ", at.x, geo, 1))
    bars = max(m, n) > MAX_LABELLED  # no numbers on the cells: colour bars say what colours mean
    if bars:
        geo = with_colorbar_room(geo)
    dom = geo.x_domains
    span = (lambda a, b: (dom[a][0], dom[b][1])) if bars else (lambda a, b: None)  # noqa: E731
    c_step = limit(lin.dx, lin.predicted, lin.delta_f, lin.error)
    col = lambda v: np.asarray(v, dtype=float).reshape(-1, 1)  # noqa: E731 - a vector drawn as a column
    one = [" "]
    J_name = f"J_{symbol}(x)"
    traces, tables = _matrices([
        dict(z=col(at.fx), rows=fs, cols=one, c=limit(at.fx), name="f(x)", span=span(0, 0),
             hover=f"%{{y}}(x) = %{{z:.4~g}}<br>at x = {at_x}", table=f"{symbol}(x), length {m}, at x = {at_x}",
             columns=[f"{symbol}(x)"]),
        dict(z=at.J, rows=fs, cols=xs, c=limit(at.J), name="J", span=span(1, 1),
             hover=f"∂%{{y}}/∂%{{x}} = %{{z:.4~g}}<br>at x = {at_x}<br>row: output %{{y}}, column: input %{{x}}",
             table=f"{J_name}, {shape_text(m, n)}, at x = {at_x}"),
        dict(z=col(lin.dx), rows=xs, cols=one, c=c_step, name="Δx", hover="Δ%{y} = %{z:.4~g}",
             table=f"the step Δx, length {n}", columns=["Δx"]),
        dict(z=col(lin.predicted), rows=fs, cols=one, c=c_step, name="J·Δx", span=span(3, 5),
             hover="row %{y} of J times Δx = %{z:.4~g}<br>(first-order change of %{y})",
             table=f"{J_name}·Δx, the predicted change", columns=["J·Δx"]),
        dict(z=col(lin.delta_f), rows=fs, cols=one, c=c_step, name="Δf",
             hover="%{y}(x+Δx) − %{y}(x) = %{z:.4~g}<br>(true change)",
             table=f"{symbol}(x+Δx) − {symbol}(x), the true change", columns=["true change"]),
        dict(z=col(lin.error), rows=fs, cols=one, c=c_step, name="error",
             hover="true − predicted change of %{y} = %{z:.4~g}<br>(second order in Δx)",
             table="error: true change − J·Δx (second order in Δx)", columns=["error"]),
    ], geo, tone)
    method = _method_text(at)
    title = (f"{symbol}: ℝ{str(n).translate(_SUP)} → ℝ{str(m).translate(_SUP)} at x = {point_text(at.x, 4)}"
             + (f",  {symbol}(x) = {point_text(at.fx)}" if m <= 4 else ""))
    subtitle = (f"J{f_sub}(x) is {shape_text(m, n)}, {method}<br>"
                f"linear approximation: step |Δx| ≤ {fmt(step)}, largest error {fmt(err)}")
    layout = base_layout(geo, title, subtitle, tone)
    for k, (p, rows, cols_) in enumerate([(panels[0], fs, one), (panels[1], fs, xs), (panels[2], xs, one),
                                          (panels[3], fs, one), (panels[4], fs, one), (panels[5], fs, one)]):
        matrix_axes(layout, k, geo, rows, cols_, p.ticks, col_ticks=(k == 1))
    layout["annotations"] += ([title_annotation(p.title, d) for p, d in zip(panels, geo.x_domains)]
                              + operator_annotations(geo, panels))
    return {"traces": traces, "layout": layout, "tables": tables}


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
    for plain_, sub_ in (("J_(g∘f)", "g∘f"), ("J_g", "g"), ("J_f", "f")):
        text = text.replace(plain_, f"J<sub>{sub_}</sub>")
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
                       heading: str = "", dark: bool = False) -> dict:
    """The spec of :class:`CompositionExplorer`: ``J_g(f(x)) · J_f(x) = J_h(x)`` and the check,
    in the light or the ``dark`` theme.

    Traces (6): heatmaps of ``J_g`` ``(p, m)`` at ``f(x)``, ``J_f`` ``(m, n)`` at ``x`` and
    their product ``(p, n)``, then their three number traces. When all three are 1×1 the
    scalar names ``g'(f(x)) · f'(x) = h'(x)`` are used. ``closed_form`` ``(p, n)``, a
    hand-derived ``J_h``, is compared in the check badge as well (:meth:`ChainAt.compare`),
    with the tolerance :mod:`chainviz.core.gradcheck` derives from the difference step.
    """
    tone = tones(dark)
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
        Panel(p, m, f"<b>{names[0]}</b>  {shape_text(p, m)}"),
        Panel(m, n, f"<b>{names[1]}</b>  {shape_text(m, n)}", "·"),
        Panel(p, n, f"<b>{names[2]}</b>  {shape_text(p, n)}", "=", gap=20),
    ]
    geo = panel_row(panels, top=150, bottom=110, min_panel=150)
    where = [("at f(x) = ", chain.fx), ("at x = ", chain.x), ("h(x) = g(f(x)) = ", chain.hx)]
    panels = [replace(pn, title=pn.title + "<br>" + fitted_point(label, v, geo, k))
              for k, (pn, (label, v)) in enumerate(zip(panels, where))]
    bars = max(p, m, n) > MAX_LABELLED
    if bars:
        geo = with_colorbar_room(geo)
    dom = geo.x_domains
    spans = ([(dom[0][0], dom[2][1]), None, None] if shared_scale else [tuple(d) for d in dom]) if bars \
        else [None] * 3
    if shared_scale:
        c = [limit(chain.J_g, chain.J_f, chain.J_h)] * 3
    else:
        c = [limit(a) for a in (chain.J_g, chain.J_f, chain.J_h)]
    tables = [f"{names[0]}, {shape_text(p, m)}, at f(x) = {at_fx}", f"{names[1]}, {shape_text(m, n)}, at x = {at_x}",
              f"{names[2]}, {shape_text(p, n)}, at x = {at_x}"]
    traces, tables = _matrices([
        dict(z=chain.J_g, rows=gs, cols=us, c=c[0], name="J_g", span=spans[0], table=tables[0],
             hover=f"∂%{{y}}/∂%{{x}} = %{{z:.4~g}}<br>at u = f(x) = {at_fx}"),
        dict(z=chain.J_f, rows=fs, cols=xs, c=c[1], name="J_f", span=spans[1], table=tables[1],
             hover=f"∂%{{y}}/∂%{{x}} = %{{z:.4~g}}<br>at x = {at_x}"),
        dict(z=chain.J_h, rows=hs, cols=xs, c=c[2], name="J_h", span=spans[2], table=tables[2],
             hover=f"∂%{{y}}/∂%{{x}} = %{{z:.4~g}}<br>row %{{y}} of J_g times column %{{x}} of J_f<br>at x = {at_x}"),
    ], geo, tone)
    layout = base_layout(
        geo,
        heading or f"The chain rule at x = {at_x}:  J<sub>g∘f</sub>(x) = J<sub>g</sub>(f(x)) · J<sub>f</sub>(x)",
        ("J<sub>f</sub> " + ("exact (derived by hand)" if chain.exact_f else "by central differences")
         + ",  J<sub>g</sub> " + ("exact (derived by hand)" if chain.exact_g else "by central differences")
         + f",  J<sub>g</sub> taken at f(x) = {at_fx}, the point g actually sees"),
        tone,
    )
    for k, (rows, cols) in enumerate([(gs, us), (fs, xs), (hs, xs)]):
        matrix_axes(layout, k, geo, rows, cols, True)
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
    colour, fill = (tone.ok, tone.ok_fill) if ok else (tone.bad, tone.bad_fill)
    if ok and check.status == "kink":
        colour, fill = tone.kink, tone.kink_fill
    low = COLORBAR_ROOM if bars else 0  # the colour bar sits between the panels and these lines
    chain_text = (f"shapes: ({shape_text(p, m)})({shape_text(m, n)}) = {shape_text(p, n)}   "
                  f"(p×m)(m×n) = p×n: the inner m = {m}, the length of f(x), cancels")
    layout["annotations"] += (
        [title_annotation(pn.title, d) for pn, d in zip(panels, geo.x_domains)]
        + operator_annotations(geo, panels)
        + [dict(text=chain_text, x=0.0, y=0, xref="paper", yref="paper", xanchor="left", yanchor="top",
                yshift=-34 - low, showarrow=False, font=dict(size=15)),
           dict(text="<br>".join(lines), x=0.0, y=0, xref="paper", yref="paper", xanchor="left", yanchor="top",
                yshift=-62 - low, showarrow=False, align="left", font=dict(size=15, color=colour),
                bordercolor=colour, borderwidth=2, borderpad=5, bgcolor=fill, name="check")]
    )
    if len(lines) > 1:
        layout["height"] = geo.height + 22 * (len(lines) - 1)
        layout["margin"] = dict(geo.margin, b=geo.margin["b"] + 22 * (len(lines) - 1))
    return {"traces": traces, "layout": layout, "tables": tables}
