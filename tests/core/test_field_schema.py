"""Field report 4: options and saved state are checked, by one table and one reader.

What counts as right comes from the issue and the JSON types: "false" is not a boolean,
1 is not a boolean, True is not a number; a state is refused before its entries are read
when its sizes are out of bounds; whatever is accepted reads back equal.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.core.schema import MAX_WIDTH, OPTIONS, SavedState, check_option, check_options, read_saved_state

W1 = [[0.8, -0.6, 0.3], [0.4, 0.9, 0.5], [0.6, 0.2, 0.5], [-0.3, -0.5, 0.6]]
W2 = [[0.9, -0.8, 0.5, 0.3], [-0.3, 0.6, 0.8, -0.7]]
MANY = settings(max_examples=300, deadline=None, database=None)

# the format ChainRuleExplorer.to_dict() writes today (version 1), spelled out
SAVED_V1 = {
    "chainviz": "ChainRuleExplorer", "version": 1,
    "net": {"weights": [W1, W2], "activations": ["sigmoid", "identity"], "biases": [None, None]},
    "x": [1.0, -0.5, 0.8], "loss": {"name": "mse", "target": [0.5, -0.5]},
    "options": {"free_limits": False, "show_weight_grads": False, "show_forward": True, "presentation": False,
                "color_limit": None},
    "seed": 0,
}
JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False)
                    | st.text(max_size=6),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                    max_leaves=12)


def _copy(d):
    return json.loads(json.dumps(d))


# -- options ---------------------------------------------------------------------------------------
def test_defaults_fill_every_option():
    assert check_options({}) == {"free_limits": False, "show_weight_grads": False, "show_forward": None,
                                 "presentation": False, "color_limit": None, "seed": 0, "theme": "auto", "eta": 0.1}
    assert check_options(None) == check_options({})
    assert [o.name for o in OPTIONS] == list(check_options({}))  # one table decides


@pytest.mark.parametrize("options, exc, words", [
    ({"free_limits": "false"}, TypeError, "free_limits must be true or false, got the text 'false'"),
    ({"free_limits": 1}, TypeError, "free_limits must be true or false, got the number 1"),
    ({"show_weight_grads": None}, TypeError, "show_weight_grads must be true or false, got null"),
    ({"color_limit": True}, TypeError, "color_limit must be a number or null (None), got the boolean true"),
    ({"color_limit": "2"}, TypeError, "color_limit must be a number or null (None), got the text '2'"),
    ({"color_limit": -1}, ValueError, "color_limit must lie within 1e-12 ≤ c ≤ 1e6, got -1"),
    ({"color_limit": 0}, ValueError, "color_limit must lie within 1e-12 ≤ c ≤ 1e6, got 0"),
    ({"color_limit": 1e-310}, ValueError, "color_limit must lie within 1e-12 ≤ c ≤ 1e6, got 1e-310"),
    ({"color_limit": 9.99e-13}, ValueError, "color_limit must lie within 1e-12 ≤ c ≤ 1e6"),
    ({"color_limit": 2e6}, ValueError, "color_limit must lie within 1e-12 ≤ c ≤ 1e6"),
    ({"color_limit": math.nan}, ValueError, "color_limit must be a finite number, got nan"),
    ({"color_limit": math.inf}, ValueError, "color_limit must be a finite number, got inf"),
    ({"seed": True}, TypeError, "seed must be a whole number, got the boolean true"),
    ({"seed": 2.5}, TypeError, "seed must be a whole number, got the number 2.5"),
    ({"seed": -1}, ValueError, "seed must lie within 0 ≤ seed ≤ 2³² − 1, got -1"),
    ({"seed": 2**32}, ValueError, "seed must lie within 0 ≤ seed ≤ 2³² − 1, got 4294967296"),
    ({"theme": "blue"}, ValueError, "theme must be one of 'auto', 'light', 'dark', got 'blue'"),
    ({"theme": 3}, TypeError, "theme must be text, got the number 3"),
    ({"eta": 0}, ValueError, "eta must lie within 0 < η ≤ 10"),
    ({"eta": False}, TypeError, "eta must be a number, got the boolean false"),
    ({"colour_limit": 2}, ValueError, "unknown option 'colour_limit' (did you mean 'color_limit'?); known options: "
                                      "free_limits, show_weight_grads"),
    ({3: True}, TypeError, "option names are text, got the number 3"),
])
def test_wrong_types_and_values_are_refused_naming_the_option(options, exc, words):
    with pytest.raises(exc) as info:
        check_options(options, where="ChainRuleExplorer")
    assert str(info.value).startswith("ChainRuleExplorer: ") and words in str(info.value), str(info.value)


def test_good_values_are_normalized():
    got = check_options({"color_limit": 2, "seed": 7.0, "eta": 1, "free_limits": np.bool_(True),
                         "show_forward": None, "theme": "dark"})
    assert got["color_limit"] == 2.0 and type(got["color_limit"]) is float
    assert got["seed"] == 7 and type(got["seed"]) is int and got["free_limits"] is True
    assert got["eta"] == 1.0 and got["theme"] == "dark" and got["show_forward"] is None
    with pytest.raises(TypeError, match="must be a dict of options, got a list"):
        check_options([("seed", 1)])


@MANY
@given(name=st.sampled_from([o.name for o in OPTIONS]), value=JSON)
def test_any_json_value_is_accepted_with_its_type_or_refused_naming_the_option(name, value):
    try:
        got = check_option(name, value)
    except (TypeError, ValueError) as exc:
        assert f"options: {name} must" in str(exc)
        return
    kind = next(o.kind for o in OPTIONS if o.name == name)
    expected = {"boolean": bool, "number": float, "integer": int, "text": str}[kind]
    assert got is None or type(got) is expected
    if expected is not bool and got is not None:
        assert not isinstance(value, bool)  # True is never a number, nor text
    if expected is bool:
        assert got is None or isinstance(value, bool)  # "false", 0, 1 are never booleans


# -- saved state: round trips ---------------------------------------------------------------------
def test_todays_format_reads_back():
    s = read_saved_state(SAVED_V1)
    assert s.net == cv.two_layer(np.array(W1), np.array(W2)) and s.loss == cv.MSE([0.5, -0.5])
    np.testing.assert_array_equal(s.x, [1.0, -0.5, 0.8])
    assert s.options["show_forward"] is True and s.options["theme"] == "auto" and s.seed == 0
    assert read_saved_state(json.dumps(SAVED_V1)) == s
    again = s.to_dict()
    assert again["version"] == 1 and again["chainviz"] == "ChainRuleExplorer" and "seed" not in again["options"]
    assert read_saved_state(json.loads(json.dumps(again))) == s


@MANY
@given(data=st.data())
def test_every_checked_state_round_trips_through_json(net_specs, loss_specs, data):
    spec = data.draw(net_specs)
    loss = data.draw(loss_specs(spec.widths[-1])).cv_loss()
    opts = {o.name: data.draw(st.sampled_from(_good_values(o.name))) for o in OPTIONS if o.name != "seed"}
    state = SavedState.of(spec.net(), spec.x, loss, seed=data.draw(st.integers(0, 2**32 - 1)), **opts)
    text = json.dumps(state.to_dict(), allow_nan=False)  # JSON-safe
    assert read_saved_state(text) == state and read_saved_state(json.loads(text)) == state


def _good_values(name):
    return {"free_limits": [False, True], "show_weight_grads": [False, True], "show_forward": [None, True, False],
            "presentation": [False, True], "color_limit": [None, 1e-3, 2.0, 1e6], "theme": ["auto", "light", "dark"],
            "eta": [1e-6, 0.1, 10.0]}[name]


# -- saved state: refusals ------------------------------------------------------------------------
def _with(value, *path):
    d = _copy(SAVED_V1)
    node = d
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return d


def _without(*path):
    d = _copy(SAVED_V1)
    node = d
    for k in path[:-1]:
        node = node[k]
    del node[path[-1]]
    return d


MALFORMED = {
    "not a dict": ([1, 2, 3], "must be a dict"),
    "bad JSON text": ("{net: ", "not valid JSON"),
    "NaN in JSON text": (json.dumps(SAVED_V1).replace("0.8]", "NaN]"), "NaN"),
    "nested too deeply": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "missing net": (_without("net"), "'net'"),
    "missing x": (_without("x"), "'x'"),
    "missing weights": (_without("net", "weights"), "'weights'"),
    "unknown top key": (_with(1, "colour"), "unknown key 'colour'"),
    "other explorer": (_with("JacobianExplorer", "chainviz"), "not a saved ChainRuleExplorer"),
    "version 2": (_with(2, "version"), "reads version 1"),
    "version true": (_with(True, "version"), "reads version 1"),
    "W2 does not chain": (_with([[1.0, 2.0, 3.0]], "net", "weights", 1), "W2 is 1×3"),
    "ragged W1": (_with([[1.0, 2.0], [3.0]], "net", "weights", 0), "W1 has rows of different lengths"),
    "true in W1": (_with(True, "net", "weights", 0, 1, 1), "W1[1, 1] is the boolean true"),
    "text in W1": (_with("0.5", "net", "weights", 0, 0, 0), "W1[0, 0] is the text '0.5'"),
    "W1 not a list": (_with({"a": 1}, "net", "weights", 0), "must be a list"),
    "text in x": (_with([1.0, "a", 0.0], "x"), "x[1] is the text 'a'"),
    "NaN in x": (_with([1.0, float("nan"), 0.0], "x"), "x[1] is nan"),
    "inf in W1": (_with(float("inf"), "net", "weights", 0, 1, 1), "W1[1, 1] is inf"),
    "unknown activation": (_with(["swish", "identity"], "net", "activations"), "'swish' is not a known activation"),
    "list as activation": (_with([["sigmoid"], "identity"], "net", "activations"), "activations[0] must be a name"),
    "list as loss name": (_with({"name": ["mse"]}, "loss"), "loss.name: loss ['mse'] is not known"),
    "unknown loss": (_with({"name": "hinge"}, "loss"), "'hinge' is not known"),
    "extra loss key": (_with({"name": "sum", "target": [1]}, "loss"), "a 'sum' loss has no 'target'"),
    "boolean label": (_with({"name": "softmax_ce", "label": True}, "loss"), "label must be a whole number"),
    "label out of range": (_with({"name": "softmax_ce", "label": 2}, "loss"), "label is 2"),
    "target wrong length": (_with({"name": "mse", "target": [1.0]}, "loss"), "target t has length 1"),
    "free_limits as text": (_with("false", "options", "free_limits"), "free_limits must be true or false"),
    "bad colour limit": (_with(-1, "options", "color_limit"), "color_limit must lie within"),
    "options not a dict": (_with([1], "options"), "['options'] must be a dict"),
    "seed among options": (_with(3, "options", "seed"), "'seed' is saved at the top level"),
    "seed not an int": (_with("x", "seed"), "seed must be a whole number"),
    "overflow": (None, "overflows"),
}


def _overflowing():
    """Finite weights whose product is not: z₂ = 1e300·1e300·... overflows."""
    d = _with({"weights": [[[1e300] * 3] * 4, [[1e300] * 4] * 2], "activations": ["identity", "identity"]}, "net")
    return d


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_state_is_refused_naming_the_key(case):
    d, words = MALFORMED[case]
    if d is None:
        d = _overflowing()
    with pytest.raises((ValueError, TypeError)) as info:
        read_saved_state(d)
    msg = str(info.value)
    assert words in msg, msg
    assert "unhashable" not in msg and len(msg) < 400


def test_sizes_are_checked_before_any_entry_is_read():
    class Untouchable(list):
        """A row whose entries must not be read."""

        def __iter__(self):
            raise AssertionError("an entry was read")

    rows = [Untouchable([0.0] * 300) for _ in range(300)]  # 300 × 300: wider than MAX_WIDTH
    with pytest.raises(ValueError, match=rf"net.weights\[0\] has 300 entries; at most {MAX_WIDTH}"):
        read_saved_state(_with(rows, "net", "weights", 0))
    small = [Untouchable([0.0] * 200) for _ in range(200)]  # fits the width, not the total below
    with pytest.raises(ValueError, match=r"holds about 40,\d{3} numbers; at most 10,000"):
        read_saved_state(_with(small, "net", "weights", 0), max_entries=10_000)


def test_a_20_mb_state_is_refused_by_its_length():
    text = json.dumps(_with([[0.123456789012345] * 2500] * 1000, "net", "weights", 0))
    assert len(text) > 20_000_000
    with pytest.raises(ValueError, match=r"saved state is [\d,]+ characters; at most 8,000,000 are read"):
        read_saved_state(text)
    with pytest.raises(ValueError, match=r"net.weights\[0\] has 1,000 entries; at most 256"):
        read_saved_state(json.loads(text))  # already parsed: refused by its dimensions


@MANY
@given(JSON)
def test_random_json_is_refused_with_a_message_never_a_raw_error(value):
    with pytest.raises((ValueError, TypeError)) as info:
        read_saved_state(value)
    assert len(str(info.value)) > 10


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for k, v in enumerate(node):
            yield from _paths(v, prefix + (k,))


PATHS = [p for p in _paths(SAVED_V1) if p]
NAMES = {"weights": ["W1", "W2", "weights"], "biases": ["b1", "b2", "biases"], "target": ["t[", "target"]}


@MANY
@given(path=st.sampled_from(PATHS), value=JSON)
def test_a_state_with_any_part_replaced_is_read_exactly_or_refused_naming_a_key(path, value):
    d = _with(value, *path)
    try:
        state = read_saved_state(d)
    except (ValueError, TypeError) as exc:
        words = [k for k in path if isinstance(k, str)] + sum((NAMES.get(k, []) for k in path), [])
        assert any(w in str(exc) for w in words), (path, str(exc))
        return
    assert read_saved_state(json.loads(json.dumps(state.to_dict()))) == state


@pytest.mark.parametrize("limit", [1e-310, 5e-324, 1e-13])
def test_a_colour_limit_below_the_floor_is_refused_by_the_constructor_and_by_from_dict(limit):
    # review of issue 12: 1e-310 passed 0 < c and then overflowed value/c ("overflow in divide")
    with pytest.raises(ValueError, match="color_limit must lie within 1e-12 ≤ c ≤ 1e6"):
        cv.ChainRuleExplorer(color_limit=limit)
    d = _copy(SAVED_V1)
    d["options"]["color_limit"] = limit
    with pytest.raises(ValueError, match="saved state options: color_limit must lie within 1e-12 ≤ c ≤ 1e6"):
        cv.ChainRuleExplorer.from_dict(d)


def test_values_far_beyond_a_small_colour_limit_are_coloured_without_a_warning():
    # colours span [−c, c]: a value beyond c is drawn in the end colour, so its label is the label
    # of ±c itself; value/c (1e300/1e-12) must not overflow on the way
    from chainviz.views.theme import label_colours
    c = 1e-12
    v = np.array([1e300, -1e300, np.finfo(float).max, -np.finfo(float).max])
    assert label_colours(v, c).tolist() == label_colours(np.sign(v) * c, c).tolist()
    app = cv.ChainRuleExplorer(color_limit=c)  # the default net's numbers are ~1e12 times c
    app.set_weight(1, 0, 0, "1e6")
    assert app.error == ""


# -- numbers longer than Python prints (review of issue 12) ---------------------------------------
LONG = 10**5000 - 1  # 5,000 nines, made without printing (Python refuses str() beyond 4,300 digits)
RAW_WORDS = ("Exceeds the limit", "set_int_max_str_digits", "int too large", "integer string conversion")


@pytest.mark.parametrize("path, dict_words", [
    (("seed",), "seed must lie within 0 ≤ seed ≤ 2³² − 1, got a whole number of 5,000 digits"),
    (("version",), "['version'] is a whole number of 5,000 digits"),
    (("options", "eta"), "eta must lie within 0 < η ≤ 10, got a whole number of 5,000 digits"),
    (("options", "color_limit"), "color_limit must lie within 1e-12 ≤ c ≤ 1e6, got a whole number of 5,000 digits"),
    (("x", 0), "x has an entry too large for a float"),
    (("net", "weights", 1, 0, 2), "W2 has an entry too large for a float"),
    (("loss", "target", 1), "target t has an entry too large for a float"),
    (("history", 0, "predicted"), "history[0].predicted must be a finite number, got a whole number of 5,000 digits"),
])
def test_a_number_of_thousands_of_digits_is_refused_naming_where(path, dict_words):
    d = _copy(SAVED_V1)
    d["history"] = [{"weights": [W1, W2], "loss": 0.5, "predicted": 0.4}]
    text_d = _copy(d)
    node, text_node = d, text_d
    for k in path[:-1]:
        node, text_node = node[k], text_node[k]
    node[path[-1]] = LONG
    text_node[path[-1]] = "@LONG@"
    text = json.dumps(text_d).replace('"@LONG@"', "9" * 5000)  # the file as saved by another program
    where = "".join(f".{k}" if isinstance(k, str) else f"[{k}]" for k in path).lstrip(".")
    with pytest.raises(ValueError) as info:
        read_saved_state(text)
    assert str(info.value) == (f"saved state {where}: a number in the file has 5,000 digits; numbers of more "
                               f"than 4,300 digits are not read")
    with pytest.raises((ValueError, TypeError)) as info:
        cv.ChainRuleExplorer.from_dict(d)
    assert dict_words in str(info.value) and not any(w in str(info.value) for w in RAW_WORDS), str(info.value)


def test_a_class_label_of_thousands_of_digits_is_refused_in_words():
    d = _copy(SAVED_V1)
    d["loss"] = {"name": "softmax_ce", "label": LONG}
    with pytest.raises(ValueError, match=r"saved state loss: label is a whole number of 5,000 digits but y has "
                                         r"length 2 \(classes 0 to 1\)"):
        read_saved_state(d)
