"""The section's worked examples: every closed form in chainviz.core.examples, checked independently."""

from __future__ import annotations

import math

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad
from autograd import jacobian as ag_jacobian

import chainviz as cv
from chainviz import examples as ex

POINTS = [-2.0, -1.3, -0.5, 0.0, 0.25, 1.0, 1.7, 3.0]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


# -- scalar chain rule -------------------------------------------------------------------
@pytest.mark.parametrize("x", POINTS)
def test_sin_x_squared(x):
    c = ex.SIN_X2
    assert c.h(x) == pytest.approx(math.sin(x * x), rel=1e-15, abs=1e-300)
    expected = math.cos(x * x) * 2 * x  # h'(x) = cos(x²)·2x
    assert c.chain_rule(x) == pytest.approx(expected, rel=1e-14, abs=1e-300)
    assert c.dh(x) == pytest.approx(expected, rel=1e-14, abs=1e-300)
    # and the derivative of h itself, by central differences (|h'''| ≤ 8x³+12x... ≤ 300 here)
    assert central(c.h, x) == pytest.approx(expected, abs=1e-7)


@pytest.mark.parametrize("x", POINTS)
def test_three_x_plus_one_squared(x):
    c = ex.SQUARE_3X_PLUS_1
    assert c.h(x) == pytest.approx(9 * x * x + 6 * x + 1, rel=1e-14, abs=1e-14)  # expanded by hand
    assert c.chain_rule(x) == pytest.approx(18 * x + 6, rel=1e-14, abs=1e-14)
    assert c.dh(x) == 18 * x + 6
    # a quadratic: central differences are exact up to rounding
    assert central(c.h, x) == pytest.approx(18 * x + 6, abs=1e-7)


def test_scalar_chain_parts():
    assert ex.SIN_X2.f(3.0) == 9.0 and ex.SIN_X2.df(3.0) == 6.0
    assert ex.SIN_X2.dg(0.0) == 1.0
    assert ex.SQUARE_3X_PLUS_1.f(2.0) == 7.0 and ex.SQUARE_3X_PLUS_1.df(2.0) == 3.0
    assert ex.SQUARE_3X_PLUS_1.dg(7.0) == 14.0  # g'(u) = 2u


# -- a Jacobian ----------------------------------------------------------------------------
def test_jacobian_example_at_1_2():
    x0 = np.array([1.0, 2.0])
    np.testing.assert_array_equal(ex.JACOBIAN_DEMO_X0, x0)
    np.testing.assert_array_equal(ex.f_jacobian_demo(x0), [1 + 2, 1 * 2])  # (x1² + x2, x1 x2)
    expected = np.array([[2.0, 1.0], [2.0, 1.0]])  # from the section
    np.testing.assert_array_equal(ex.JACOBIAN_DEMO_J0, expected)
    # the hand formula [[2x1, 1], [x2, x1]]
    np.testing.assert_array_equal(ex.J_jacobian_demo(x0), expected)
    # central differences: f is quadratic, so only rounding (≈ ε·|f|/h ≈ 1e-9) remains
    np.testing.assert_allclose(cv.numerical_jacobian(ex.f_jacobian_demo, x0), expected, rtol=0, atol=1e-8)


@pytest.mark.parametrize("x", [[0.0, 0.0], [-1.5, 0.3], [2.0, -4.0], [0.7, 0.7]])
def test_jacobian_example_hand_formula_everywhere(x):
    x = np.array(x)
    f = lambda v: anp.array([v[0] ** 2 + v[1], v[0] * v[1]])  # noqa: E731  (written again, for autograd)
    np.testing.assert_allclose(ex.J_jacobian_demo(x), ag_jacobian(f)(x), rtol=1e-15, atol=0)
    np.testing.assert_allclose(cv.numerical_jacobian(ex.f_jacobian_demo, x), ag_jacobian(f)(x), atol=1e-8)


# -- a composition -------------------------------------------------------------------------
@pytest.mark.parametrize("x", POINTS)
def test_composition_example(x):
    xv = np.array([x])
    np.testing.assert_array_equal(ex.f_composition(xv), [x, x * x])
    np.testing.assert_array_equal(ex.g_composition(np.array([x, x * x])), [x + x * x])
    Jf = ex.J_f_composition(xv)
    Jg = ex.J_g_composition(ex.f_composition(xv))
    assert Jf.shape == (2, 1) and Jg.shape == (1, 2)
    np.testing.assert_array_equal(Jf, [[1.0], [2 * x]])
    np.testing.assert_array_equal(Jg, [[1.0, 1.0]])
    # J_g · J_f = 1 + 2x, a 1×1 matrix
    np.testing.assert_allclose(Jg @ Jf, [[1 + 2 * x]], rtol=1e-15)
    assert ex.dh_composition(x) == 1 + 2 * x
    # and directly, by central differences on g∘f
    h = lambda v: ex.g_composition(ex.f_composition(v))  # noqa: E731
    np.testing.assert_allclose(cv.numerical_jacobian(h, xv), [[1 + 2 * x]], atol=1e-8)
    # each hand Jacobian by central differences too
    np.testing.assert_allclose(cv.numerical_jacobian(ex.f_composition, xv), Jf, atol=1e-8)
    np.testing.assert_allclose(cv.numerical_jacobian(ex.g_composition, ex.f_composition(xv)), Jg, atol=1e-8)


