"""Losses: values by hand, gradients by hand and by autograd, stability for large logits."""

from __future__ import annotations

import math
import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as ag_grad
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainviz as cv

LOGITS = st.integers(1, 8).flatmap(
    lambda m: hnp.arrays(float, m, elements=st.floats(-30, 30, allow_nan=False, allow_subnormal=False))
)


# -- MSE ------------------------------------------------------------------------------
def test_mse_by_hand():
    loss = cv.MSE([0.0, 2.0, 5.0])
    y = [1.0, 2.0, 3.0]
    # ½((1-0)² + (2-2)² + (3-5)²) = ½(1 + 0 + 4)
    assert loss.value(y) == 2.5
    assert isinstance(loss.value(y), float)
    np.testing.assert_array_equal(loss.grad(y), [1.0, 0.0, -2.0])
    np.testing.assert_array_equal(loss.target, [0.0, 2.0, 5.0])


@settings(max_examples=50, deadline=None, database=None)
@given(data=st.data())
def test_mse_matches_autograd(data):
    y = data.draw(LOGITS)
    t = data.draw(hnp.arrays(float, y.size, elements=st.floats(-30, 30, allow_nan=False, allow_subnormal=False)))
    L = lambda v: 0.5 * anp.sum((v - t) ** 2)  # noqa: E731
    loss = cv.MSE(t)
    assert loss.value(y) == pytest.approx(L(y), rel=1e-13, abs=1e-300)
    np.testing.assert_allclose(loss.grad(y), ag_grad(L)(y), rtol=1e-15, atol=0)


# -- Sum ------------------------------------------------------------------------------
def test_sum_by_hand():
    loss = cv.Sum()
    assert loss.value([1.0, -4.0, 0.5]) == -2.5
    np.testing.assert_array_equal(loss.grad([1.0, -4.0, 0.5]), [1.0, 1.0, 1.0])
    assert loss.grad([7.0]).shape == (1,)


# -- softmax cross-entropy ------------------------------------------------------------
@pytest.mark.parametrize("label", [0, 1, 2])
def test_softmax_ce_value_by_hand(label):
    y = [1.0, 2.0, 3.0]
    # -log softmax(y)[c] = log Σ e^{y_i} - y_c
    expected = math.log(math.exp(1.0) + math.exp(2.0) + math.exp(3.0)) - y[label]
    assert cv.SoftmaxCrossEntropy(label).value(y) == pytest.approx(expected, rel=1e-15)
    # softmax - onehot, by hand
    Z = sum(math.exp(v) for v in y)
    p = [math.exp(v) / Z for v in y]
    p[label] -= 1.0
    np.testing.assert_allclose(cv.SoftmaxCrossEntropy(label).grad(y), p, rtol=1e-14, atol=1e-16)


def _sce(label):
    def L(y):
        top = anp.max(y)
        return top + anp.log(anp.sum(anp.exp(y - top))) - y[label]

    return L


@settings(max_examples=50, deadline=None, database=None)
@given(data=st.data())
def test_softmax_ce_matches_autograd(data):
    y = data.draw(LOGITS)
    label = data.draw(st.integers(0, y.size - 1))
    loss = cv.SoftmaxCrossEntropy(label)
    # both are log-sum-exp shifted by max(y): terms are ≤ 60 + log 8, relative agreement to ~ε·60
    assert loss.value(y) == pytest.approx(_sce(label)(y), rel=1e-13, abs=1e-13)
    g = loss.grad(y)
    # entries of softmax lie in [0, 1] and are computed to a few ε absolutely
    np.testing.assert_allclose(g, ag_grad(_sce(label))(y), rtol=0, atol=1e-15)
    assert abs(g.sum()) <= 1e-14  # softmax sums to 1, the one-hot takes 1 away


@pytest.mark.parametrize("label, value, grad", [
    # y = [1000, 0, -1000]: softmax is [1, e^-1000, e^-2000] = [1, 0, 0] in floating point
    (0, 0.0, [0.0, 0.0, 0.0]),
    (1, 1000.0, [1.0, -1.0, 0.0]),
    (2, 2000.0, [1.0, 0.0, -1.0]),
])
def test_softmax_ce_is_stable_for_large_logits(label, value, grad):
    loss = cv.SoftmaxCrossEntropy(label)
    y = np.array([1000.0, 0.0, -1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        v = loss.value(y)
        g = loss.grad(y)
    assert math.isfinite(v) and v == value
    assert np.all(np.isfinite(g))
    np.testing.assert_array_equal(g, grad)


def test_softmax_ce_label_may_be_a_whole_float():
    assert cv.SoftmaxCrossEntropy(1.0).label == 1
    assert cv.SoftmaxCrossEntropy(np.int64(2)).label == 2


def test_loss_to_dict():
    assert cv.MSE([1, 2]).to_dict() == {"name": "mse", "target": [1.0, 2.0]}
    assert cv.Sum().to_dict() == {"name": "sum"}
    assert cv.SoftmaxCrossEntropy(3).to_dict() == {"name": "softmax_ce", "label": 3}
    assert cv.MSE([1, 2]) == cv.MSE(np.array([1.0, 2.0])) and cv.MSE([1, 2]) != cv.MSE([1, 3])
