"""Field report 3: typed numbers mean one thing, and every accepted value is drawn and printed.

The rule (chainviz.core.checks): in one number a comma is the decimal point unless exactly
three digits follow a 1–3 digit group ("1,000": refused as ambiguous); in a list a comma
separates entries, and the same "12,500" is refused. Values are checked against Python's
``decimal`` module (exact decimal arithmetic), never against chainviz.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.core.checks import as_vector, parse_number, parse_number_list
from chainviz.core.notation import fmt
from chainviz.views.style import cell_values, labels, rounded

MANY = settings(max_examples=400, deadline=None, database=None)
TYPED_PIECES = st.sampled_from(list("0123456789+-−.,eE_ \u00a0١x;") + ["nan", "inf", "1,000", "0,5", "1_0"])
TYPED_TEXT = st.lists(TYPED_PIECES, max_size=8).map("".join)


def _decimal(text: str) -> float:
    """The value of accepted text by exact decimal arithmetic: comma read as a point, "_" dropped."""
    return float(Decimal(text.strip().replace("\u2212", "-").replace(",", ".").replace("_", "")))


# -- one typed number ----------------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    ("0,5", 0.5), ("-1,25", -1.25), ("−0,25", -0.25), ("0,500", 0.5), ("1,5e3", 1500.0), ("1,0005", 1.0005),
    ("1234,567", 1234.567), (" +.5 ", 0.5), ("1_000", 1000.0), ("2.5e-3", 0.0025), ("1e-323", 1e-323),
    ("5e-324", 5e-324), ("1e-400", 0.0),
])
def test_accepted_text_is_its_decimal_value(text, value):
    assert parse_number(text, "x[0]") == value == _decimal(text)


@pytest.mark.parametrize("text, typed", [
    ("1,000", "type 1000 or 1."), ("12,500", "type 12500 or 12.5."), ("-1,000", "type -1000 or -1."),
    ("1,234.5", "type 1234.5."), ("1,000,000", "type 1000000."), ("999,999", "type 999999 or 999.999."),
])
def test_text_that_looks_like_thousands_is_refused_with_what_to_type(text, typed):
    with pytest.raises(ValueError) as info:
        parse_number(text, "x[0]")
    msg = str(info.value)
    assert msg.startswith(f"x[0]: '{text}' is ambiguous") and typed in msg, msg


@pytest.mark.parametrize("text, words", [
    ("", "is empty"), ("abc", "is not a number"), ("1 000", "is not a number"), ("0x1", "is not a number"),
    ("١٢", "is not a number"), ("inf", "not a finite number"), ("nan", "not a finite number"),
    ("1e400", "too large"), ("1e7", "too large"), ("1" * 400, "too large"),
])
def test_other_bad_text_is_refused_in_words(text, words):
    with pytest.raises(ValueError, match=words):
        parse_number(text, "x[0]")


def test_minus_zero_is_zero():
    for v in (parse_number("-0", "x"), parse_number("−0,0", "x"), parse_number(-0.0, "x")):
        assert v == 0 and not math.copysign(1.0, v) < 0
    assert not np.signbit(as_vector("x", [-0.0, 1.0])).any()


@MANY
@given(st.one_of(TYPED_TEXT, st.text(max_size=12)))
def test_random_text_is_read_exactly_or_refused_with_a_message(text):
    try:
        v = parse_number(text, "W1[0,0]", limit=math.inf)
    except ValueError as exc:
        assert str(exc).startswith("W1[0,0]")
        return
    try:
        expected = _decimal(text)
    except (InvalidOperation, ValueError):
        raise AssertionError(f"accepted {text!r}, which is no decimal number") from None
    assert v == expected + 0.0 and math.isfinite(v)
    assert not re.search(r"(?<![\d.])[1-9]\d{0,2},\d{3}(?!\d)", text.strip()), text  # never a thousands-like group
    assert not ("," in text and "_" in text), text  # nor a comma beside another digit grouping


@st.composite
def _typed_numbers(draw):
    """What a person types: a sign, digits, a decimal point or comma, an exponent."""
    sign = draw(st.sampled_from(["", "-", "+", "−"]))
    whole = draw(st.from_regex(r"[0-9]{1,6}", fullmatch=True))
    frac = draw(st.one_of(st.just(""), st.from_regex(r"[0-9]{1,5}", fullmatch=True)))
    point = draw(st.sampled_from([".", ","])) if frac else ""
    exp = draw(st.one_of(st.just(""), st.integers(-30, 5).map(lambda e: f"e{e}")))
    return f"{sign}{whole}{point}{frac}{exp}"


@MANY
@given(_typed_numbers())
def test_typed_numbers_are_accepted_unless_ambiguous(text):
    digits = text.lstrip("+-−").split("e")[0]
    ambiguous = re.fullmatch(r"[1-9]\d{0,2},\d{3}", digits) is not None
    try:
        v = parse_number(text, "x", limit=math.inf)
    except ValueError as exc:
        assert ambiguous and "ambiguous" in str(exc), (text, str(exc))
        return
    assert not ambiguous and v == _decimal(text) + 0.0


# -- a typed list ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, values", [
    ("1000000, 1000, 1000", [1000000, 1000, 1000]), ("1000000,1000,1000", [1000000, 1000, 1000]),
    ("12, 500", [12, 500]), ("10^6; 10**3 1e3", [1000000, 1000, 1000.0]), ("1_000 2", [1000, 2]),
    ("1,5", [1, 5]), ("-2^2", [-4]), ("1_000, 500", [1000, 500]),
])
def test_a_typed_list_is_read_entry_by_entry(text, values):
    got = parse_number_list(text)
    assert got == values and [type(v) for v in got] == [type(v) for v in values]


@pytest.mark.parametrize("text, words", [
    ("12,500", "'12,500' is ambiguous: the number 12500, or the two entries 12 and 500?"),
    ("10,100,100", "'10,100' is ambiguous"), ("1_000,500", "'1_000,500' is ambiguous"), ("", "is empty"), ("1000, abc", "'abc' is not a number"),
    ("10^99", "larger than"), ("1e400", "larger than"), ("nan", "'nan' is not a number"),
])
def test_a_typed_list_refuses_in_words(text, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        parse_number_list(text)


@MANY
@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=8), st.sampled_from([", ", "; ", " ", " ,  ", ";"]))
def test_lists_of_whole_numbers_come_back_exactly(values, sep):
    assert parse_number_list(sep.join(map(str, values))) == values


@MANY
@given(st.text(st.sampled_from(list("0123456789,; ^*e.-+_x")), max_size=20))
def test_random_list_text_is_numbers_or_a_message(text):
    try:
        got = parse_number_list(text, "widths")
    except ValueError as exc:
        assert str(exc).startswith("widths")
        return
    tokens = [t for t in re.split(r"[,;\s]+", text.strip()) if t]
    assert len(got) == len(tokens)
    for v, t in zip(got, tokens):
        power = re.fullmatch(r"([+-]?)([\d_]+)(?:\^|\*\*)([\d_]+)", t)
        if power:
            expected = (-1 if power.group(1) == "-" else 1) * int(power.group(2)) ** int(power.group(3))
        else:
            expected = Decimal(t.replace("_", ""))
        assert v == (expected if isinstance(v, int) else float(expected))


# -- drawn and printed at every magnitude -------------------------------------------------------
FINITE = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)


@MANY
@given(st.lists(FINITE, min_size=1, max_size=6))
def test_every_finite_value_is_rounded_to_three_digits_never_blank(values):
    v = np.array(values)
    r = rounded(v)[0]
    assert np.isfinite(r).all() and not np.signbit(r[v == 0]).any()
    for a, b in zip(v, r):
        if a == 0:
            assert b == 0
            continue
        unit = 10.0 ** (math.floor(math.log10(abs(a))) - 2)  # a unit in the third significant digit
        assert abs(b - a) <= 0.5 * unit * (1 + 1e-9) + math.ulp(a) and np.sign(b) == np.sign(a)
    sent = cell_values(v.reshape(1, -1))
    if isinstance(sent, np.ndarray):  # nested lists: no gaps for finite values
        assert not any(e is None for e in sent.ravel())
    shown = labels(v)[0]
    assert all(s != "" for s in shown)
    for a, s in zip(v, shown):  # the printed digits read back within half a unit of the third digit
        back = Decimal(s.replace("−", "-"))  # exact: "1.8e+308" is beyond the floats, not inf
        exact = Decimal(float(a))
        assert back == 0 if a == 0 else abs(back - exact) <= Decimal("0.0051") * abs(exact)


def test_the_issue_subnormals_are_drawn():
    z = np.array([[1e-323, 5e-324, -2.5e-320]])
    r = rounded(z)
    assert np.all(r != 0) and np.all(np.isfinite(r))
    assert list(labels(z)[0]) == ["9.88e−324", "4.94e−324", "−2.5e−320"]
    assert cell_values(z).tolist() == r.tolist()  # below float32's range: sent as exact lists


def test_negative_zero_prints_zero_everywhere():
    assert fmt(-0.0) == "0" and labels(np.array([-0.0]))[0, 0] == "0"
    assert labels(np.array([-0.001, -0.004, -0.006]), 2)[0].tolist() == ["0.00", "0.00", "−0.01"]
    assert not np.signbit(rounded(np.array([-0.0, -1e-400]))).any()
    # one class: L = −log softmax(y)[0] = −log 1 = 0
    L = cv.SoftmaxCrossEntropy(0).value([3.7])
    assert L == 0 and not math.copysign(1.0, L) < 0 and fmt(L) == "0"
    assert fmt(cv.Sum().value([-0.0])) == "0" and not math.copysign(1.0, cv.MSE([0.0]).value([-0.0])) < 0
