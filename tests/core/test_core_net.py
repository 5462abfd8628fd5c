"""Net: forward values, the Jacobian factors and their product, against an independent reference.

Expected values come from the reference network in conftest.py (raw arrays and
textbook activation formulas in autograd.numpy), from autograd's Jacobian of it,
or from central differences; never from chainviz compared with itself.
"""

from __future__ import annotations

import numpy as np
import pytest
from autograd import jacobian as ag_jacobian
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chainviz as cv

FAST = settings(max_examples=60, deadline=None, database=None)


def rounding_tol(spec, ref) -> np.ndarray:
    """Entry-wise bound for two evaluations of the product of the factors (see conftest.Tolerances)."""
    return ref.Tolerances(spec).J


# -- forward values ----------------------------------------------------------------------
@FAST
@given(data=st.data())
def test_forward_trace_matches_reference(net_specs, ref, data):
    spec = data.draw(net_specs)
    tr = spec.net().forward(spec.x)
    zs, acts = ref.forward(spec.weights, spec.bias_arrays, spec.activations, spec.x)
    assert len(tr.zs) == spec.depth and len(tr.activations) == spec.depth + 1
    np.testing.assert_array_equal(tr.activations[0], spec.x)
    np.testing.assert_array_equal(tr.x, spec.x)
    tol = ref.Tolerances(spec)  # forward-value error bounds ez (for z) and ea (for a), see conftest
    for l in range(spec.depth):
        assert tr.zs[l].shape == (spec.widths[l + 1],)
        assert np.all(np.abs(tr.zs[l] - zs[l]) <= tol.ez[l])
        assert np.all(np.abs(tr.activations[l + 1] - acts[l + 1]) <= tol.ea[l + 1])
        if spec.activations[l] not in ref.KINKED or np.all(np.abs(zs[l]) > 1e-3):
            # (at a kink the two sides' z may round to opposite sides of 0)
            slope_tol = 10 * (4 * np.finfo(float).eps + tol.ez[l])  # see conftest.Tolerances
            assert np.all(np.abs(tr.slopes[l] - ref.slope(spec.activations[l], zs[l])) <= slope_tol)
    np.testing.assert_array_equal(tr.output, tr.activations[-1])
    np.testing.assert_array_equal(spec.net()(spec.x), tr.output)


def test_net_describes_itself():
    W1, W2 = np.ones((4, 3)), np.ones((2, 4))
    net = cv.Net([W1, W2], ["tanh", "identity"], [None, [1.0, 2.0]])
    assert net.widths == [3, 4, 2]
    assert (net.n, net.m, net.depth) == (3, 2, 2)
    assert net.activations == ["tanh", "identity"]
    np.testing.assert_array_equal(net.biases[0], np.zeros(4))
    np.testing.assert_array_equal(net.biases[1], [1.0, 2.0])
    # a single activation name is used for every layer
    assert cv.Net([W1, W2], "relu").activations == ["relu", "relu"]
    # two_layer: sigmoid hidden layer and identity output by default
    assert cv.two_layer(W1, W2).activations == ["sigmoid", "identity"]


def test_net_is_a_value_edits_make_a_new_net():
    W1 = np.arange(12.0).reshape(4, 3)
    net = cv.Net([W1, np.ones((2, 4))], "sigmoid")
    W1[0, 0] = 99.0  # the caller's array is copied
    assert net.weights[0][0, 0] == 0.0
    with pytest.raises(ValueError):
        net.weights[0][0, 0] = 5.0  # read-only
    edited = net.with_weight(2, 1, 3, -7.5)
    assert edited.weights[1][1, 3] == -7.5 and net.weights[1][1, 3] == 1.0
    assert edited != net and cv.Net.from_dict(net.to_dict()) == net


def test_to_dict_round_trip_keeps_missing_biases():
    net = cv.Net([np.ones((2, 3)), np.ones((1, 2))], ["relu", "softplus"], [[1.0, -1.0], None])
    d = net.to_dict()
    assert d["biases"] == [[1.0, -1.0], None]
    assert d["weights"] == [[[1.0] * 3] * 2, [[1.0, 1.0]]]
    assert cv.Net.from_dict(d) == net


