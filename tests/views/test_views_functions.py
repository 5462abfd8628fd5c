"""The function explorers' figures as pure views: contrast of every printed number and of every
word in both themes, what changes with the theme and what does not, and the panels as tables.

Contrast is computed here from WCAG 2.1's definitions (relative luminance of sRGB, ratio
(L1 + 0.05)/(L2 + 0.05)), and a cell's colour by interpolating the data scale's stops in
RGB as plotly.js paints a heatmap: none of it through chainviz.views.theme. Expected
matrices come from closed forms (a linear map's Jacobian is its matrix).
"""

from __future__ import annotations

import numpy as np
import pytest

from chainviz.core.jacobian import chain_at, jacobian_at, linear_approximation
from chainviz.core.modes import SweepTimes, mode_cost
from chainviz.views import function_parts as parts
from chainviz.views.functions import composition_figure, jacobian_figure
from chainviz.views.mode_cost import mode_cost_figure
from chainviz.views.style import COLORSCALE

AA_TEXT, AA_GRAPHIC = 4.5, 3.0


# -- WCAG 2.1 contrast, from its definitions ------------------------------------------------------
def srgb(colour: str) -> np.ndarray:
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return np.array([int(h[k:k + 2], 16) for k in (0, 2, 4)]) / 255.0


def luminance(rgb: np.ndarray) -> float:
    c = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def ratio(a, b) -> float:
    la = luminance(srgb(a) if isinstance(a, str) else a)
    lb = luminance(srgb(b) if isinstance(b, str) else b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def cell_colour(z: float, zmin: float, zmax: float) -> np.ndarray:
    """The colour plotly.js paints for ``z``: the scale's stops interpolated in RGB."""
    u = min(max((z - zmin) / (zmax - zmin), 0.0), 1.0)
    stops = [p for p, _ in COLORSCALE]
    return np.array([np.interp(u, stops, [srgb(c)[k] for _, c in COLORSCALE]) for k in range(3)])


# -- inputs that print numbers on every part of the scale ----------------------------------------
def _sweep(r: int, k: int, shift: float = 0.0) -> np.ndarray:
    """An r×k matrix whose entries run evenly from −1 to 1 (its colours cover the whole scale)."""
    return np.clip(np.linspace(-1, 1, r * k) + shift, -1, 1).reshape(r, k)


def jacobian_spec(A: np.ndarray, dark: bool, x0=None) -> dict:
    x0 = np.full(A.shape[1], 0.5) if x0 is None else x0
    at = jacobian_at(lambda x: A @ x, x0, lambda x: A)
    return jacobian_figure(at, linear_approximation(lambda x: A @ x, at, np.full(A.shape[1], 0.1)),
                           parts.component_names("x", A.shape[1]), parts.component_names("f", A.shape[0]), dark=dark)


def composition_spec(A: np.ndarray, B: np.ndarray, dark: bool, shared: bool = True, g=None) -> dict:
    g = g or (lambda u: B @ u)
    chain = chain_at(lambda x: A @ x, g, np.full(A.shape[1], 0.3), lambda x: A, None)
    return composition_figure(chain, parts.component_names("x", A.shape[1]), shared_scale=shared, dark=dark)


def measured(ns=(1000, 2000, 4000)) -> SweepTimes:
    ns = np.array(ns)
    f, r = ns * 2e-6, ns * 1e-7 + 1e-5
    return SweepTimes(hidden=(50, 50, 50), ns=ns, forward_seconds=f, reverse_seconds=r, forward_madds=ns * 2000,
                      reverse_madds=ns * 100 + 5000, seconds_per_madd=1e-9, wall_seconds=0.5)


def labelled_cells(spec: dict):
    """(printed text, its colour, the colour of the cell under it) for every number on every heatmap."""
    traces = spec["traces"]
    heat = [t for t in traces if t["type"] == "heatmap"]
    text = [t for t in traces if t["type"] == "scatter" and t.get("mode") == "text"]
    assert len(heat) == len(text), "every heatmap has its number trace"
    for h, t in zip(heat, text):
        assert (h["xaxis"], h["yaxis"]) == (t["xaxis"], t["yaxis"])
        assert not h.get("texttemplate"), "plotly's one-colour labels are off"
        z = np.atleast_2d(np.asarray(h["z"], dtype=float))
        col, row = {c: j for j, c in enumerate(h["x"])}, {r: i for i, r in enumerate(h["y"])}
        for x, y, s, colour in zip(t["x"], t["y"], t["text"], t["textfont"]["color"]):
            yield s, colour, cell_colour(z[row[y], col[x]], h["zmin"], h["zmax"])


# -- every printed number -------------------------------------------------------------------------
@pytest.mark.parametrize("dark", [False, True])
def test_every_number_on_the_whole_scale_has_4_5_to_1_on_its_cell(dark):
    seen = []
    for shift in np.linspace(0, 1 / 63, 12):  # 64 values per matrix, 12 shifts: ~770 points of the scale
        A = _sweep(8, 8, shift)
        spec = jacobian_spec(A, dark)
        for text, colour, cell in labelled_cells(spec):
            assert colour in ("#000", "#fff")
            assert ratio(colour, cell) >= AA_TEXT, (text, colour, cell)
            seen.append(luminance(cell))
    assert len(seen) > 1000 and min(seen) < 0.035 and max(seen) > 0.9  # the dark ends (~0.03) and the white middle


@pytest.mark.parametrize("dark", [False, True])
@pytest.mark.parametrize("shared", [True, False])
def test_composition_numbers_keep_their_contrast_with_one_scale_or_three(dark, shared):
    rng = np.random.default_rng(5)
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(2, 3)) * 4  # J_g·J_f far larger than J_f
    spec = composition_spec(A, B, dark, shared)
    cells = list(labelled_cells(spec))
    assert len(cells) == 3 * 4 + 2 * 3 + 2 * 4
    for text, colour, cell in cells:
        assert ratio(colour, cell) >= AA_TEXT, (text, colour, cell)
    # with three scales each panel reaches its own end colours, so white labels appear in each
    if not shared:
        heat = [t for t in spec["traces"] if t["type"] == "heatmap"]
        assert len({t["zmax"] for t in heat}) == 3


