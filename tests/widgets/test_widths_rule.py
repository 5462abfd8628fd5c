"""Review of field report 12: one rule for widths, wherever they are given.

``ChainRuleExplorer(sizes=...)``, ``app.set_sizes(...)``, the page's Widths field,
``cv.mode_cost(...)``, ``ModeCostExplorer(...)`` and its widths field read the same
widths the same way: text as the typed fields read it (``"3, 4, 2"`` works, ``"12,500"``
is ambiguous), any vector-like (``np.matrix`` row or column, a column array, a nested
single row or column) as the vector it holds, anything else refused naming what was given
and its shape. The expected widths are the numbers written in each case.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import chainviz as cv
from chainviz.widgets.mode_cost_explorer import ModeCostExplorer

AMBIGUOUS = ("widths: '12,500' is ambiguous: the number 12500, or the two entries 12 and 500? Type 12500 for one "
             "number (no thousands separators), and separate entries with a comma and a space (12, 500) or a "
             "semicolon")


def _matrix(v):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # np.matrix warns it is discouraged
        return np.matrix(v)


FORMS = {
    "list": [3, 4, 2], "tuple": (3, 4, 2), "array": np.array([3, 4, 2]), "int64 entries": [np.int64(3), 4, 2],
    "text": "3, 4, 2", "text, no spaces": "3,4,2", "text, semicolons": "3; 4; 2", "text, spaces": " 3 4 2 ",
    "matrix row": _matrix([3, 4, 2]), "matrix column": _matrix([3, 4, 2]).T, "nested row": [[3, 4, 2]],
    "nested column": [[3], [4], [2]], "column array": np.array([[3], [4], [2]]), "row array": np.array([[3, 4, 2]]),
    "whole floats": [3.0, 4.0, 2.0],
}


def send(widget, **msg):
    widget._received(widget, msg, [])


@pytest.mark.parametrize("form", list(FORMS))
def test_every_vector_like_form_of_3_4_2_is_3_4_2_everywhere(form):
    v = FORMS[form]
    assert cv.ChainRuleExplorer(sizes=v).net.widths == [3, 4, 2]
    app = cv.ChainRuleExplorer(sizes=(2, 5, 1))
    app.set_sizes(v)
    assert app.error == "" and app.net.widths == [3, 4, 2]
    assert cv.mode_cost(v).widths == (3, 4, 2)
    assert ModeCostExplorer(v).widths == (3, 4, 2)


@pytest.mark.parametrize("text", ["3, 4, 2", "3,4,2", "3;4;2"])
def test_the_typed_fields_read_text_as_the_api_does(text):
    app = cv.ChainRuleExplorer(sizes=(2, 5, 1))
    send(app.toolbar, event="change", id="sizes", value=text)
    assert app.error == "" and app.net.widths == [3, 4, 2]
    m = ModeCostExplorer([1000, 10, 20])
    send(m.controls, event="change", id="widths", value=text)
    assert m.error == "" and m.widths == (3, 4, 2)


def test_12_500_is_refused_as_ambiguous_with_the_same_words_everywhere():
    app = cv.ChainRuleExplorer()
    with pytest.raises(ValueError) as info:
        app.set_sizes("12,500")
    assert str(info.value) == AMBIGUOUS and app.net.widths == [3, 4, 2]
    send(app.toolbar, event="change", id="sizes", value="12,500")
    assert app.error == AMBIGUOUS and app.net.widths == [3, 4, 2]
    with pytest.raises(ValueError) as info:
        cv.ChainRuleExplorer(sizes="12,500")
    assert str(info.value) == AMBIGUOUS
    with pytest.raises(ValueError) as info:
        cv.mode_cost("12,500")
    assert str(info.value) == AMBIGUOUS
    m = ModeCostExplorer([1000, 10, 20])
    send(m.controls, event="change", id="widths", value="12,500")
    assert m.error == AMBIGUOUS and m.widths == (1000, 10, 20)


@pytest.mark.parametrize("given, words", [
    (np.array([[3, 4], [2, 1]]), "got a 2×2 array"),
    ([[3, 4], [2, 1]], "got a list of shape 2×2"),
    (np.zeros((1, 3, 1)), "got a 1×3×1 array"),
    ([[3, 4], [2]], "got a list whose rows differ in length"),
    ({"n": 3}, "got a dict {'n': 3}"),
])
def test_anything_not_a_vector_is_refused_naming_it_and_its_shape(given, words):
    app = cv.ChainRuleExplorer()
    for call in (lambda: app.set_sizes(given), lambda: cv.ChainRuleExplorer(sizes=given),
                 lambda: cv.mode_cost(given), lambda: ModeCostExplorer(given)):
        with pytest.raises((ValueError, TypeError)) as info:
            call()
        assert "widths must be a list of layer sizes [n, d1, ..., dL]" in str(info.value), str(info.value)
        assert words in str(info.value), str(info.value)
    assert app.net.widths == [3, 4, 2]


def test_one_number_is_not_a_list_of_widths():
    with pytest.raises(TypeError, match=r"widths must be a list of layer sizes .* got an int 5"):
        cv.mode_cost(5)
    with pytest.raises(TypeError, match=r"widths must be a list of layer sizes .* got None"):
        cv.ChainRuleExplorer(sizes=None)
    app = cv.ChainRuleExplorer()
    with pytest.raises(ValueError, match=r"widths needs the input size and at least one layer, got \[5\]"):
        app.set_sizes(5)  # set_sizes(3, 4, 2) takes the widths one by one: this is the list [5]
    assert app.net.widths == [3, 4, 2]
