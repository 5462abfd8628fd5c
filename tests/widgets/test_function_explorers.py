"""JacobianExplorer, CompositionExplorer, ModeCostExplorer and scalar_chain_demo.

Expected values come from the section's hand computations (J_f(1, 2) = [[2, 1], [2, 1]],
h'(x) = 1 + 2x, 18x + 6, cos(x²)·2x), from Jacobians derived by hand or by
autograd, and from mode_cost's closed formulas, never from the widget's own code.
Edits go through the same path as the UI: setting a slider's or a field's value.
"""

from __future__ import annotations

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import jacobian as autograd_jacobian

import chainviz as cv
from chainviz import examples as ex
from chainviz.widgets import demos
from chainviz.core.modes import mode_cost
from chainviz.views.functions import subtitle_text
from chainviz.widgets import function_explorers as fe
from chainviz.widgets.demos import scalar_chain_demo
from chainviz.widgets.function_explorers import CompositionExplorer, JacobianExplorer, ModeCostExplorer

SEND = ("_send_update_msg", "_send_restyle_msg", "_send_relayout_msg")


def close3(shown, expected) -> bool:
    """Equal up to the 3 significant digits the figure is rounded to."""
    return np.allclose(np.asarray(shown, dtype=float), expected, rtol=5e-3, atol=1e-12)


def data(explorer) -> list:
    return explorer.figure.to_dict()["data"]


def z(explorer, k: int) -> np.ndarray:
    return np.array(explorer.figure.data[k].z, dtype=float)


def column(explorer, k: int) -> np.ndarray:
    return z(explorer, k).ravel()


def notes(explorer) -> str:
    """Every text written on the figure: title, subtitle, panel titles, badges."""
    layout = explorer.figure.layout
    return " ".join([layout.title.text] + [a.text for a in layout.annotations])


def subtitle(explorer) -> str:
    return subtitle_text(explorer.figure.to_dict()["layout"])


def send(bar, **msg):
    """A message from the page, as the browser sends it (a slider moved, a field committed, a click)."""
    bar._received(bar, msg, [])


def change(bar, key: str, value):
    send(bar, event="change", id=key, value=value)


def click(bar, key: str):
    send(bar, event="click", id=key)


def slide(explorer, j: int, value: float):
    """Move the slider of coordinate ``j`` of x (by drag or arrow key: the page sends the value)."""
    change(explorer.controls, f"x{j}", value)


def type_x(explorer, j: int, text: str):
    """Type ``text`` into the field of coordinate ``j`` of x and press Enter."""
    change(explorer.controls, f"x{j}_text", text)


def slide_dx(explorer, j: int, value: float):
    change(explorer.steps, f"dx{j}", value)


def item(bar, key: str) -> dict:
    """The control item ``key`` of a control bar."""
    return next(it for it in bar.items if it.get("id") == key)


def status(explorer) -> str:
    """What the status line shows (HTML)."""
    return item(explorer.status, "status")["html"]


class MessageCounter:
    """Counts what a FigureWidget sends to the browser (plotly 7.1 batch_update ends in one _send_update_msg)."""

    def __init__(self, fig):
        self.sent = []
        for name in SEND:
            original = getattr(fig, name)
            setattr(fig, name, self._wrap(name, original))

    def _wrap(self, name, original):
        def send(*args, **kwargs):
            self.sent.append(name)
            return original(*args, **kwargs)

        return send

    def take(self) -> list:
        out, self.sent = self.sent, []
        return out


# -- JacobianExplorer ----------------------------------------------------------------------
def test_jacobian_demo_shows_the_sections_matrix_at_1_2():
    e = demos.jacobian_demo()
    assert close3(z(e, 1), [[2, 1], [2, 1]])
    np.testing.assert_array_equal(e.jacobian_matrix, [[2, 1], [2, 1]])
    assert close3(column(e, 0), [1**2 + 2, 1 * 2])  # f(1, 2) = (3, 2)
    assert e.exact and "exact" in subtitle(e)