def test_numbers_are_what_the_cells_hold_and_big_matrices_have_none():
    A = np.array([[0.5, -1.25], [2.0, 0.0]])
    spec = jacobian_spec(A, False, x0=np.array([1.0, 2.0]))
    J_text = spec["traces"][6 + 1]
    assert sorted(zip(J_text["y"], J_text["x"], J_text["text"])) == [
        ("f₁", "x₁", "0.5"), ("f₁", "x₂", "−1.25"), ("f₂", "x₁", "2"), ("f₂", "x₂", "0")]
    big = jacobian_spec(_sweep(9, 10), False)
    assert len(big["traces"]) == 12 and big["traces"][1]["showscale"]
    assert big["traces"][6 + 1]["text"] == [] and big["traces"][6 + 1]["x"] == []


# -- every word, in both themes -------------------------------------------------------------------
def words_and_backgrounds(spec: dict):
    """(where, text colour, background) for every piece of text the figure draws."""
    lay = spec["layout"]
    paper, base = lay["paper_bgcolor"], lay["font"]["color"]
    yield "title", lay["title"]["font"].get("color", base), paper
    for a in lay.get("annotations", []):
        yield f"annotation {a['text'][:30]!r}", a.get("font", {}).get("color", base), a.get("bgcolor", paper)
    for key, axis in lay.items():
        if key.startswith(("xaxis", "yaxis")) and axis.get("visible", True):
            yield f"{key} ticks", axis.get("tickfont", {}).get("color", base), paper
            yield f"{key} title", axis.get("title", {}).get("font", {}).get("color", base), paper
    if "legend" in lay:
        yield "legend", lay["legend"].get("font", {}).get("color", base), paper
    for t in spec["traces"]:
        if t["type"] == "bar":
            yield f"{t['name']} bar labels", t["textfont"]["color"], paper
        if t["type"] == "scatter" and "text" in t.get("mode", "") and t.get("mode") != "text":
            yield f"{t['name']} line label", t["textfont"]["color"], paper
        if t.get("colorbar"):
            yield f"{t['name']} colour bar", t["colorbar"]["tickfont"]["color"], paper


def _all_specs(dark: bool) -> dict:
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(3, 2)), rng.normal(size=(2, 3))
    cost = mode_cost([20000, 50, 50, 50])
    return {
        "jacobian": jacobian_spec(A, dark),
        "jacobian 10×10": jacobian_spec(_sweep(10, 10), dark),
        "composition ok": composition_spec(A, B, dark),
        "composition kink": composition_spec(A, B, dark, g=lambda u: np.abs(u - A.sum(axis=1) * 0.3)),  # |u − f(x)|
        "composition mismatch": composition_figure(
            chain_at(lambda x: A @ x, lambda u: B @ u, np.full(2, 0.3), lambda x: 2 * A, None), ["x₁", "x₂"],
            dark=dark),
        "mode cost": mode_cost_figure(cost, dark=dark),
        "mode cost measured": mode_cost_figure(cost, measured(), dark=dark),
    }


@pytest.mark.parametrize("dark", [False, True])
def test_every_word_has_4_5_to_1_on_what_it_is_drawn_on(dark):
    tone = parts.tones(dark)
    specs = _all_specs(dark)
    for name, colour in (("composition ok", tone.ok), ("composition kink", tone.kink), ("composition mismatch", tone.bad)):
        check = next(a for a in specs[name]["layout"]["annotations"] if a.get("name") == "check")
        assert check["font"]["color"] == colour, name  # each state of the check is drawn, and tested
    for name, spec in specs.items():
        for where, colour, background in words_and_backgrounds(spec):
            assert ratio(colour, background) >= AA_TEXT, (name, where, colour, background)