# -- the factors -----------------------------------------------------------------------
@FAST
@given(data=st.data())
def test_factors_in_written_order_with_kinds_layers_shapes(net_specs, ref, data):
    spec = data.draw(net_specs)
    factors = spec.net().jacobian_factors(spec.x)
    # written order, output side first: [diag(s_L'), W_L, ..., diag(s_1'), W_1],
    # a slope factor only where the activation is not the identity
    expected = []
    for l in range(spec.depth, 0, -1):
        d, d_prev = spec.widths[l], spec.widths[l - 1]
        if spec.activations[l - 1] != "identity":
            expected.append(("slope", l, (d, d)))
        expected.append(("weight", l, (d, d_prev)))
    assert [(f.kind, f.layer, f.matrix.shape) for f in factors] == expected
    assert all(f.shape == f.matrix.shape for f in factors)
    # neighbouring factors chain: columns of one = rows of the next
    for left, right in zip(factors, factors[1:]):
        assert left.matrix.shape[1] == right.matrix.shape[0]
    assert factors[0].matrix.shape[0] == spec.widths[-1] and factors[-1].matrix.shape[1] == spec.widths[0]
    # values: weights exactly, slopes from the closed-form derivative at z_l
    zs = spec.zs()
    tol = ref.Tolerances(spec)
    for f, (_, _, M) in zip(factors, ref.factors(spec)):
        if f.kind == "weight":
            np.testing.assert_array_equal(f.matrix, spec.weights[f.layer - 1])
            continue
        assert np.count_nonzero(f.matrix - np.diag(np.diag(f.matrix))) == 0  # diagonal
        if spec.activations[f.layer - 1] not in ref.KINKED or np.all(np.abs(zs[f.layer - 1]) > 1e-3):
            # (at a kink the two sides' z may round to opposite sides of 0)
            slope_tol = 10 * (4 * np.finfo(float).eps + tol.ez[f.layer - 1])  # see conftest.Tolerances
            assert np.all(np.abs(np.diag(f.matrix) - np.diag(M)) <= slope_tol)


def test_factor_labels():
    net = cv.Net([np.ones((4, 3)), np.ones((2, 4))], ["sigmoid", "identity"])
    fs = net.jacobian_factors([1.0, 2.0, 3.0])
    assert [f.text for f in fs] == ["W2", "diag(σ'(z₁))", "W1"]
    assert [f.label for f in fs] == ["W_{2}", r"\mathrm{diag}(\sigma'(z_{1}))", "W_{1}"]
    fs = cv.Net([np.ones((4, 3)), np.ones((2, 4))], ["relu", "tanh"]).jacobian_factors([1.0, 2.0, 3.0])
    assert [f.text for f in fs] == ["diag(tanh'(z₂))", "W2", "diag(relu'(z₁))", "W1"]


@FAST
@given(data=st.data())
def test_product_of_factors_is_the_jacobian(net_specs, ref, data):
    spec = data.draw(net_specs)
    net = spec.net()
    factors = net.jacobian_factors(spec.x)
    product = factors[0].matrix
    for f in factors[1:]:
        product = product @ f.matrix  # left to right, as written
    J = net.jacobian(spec.x)
    assert J.shape == (spec.widths[-1], spec.widths[0])
    assert np.all(np.abs(J - product) <= rounding_tol(spec, ref))


# -- the Jacobian against autograd and against central differences -----------------------
@settings(max_examples=80, deadline=None, database=None)
@given(data=st.data())
def test_jacobian_matches_autograd(net_specs, ref, data):
    spec = data.draw(net_specs)
    # at a ReLU kink the one-sided slope is a convention; stay away from it
    assume(spec.kinks_clear(1e-3))
    J = spec.net().jacobian(spec.x)
    bs = spec.bias_arrays
    J_ag = ag_jacobian(lambda x: ref.forward(spec.weights, bs, spec.activations, x)[1][-1])(spec.x)
    assert J.shape == J_ag.shape == (spec.widths[-1], spec.widths[0])
    assert np.all(np.abs(J - J_ag) <= rounding_tol(spec, ref))