def test_moving_x1_to_3_gives_6_1_2_3_and_typing_x2_gives_6_1_3_3():
    e = demos.jacobian_demo()
    slide(e, 0, 3.0)  # the path of a slider drag
    assert e.error == ""
    np.testing.assert_array_equal(e.x, [3, 2])
    assert close3(z(e, 1), [[6, 1], [2, 3]])  # [[2x₁, 1], [x₂, x₁]] at (3, 2)
    type_x(e, 1, "3")  # the path of typing into the field and pressing Enter
    assert e.error == ""
    assert close3(z(e, 1), [[6, 1], [3, 3]])
    assert item(e.controls, "x1")["value"] == 3.0 and item(e.controls, "x0_text")["value"] == "3"
    assert "at x = (3, 3)" in notes(e) and "at x = (3, 2)" not in notes(e)


def test_without_jacobian_central_differences_agree_within_1e_6():
    e = JacobianExplorer(ex.f_jacobian_demo, [1.0, 2.0])
    assert not e.exact and "central differences" in subtitle(e)
    np.testing.assert_allclose(e.jacobian_matrix, [[2, 1], [2, 1]], atol=1e-6)
    slide(e, 0, 3.0)
    np.testing.assert_allclose(e.jacobian_matrix, [[6, 1], [2, 3]], atol=1e-6)
    assert close3(z(e, 1), [[6, 1], [2, 3]])


def test_hover_names_each_cell_as_a_partial_derivative():
    e = demos.jacobian_demo()
    J = e.figure.data[1]
    assert list(J.y) == ["f₁", "f₂"] and list(J.x) == ["x₁", "x₂"]
    assert "∂%{y}/∂%{x} = %{z" in J.hovertemplate
    # 2×2: numbers printed on the cells, by the text trace that follows the six heatmaps
    numbers = e.figure.data[6 + 1]
    assert numbers.type == "scatter" and numbers.mode == "text" and not J.texttemplate
    assert sorted(zip(numbers.y, numbers.x, numbers.text)) == [
        ("f₁", "x₁", "2"), ("f₁", "x₂", "1"), ("f₂", "x₁", "2"), ("f₂", "x₂", "1")]


def test_linear_approximation_compares_true_change_with_J_dx():
    e = demos.jacobian_demo()  # Δx = (0.1, 0.1) by default
    # f(1.1, 2.1) − f(1, 2) = (1.21 + 2.1 − 3, 2.31 − 2) = (0.31, 0.31); J·Δx = (0.3, 0.3)
    assert close3(column(e, 2), [0.1, 0.1])
    assert close3(column(e, 3), [0.3, 0.3])
    assert close3(column(e, 4), [0.31, 0.31])
    assert close3(column(e, 5), [0.01, 0.01])  # Δx₁² and Δx₁Δx₂: second order
    slide_dx(e, 1, -0.2)  # Δx = (0.1, −0.2): Δf = (1.21 + 1.8 − 3, 1.1·1.8 − 2) = (0.01, −0.02)
    assert close3(column(e, 3), [2 * 0.1 - 0.2, 2 * 0.1 - 0.2])
    assert close3(column(e, 4), [0.01, -0.02])
    np.testing.assert_allclose(e.linear.error, [0.01, 0.1 * -0.2], atol=1e-12)


def test_x_is_settable_and_validated():
    e = demos.jacobian_demo()
    e.x = [0.5, -1.0]
    np.testing.assert_array_equal(e.jacobian_matrix, [[1, 1], [-1, 0.5]])
    assert item(e.controls, "x1")["value"] == -1.0 and item(e.controls, "x0_text")["value"] == "0.5"
    before = data(e)
    with pytest.raises(ValueError, match="length 3"):
        e.x = [1, 2, 3]
    assert "length 3" in e.error and data(e) == before
    with pytest.raises(ValueError, match="finite"):
        e.x = [np.nan, 1]
    with pytest.raises(TypeError):
        e.x = "abc"


def test_a_value_outside_the_slider_range_widens_it():
    e = demos.jacobian_demo()
    type_x(e, 0, "25")
    assert e.error == "" and item(e.controls, "x0")["value"] == 25 and item(e.controls, "x0")["max"] >= 25
    assert close3(z(e, 1), [[50, 1], [2, 25]])


