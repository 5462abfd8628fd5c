"""Field report 6: arrays that are not plain arrays, and the wrong object where a net goes.

Every array-like that numpy users pass works as its plain-array equivalent (expected values
from plain numpy on ``np.asarray`` copies), or is refused at once naming what was expected
and what was given, with its real shape; never a raw AttributeError or a matmul error.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.core.net import as_net
from chainviz.core.snapshot import snapshot

W1 = np.array([[0.8, -0.6, 0.3], [0.4, 0.9, 0.5], [0.6, 0.2, 0.5], [-0.3, -0.5, 0.6]])
W2 = np.array([[0.9, -0.8, 0.5, 0.3], [-0.3, 0.6, 0.8, -0.7]])
X = np.array([1.0, -0.5, 0.8])
NUMPY_WORDS = ("operands could not be broadcast", "matmul: Input operand", "has no attribute", "unhashable",
               "setting an array element", "inhomogeneous", "object of type")


def _matrix(a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # np.matrix warns it is discouraged
        return np.matrix(a)


def _kinds(v: np.ndarray):
    """The same vector as numpy users pass it."""
    return {
        "list": v.tolist(), "tuple": tuple(v.tolist()), "column list": [[a] for a in v],
        "row list": [v.tolist()], "column array": v.reshape(-1, 1), "row array": v.reshape(1, -1),
        "column tuple": tuple((a,) for a in v), "matrix row": _matrix(v), "matrix column": _matrix(v).T,
        "int list": [int(round(a * 10)) for a in v],
    }


@pytest.mark.parametrize("kind", list(_kinds(X)))
def test_an_input_of_any_array_like_kind_is_its_plain_vector(kind):
    net = cv.two_layer(W1, W2, "identity")  # linear: J = W2·W1 and y = W2·W1·x, by plain numpy
    given_x = _kinds(X)[kind]
    x = np.asarray(given_x, dtype=float).ravel()
    np.testing.assert_allclose(net(given_x), W2 @ W1 @ x, rtol=1e-14)
    np.testing.assert_allclose(net.jacobian(given_x), W2 @ W1, rtol=1e-14)
    rows = net.reverse_sweep(given_x, cv.MSE(_kinds(np.array([0.5, -0.5]))[kind if "int" not in kind else "list"]))
    np.testing.assert_allclose(rows[-1].values, (W2 @ W1 @ x - [0.5, -0.5]) @ W2 @ W1, rtol=1e-13)
    s = snapshot(net, given_x, cv.Sum())
    assert s.x.shape == (3,) and s.check.ok


def test_matrix_weights_are_plain_weights():
    net = cv.Net([_matrix(W1), _matrix(W2)], ["tanh", "identity"])
    plain = cv.Net([W1, W2], ["tanh", "identity"])
    assert net == plain and all(type(W) is np.ndarray for W in net.weights)
    np.testing.assert_allclose(net.jacobian(_matrix(X).T), W2 @ np.diag(1 - np.tanh(W1 @ X) ** 2) @ W1, rtol=1e-13)
    assert cv.two_layer(_matrix(W1), W2.tolist()) == cv.two_layer(W1, W2)
    stack = np.stack([np.eye(2), 2 * np.eye(2)])  # a 3-D array of equal matrices is a list of them
    np.testing.assert_allclose(cv.Net(stack, "identity").jacobian([1.0, 1.0]), 2 * np.eye(2))


@pytest.mark.parametrize("given_net, words", [
    ([W1, W2], "got a list of 2 matrices (4×3, 2×4)"),
    ((W1, W2), "got a tuple of 2 matrices (4×3, 2×4)"),
    (W1, "got a 4×3 array"),
    ({"weights": [W1.tolist(), W2.tolist()]}, "got a dict"),
    (None, "got None"),
])
def test_a_net_must_be_a_net_and_the_message_says_what_was_given(given_net, words):
    with pytest.raises(TypeError) as info:
        as_net(given_net)
    assert str(info.value).startswith("net must be a chainviz Net, e.g. cv.Net([W1, W2]") and words in str(info.value)
    with pytest.raises(TypeError, match="net must be a chainviz Net"):
        snapshot(given_net, X, cv.Sum())


@pytest.mark.parametrize("call, exc, words", [
    (lambda: cv.Net(cv.two_layer(W1, W2)), TypeError, "got a chainviz Net (it is already a network"),
    (lambda: cv.Net("W1"), ValueError, "weights must be a non-empty list of matrices [W1, W2, ...], got the text"),
    (lambda: cv.Net([W1, W2], activations=3), TypeError, "activations must be a name such as 'sigmoid'"),
    (lambda: cv.Net([W1, W2], biases=np.zeros(4)), TypeError, "biases must be a list of 2 vectors"),
    (lambda: cv.two_layer(cv.two_layer(W1, W2), W2), TypeError, "W1 must be an array of numbers, got a chainviz Net"),
    (lambda: cv.two_layer(W1, {"a": 1}), TypeError, "W2 must be an array of numbers, got a dict"),
    (lambda: cv.two_layer(W1, W2)(np.ones((3, 3))), ValueError, "x must be a vector (1-D), but it has shape (3, 3)"),
    (lambda: cv.two_layer(W1, W2)(np.ones((1, 1, 3))), ValueError, "x must be a vector (1-D), but it has shape (1, 1, 3)"),
    (lambda: cv.two_layer(W1, W2)([[1.0], [2.0]]), ValueError, "x has length 2 but W1 is 4×3, so x needs length 3"),
    (lambda: cv.two_layer(W1, W2)([1.0, 2j, 3.0]), TypeError, "x[1] is 2j: every entry must be a number"),
    (lambda: cv.MSE(_matrix([[1.0, 2.0], [3.0, 4.0]])), ValueError, "target t must be a vector (1-D), but it has shape (2, 2)"),
])
def test_wrong_objects_are_refused_at_once_in_plain_words(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    assert words in msg and not any(w in msg for w in NUMPY_WORDS), msg


@settings(max_examples=100, deadline=None, database=None)
@given(kind=st.sampled_from(["list", "tuple", "column list", "row array", "column array", "matrix column"]),
       values=st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3))
def test_any_kind_of_input_gives_the_plain_arrays_jacobian(kind, values):
    net = cv.two_layer(W1, W2, "sigmoid")
    v = np.array(values)
    np.testing.assert_array_equal(net.jacobian(_kinds(v)[kind]), net.jacobian(v))


def test_widths_as_a_column_or_matrix_are_the_plain_list():
    from chainviz.core.modes import check_measurable

    plain = cv.mode_cost([3, 4, 2])
    assert cv.mode_cost(np.array([[3], [4], [2]])) == plain == cv.mode_cost(_matrix([3, 4, 2]))
    assert cv.mode_cost((np.int64(3), 4, 2)) == plain
    for points, exc in [(0, ValueError), ("6", TypeError), (True, TypeError), (2.5, TypeError)]:
        with pytest.raises(exc, match="points must be a whole number from 1 to 50"):
            check_measurable([100, 10], points=points)


def test_a_label_held_in_a_numpy_scalar_or_0_d_array_is_that_label():
    for label in (np.int64(1), np.array(1), np.array(1.0), 1.0):
        assert cv.SoftmaxCrossEntropy(label).label == 1
    for label, exc in [(np.array([1]), TypeError), (True, TypeError), (np.array(0.5), TypeError)]:
        with pytest.raises(exc, match="label must be a whole number"):
            cv.SoftmaxCrossEntropy(label)
