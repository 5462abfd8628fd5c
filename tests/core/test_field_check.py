"""Field report 1: the Jacobian check is right at every scale, and names kinks instead of failing.

Expected values come from maths: a linear net's Jacobian is ``W2·W1``; relu's one-sided
slopes at 0 are 0 and 1 (leaky relu's 0.01 and 1), so central differences across the
kink measure their average; a Jacobian moved by a known amount must be called wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.core.gradcheck import JacobianCheck, check_net
from chainviz.core.snapshot import snapshot

W1 = np.array([[0.8, -0.6, 0.3], [0.4, 0.9, 0.5], [0.6, 0.2, 0.5], [-0.3, -0.5, 0.6]])  # README's 4×3
W2 = np.array([[0.9, -0.8, 0.5, 0.3], [-0.3, 0.6, 0.8, -0.7]])  # 2×4
X = np.array([1.0, -0.5, 0.8])
SLOW = settings(max_examples=60, deadline=None, database=None)


def _judge(net, x, J):
    """The verdict on a claimed ``J`` for ``net`` at ``x`` (the same call the snapshot makes)."""
    tr = net.forward(x)
    return check_net(net, np.asarray(x, float), J, tr, [f.matrix for f in net.jacobian_factors(x, tr)])[0]


# -- scale ---------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1e-3, 1.0, 100.0, 1e4, 1e6])
def test_a_linear_net_is_right_at_every_scale_and_a_wrong_one_is_caught(scale):
    # the issue's case (W1[0,0] = W2[0,0] = 100, hidden identity) and its relatives at other scales
    A, B = W1.copy(), W2.copy()
    A[0, 0] = B[0, 0] = scale
    net = cv.two_layer(A, B, "identity", "identity")
    s = snapshot(net, X, cv.Sum())
    np.testing.assert_allclose(s.J, B @ A, rtol=1e-14, atol=1e-14 * scale**2)  # maths: J = W2·W1
    assert s.check.status == "ok" and s.check.text.startswith("✓"), s.check
    assert isinstance(s.J_check, float)  # the old field stays, for old readers
    wrong = s.J.copy()
    wrong[1, 2] += 1e-4 * np.abs(s.J).max()  # off by 0.01 % of J's size
    verdict = _judge(net, X, wrong)
    assert verdict.status == "mismatch" and verdict.entry == (1, 2) and verdict.error > verdict.tolerance
    assert verdict.text.startswith("✗") and "[1, 2]" in verdict.text


def test_the_issue_example_is_no_longer_a_red_cross():
    A, B = W1.copy(), W2.copy()
    A[0, 0] = B[0, 0] = 100.0
    s = snapshot(cv.two_layer(A, B, "identity"), X, cv.MSE([0.5, -0.5]))
    assert s.J_check > 1e-7  # the absolute difference that used to give ✗
    assert s.check.ok and s.check.error <= s.check.tolerance
    relative = s.J_check / np.abs(B @ A).max()
    assert relative < 1e-9 and "digits" in s.check.text


@SLOW
@given(data=st.data())
def test_no_false_alarm_on_smooth_nets_up_to_weights_of_a_million(scaled_net_specs, data):
    spec = data.draw(scaled_net_specs.filter(lambda s: not set(s.activations) & {"relu", "leaky_relu"}))
    s = snapshot(spec.net(), spec.x, cv.Sum())
    assert s.check.status == "ok", (s.check, spec)


@SLOW
@given(data=st.data())
def test_kinked_nets_are_ok_or_kink_never_mismatch(scaled_net_specs, data):
    spec = data.draw(scaled_net_specs)
    x = spec.x * data.draw(st.sampled_from([0.0, 1.0]))  # x = 0 puts every unbiased z on the kink
    s = snapshot(spec.net(), x, cv.Sum())
    assert s.check.status in ("ok", "kink"), (s.check, spec)
    if s.check.status == "kink":
        assert s.check.kinks and all(k.used is not None for k in s.check.kinks)


def _difference_floor(spec, ref) -> float:
    """What central differences with h = 1e-6 cannot resolve: each stage value ``a_l`` is rounded
    by about ε·(|a_l| + 1), the weights after it carry that to the output (slopes are ≤ 1),
    and the difference quotient divides it by h."""
    _, acts = ref.forward(spec.weights, spec.bias_arrays, spec.activations, spec.x)
    floor = 0.0
    for l, a in enumerate(acts):
        carried = np.abs(a) + 1.0
        for W in spec.weights[l:]:
            carried = np.abs(W) @ carried
        floor += float(carried.max())
    return 64 * np.finfo(float).eps * floor / 1e-6


@SLOW
@given(data=st.data(), rel=st.floats(1e-3, 1.0))
def test_a_jacobian_off_by_a_visible_amount_is_always_caught(scaled_net_specs, ref, data, rel):
    spec = data.draw(scaled_net_specs.filter(lambda s: not set(s.activations) & {"relu", "leaky_relu"}))
    net = spec.net()
    J = net.jacobian(spec.x)
    size = np.abs(J).max()
    assume(rel * size > 100 * _difference_floor(spec, ref))
    i, j = data.draw(st.integers(0, J.shape[0] - 1)), data.draw(st.integers(0, J.shape[1] - 1))
    wrong = J.copy()
    wrong[i, j] += rel * size
    assert _judge(net, spec.x, wrong).status == "mismatch"


# -- kinks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, left, symbol", [("relu", "0", "relu"), ("leaky_relu", "0.01", "lrelu")])
def test_at_a_kink_the_check_names_the_unit_the_slopes_and_the_convention(name, left, symbol):
    net = cv.two_layer(W1, W2, name)  # x = 0: every z₁[k] = 0
    s = snapshot(net, np.zeros(3), cv.Sum())
    used = "0" if name == "relu" else "0.01"
    assert s.check.status == "kink"
    assert s.check.text.startswith(f"not differentiable at z₁[0] = 0: one-sided slopes {left} and 1; "
                                   f"chainviz uses {symbol}′(0) = {used}"), s.check.text
    # maths: each difference straddles the kink and measures the average of the one-sided slopes
    avg = (float(left) + 1.0) / 2
    Jn = cv.numerical_jacobian(net, np.zeros(3))
    np.testing.assert_allclose(Jn, W2 @ (avg * W1), rtol=1e-8, atol=1e-10)


def test_within_the_step_of_a_kink_the_check_says_so():
    x = np.array([1e-7, 0.0, 0.0])  # z₁ = 1e-7·W1[:, 0], all within 1e-6 of the kink
    s = snapshot(cv.two_layer(W1, W2, "relu"), x, cv.Sum())
    assert s.check.status == "kink" and "within the difference step" in s.check.text


def test_a_kink_that_no_output_feels_is_no_kink():
    # unit 0 sits at its kink but W2's column 0 is zero: the output does not depend on it
    A = np.array([[1.0, -1.0], [2.0, 0.5]])
    B = np.array([[0.0, 3.0]])
    s = snapshot(cv.two_layer(A, B, "relu"), np.array([1.0, 1.0]), cv.Sum())
    assert s.check.status == "ok"
    np.testing.assert_array_equal(s.J, [[6.0, 1.5]])  # maths: 3·relu′(2.5)·[2, 0.5]


def test_every_kink_is_a_property_of_its_activation_and_agrees_with_the_function():
    h = 1e-7
    for name, act in cv.ACTIVATIONS.items():
        for k in act.kinks:
            right = (act.f(np.array([k.at + h])) - act.f(np.array([k.at])))[0] / h
            left = (act.f(np.array([k.at])) - act.f(np.array([k.at - h])))[0] / h
            assert right == pytest.approx(k.right, abs=1e-6) and left == pytest.approx(k.left, abs=1e-6), name
            assert act.slope_at(k.at) in (k.left, k.right)  # the convention is one of the two
        if not act.kinks:  # smooth at 0: both one-sided slopes agree
            r = (act.f(np.array([h])) - act.f(np.array([0.0])))[0] / h
            lft = (act.f(np.array([0.0])) - act.f(np.array([-h])))[0] / h
            assert r == pytest.approx(lft, abs=1e-6), name


def test_the_verdict_is_a_small_frozen_value():
    s = snapshot(cv.two_layer(W1, W2), X, cv.Sum())
    assert isinstance(s.check, JacobianCheck)
    with pytest.raises(AttributeError):
        s.check.status = "mismatch"
    assert s.check.status in ("ok", "kink", "mismatch") and isinstance(s.check.text, str)
    assert "<" not in s.check.text  # plain Unicode, shown as it is