# -- two-layer nets --------------------------------------------------------------------------
def test_two_linear_layers_give_W2_W1_exactly():
    rng = np.random.default_rng(7)
    for n, h, m in [(3, 4, 2), (1, 5, 1), (6, 2, 3)]:
        W1, W2 = rng.normal(size=(h, n)), rng.normal(size=(m, h))
        x = rng.normal(size=n)
        J = cv.two_layer(W1, W2, activation="identity").jacobian(x)
        np.testing.assert_array_equal(J, W2 @ W1)
        # the same at any other point: a linear map has one Jacobian
        np.testing.assert_array_equal(cv.two_layer(W1, W2, "identity").jacobian(10 * x + 1), W2 @ W1)


def test_activation_jacobian_is_diag_slope_times_W1():
    rng = np.random.default_rng(3)
    W1 = rng.normal(size=(4, 3))
    x = rng.normal(size=3)
    z1 = W1 @ x
    s = sigmoid(z1)
    expected = np.diag(s * (1 - s)) @ W1  # σ' = σ(1 − σ)
    # a1 as a function of x: a one-layer sigmoid net
    np.testing.assert_allclose(cv.Net([W1], "sigmoid").jacobian(x), expected, rtol=1e-13, atol=1e-16)
    # and its one slope factor is diag(σ(1 − σ)) at z1
    slope = cv.Net([W1], "sigmoid").jacobian_factors(x)[0]
    assert slope.kind == "slope" and slope.layer == 1
    np.testing.assert_allclose(slope.matrix, np.diag(s * (1 - s)), rtol=1e-13, atol=1e-16)
    # one more linear layer on top: J = W2 · diag(σ'(z1)) · W1
    W2 = rng.normal(size=(2, 4))
    np.testing.assert_allclose(cv.two_layer(W1, W2).jacobian(x), W2 @ expected, rtol=1e-12, atol=1e-15)


# -- the presets ---------------------------------------------------------------------------
def _preset_reference(p):
    """J and ∂L/∂x of a preset, by autograd on the network written out from its raw arrays."""
    act = {
        "identity": lambda z: z,
        "sigmoid": lambda z: 1.0 / (1.0 + anp.exp(-z)),
        "relu": lambda z: anp.where(z > 0, z, 0.0 * z),
        "tanh": anp.tanh,
    }
    layers = list(zip(p.net.weights, p.net.activations))

    def f(x):
        for W, a in layers:
            x = act[a](anp.dot(W, x))
        return x

    return f


def test_preset_defaults_put_every_relu_on_with_distinct_slopes():
    z1 = ex.W1_DEFAULT @ ex.X_DEFAULT
    np.testing.assert_allclose(z1, [1.34, 0.35, 0.90, 0.43], rtol=1e-14)  # by hand
    s = sigmoid(z1) * (1 - sigmoid(z1))
    assert np.all(z1 > 0) and len(set(np.round(s, 6))) == 4


