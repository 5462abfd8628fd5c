"""Activations: values and derivatives against closed forms and central differences."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import chainviz as cv

NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus")

# Closed forms written out here, one scalar at a time with the math module.
VALUE = {
    "identity": lambda z: z,
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "tanh": lambda z: (math.exp(z) - math.exp(-z)) / (math.exp(z) + math.exp(-z)),
    "relu": lambda z: max(z, 0.0),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "softplus": lambda z: math.log1p(math.exp(z)),  # log(1 + e^z)
}
SLOPE = {
    "identity": lambda z: 1.0,
    # σ' = σ(1 - σ), with σ from its definition
    "sigmoid": lambda z: (1.0 / (1.0 + math.exp(-z))) * (1.0 - 1.0 / (1.0 + math.exp(-z))),
    # tanh' = sech² = 4 / (e^z + e^-z)²
    "tanh": lambda z: 4.0 / (math.exp(z) + math.exp(-z)) ** 2,
    "relu": lambda z: 1.0 if z > 0 else 0.0,
    "leaky_relu": lambda z: 1.0 if z > 0 else 0.01,
    # d/dz log(1 + e^z) = e^z / (1 + e^z)
    "softplus": lambda z: math.exp(z) / (1.0 + math.exp(z)),
}

# a grid that avoids 0 (the ReLU kinks) and stays where the closed forms are accurate
GRID = np.concatenate([-np.geomspace(8.0, 0.01, 25), np.geomspace(0.01, 8.0, 25)])


def test_the_six_activations():
    assert set(cv.ACTIVATIONS) == set(NAMES)
    for name, act in cv.ACTIVATIONS.items():
        assert act.name == name


@pytest.mark.parametrize("name", NAMES)
def test_value_matches_closed_form(name):
    act = cv.ACTIVATIONS[name]
    got = act.f(GRID)
    assert got.shape == GRID.shape
    np.testing.assert_allclose(got, [VALUE[name](z) for z in GRID], rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(act(GRID), got)  # calling the activation applies f


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_closed_form(name):
    got = cv.ACTIVATIONS[name].df(GRID)
    assert got.shape == GRID.shape
    # both sides compute σ(1-σ) (or e^z/(1+e^z)...) with cancellation of 1 - σ for z near 8:
    # absolute error a few ε, hence atol
    np.testing.assert_allclose(got, [SLOPE[name](z) for z in GRID], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_central_differences(name):
    act = cv.ACTIVATIONS[name]
    h = 1e-6
    # |z| ≥ 0.01 > h: no difference straddles a kink. Truncation h²/6·|f'''| ≤ 1e-12,
    # rounding ε·|f|/h ≤ 2e-16·8/1e-6 ≈ 2e-9: 1e-8 covers both.
    numeric = (act.f(GRID + h) - act.f(GRID - h)) / (2 * h)
    np.testing.assert_allclose(act.df(GRID), numeric, rtol=0, atol=1e-8)


def test_sigmoid_saturates_exactly_and_quietly():
    s = cv.ACTIVATIONS["sigmoid"]
    z = np.array([-1000.0, -800.0, 0.0, 800.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        v = s.f(z)
        d = s.df(z)
    assert v[0] == 0.0 and v[-1] == 1.0
    assert v[2] == 0.5
    assert np.all(np.isfinite(d)) and d[0] == 0.0 and d[-1] == 0.0 and d[2] == 0.25


def test_softplus_is_finite_for_large_inputs():
    sp = cv.ACTIVATIONS["softplus"]
    z = np.array([-1000.0, 1000.0])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        v = sp.f(z)
        d = sp.df(z)
    assert np.all(np.isfinite(v))
    assert v[1] == pytest.approx(1000.0, rel=1e-15)  # log(1 + e^1000) = 1000 + log(1 + e^-1000)
    assert 0.0 <= v[0] < 1e-300  # log(1 + e^-1000) ≈ e^-1000, which underflows to 0
    np.testing.assert_array_equal(d, [0.0, 1.0])
    assert sp.f(np.array([0.0]))[0] == pytest.approx(math.log(2.0), rel=1e-15)


def test_tanh_saturates_quietly():
    t = cv.ACTIVATIONS["tanh"]
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        np.testing.assert_array_equal(t.f(np.array([-1000.0, 1000.0])), [-1.0, 1.0])
        np.testing.assert_array_equal(t.df(np.array([-1000.0, 1000.0])), [0.0, 0.0])


def test_relu_slope_at_zero_is_zero():
    relu = cv.ACTIVATIONS["relu"]
    np.testing.assert_array_equal(relu.f(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(relu.df(np.array([-2.0, 0.0, 3.0])), [0.0, 0.0, 1.0])


def test_leaky_relu_slope_is_one_hundredth():
    lr = cv.ACTIVATIONS["leaky_relu"]
    np.testing.assert_allclose(lr.f(np.array([-2.0, -0.5, 3.0])), [-0.02, -0.005, 3.0], rtol=1e-15)
    np.testing.assert_array_equal(lr.df(np.array([-2.0, -1e-9, 1e-9, 3.0])), [0.01, 0.01, 1.0, 1.0])
    # at the kink, the same convention as relu: the slope of the left side
    assert lr.df(np.array([0.0]))[0] == 0.01


def test_identity_returns_a_copy_with_slope_one():
    ident = cv.ACTIVATIONS["identity"]
    z = np.array([1.0, -2.0])
    out = ident.f(z)
    np.testing.assert_array_equal(out, z)
    out[0] = 5.0
    assert z[0] == 1.0
    np.testing.assert_array_equal(ident.df(z), [1.0, 1.0])


@pytest.mark.parametrize("name", NAMES)
def test_elementwise(name):
    # an element-wise function: each output depends on its own input only
    act = cv.ACTIVATIONS[name]
    z = np.array([0.7, -1.3, 2.1])
    for k in range(3):
        assert act.f(z)[k] == pytest.approx(act.f(z[k : k + 1])[0], rel=1e-14, abs=0)
        assert act.df(z)[k] == pytest.approx(act.df(z[k : k + 1])[0], rel=1e-14, abs=0)