def _misbehaving(kind: str):
    """The section's f, except from x₁ ≥ 2.5 on, where it does ``kind``."""

    def f(x):
        if x[0] < 2.5:
            return ex.f_jacobian_demo(x)
        if kind == "raises":
            raise ZeroDivisionError("division by zero")
        if kind == "shape":
            return np.array([1.0, 2.0, 3.0])
        if kind == "matrix":
            return np.ones((2, 2))
        if kind == "nan":
            return np.array([np.nan, 1.0])
        if kind == "inf":
            return np.array([1.0, np.inf])
        if kind == "text":
            return "oops"
        raise AssertionError(kind)

    return f


@pytest.mark.parametrize("kind, words", [
    ("raises", ["f raised ZeroDivisionError", "division by zero"]),
    ("shape", ["length 3", "length 2 elsewhere"]),
    ("matrix", ["shape 2×2", "vector"]),
    ("nan", ["nan"]),
    ("inf", ["inf"]),
    ("text", ["not numbers"]),
])
@pytest.mark.parametrize("exact", [True, False])
def test_a_function_that_misbehaves_is_reported_and_the_figure_kept(kind, words, exact):
    e = JacobianExplorer(_misbehaving(kind), [1.0, 2.0], jacobian=ex.J_jacobian_demo if exact else None)
    slide(e, 0, 2.0)
    good, good_x = data(e), e.x
    counter = MessageCounter(e.figure)
    slide(e, 0, 3.0)
    assert all(w in e.error for w in words), e.error
    assert "x = (3, 2)" in e.error  # it says where
    assert "⚠" in status(e) and words[0] in status(e)
    assert data(e) == good and np.array_equal(e.x, good_x)
    assert counter.take() == []
    assert item(e.controls, "x0_text")["invalid"]
    slide(e, 0, 1.5)  # back on good ground: the view follows again
    assert e.error == "" and close3(z(e, 1), [[3, 1], [2, 1.5]])
    assert not item(e.controls, "x0_text")["invalid"]


def test_a_step_into_bad_ground_is_reported_too():
    e = JacobianExplorer(_misbehaving("nan"), [2.0, 2.0])
    good = data(e)
    slide_dx(e, 0, 0.6)  # x + Δx has x₁ = 2.6
    assert "nan" in e.error and "x = (2.6, 2.1)" in e.error and data(e) == good


@pytest.mark.parametrize("jac, words", [
    (lambda x: np.ones((3, 2)), ["shape 3×2", "2×2"]),
    (lambda x: [[1.0, np.nan], [0.0, 1.0]], ["nan", "[0, 1]"]),
    (lambda x: 1 / 0, ["raised ZeroDivisionError"]),
])
def test_a_jacobian_callable_that_misbehaves_is_reported(jac, words):
    def J(x):
        return ex.J_jacobian_demo(x) if x[0] < 2.5 else jac(x)

    e = JacobianExplorer(ex.f_jacobian_demo, [1.0, 2.0], jacobian=J)
    good = data(e)
    slide(e, 0, 3.0)
    assert all(w in e.error for w in words), e.error
    assert data(e) == good


def test_typed_text_that_is_not_a_number_is_refused():
    e = demos.jacobian_demo()
    good = data(e)
    for text, words in [("abc", "not a number"), ("", "empty"), ("inf", "finite"), ("nan", "finite")]:
        type_x(e, 0, text)
        assert words in e.error and "x₁" in e.error
        assert data(e) == good
    type_x(e, 0, "−0.5")  # a typographic minus is a minus
    assert e.error == "" and close3(z(e, 1), [[-1, 1], [2, -0.5]])


def test_construction_fails_loudly_without_a_good_first_state():
    with pytest.raises(ValueError, match="raised ZeroDivisionError"):
        JacobianExplorer(_misbehaving("raises"), [3.0, 2.0])
    with pytest.raises(ValueError, match="names"):
        JacobianExplorer(ex.f_jacobian_demo, [1.0, 2.0], names=["a"])
    with pytest.raises(TypeError, match="function"):
        JacobianExplorer("f", [1.0, 2.0])


def test_big_jacobians_get_colour_bars_instead_of_numbers():
    A = np.random.default_rng(3).normal(size=(10, 12))
    e = JacobianExplorer(lambda x: np.tanh(A @ x), np.full(12, 0.1))
    J = e.figure.data[1]
    assert J.showscale and len(e.figure.data[6 + 1].text) == 0  # no numbers on a 10×12 matrix
    expected = (1 - np.tanh(A @ np.full(12, 0.1)) ** 2)[:, None] * A
    np.testing.assert_allclose(e.jacobian_matrix, expected, atol=1e-7)
    assert close3(z(e, 1), expected)
    assert e.figure.layout.width <= 900


