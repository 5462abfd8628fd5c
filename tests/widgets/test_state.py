"""ChainRuleState without any widget: transitions are pure, refusals change nothing.

Expected numbers come from the core API on nets built here, or by hand.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

import chainviz as cv
from chainviz.core import examples
from chainviz.widgets.state import ChainRuleState, nice_limit


def test_the_state_module_needs_no_widgets():
    code = ("import sys, json; import chainviz.widgets.state, chainviz.widgets.layout; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('ipywidgets', 'anywidget', 'plotly', 'traitlets'))))")
    out = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_a_transition_returns_a_new_state_and_leaves_the_old_one():
    s = ChainRuleState.create()
    t = s.with_weight(1, 0, 2, "0.25")
    assert s.net.weights[0][0, 2] == 0.3 and t.net.weights[0][0, 2] == 0.25
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.step = 1  # a value, not an object to poke


@pytest.mark.parametrize("call,words", [
    (lambda s: s.with_weight(1, 0, 0, "abc"), "not a number"),
    (lambda s: s.with_weight(3, 0, 0, 1.0), "layer must be 1 to 2"),
    (lambda s: s.with_input(5, 1.0), "outside x"),
    (lambda s: s.with_matrix("W1", [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]), "room for"),
    (lambda s: s.with_matrix("W7", [[1]]), "not an editable matrix"),
    (lambda s: s.resized((3, 0, 2)), r"d1 \(widths\[1\]\) is 0"),
    (lambda s: s.resized((3, 4, 4, 4, 4, 2)), "1 to 4 layers"),
    (lambda s: s.with_depth(5), "depth must be 1 to 4"),
    (lambda s: s.with_activation(1, "swish"), "swish"),
    (lambda s: s.with_loss_named("hinge"), "hinge"),
    (lambda s: s.with_preset("nope"), "nope"),
    (lambda s: s.with_selection("top", "J", 5, 0), "outside"),
    (lambda s: s.with_settings(free_limits="no"), "free_limits"),
    (lambda s: s.with_settings(colour_limit=2), "color_limit"),
])
def test_refusals_raise_with_the_message_and_keep_the_state(call, words):
    s = ChainRuleState.create()
    with pytest.raises((ValueError, TypeError), match=words):
        call(s)
    fresh = ChainRuleState.create()  # nothing was touched
    assert s.net == fresh.net and np.array_equal(s.x, fresh.x) and s.loss == fresh.loss
    assert (s.settings, s.scale, s.step, s.selection, s.note) == (fresh.settings, fresh.scale, None, None, "")


def test_resize_keeps_what_fits_and_follows_the_depth():
    s = ChainRuleState.create()
    t = s.resized((3, 5, 2))
    np.testing.assert_array_equal(t.net.weights[0][:4], examples.W1_DEFAULT)
    np.testing.assert_array_equal(t.net.weights[1][:, :4], examples.W2_DEFAULT)
    u = s.with_depth(3)
    assert u.net.widths == [3, 4, 4, 2]
    assert u.net.activations == ["sigmoid", "sigmoid", "identity"]
    np.testing.assert_array_equal(u.net.weights[0], examples.W1_DEFAULT)  # the first layer stays
    np.testing.assert_array_equal(u.net.weights[2], examples.W2_DEFAULT)  # the output layer stays the output layer
    v = u.with_depth(1)
    assert v.net.widths == [3, 2] and v.net.activations == ["identity"]
    np.testing.assert_array_equal(v.net.weights[0][:, :3], examples.W2_DEFAULT[:, :3])


def test_nice_limits():
    assert [nice_limit(v) for v in (0.3, 0.9, 1.0, 1.01, 1.9, 2.5, 7, 12, 0.04)] == [
        0.5, 1.0, 1.0, 2.0, 2.0, 5.0, 10.0, 20.0, 0.05]


def test_the_colour_scale_widens_with_a_note_and_only_narrows_when_asked():
    s = ChainRuleState.create()
    assert s.scale == 1.0
    t = s.with_weight(1, 0, 0, 3.2)
    assert t.scale == 5.0 and "from ±1 to ±5" in t.note and "W1[0,0]" in t.note
    u = t.with_weight(1, 0, 0, 0.2)
    assert u.scale == 5.0 and u.note == ""
    assert u.refit_scale().scale == 1.0
    assert s.with_preset("saturated").scale == 10.0  # a preset is fitted afresh (6·W1 reaches 5.4)
    assert ChainRuleState.create(color_limit=3).with_weight(1, 0, 0, 9).scale == 3  # fixed means fixed


def test_an_exercise_is_hidden_until_solved_or_shown():
    s = ChainRuleState.create(quiz=["D1", "J"])
    assert s.hidden == {("top", "D1"), ("top", "J")}
    J = cv.two_layer(examples.W1_DEFAULT, examples.W2_DEFAULT).jacobian(examples.X_DEFAULT)
    wrong = J.copy()
    wrong[1, 2] += 0.1
    t = s.with_answer("J", wrong).checked("J")
    assert ("top", "J") in t.hidden and t.quiz[1].marks[1][2] is False
    u = t.with_answer("J", np.round(J, 2)).checked("J")  # two decimals: within ±0.01
    assert ("top", "J") not in u.hidden and u.quiz[1].status == "solved"
    v = u.answer_shown("D1")
    assert v.hidden == frozenset() and v.quiz[0].status == "shown"
    with pytest.raises(ValueError, match="expects 2×3"):
        s.with_answer("J", [[1, 2]])
    with pytest.raises(ValueError, match="asks for: D1, J"):
        s.checked("dL/dx")


def test_saved_state_round_trips_through_json():
    from chainviz.widgets.saved import state_from_dict, state_to_dict

    s = ChainRuleState.create(sizes=(2, 3, 3, 2), seed=4, free_limits=True, theme="dark")
    again = state_from_dict(json.dumps(state_to_dict(s)))
    assert again.net == s.net and np.array_equal(again.x, s.x) and again.loss == s.loss
    assert again.settings == s.settings and again.seed == 4
