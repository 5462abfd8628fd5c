"""Field report 2: what a user's function returns is checked like what it is given.

Expected values are derivatives worked out by hand (d/dx x² = 2x, d/dx sin x = cos x),
never chainviz's own numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.core.jacobian import central_differences, chain_at, evaluate, jacobian_at

EPS = np.finfo(float).eps


class Opaque:
    """An object that is not numbers (and has no __array__)."""

    def __repr__(self):
        return "Opaque()"


def _no_return(x):
    y = x**2  # noqa: F841 - the missing `return` is the point


BAD_OUTPUTS = {
    "None": (_no_return, TypeError, ["f returned None at x = (1, 2)", "is a `return` missing?"]),
    "text": (lambda x: "abc", TypeError, ["f returned the text 'abc' at x = (1, 2)", "not numbers"]),
    "dict": (lambda x: {"a": 1}, TypeError, ["f returned a dict {'a': 1} at x = (1, 2)", "not numbers"]),
    "object": (lambda x: Opaque(), TypeError, ["f returned an Opaque Opaque() at x = (1, 2)", "not numbers"]),
    "ragged": (lambda x: [[1.0, 2.0], [3.0]], TypeError, ["f returned [[1.0, 2.0], [3.0]] at x = (1, 2)", "ragged"]),
    "None inside": (lambda x: [1.0, None], TypeError, ["f returned [1.0, None] at x = (1, 2)", "entry [1] is None"]),
    "text inside": (lambda x: np.array(["1.5", "2"]), TypeError, ["at x = (1, 2)", "entry [0] is '1.5'"]),
    "complex": (lambda x: np.exp(1j * x), TypeError, ["f returned complex values at x = (1, 2)"]),
    "complex inside": (lambda x: [1.0, 2j], TypeError, ["f returned complex values at x = (1, 2)"]),
    "nan": (lambda x: np.array([np.nan, 1.0]), ValueError, ["f returned nan in output 0 at x = (1, 2)"]),
}


@pytest.mark.parametrize("case", list(BAD_OUTPUTS))
def test_every_kind_of_bad_output_is_named_with_f_what_and_where(case):
    f, exc, words = BAD_OUTPUTS[case]
    for call in (lambda: evaluate(f, np.array([1.0, 2.0])), lambda: cv.numerical_jacobian(f, [1.0, 2.0]),
                 lambda: jacobian_at(f, [1.0, 2.0])):
        with pytest.raises(exc) as info:
            call()
        assert all(w in str(info.value) for w in words), str(info.value)


@pytest.mark.parametrize("case", ["None", "complex", "ragged"])
def test_in_a_composition_the_message_names_the_function_that_misbehaved(case):
    bad, exc, _ = BAD_OUTPUTS[case]
    with pytest.raises(exc, match=r"^g returned"):
        chain_at(lambda x: np.array([x[0], 2.0]), bad, [1.0])


def test_a_float32_function_gets_a_step_it_can_resolve():
    f = lambda x: x.astype(np.float32) ** 2  # noqa: E731 - the issue's function
    J = cv.numerical_jacobian(f, [1.0, 2.0])
    np.testing.assert_allclose(J, np.diag([2.0, 4.0]), rtol=1e-4, atol=1e-6)  # d/dx x² = 2x; was 1.6 % off
    D = central_differences(f, [1.0, 2.0])
    assert D.precision == np.finfo(np.float32).eps and D.eps == pytest.approx(np.finfo(np.float32).eps ** (1 / 3))
    at = jacobian_at(f, [1.0, 2.0])
    assert "float32" in at.check.text and "good to about" in at.check.text
    with pytest.raises(ValueError, match=r"eps = 1e-06 is too small for f, which returns float32"):
        cv.numerical_jacobian(f, [1.0, 2.0], eps=1e-6)


@pytest.mark.parametrize("eps", [np.float32(1e-4), np.float64(1e-5), np.int64(1), 1e-3, 3])
def test_a_step_of_any_real_number_type_gives_the_derivative(eps):
    # central differences of x² are exact up to rounding, whatever the step
    J = cv.numerical_jacobian(lambda x: x**2, [1.5, -2.0], eps=eps)
    np.testing.assert_allclose(J, np.diag([3.0, -4.0]), rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("eps", [0, -1e-6, np.nan, np.inf, True, "1e-6", None])
def test_a_step_that_is_not_a_positive_number_is_refused(eps):
    if eps is None:  # None means: chosen from f's precision
        np.testing.assert_allclose(cv.numerical_jacobian(np.sin, [0.3], eps=eps), [[np.cos(0.3)]], rtol=1e-9)
        return
    with pytest.raises(ValueError, match="eps must be a positive number"):
        cv.numerical_jacobian(lambda x: x, [1.0], eps=eps)


@settings(max_examples=200, deadline=None, database=None)
@given(x=st.floats(-1e3, 1e3), eps=st.floats(1e-320, 10.0))
def test_any_step_gives_the_right_derivative_or_a_clear_error_never_nan(x, eps):
    try:
        J = cv.numerical_jacobian(lambda v: v**2, [x], eps=eps)
    except ValueError as exc:
        assert "eps = " in str(exc) and ("precision" in str(exc) or "too small" in str(exc)), str(exc)
        return
    h = eps * max(1.0, abs(x))
    # ((x+h)² − (x−h)²)/2h = 2x exactly; each square is rounded by ε·(|x|+h)², the quotient by ε
    bound = 4 * EPS * (abs(x) + h) ** 2 / h + 4 * EPS * abs(x) + 1e-300
    assert np.isfinite(J).all() and abs(J[0, 0] - 2 * x) <= bound, (J, x, eps)


def test_a_step_below_the_precision_of_x_is_refused_in_words():
    with pytest.raises(ValueError, match=r"eps = 1e-20 gives a step of 1e-20 at x\[0\] = 1, below x's precision"):
        cv.numerical_jacobian(lambda x: x, [1.0], eps=1e-20)


def test_a_function_that_edits_its_argument_does_not_move_the_point():
    def f(x):
        y = x**2
        x[0] = 100.0  # a user's function with a side effect on its input
        return y

    np.testing.assert_allclose(cv.numerical_jacobian(f, [1.0, 2.0]), np.diag([2.0, 4.0]), rtol=1e-8)


def test_a_function_with_a_kink_at_x_is_named_not_averaged_silently():
    at = jacobian_at(np.abs, [0.0, 1.0])
    assert at.check.status == "kink"
    assert "f is not differentiable at x = (0, 1)" in at.check.text
    assert "f₁ has one-sided slopes −1 and 1 in x₁" in at.check.text
    assert at.check.text.endswith("their average 0")


def test_a_hand_derived_jacobian_is_checked_against_differences():
    good = jacobian_at(np.sin, [0.3, 1.2], jacobian=lambda x: np.diag(np.cos(x)))
    assert good.exact and good.check.status == "ok" and good.check.text.startswith("✓")
    wrong = jacobian_at(np.sin, [0.3, 1.2], jacobian=lambda x: np.diag(np.cos(x) + 1e-4))
    assert wrong.check.status == "mismatch" and wrong.check.text.startswith("✗")
    # f cannot be differenced around x (sqrt left of 0): the exact J is shown, unchecked
    edge = jacobian_at(np.sqrt, [0.0], jacobian=lambda x: [[1.0]])
    assert edge.exact and edge.check is None


def test_columns_and_matrices_are_the_vectors_they_hold():
    with pytest.warns(PendingDeprecationWarning):
        xm = np.matrix([[1.0], [2.0]])
    np.testing.assert_allclose(cv.numerical_jacobian(lambda v: v**2, xm), np.diag([2.0, 4.0]), rtol=1e-8)
    column = lambda v: (v**2).reshape(-1, 1)  # noqa: E731 - returns an (m, 1) column
    np.testing.assert_allclose(cv.numerical_jacobian(column, [[1.0], [2.0]]), np.diag([2.0, 4.0]), rtol=1e-8)
    with pytest.raises(ValueError, match=r"f returned shape 2×2 at x = \(1, 2\): it must return a vector"):
        cv.numerical_jacobian(lambda v: np.ones((2, 2)), [1.0, 2.0])


def test_a_list_of_matrices_where_a_function_goes_is_refused_at_once():
    W1, W2 = np.ones((4, 3)), np.ones((2, 4))
    with pytest.raises(TypeError) as info:
        cv.numerical_jacobian([W1, W2], [1.0, 2.0, 3.0])
    assert "f must be a function of x, got a list of 2 matrices (4×3, 2×4)" in str(info.value)
    assert "cv.Net([W1, W2]" in str(info.value)