# -- CompositionExplorer --------------------------------------------------------------------
def test_composition_demo_product_is_1_plus_2x():
    c = demos.composition_demo()
    assert close3(z(c, 0), [[1, 1]]) and close3(z(c, 1), [[1], [2]])  # J_g, J_f(1) = (1, 2x)ᵀ
    assert close3(z(c, 2), [[1 + 2 * 1.0]])
    for text, x in [("2.5", 2.5), ("-3", -3.0)]:
        type_x(c, 0, text)
        assert close3(z(c, 2), [[1 + 2 * x]])
        np.testing.assert_allclose(c.product, [[1 + 2 * x]], atol=1e-6)
    slide(c, 0, 0.25)
    assert close3(z(c, 2), [[1.5]]) and c.check.status == "ok" and c.chain.difference < 1e-6
    text = notes(c)
    assert "(1×2)(2×1) = 1×1" in text and "at f(x) = (0.25, 0.0625)" in text and "at x = 0.25" in text
    assert "✓" in text


def _hand_jacobian(A, B, x):
    """h(x) = B (tanh(A x))²: J_h = B · diag(2 tanh(Ax)) · diag(1 − tanh²(Ax)) · A."""
    t = np.tanh(A @ x)
    return B @ np.diag(2 * t) @ np.diag(1 - t**2) @ A


@pytest.mark.parametrize("seed, n, m, p", [(0, 4, 3, 2), (1, 1, 5, 1), (2, 3, 3, 4), (3, 6, 2, 3)])
def test_random_compositions_match_the_hand_derived_jacobian_and_autograd(seed, n, m, p):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(m, n)), rng.normal(size=(p, m))
    x0 = rng.normal(size=n) * 0.5
    c = CompositionExplorer(lambda x: np.tanh(A @ x), lambda u: B @ u**2, x0)
    by_autograd = autograd_jacobian(lambda x: B @ anp.tanh(anp.dot(A, x)) ** 2)(x0)
    np.testing.assert_allclose(c.product, _hand_jacobian(A, B, x0), atol=1e-6)
    np.testing.assert_allclose(c.product, by_autograd, atol=1e-6)
    assert close3(z(c, 2), _hand_jacobian(A, B, x0))
    assert close3(z(c, 1), (1 - np.tanh(A @ x0) ** 2)[:, None] * A)  # J_f at x
    assert close3(z(c, 0), B * 2 * np.tanh(A @ x0))  # J_g at u = f(x): B·diag(2u)
    assert c.check.status == "ok" and c.chain.difference < 1e-6
    assert f"({p}×{m})({m}×{n}) = {p}×{n}" in notes(c)
    # exact factors passed in: the same product, and the check still holds
    c2 = CompositionExplorer(lambda x: np.tanh(A @ x), lambda u: B @ u**2, x0,
                             jacobian_f=lambda x: (1 - np.tanh(A @ x) ** 2)[:, None] * A,
                             jacobian_g=lambda u: B * 2 * u)
    np.testing.assert_allclose(c2.product, _hand_jacobian(A, B, x0), atol=1e-12)
    x1 = x0 + 0.3
    slide(c2, 0, float(x1[0]))
    np.testing.assert_allclose(c2.product, _hand_jacobian(A, B, np.r_[x1[0], x0[1:]]), atol=1e-12)


def test_a_wrong_jacobian_callable_turns_the_badge_red():
    c = CompositionExplorer(ex.f_composition, ex.g_composition, [1.0],
                            jacobian_f=lambda x: [[1.0], [3 * x[0]]])  # should be 2x
    assert "✗" in notes(c) and "probably wrong" in notes(c)


def test_composition_bad_input_keeps_the_last_view():
    def g(u):
        if u[1] > 5:
            return np.array([np.inf])
        return ex.g_composition(u)

    c = CompositionExplorer(ex.f_composition, g, [1.0])
    good = data(c)
    slide(c, 0, 3.0)  # f(3) = (3, 9): g returns inf there
    assert "g returned inf" in c.error and "(3, 9)" in c.error
    assert data(c) == good
    with pytest.raises(ValueError, match="length 2"):
        c.x = [1.0, 2.0]