@settings(max_examples=80, deadline=None, database=None)
@given(data=st.data())
def test_jacobian_matches_central_differences(net_specs, ref, data):
    spec = data.draw(net_specs)
    assume(spec.kinks_clear(1e-3))
    n = spec.widths[0]
    eps = 1e-6
    steps = [eps * max(1.0, abs(spec.x[j])) for j in range(n)]
    points = [spec.x + s * e for j, s in enumerate(steps) for e in (np.eye(n)[j], -np.eye(n)[j])]
    # a difference across a kink measures the average of two slopes: not a Jacobian entry
    assume(spec.same_kink_side(points))
    net = spec.net()
    J = net.jacobian(spec.x)
    Jn = cv.numerical_jacobian(net, spec.x, eps=eps)
    # Central differences with step h ≤ 2e-6 err by h²/6·|f'''| (truncation) plus about
    # ε·|y|/h from rounding the two outputs (≈ 2e-10·|y|). Both are far below 1e-6
    # relative to the size the entries can have (|J| ≤ the product of |factors|).
    scale = ref.abs_chain([m for _, _, m in ref.factors(spec)])
    y_scale = 1.0 + np.max(np.abs(spec.output()))
    np.testing.assert_array_less(np.abs(J - Jn), 1e-6 * (scale + y_scale))


def test_jacobian_of_small_net_by_hand():
    # one tanh layer: J = diag(1 - tanh²(z)) W, z = W x
    W = np.array([[1.0, -2.0], [0.5, 0.25], [0.0, 3.0]])
    x = np.array([0.3, -0.1])
    z = np.array([0.3 + 0.2, 0.15 - 0.025, -0.3])
    net = cv.Net([W], "tanh")
    np.testing.assert_allclose(net.jacobian(x), (1 / np.cosh(z) ** 2)[:, None] * W, rtol=1e-13)
    # identity, one layer: J is W itself, and a writable array of the caller's own
    J = cv.Net([W], "identity").jacobian(x)
    np.testing.assert_array_equal(J, W)
    J[0, 0] = 5.0
    assert cv.Net([W], "identity").weights[0][0, 0] == 1.0


def test_relu_kink_uses_slope_zero():
    # z = W x = [0, 1]: relu'(0) = 0, so the first row of J is zero
    net = cv.Net([np.array([[1.0, -1.0], [1.0, 0.0]])], "relu")
    J = net.jacobian([1.0, 1.0])
    np.testing.assert_array_equal(J, [[0.0, 0.0], [1.0, 0.0]])


# -- many inputs at once, and the numerical Jacobian that uses it ----------------------------
@FAST
@given(data=st.data())
def test_outputs_evaluates_each_column(net_specs, ref, data):
    spec = data.draw(net_specs)
    k = data.draw(st.integers(1, 5))
    X = np.column_stack([spec.x * (1 + 0.3 * c) - 0.1 * c for c in range(k)])
    Y = spec.net().outputs(X)
    assert Y.shape == (spec.widths[-1], k)
    tol = ref.Tolerances(spec).ea[-1]
    for c in range(k):
        _, acts = ref.forward(spec.weights, spec.bias_arrays, spec.activations, X[:, c])
        assert np.all(np.abs(Y[:, c] - acts[-1]) <= tol + 1e-12 * np.abs(acts[-1]))


@FAST
@given(data=st.data())
def test_numerical_jacobian_batched_matches_autograd(net_specs, ref, data):
    spec = data.draw(net_specs.filter(lambda s: "relu" not in s.activations and "leaky_relu" not in s.activations))
    net = spec.net()
    J_ag = ag_jacobian(lambda v: ref.forward(spec.weights, spec.bias_arrays, spec.activations, v)[1][-1])(spec.x)
    one_by_one = cv.numerical_jacobian(net, spec.x)
    at_once = cv.numerical_jacobian(net, spec.x, batch=net.outputs)
    scale = 1.0 + np.max(np.abs(J_ag))
    np.testing.assert_allclose(at_once, J_ag, rtol=0, atol=1e-6 * scale)
    np.testing.assert_allclose(at_once, one_by_one, rtol=0, atol=1e-7 * scale)


def test_outputs_and_batch_refuse_wrong_shapes():
    net = cv.two_layer(np.ones((4, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"X is 2×5 but W1 is 4×3: X needs 3 rows"):
        net.outputs(np.ones((2, 5)))
    with pytest.raises(ValueError, match="batch returned shape 2×5 for 6 points"):
        cv.numerical_jacobian(net, np.ones(3), batch=lambda P: np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"f is not finite at x = "):
        cv.numerical_jacobian(net, np.ones(3), batch=lambda P: np.full((2, 6), np.inf))
