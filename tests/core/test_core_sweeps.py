"""Reverse sweep, forward sweep and weight gradients against autograd and hand-made products."""

from __future__ import annotations

import numpy as np
import pytest
from autograd import grad as ag_grad
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chainviz as cv

SETTINGS = settings(max_examples=60, deadline=None, database=None)
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def draw_case(data, net_specs, loss_specs):
    spec = data.draw(net_specs, label="net")
    lspec = data.draw(loss_specs(spec.widths[-1]), label="loss")
    assume(spec.kinks_clear(1e-3))
    return spec, lspec


def assert_within(actual, expected, tol):
    """``|actual - expected| <= tol`` entry by entry (tol from conftest.Tolerances)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    err = np.abs(actual - expected)
    assert np.all(err <= tol), f"worst error / tolerance = {np.max(err / (tol + 1e-300)):.3g}"


def tolerances(spec, lspec, ref):
    return ref.Tolerances(spec, ag_grad(lspec.fn())(spec.output()))


# -- reverse sweep -------------------------------------------------------------------------
@SETTINGS
@given(data=st.data())
def test_reverse_sweep_rows(net_specs, loss_specs, ref, data):
    spec, lspec = draw_case(data, net_specs, loss_specs)
    net, loss = spec.net(), lspec.cv_loss()
    rows = net.reverse_sweep(spec.x, loss)
    factors = net.jacobian_factors(spec.x)
    y = spec.output()

    # one row before any factor, then one after each factor
    assert len(rows) == len(factors) + 1
    assert [r.factor for r in rows] == [None] + list(range(len(factors)))

    # first row: ∂L/∂y, by autograd on the loss written independently
    g = ag_grad(lspec.fn())(y)
    tol = tolerances(spec, lspec, ref)
    assert_within(rows[0].values, g, tol.row(0))
    np.testing.assert_allclose(rows[0].values, loss.grad(net(spec.x)), rtol=0, atol=0)

    # every row is the first row times the factors applied so far, multiplied out here
    for k, row in enumerate(rows):
        product = rows[0].values
        for f in factors[:k]:
            product = product @ f.matrix
        assert row.values.ndim == 1 and row.values.shape == product.shape
        assert_within(row.values, product, tol.row(k))

    # lengths: ∂L/∂y has m entries, each row after a factor has that factor's column count,
    # and the last, ∂L/∂x, has n
    assert len(rows[0].values) == spec.widths[-1]
    for row, f in zip(rows[1:], factors):
        assert len(row.values) == f.matrix.shape[1]
    assert len(rows[-1].values) == spec.widths[0]

    # last row: autograd's gradient of L(f(x)) with respect to x
    bs = spec.bias_arrays
    L_of_x = lambda x: lspec.fn()(ref.forward(spec.weights, bs, spec.activations, x)[1][-1])  # noqa: E731
    assert_within(rows[-1].values, ag_grad(L_of_x)(spec.x), tol.row(len(factors)))


@SETTINGS
@given(data=st.data())
def test_reverse_sweep_each_row_is_the_gradient_of_its_stage(net_specs, loss_specs, ref, data):
    """Row by row: ∂L/∂z_l and ∂L/∂a_l by autograd on the tail of the reference network."""
    spec, lspec = draw_case(data, net_specs, loss_specs)
    rows = spec.net().reverse_sweep(spec.x, lspec.cv_loss())
    zs, acts = ref.forward(spec.weights, spec.bias_arrays, spec.activations, spec.x)
    tol = tolerances(spec, lspec, ref)
    for k, row in enumerate(rows):
        point = zs[row.layer - 1] if row.stage == "z" else acts[row.layer]
        tail = ref.tail(spec.weights, spec.bias_arrays, spec.activations, row.stage, row.layer)
        expected = ag_grad(lambda v: lspec.fn()(tail(v)))(point)
        assert_within(row.values, expected, tol.row(k))


@SETTINGS
@given(data=st.data())
def test_reverse_sweep_stage_labels(net_specs, loss_specs, data):
    spec = data.draw(net_specs)
    lspec = data.draw(loss_specs(spec.widths[-1]))
    L = spec.depth
    rows = spec.net().reverse_sweep(spec.x, lspec.cv_loss())

    # the expected sequence, built from the architecture alone
    expected = [("a", L)]
    for l in range(L, 0, -1):
        if spec.activations[l - 1] != "identity":
            expected.append(("z", l))
        expected.append(("a", l - 1))
    assert [(r.stage, r.layer) for r in rows] == expected
    # each row is as long as its stage is wide: d_l for z_l and a_l, n for x
    assert [len(r.values) for r in rows] == [spec.widths[layer] for _, layer in expected]

    def name(stage, layer):
        if stage == "a" and layer == 0:
            return "x", "x"
        if stage == "a" and layer == L:
            return "y", "y"
        return f"{stage}_{{{layer}}}", f"{stage}{str(layer).translate(SUB)}"

    for r in rows:
        latex, text = name(r.stage, r.layer)
        assert r.label == rf"\partial L/\partial {latex}"
        assert r.text == f"∂L/∂{text}"
    assert rows[0].text == "∂L/∂y" and rows[-1].text == "∂L/∂x"


def test_reverse_sweep_by_hand():
    # y = W2 σ(W1 x), L = Σ y: ∂L/∂a1 = [1]·W2, ∂L/∂z1 = that · σ'(z1), ∂L/∂x = that · W1
    W1 = np.array([[1.0, 0.0], [0.0, -1.0]])
    W2 = np.array([[2.0, 3.0]])
    x = np.array([0.0, 0.0])  # z1 = 0, σ'(0) = 1/4
    rows = cv.two_layer(W1, W2).reverse_sweep(x, cv.Sum())
    assert [r.text for r in rows] == ["∂L/∂y", "∂L/∂a₁", "∂L/∂z₁", "∂L/∂x"]
    np.testing.assert_array_equal(rows[0].values, [1.0])
    np.testing.assert_array_equal(rows[1].values, [2.0, 3.0])
    np.testing.assert_array_equal(rows[2].values, [0.5, 0.75])
    np.testing.assert_array_equal(rows[3].values, [0.5, -0.75])
    # the loss may also be given by name when it needs no parameter
    np.testing.assert_array_equal(cv.two_layer(W1, W2).reverse_sweep(x, "sum")[-1].values, [0.5, -0.75])


# -- forward sweep -------------------------------------------------------------------------
@SETTINGS
@given(data=st.data())
def test_forward_sweep(net_specs, ref, data):
    spec = data.draw(net_specs)
    assume(spec.kinks_clear(1e-3))
    net = spec.net()
    carried = net.forward_sweep(spec.x)
    n = spec.widths[0]

    # shapes from the architecture alone: (d_l, n) after W_l, again after diag(s_l') if any
    shapes = []
    for l in range(1, spec.depth + 1):
        shapes.append((spec.widths[l], n))
        if spec.activations[l - 1] != "identity":
            shapes.append((spec.widths[l], n))
    assert [c.shape for c in carried] == shapes
    assert all(c.shape[1] == n for c in carried)

    # each is the partial product of the factors, from the input side
    factors = net.jacobian_factors(spec.x)[::-1]
    tol = ref.Tolerances(spec)
    K = len(factors)
    for k, c in enumerate(carried):
        product = factors[0].matrix
        for f in factors[1 : k + 1]:
            product = f.matrix @ product
        assert_within(c, product, tol.partial(K - 1 - k, K))  # written-order factors K-1-k .. K-1

    # the last is J: autograd's Jacobian of the reference network
    from autograd import jacobian as ag_jacobian

    bs = spec.bias_arrays
    J = ag_jacobian(lambda x: ref.forward(spec.weights, bs, spec.activations, x)[1][-1])(spec.x)
    assert_within(carried[-1], J, tol.J)


def test_forward_sweep_by_hand():
    W1 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    W2 = np.array([[1.0, -1.0]])
    carried = cv.two_layer(W1, W2, "identity").forward_sweep([1.0, 1.0, 1.0])
    assert len(carried) == 2
    np.testing.assert_array_equal(carried[0], W1)
    np.testing.assert_array_equal(carried[1], [[-3.0, -3.0, -3.0]])
    carried[0][0, 0] = 7.0  # carried matrices are the caller's own arrays


# -- weight gradients ----------------------------------------------------------------------
@SETTINGS
@given(data=st.data())
def test_weight_gradients_match_autograd(net_specs, loss_specs, ref, data):
    spec, lspec = draw_case(data, net_specs, loss_specs)
    grads = spec.net().weight_gradients(spec.x, lspec.cv_loss())
    bs, acts = spec.bias_arrays, spec.activations
    L_of_W = lambda Ws: lspec.fn()(ref.forward(Ws, bs, acts, spec.x)[1][-1])  # noqa: E731
    expected = ag_grad(L_of_W)(list(spec.weights))
    assert len(grads) == spec.depth
    tol = tolerances(spec, lspec, ref)
    for l in range(1, spec.depth + 1):
        assert grads[l - 1].shape == spec.weights[l - 1].shape
        assert_within(grads[l - 1], expected[l - 1], tol.weight_grad(l))


def test_weight_gradients_by_hand():
    # one linear layer, MSE: ∂L/∂W = (y - t) xᵀ
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([1.0, -1.0])
    t = np.array([0.0, 1.0])
    (G,) = cv.Net([W], "identity").weight_gradients(x, cv.MSE(t))
    np.testing.assert_array_equal(G, np.outer(W @ x - t, x))


@pytest.mark.parametrize("activation", ["identity", "relu"])
def test_weight_gradients_identity_and_relu_layers(activation):
    # W2 · s(W1 x) with L = Σ y: ∂L/∂W2 = a1ᵀ, ∂L/∂W1 = (W2ᵀ ⊙ s'(z1)) xᵀ
    W1 = np.array([[1.0, -1.0], [2.0, 1.0], [-1.0, -2.0]])
    W2 = np.array([[0.5, -1.0, 2.0]])
    x = np.array([1.0, 2.0])
    z1 = W1 @ x  # [-1, 4, -5]
    s = np.ones(3) if activation == "identity" else (z1 > 0).astype(float)
    a1 = z1 * (s if activation == "relu" else 1.0)
    G1, G2 = cv.two_layer(W1, W2, activation).weight_gradients(x, cv.Sum())
    np.testing.assert_array_equal(G2, a1[None, :])
    np.testing.assert_array_equal(G1, np.outer(W2[0] * s, x))