def test_scalar_chain_demo_multiplies_the_two_derivatives():
    s = scalar_chain_demo("sin(x²)")  # at x = 1: g'(f(1)) = cos 1, f'(1) = 2
    assert close3(z(s, 0), [[np.cos(1.0)]]) and close3(z(s, 1), [[2.0]])
    assert close3(z(s, 2), [[np.cos(1.0) * 2]])
    slide(s, 0, 1.7)
    np.testing.assert_allclose(s.product, [[np.cos(1.7**2) * 2 * 1.7]], atol=1e-12)
    assert "closed form" in notes(s) and "✓" in notes(s) and "✗" not in notes(s)

    q = scalar_chain_demo("(3x+1)²", x0=2.0)  # 2(3x+1)·3 = 18x + 6
    assert close3(z(q, 0), [[2 * 7]]) and close3(z(q, 1), [[3]]) and close3(z(q, 2), [[18 * 2 + 6]])
    type_x(q, 0, "-1")
    assert close3(z(q, 2), [[-12]])
    assert "h(x) = g(f(x)) = 4" in notes(q)  # (3·(−1) + 1)² = 4
    with pytest.raises(ValueError, match="unknown example"):
        scalar_chain_demo("cos")


# -- ModeCostExplorer ------------------------------------------------------------------------
def _assert_shows(explorer, widths):
    c = mode_cost(widths)  # the closed formulas of chainviz.core.modes
    n, ds = widths[0], widths[1:]
    d = explorer.figure.data
    assert tuple(d[0].y) == c.forward_carried == tuple(k * n for k in ds)
    assert tuple(d[1].y) == c.reverse_carried == tuple(reversed(widths))
    assert tuple(d[2].y) == (c.forward_madds, c.forward_peak)
    assert tuple(d[3].y) == (c.reverse_madds, c.reverse_peak)
    assert c.forward_peak == n * max(ds) and c.reverse_peak == max(widths)
    assert tuple(explorer.widths) == tuple(widths)
    assert fe.ratio_text(c.madds_ratio) in explorer.figure.layout.title.text


def test_scale_demo_is_the_sections_example():
    m = demos.scale_demo()
    _assert_shows(m, ex.SCALE_WIDTHS)
    assert m.figure.data[0].y[0] == 10**3 * 10**6  # "a billion numbers" between layers
    assert max(m.figure.data[1].y[:-1]) == 10**3  # rows of a thousand, then ∂L/∂x of length n
    assert "10⁶ times fewer" in subtitle(m)


def test_default_and_random_widths_typed_in_are_shown_exactly():
    m = ModeCostExplorer()
    _assert_shows(m, list(fe.DEFAULT_WIDTHS))
    rng = np.random.default_rng(7)
    for _ in range(5):
        widths = [int(rng.integers(1, 10**6))] + [int(v) for v in rng.integers(1, 5000, size=rng.integers(1, 12))]
        change(m.controls, "widths", ", ".join(map(str, widths)))
        assert m.error == ""
        _assert_shows(m, widths)
    change(m.controls, "widths", "10^4; 1e3  10**2")
    _assert_shows(m, [10**4, 1000, 100])


def test_sliders_and_presets_edit_the_widths():
    m = ModeCostExplorer([1000, 10, 20])
    change(m.controls, "n", 5.0)  # the n slider moves the exponent of n
    _assert_shows(m, [100000, 10, 20])
    change(m.controls, "depth", 4)
    assert len(m.widths) == 5 and m.widths[:3] == (100000, 10, 20)
    change(m.controls, "width", 64)
    _assert_shows(m, [100000, 64, 64, 64, 64])
    assert item(m.controls, "widths")["value"] == "100000, 64, 64, 64, 64"
    click(m.controls, "section")
    _assert_shows(m, ex.SCALE_WIDTHS)
    assert item(m.controls, "depth")["value"] == 10 and item(m.controls, "width")["value"] == 1000
    click(m.controls, "small")
    _assert_shows(m, list(fe.DEFAULT_WIDTHS))