@pytest.mark.parametrize("dark", [False, True])
def test_the_modes_bars_and_lines_stand_out_from_the_paper(dark):
    spec = mode_cost_figure(mode_cost([1000, 10, 20]), measured(), dark=dark)
    paper = spec["layout"]["paper_bgcolor"]
    for t in spec["traces"]:
        colour = t["marker"]["color"] if t["type"] == "bar" else t["line"]["color"]
        assert ratio(colour, paper) >= AA_GRAPHIC, (t["name"], colour, paper)
    checks = [a for a in composition_spec(np.eye(2), np.eye(2), dark)["layout"]["annotations"] if a.get("name") == "check"]
    assert ratio(checks[0]["bordercolor"], paper) >= AA_GRAPHIC


def test_the_theme_changes_the_paper_and_the_words_never_the_data():
    for name in _all_specs(False):
        light, dark = _all_specs(False)[name], _all_specs(True)[name]
        assert light["layout"]["paper_bgcolor"] == "#ffffff" and ratio(dark["layout"]["paper_bgcolor"], "#000") < 1.5
        assert ratio(light["layout"]["font"]["color"], "#000") < 1.5 and ratio(dark["layout"]["font"]["color"], "#fff") < 1.5
        assert len(light["traces"]) == len(dark["traces"])  # a theme switch is an update, not a new figure
        for a, b in zip(light["traces"], dark["traces"]):
            if a["type"] == "heatmap":
                assert a["colorscale"] == b["colorscale"] == COLORSCALE and a["zmax"] == b["zmax"]
                assert a["z"] == b["z"] if not isinstance(a["z"], np.ndarray) else np.array_equal(a["z"], b["z"])
            if a["type"] == "scatter" and a.get("mode") == "text":
                assert a["textfont"] == b["textfont"]  # the cells are the same colours, so are their numbers


# -- the panels as tables -----------------------------------------------------------------------
def test_jacobian_tables_name_each_panel_and_hold_its_values_as_shown():
    A = np.array([[1.0, 2.0, -3.0], [0.123456, 0.0, 4.0]])
    x0 = np.array([1.0, 2.0, 0.5])
    spec = jacobian_spec(A, False, x0)
    tables = spec["tables"]
    assert [t.name.split(",")[0] for t in tables] == [
        "f(x)", "J_f(x)", "the step Δx", "J_f(x)·Δx", "f(x+Δx) − f(x)", "error: true change − J·Δx (second order in Δx)"]
    J = tables[1]
    assert J.name == "J_f(x), 2×3, at x = (1, 2, 0.5)"
    assert J.rows == ("f₁", "f₂") and J.columns == ("x₁", "x₂", "x₃")
    np.testing.assert_array_equal(J.values, [[1, 2, -3], [0.123, 0, 4]])  # 3 significant digits, as shown
    assert J.text == (("1", "2", "−3"), ("0.123", "0", "4"))
    fx = tables[0]
    assert fx.rows == ("f₁", "f₂") and fx.columns == ("f(x)",)
    np.testing.assert_allclose(fx.values.ravel(), [1 + 4 - 1.5, 0.123456 + 2], rtol=5e-3)  # A·x
    for t in tables:
        assert "<" not in t.name and t.values.shape == (len(t.rows), len(t.columns))


def test_tables_cover_matrices_too_big_to_print_numbers_on():
    spec = jacobian_spec(_sweep(10, 12), False)
    J = spec["tables"][1]
    assert J.values.shape == (10, 12) and len(J.text) == 10 and all(len(r) == 12 for r in J.text)
    assert spec["traces"][6 + 1]["text"] == []  # the figure has no numbers there; the table does


def test_composition_and_mode_cost_tables():
    A, B = np.array([[1.0], [2.0]]), np.array([[1.0, 1.0]])
    t = composition_spec(A, B, False)["tables"]
    assert [x.name.split(",")[0] for x in t] == ["J_g(f(x))", "J_f(x)", "J_g·J_f = J_g∘f(x)"]
    np.testing.assert_array_equal(t[2].values, [[3.0]])  # (1, 1)·(1, 2)ᵀ
    cost = mode_cost([10**6] + [1000] * 10)
    stages, totals = mode_cost_figure(cost)["tables"]
    assert stages.rows[0] == "x" and stages.text[0] == ("", "1,000,000")  # forward carries nothing at x
    assert stages.text[1] == ("1,000,000,000", "1,000")  # ∂a₁/∂x is 10³×10⁶; the row ∂L/∂a₁ has 10³
    assert totals.values[0, 0] == cost.forward_madds and totals.values[0, 1] == cost.reverse_madds
    measured_table = mode_cost_figure(cost, measured())["tables"][2]
    assert measured_table.rows == ("n = 1,000", "n = 2,000", "n = 4,000")
    assert measured_table.text[0][0] == "2 ms"  # 1000 × 2 µs
