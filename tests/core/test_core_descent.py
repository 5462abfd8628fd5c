"""A gradient step against autograd: W_l − η·∂L/∂W_l for every layer, and the first-order
prediction of the new loss against the real change (a Taylor expansion: error O(η²))."""

from __future__ import annotations

import numpy as np
import pytest
from autograd import grad as ag_grad
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.core.descent import check_eta, dead_units, gradient_step


@settings(max_examples=60, deadline=None, database=None)
@given(data=st.data(), eta=st.floats(1e-3, 1.0))
def test_a_step_is_W_minus_eta_times_autograds_gradient(net_specs, loss_specs, ref, data, eta):
    spec = data.draw(net_specs, label="net")
    lspec = data.draw(loss_specs(spec.widths[-1]), label="loss")
    assume(spec.kinks_clear(1e-3))
    bs, acts = spec.bias_arrays, spec.activations
    L_of_W = lambda Ws: lspec.fn()(ref.forward(Ws, bs, acts, spec.x)[1][-1])  # noqa: E731
    G = ag_grad(L_of_W)(list(spec.weights))
    step = gradient_step(spec.net(), spec.x, lspec.cv_loss(), eta)
    tol = ref.Tolerances(spec, ag_grad(lspec.fn())(spec.output()))
    for l, (W_new, W, g) in enumerate(zip(step.after.weights, spec.weights, G), start=1):
        np.testing.assert_array_less(np.abs(W_new - (W - eta * g)), eta * tol.weight_grad(l) + 4e-16 * (np.abs(W) + 1))
    for b_new, b in zip(step.after.biases, spec.net().biases):  # biases stay
        np.testing.assert_array_equal(b_new, b)
    assert step.loss_before == pytest.approx(float(L_of_W(list(spec.weights))), rel=1e-9, abs=1e-12)


def _linear_mse():
    rng = np.random.default_rng(7)
    net = cv.Net([rng.normal(size=(4, 3)) * 0.5, rng.normal(size=(2, 4)) * 0.5], ["identity", "identity"])
    return net, rng.normal(size=3), cv.MSE(rng.normal(size=2))


def test_small_steps_on_a_linear_net_always_decrease_the_loss():
    net, x, loss = _linear_mse()
    losses = []
    for _ in range(50):
        step = gradient_step(net, x, loss, 0.02)
        losses.append(step.loss_before)
        net = step.after
    assert all(b < a for a, b in zip(losses, losses[1:])), losses


def test_the_first_order_prediction_is_right_to_order_eta_squared():
    """L(W − ηG) = L − η‖G‖² + O(η²): the gap shrinks 4× when η halves."""
    net, x, loss = _linear_mse()
    gaps = []
    for eta in (0.02, 0.01, 0.005):
        step = gradient_step(net, x, loss, eta)
        gaps.append(abs(step.loss_after - step.predicted))
    assert gaps[0] / gaps[1] == pytest.approx(4, rel=0.05) and gaps[1] / gaps[2] == pytest.approx(4, rel=0.05)


@pytest.mark.parametrize("eta,words", [(0, "0 < η"), (-0.1, "0 < η"), (11, "η ≤ 10"), (float("nan"), "0 < η"),
                                       ("0.1", "a number"), (True, "a number")])
def test_eta_is_checked(eta, words):
    with pytest.raises((ValueError, TypeError), match=words):
        check_eta(eta)


def test_a_step_that_overflows_is_refused_and_suggests_a_smaller_eta():
    net = cv.Net([[[1e6]]] * 4, ["identity"] * 4)  # y = 1e30, so L = 5e59 and ∂L/∂W_l = 1e54
    with pytest.raises(ValueError, match="smaller η"):
        gradient_step(net, [1e6], cv.MSE([0.0]), 10.0)  # after it y ≈ (1e55)⁴·1e6: past 1e308


def test_a_dead_relu_is_named_and_stays_dead():
    p = cv.examples.PRESETS["dead_relu"]
    net = p.net
    assert dead_units(net, p.x, p.loss) == [(1, 1, pytest.approx(-2.05))]
    for _ in range(20):
        net = gradient_step(net, p.x, p.loss, 0.1).after
    np.testing.assert_array_equal(net.weights[0][1], p.net.weights[0][1])  # its row never moved