@pytest.mark.parametrize("text, words", [
    ("1000, 0, 10", ["d1", "is 0", "positive whole number"]),
    ("1000, -3", ["is -3", "positive whole number"]),
    ("1000, 2.5", ["is 2.5", "whole number"]),
    ("1000, abc", ["'abc' is not a number"]),
    ("1000", ["at least one layer"]),
    ("", ["empty"]),
    ("0, 10", ["n (widths[0]) is 0"]),
])
def test_bad_widths_are_refused_in_plain_words(text, words):
    m = ModeCostExplorer([1000, 10, 20])
    good = data(m)
    counter = MessageCounter(m.figure)
    change(m.controls, "widths", text)
    assert all(w in m.error for w in words), m.error
    assert data(m) == good and m.widths == (1000, 10, 20) and counter.take() == []
    assert item(m.controls, "widths")["invalid"] and item(m.controls, "widths")["value"] == text
    with pytest.raises((ValueError, TypeError)):
        m.widths = "abc"
    with pytest.raises(ValueError):
        ModeCostExplorer([5])


def test_measure_refuses_what_would_not_fit():
    m = demos.scale_demo()
    good = data(m)
    click(m.controls, "measure")
    assert "too big to measure" in m.error and "20000" in m.error  # 2×10⁷ / 10³
    assert data(m) == good and m.measured is None


def test_measured_reverse_sweep_is_much_faster_when_n_dwarfs_the_widths():
    m = ModeCostExplorer([20000, 50, 50, 50])  # forward does ~100× the arithmetic of reverse
    counter = MessageCounter(m.figure)
    click(m.controls, "measure")
    assert m.error == "", m.error
    assert counter.take() == ["_send_update_msg"]
    r = m.measured
    d = m.figure.data
    assert list(d[4].x) == list(r.ns) and r.ns[-1] == 20000 and len(r.ns) >= 4
    assert close3(d[4].y, r.forward_seconds) and close3(d[5].y, r.reverse_seconds)
    assert r.forward_seconds[-1] > 3 * r.reverse_seconds[-1]  # qualitative: the prediction is ~100×
    # the dashed predictions are madds × one constant, and madds are mode_cost's
    for k, n in enumerate(r.ns):
        c = mode_cost([int(n), 50, 50, 50])
        assert r.forward_madds[k] == c.forward_madds and r.reverse_madds[k] == c.reverse_madds
    np.testing.assert_allclose(np.array(d[6].y) / np.array(d[7].y), r.forward_madds / r.reverse_madds, rtol=1e-2)
    change(m.controls, "width", 40)  # the measurement belonged to the old widths
    assert m.measured is None and len(m.figure.data[4].x) == 0


# -- one message per edit, display, exports ---------------------------------------------------
def test_every_edit_sends_exactly_one_update_message():
    e = demos.jacobian_demo()
    c = demos.composition_demo()
    m = ModeCostExplorer([1000, 10, 20])
    counters = {id(x): MessageCounter(x.figure) for x in (e, c, m)}
    edits = [
        (e, lambda: slide(e, 0, 1.5)),
        (e, lambda: type_x(e, 1, "2.5")),
        (e, lambda: slide_dx(e, 0, -0.3)),
        (e, lambda: setattr(e, "x", [0.5, 0.5])),
        (c, lambda: slide(c, 0, 2.0)),
        (c, lambda: type_x(c, 0, "-1")),
        (c, lambda: change(c.controls, "shared_scale", False)),
        (m, lambda: change(m.controls, "widths", "5000, 30, 30")),
        (m, lambda: change(m.controls, "depth", 5)),
        (m, lambda: change(m.controls, "n", 2.0)),
    ]
    for explorer, edit in edits:
        edit()
        assert explorer.error == ""
        assert counters[id(explorer)].take() == ["_send_update_msg"]


def test_updates_keep_the_parts_of_the_layout_they_do_not_change():
    e = demos.jacobian_demo()
    title, domain = e.figure.layout.title.to_plotly_json(), e.figure.layout.xaxis2.domain
    slide(e, 0, 2.0)
    assert e.figure.layout.title.text != title["text"]  # the point moved, the title says so
    assert {k: v for k, v in e.figure.layout.title.to_plotly_json().items() if k != "text"} == \
        {k: v for k, v in title.items() if k != "text"}
    assert e.figure.layout.xaxis2.domain == domain and e.figure.layout.yaxis2.autorange == "reversed"
    m = ModeCostExplorer([1000, 10, 20])
    change(m.controls, "widths", "100000, 10, 20, 30")
    assert m.figure.layout.yaxis.type == "log" and m.figure.layout.yaxis.domain == (0.56, 1)