def test_presets_jacobians_and_gradients():
    W1, W2, x = ex.W1_DEFAULT, ex.W2_DEFAULT, ex.X_DEFAULT
    assert set(ex.PRESETS) == {"linear", "sigmoid", "relu", "dead_relu", "saturated", "two_sigmoids", "three_layers"}
    for name, p in ex.PRESETS.items():
        assert p.name == name and p.title and p.note
        np.testing.assert_array_equal(p.x, x)
        f = _preset_reference(p)
        J = p.net.jacobian(p.x)
        np.testing.assert_allclose(J, ag_jacobian(f)(p.x), rtol=1e-12, atol=1e-15)
        # the loss gradient wrt x, written independently
        if isinstance(p.loss, cv.MSE):
            t = p.loss.target
            L = lambda v: 0.5 * anp.sum((f(v) - t) ** 2)  # noqa: E731
        else:
            c = p.loss.label
            L = lambda v: anp.log(anp.sum(anp.exp(f(v)))) - f(v)[c]  # noqa: E731
        np.testing.assert_allclose(p.net.reverse_sweep(p.x, p.loss)[-1].values, ag_grad(L)(p.x), rtol=1e-12, atol=1e-15)

    # closed forms, one per preset
    P = ex.PRESETS
    np.testing.assert_array_equal(P["linear"].net.jacobian(x), W2 @ W1)
    z1 = W1 @ x
    s1 = sigmoid(z1) * (1 - sigmoid(z1))
    np.testing.assert_allclose(P["sigmoid"].net.jacobian(x), W2 @ np.diag(s1) @ W1, rtol=1e-13)
    np.testing.assert_array_equal(P["relu"].net.jacobian(x), W2 @ W1)  # every ReLU on: slopes 1
    z2 = W2 @ sigmoid(z1)
    s2 = sigmoid(z2) * (1 - sigmoid(z2))
    np.testing.assert_allclose(P["two_sigmoids"].net.jacobian(x), np.diag(s2) @ W2 @ np.diag(s1) @ W1, rtol=1e-13)
    assert P["linear"].loss == cv.MSE([0.5, -0.5])
    assert P["two_sigmoids"].loss == cv.SoftmaxCrossEntropy(0)
    # three layers: J = W3·diag(tanh'(z2))·W2·diag(tanh'(z1))·W1, tanh' = 1 − tanh²
    V1, V2, V3 = P["three_layers"].net.weights
    np.testing.assert_array_equal(V1, W1)
    t1 = np.tanh(V1 @ x)
    t2 = np.tanh(V2 @ t1)
    np.testing.assert_allclose(P["three_layers"].net.jacobian(x),
                               V3 @ np.diag(1 - t2**2) @ V2 @ np.diag(1 - t1**2) @ V1, rtol=1e-13)


def test_dead_relu_preset():
    p = ex.PRESETS["dead_relu"]
    W1, W2 = p.net.weights
    z1 = W1 @ p.x
    assert z1[1] == pytest.approx(-1.5 * 1.0 - 0.5 * -0.5 - 1.0 * 0.8)  # = -2.05
    assert z1[1] == pytest.approx(-2.05, rel=1e-14)
    assert np.all(np.delete(z1, 1) > 0)
    np.testing.assert_array_equal(p.net.jacobian(p.x), W2 @ np.diag([1.0, 0.0, 1.0, 1.0]) @ W1)
    G1, _ = p.net.weight_gradients(p.x, p.loss)
    np.testing.assert_array_equal(G1[1], [0.0, 0.0, 0.0])  # row 1 of ∂L/∂W1 is zero
    assert np.all(np.abs(np.delete(G1, 1, axis=0)).sum(axis=1) > 0)


def test_saturated_preset():
    p = ex.PRESETS["saturated"]
    W1 = p.net.weights[0]
    np.testing.assert_array_equal(W1, 6 * ex.W1_DEFAULT)
    z1 = W1 @ p.x
    np.testing.assert_allclose(z1, 6 * np.array([1.34, 0.35, 0.90, 0.43]), rtol=1e-14)  # 2.1 to 8.04
    slopes = sigmoid(z1) * (1 - sigmoid(z1))
    # every slope below σ'(2) ≈ 0.105, well under the 0.25 at z = 0
    assert np.all(slopes < sigmoid(2.0) * (1 - sigmoid(2.0)))
    default = ex.PRESETS["sigmoid"].net.forward(p.x).slopes[0]
    assert np.all(slopes < default)


# -- scale ---------------------------------------------------------------------------------
def test_scale_example_mode_cost_by_hand():
    assert ex.SCALE_WIDTHS == [10**6] + [10**3] * 10
    c = cv.mode_cost(ex.SCALE_WIDTHS)
    n, d, L = 10**6, 10**3, 10
    # forward mode carries d × n matrices: a billion numbers
    assert c.forward_peak == 10**9
    # reverse mode: rows of length d, and finally ∂L/∂x of length n
    assert c.reverse_peak == 10**6
    # the slopes of all ten layers are kept for the backward sweep
    assert c.stored_activations == 10**4
    # forward: D_1 costs d·n, then for each of the 9 further layers W_l d·d·n and D_l d·n,
    # and the final g· costs d·n
    assert c.forward_madds == d * n + 9 * (d * d * n + d * n) + d * n
    assert c.forward_madds == 9_011_000_000_000
    # reverse: each D_l costs d, W_1 costs d·n, each later W_l d·d
    assert c.reverse_madds == L * d + d * n + 9 * d * d
    assert c.reverse_madds == 1_009_010_000
    assert c.primal_madds == d * n + 9 * d * d
    assert c.forward_carried == (10**9,) * 10
    assert c.reverse_carried == (10**3,) * 10 + (10**6,)
