"""Bad input gives a ValueError/TypeError in plain words naming the object and the shapes,
never a bare numpy error."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chainviz as cv

W1 = np.array([[0.8, -0.6, 0.3], [0.4, 0.9, 0.5], [0.6, 0.2, 0.5], [-0.3, -0.5, 0.6]])  # 4×3
W2 = np.array([[0.9, -0.8, 0.5, 0.3], [-0.3, 0.6, 0.8, -0.7]])  # 2×4
X = np.array([1.0, -0.5, 0.8])
NET = cv.two_layer(W1, W2)

# what numpy says when a shape problem reaches it unchecked
NUMPY_WORDS = ("operands could not be broadcast", "matmul: Input operand", "could not convert",
               "setting an array element", "inhomogeneous", "float() argument", "object of type")


def raises_plainly(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc, match=match) as info:
        fn(*args, **kwargs)
    msg = str(info.value)
    assert not any(w in msg for w in NUMPY_WORDS), msg
    return msg


# -- shapes that do not chain ----------------------------------------------------------
def test_weights_that_do_not_chain():
    msg = raises_plainly(ValueError, "W2 is 2×5", cv.Net, [W1, np.ones((2, 5))])
    assert "a1 has length 4" in msg and "W1 is 4×3" in msg
    msg = raises_plainly(ValueError, "W3 is 1×3", cv.Net, [W1, W2, np.ones((1, 3))])
    assert "a2 has length 2" in msg
    raises_plainly(ValueError, "W2 is 2×5", cv.two_layer, W1, np.ones((2, 5)))


def test_x_of_the_wrong_length():
    for method in ("forward", "jacobian", "jacobian_factors", "forward_sweep", "__call__"):
        msg = raises_plainly(ValueError, "x has length 4", getattr(NET, method), [1.0, 2.0, 3.0, 4.0])
        assert "W1 is 4×3" in msg and "length 3" in msg
    raises_plainly(ValueError, "x has length 2", NET.reverse_sweep, [1.0, 2.0], cv.Sum())
    raises_plainly(ValueError, "x has length 2", NET.weight_gradients, [1.0, 2.0], cv.Sum())
    raises_plainly(ValueError, "x must be a vector", NET.forward, np.ones((3, 3)))
    raises_plainly(ValueError, "x is empty", NET.forward, [])


def test_mse_target_of_the_wrong_length():
    msg = raises_plainly(ValueError, "target t has length 3", NET.reverse_sweep, X, cv.MSE([1.0, 2.0, 3.0]))
    assert "y has length 2" in msg
    raises_plainly(ValueError, "target t has length 3 but y has length 2", NET.weight_gradients, X, cv.MSE([1, 2, 3]))
    raises_plainly(ValueError, "target t has length 1 but y has length 2", cv.MSE([1.0]).value, [1.0, 2.0])
    raises_plainly(ValueError, "target t has length 1 but y has length 2", cv.MSE([1.0]).grad, [1.0, 2.0])


def test_label_out_of_range():
    msg = raises_plainly(ValueError, "label is 2 but y has length 2", NET.reverse_sweep, X, cv.SoftmaxCrossEntropy(2))
    assert "classes 0 to 1" in msg
    raises_plainly(ValueError, "label is 5", cv.SoftmaxCrossEntropy(5).value, [1.0, 2.0])
    raises_plainly(ValueError, "label is -1", cv.SoftmaxCrossEntropy, -1)
    raises_plainly(TypeError, "label must be a whole number", cv.SoftmaxCrossEntropy, 1.5)
    raises_plainly(TypeError, "label must be a whole number", cv.SoftmaxCrossEntropy, "a")
    raises_plainly(TypeError, "label must be a whole number", cv.SoftmaxCrossEntropy, True)


def test_biases_and_activations_of_the_wrong_length():
    raises_plainly(ValueError, "b1 has length 3 but W1 is 4×3, so b1 needs length 4", cv.two_layer, W1, W2, b1=[1, 2, 3])
    raises_plainly(ValueError, "b2 has length 4", cv.two_layer, W1, W2, b2=np.ones(4))
    raises_plainly(ValueError, "activations has 3 entries but there are 2 weight matrices",
                   cv.Net, [W1, W2], ["relu"] * 3)
    raises_plainly(ValueError, "biases has 1 entries but there are 2", cv.Net, [W1, W2], "relu", [None])


# -- entries that are not finite numbers ----------------------------------------------------
def _with(arr, idx, value):
    out = np.array(arr, dtype=object)
    out[idx] = value
    return out.tolist()


@pytest.mark.parametrize("value, words", [(np.nan, "is nan"), (np.inf, "is inf"), (-np.inf, "is -inf")])
def test_non_finite_entries_are_named_with_their_index(value, words):
    raises_plainly(ValueError, rf"W1\[2, 1\] {words}", cv.Net, [_with(W1, (2, 1), value), W2])
    raises_plainly(ValueError, rf"W2\[0, 3\] {words}", cv.Net, [W1, _with(W2, (0, 3), value)])
    bad = W1.copy()
    bad[3, 0] = value
    raises_plainly(ValueError, rf"W1\[3, 0\] {words}", cv.two_layer, bad, W2)
    raises_plainly(ValueError, rf"x\[1\] {words}", NET.forward, _with(X, 1, value))
    raises_plainly(ValueError, rf"x\[2\] {words}", NET.jacobian, np.array([1.0, 2.0, value]))
    raises_plainly(ValueError, rf"target t\[0\] {words}", cv.MSE, [value, 1.0])
    raises_plainly(ValueError, rf"b1\[1\] {words}", cv.two_layer, W1, W2, b1=[0.0, value, 0.0, 0.0])
    raises_plainly(ValueError, rf"y\[0\] {words}", cv.Sum().value, [value])


@pytest.mark.parametrize("value", ["a", "2.5", None, 1 + 2j, {"w": 1}])
def test_entries_that_are_not_numbers_are_named_with_their_index(value):
    # text is refused even when it looks like a number: numpy would quietly turn "2.5" into 2.5
    shown = re.escape(repr(value))
    raises_plainly(TypeError, rf"W1\[1, 2\] is {shown}", cv.Net, [_with(W1, (1, 2), value), W2])
    raises_plainly(TypeError, rf"W2\[0, 0\] is {shown}", cv.Net, [W1, _with(W2, (0, 0), value)])
    raises_plainly(TypeError, rf"x\[2\] is {shown}", NET.forward, [1.0, 2.0, value])
    raises_plainly(TypeError, rf"target t\[1\] is {shown}", cv.MSE, [0.0, value])
    raises_plainly(TypeError, rf"b2\[0\] is {shown}", cv.two_layer, W1, W2, b2=[value, 0.0])


def test_text_instead_of_an_array():
    raises_plainly(TypeError, "W1 must be numbers, got the text 'abc'", cv.Net, ["abc", W2])
    raises_plainly(TypeError, "x must be numbers, got the text", NET.forward, "1 2 3")
    raises_plainly(TypeError, "target t must be numbers", cv.MSE, "0.5")
    raises_plainly(TypeError, "x is missing", NET.forward, None)
    raises_plainly(TypeError, r"x\[0\] is 'a'", NET.forward, np.array(["a", "b", "c"]))
    raises_plainly(TypeError, r"x\[0\] is \(1\+0j\)", NET.forward, np.ones(3, dtype=complex))


def test_shapes_that_are_not_matrices():
    raises_plainly(ValueError, "W1 must be a matrix", cv.Net, [np.ones(3)])
    raises_plainly(ValueError, "W1 is 0×3", cv.Net, [np.ones((0, 3))])
    raises_plainly(ValueError, "W1 has rows of different lengths", cv.Net, [[[1.0, 2.0], [3.0]]])
    raises_plainly(ValueError, "W1 has rows of different lengths", cv.Net, [_with(W1, (1, 2), [1.0])])
    raises_plainly(ValueError, "weights must be a non-empty list", cv.Net, [])


# -- names that are not known ---------------------------------------------------------------
def test_unknown_activation_lists_the_choices():
    msg = raises_plainly(ValueError, "'sigmod' is not a known activation", cv.Net, [W1, W2], "sigmod")
    for name in ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus"):
        assert name in msg
    raises_plainly(ValueError, "activation of layer 2 'ReLU'", cv.Net, [W1, W2], ["relu", "ReLU"])
    raises_plainly(TypeError, "must be a name such as 'sigmoid'", cv.Net, [W1, W2], [1, 2])
    raises_plainly(ValueError, "'swish' is not a known activation", NET.with_activations, "swish")


def test_unknown_loss_name():
    msg = raises_plainly(ValueError, "loss 'hinge' is not known", NET.reverse_sweep, X, "hinge")
    assert "mse" in msg and "sum" in msg and "softmax_ce" in msg
    raises_plainly(ValueError, "loss 'mse' needs a parameter", NET.reverse_sweep, X, "mse")
    raises_plainly(TypeError, "loss must be", NET.reverse_sweep, X, 3.0)
    raises_plainly(ValueError, "loss 'hinge' is not known", NET.weight_gradients, X, {"name": "hinge"})


# -- other entry points ---------------------------------------------------------------------
def test_weight_edits_out_of_range():
    raises_plainly(ValueError, "layer must be 1 to 2, got 3", NET.with_weight, 3, 0, 0, 1.0)
    raises_plainly(ValueError, r"W2\[2, 0\] is outside W2, which is 2×4", NET.with_weight, 2, 2, 0, 1.0)
    msg = raises_plainly(ValueError, r"W1\[0, 0\] is nan", NET.with_weight, 1, 0, 0, float("nan"))
    assert "[0, 0][0]" not in msg
    raises_plainly(ValueError, r"x is inf", cv.Net([[[2.0]]]).forward, float("inf"))
    raises_plainly(TypeError, r"W1\[0, 0\] must be numbers, got the text", NET.with_weight, 1, 0, 0, "x")


def test_overflow_is_reported_in_words():
    big = cv.Net([[[1e200, -1e200]]], "identity")
    raises_plainly(ValueError, r"z₁\[0\] overflows", big.forward, [1e200, 1e200])
    raises_plainly(ValueError, r"z₁\[0\] overflows", big.jacobian, [1e200, 1e200])


def test_numerical_jacobian_bad_input():
    raises_plainly(ValueError, "eps must be a positive number", cv.numerical_jacobian, lambda v: v, [1.0], eps=0)
    raises_plainly(ValueError, "eps must be a positive number", cv.numerical_jacobian, lambda v: v, [1.0], eps=np.nan)
    raises_plainly(ValueError, r"f returned nan in output 0 at x = \(1\)", cv.numerical_jacobian,
                   lambda v: np.array([np.nan]), [1.0])
    raises_plainly(ValueError, "f raised ZeroDivisionError", cv.numerical_jacobian, lambda v: 1 / 0, [1.0])
    raises_plainly(ValueError, "f returned shape 2×2", cv.numerical_jacobian, lambda v: np.ones((2, 2)), [1.0])
    raises_plainly(TypeError, r"x\[0\] is 'a'", cv.numerical_jacobian, lambda v: v, ["a"])


def test_from_dict_bad_input():
    raises_plainly(ValueError, "a saved net needs 'weights'", cv.Net.from_dict, {"activations": ["relu"]})
    raises_plainly(ValueError, "a saved net must be a dict", cv.Net.from_dict, [1, 2])
    d = NET.to_dict()
    d["weights"][1][0][2] = "oops"
    raises_plainly(TypeError, r"W2\[0, 2\] is 'oops'", cv.Net.from_dict, d)