def test_each_explorer_is_one_widget_with_controls_figure_and_status():
    import ipywidgets as W

    for explorer in (demos.jacobian_demo(), demos.composition_demo(), ModeCostExplorer(), scalar_chain_demo()):
        assert isinstance(explorer.widget, W.VBox)
        assert explorer.figure in explorer.widget.children and explorer.status in explorer.widget.children
        layout = explorer.figure.layout
        assert layout.font.size >= 13 and layout.title.font.size >= 13
        assert all((a.font.size or 14) >= 13 for a in layout.annotations)
        assert callable(explorer._ipython_display_)


def test_lazy_exports_are_these_classes():
    assert cv.JacobianExplorer is JacobianExplorer
    assert cv.CompositionExplorer is CompositionExplorer
    assert cv.ModeCostExplorer is ModeCostExplorer


def test_a_slider_repeating_its_value_changes_nothing():
    # A control bar sends a slider's latest value again once the kernel has answered (what
    # waited while an edit was computed), and a value may carry float noise (0.10000000000000009):
    # neither may recompute or wipe a message.
    e = demos.jacobian_demo()
    type_x(e, 1, "abc")
    message, counter = e.error, MessageCounter(e.figure)
    slide_dx(e, 0, 0.10000000000000009)
    slide(e, 0, 1.0000000000000009)
    assert e.error == message and counter.take() == [] and e.x[0] == 1.0
    slide(e, 1, 2.5)  # a real edit of x₂ keeps x₁ exactly as it was
    assert e.x.tolist() == [1.0, 2.5]
    m = ModeCostExplorer()
    change(m.controls, "widths", "-3")
    message = m.error
    change(m.controls, "n", 4.000000000001)  # 10⁴, again
    assert m.error == message and m.widths == fe.DEFAULT_WIDTHS


# -- the core helpers behind the explorers (chainviz.timing) -----------------------------------
def test_call_jacobian_accepts_the_sections_special_cases_and_names_bad_shapes():
    from chainviz.core.jacobian import call_jacobian

    x = np.array([2.0])
    assert call_jacobian(lambda v: 4.0, x, 1, 1).shape == (1, 1)  # a derivative is a 1×1 Jacobian
    np.testing.assert_array_equal(call_jacobian(lambda v: [1.0, 2.0], np.zeros(2), 1, 2), [[1, 2]])  # a gradient row
    with pytest.raises(ValueError, match="shape 2×1 .* is 1×2"):
        call_jacobian(lambda v: [[1.0], [2.0]], np.zeros(2), 1, 2)
    with pytest.raises(TypeError, match="not numbers"):
        call_jacobian(lambda v: "J", x, 1, 1)


def test_measurement_sizes_span_n_over_32_to_n_and_the_guard_names_the_largest_n():
    from chainviz.core.modes import check_measurable, measurement_sizes

    ns = measurement_sizes(32_000)
    assert ns[0] == 1000 and ns[-1] == 32_000 and ns == sorted(set(ns)) and len(ns) == 6
    assert measurement_sizes(1) == [1]
    with pytest.raises(ValueError, match="at most 20000"):
        check_measurable([10**6, 1000, 1000])
    with pytest.raises(ValueError, match="too slow"):
        check_measurable([20_000, 1000, 1000, 1000])  # fits in memory, but 10¹⁰+ multiply-adds


# -- field reports (issue 12): what is shown about J, and what typed text means ----------------------
def test_the_demo_says_how_J_was_made_in_neutral_words_and_checks_it():
    e = demos.jacobian_demo()  # the learner passed no jacobian=: the demo did
    text = subtitle(e)
    assert "exact: from the Jacobian derived by hand" in text and "you gave" not in text
    assert "✓ the Jacobian derived by hand agrees with central differences" in text
    assert e.check.status == "ok"


def test_a_wrong_hand_derived_jacobian_is_flagged_in_the_subtitle():
    e = JacobianExplorer(ex.f_jacobian_demo, [1.0, 2.0],
                         jacobian=lambda x: [[2 * x[0], 1.0], [x[1], 2 * x[0]]])  # ∂f₂/∂x₂ is x₁, not 2x₁
    assert e.check.status == "mismatch" and "✗ the Jacobian derived by hand differs" in subtitle(e)
    np.testing.assert_array_equal(e.jacobian_matrix, [[2, 1], [2, 2]])  # it is still what is shown


def test_a_kink_of_f_at_x_is_named():
    e = JacobianExplorer(np.abs, [0.0, 1.0])
    assert e.check.status == "kink"
    assert "not differentiable at x = (0, 1)" in subtitle(e) and "f₁ has one-sided slopes −1 and 1 in x₁" in subtitle(e)
    slide(e, 0, 0.5)  # off the kink: J = diag(sign x) = diag(1, 1)
    assert e.check.status == "ok" and close3(z(e, 1), [[1, 0], [0, 1]])


def test_a_float32_function_is_differenced_with_its_own_step_and_says_so():
    e = JacobianExplorer(lambda x: x.astype(np.float32) ** 2, [1.0, 2.0])
    np.testing.assert_allclose(e.jacobian_matrix, np.diag([2.0, 4.0]), rtol=1e-4)  # d/dx x² = 2x
    text = subtitle(e)
    assert "h = 4.9·10⁻³·max(1, |x<sub>j</sub>|)" in text and "f returns float32" in text


def test_a_function_that_forgets_to_return_is_named_and_the_view_kept():
    def f(x):
        if x[0] > 2:
            y = x**2  # noqa: F841 - no return
            return None
        return x**2

    e = JacobianExplorer(f, [1.0, 2.0])
    good = data(e)
    slide(e, 0, 3.0)
    assert "f returned None at x = (3, 2) — is a `return` missing?" in e.error and data(e) == good


@pytest.mark.parametrize("text, value", [("0,5", 0.5), ("−1,25", -1.25)])
def test_a_decimal_comma_is_read_as_a_decimal_point(text, value):
    e = demos.jacobian_demo()
    type_x(e, 0, text)
    assert e.error == "" and e.x[0] == value


def test_a_thousands_like_number_is_refused_and_says_how_to_type_it():
    e = demos.jacobian_demo()
    good = data(e)
    type_x(e, 0, "1,000")
    assert "ambiguous" in e.error and "type 1000 or 1" in e.error and data(e) == good
    assert item(e.controls, "x0_text")["invalid"]


def test_widths_follow_the_same_rule():
    m = ModeCostExplorer([1000, 10, 20])
    change(m.controls, "widths", "12,500")  # 12500, or the widths 12 and 500?
    assert "ambiguous" in m.error and m.widths == (1000, 10, 20)
    change(m.controls, "widths", "1000000,1000,1000")  # four digits after each comma: a list
    assert m.error == "" and m.widths == (1000000, 1000, 1000)
    change(m.controls, "widths", "12, 500")
    assert m.widths == (12, 500)


def test_the_composition_badge_uses_the_check_and_names_a_kink():
    c = CompositionExplorer(lambda x: np.array([x[0], x[0] ** 2]), lambda u: np.array([abs(u[0]) + u[1]]), [0.0])
    assert c.check.status == "kink" and "not differentiable" in notes(c) and "✗" not in notes(c)
    slide(c, 0, 1.0)  # h = |x| + x²: h'(1) = 1 + 2
    assert c.check.status == "ok" and close3(z(c, 2), [[3.0]]) and "✓" in notes(c)


def test_options_of_the_function_explorers_of_the_wrong_type_are_refused_in_words():
    with pytest.raises(ValueError, match=r"names must be a list of 2 input names"):
        JacobianExplorer(ex.f_jacobian_demo, [1.0, 2.0], names=3)
    with pytest.raises(TypeError, match="closed_form_text must be text, got int 3"):
        CompositionExplorer(ex.f_composition, ex.g_composition, [1.0], closed_form_text=3)
    m = ModeCostExplorer([1000, 10, 20])
    with pytest.raises(ValueError, match="points must be a whole number from 1 to 50, got 0"):
        m.measure(points=0)
    assert "points must be" in m.error
