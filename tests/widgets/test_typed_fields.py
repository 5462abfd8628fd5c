"""Random text into every typed field of the chain-rule explorer, and random JSON into from_dict:
either accepted and drawn exactly, or refused with a message, with the state and the figure unchanged,
and never a warning or another exception (issue 12). Grids are covered by the state machine in
test_chain_rule_states.py; here: the widths field, the learning rate, a loaded file, from_dict."""

from __future__ import annotations

import json
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainviz as cv

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=8), kids, max_size=4),
                    max_leaves=20)

APP = cv.ChainRuleExplorer()


def send(widget, **msg):
    widget._received(widget, msg, [])


def snapshot_of(app):
    return app.net, app.x.copy(), app.loss, app.eta, json.dumps(app.figure.to_dict()["data"], default=str)


def unchanged(app, before):
    net, x, loss, eta, data = before
    return (app.net == net and np.array_equal(app.x, x) and app.loss == loss and app.eta == eta
            and json.dumps(app.figure.to_dict()["data"], default=str) == data)


def typed(widget, key, text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning is a failure here
        send(widget, event="change", id=key, value=text)


@SETTINGS
@given(text=st.one_of(st.text(max_size=16), st.sampled_from(["3, 4, 2", "2 5 3", "3;4;4;2", "4,2", "3, 4,2",
                                                             "12,500, 2", "0, 3", "3, 300, 2", "1e1, 2"])))
def test_random_widths(text):
    app = APP
    app.reset()
    before = snapshot_of(app)
    typed(app.toolbar, "sizes", text)
    if app.error:
        assert unchanged(app, before), text
    else:
        shown = [t for t in app.toolbar.items if t["id"] == "sizes"][0]["value"]
        assert shown == ", ".join(map(str, app.net.widths))  # the field says what is drawn
        assert all(1 <= w <= 256 for w in app.net.widths)


@SETTINGS
@given(text=st.one_of(st.text(max_size=12), st.floats(allow_nan=True).map(str), st.sampled_from(["0,5", "1e-3", "10"])))
def test_random_learning_rates(text):
    app = APP
    app.reset()
    app.eta = 0.1
    before = snapshot_of(app)
    typed(app.info, "eta", text)
    if app.error:
        assert "η" in app.error and unchanged(app, before), (text, app.error)
    else:
        assert 0 < app.eta <= 10
        assert abs(app.eta - float(text.strip().replace(",", "."))) <= 1e-12 * app.eta


@SETTINGS
@given(doc=JSON)
def test_random_json_to_from_dict_and_to_the_load_button(doc):
    app = APP
    app.reset()
    before = snapshot_of(app)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            cv.ChainRuleExplorer.from_dict(doc)
            accepted = True
        except (ValueError, TypeError) as exc:
            assert str(exc)
            accepted = False
        send(app.toolbar, event="upload", id="load", name="random.json", text=json.dumps(doc))
    assert bool(app.error) != accepted
    if not accepted:
        assert unchanged(app, before)


@SETTINGS
@given(key=st.sampled_from(["x", "net", "loss", "options", "seed", "history", "version", "chainviz"]), value=JSON)
def test_a_saved_state_with_one_part_replaced(key, value):
    d = APP.to_dict()
    d[key] = value
    try:
        app = cv.ChainRuleExplorer.from_dict(json.loads(json.dumps(d)))
    except (ValueError, TypeError) as exc:
        assert str(exc)
        return
    assert app.to_dict()["net"] == json.loads(json.dumps(app.net.to_dict()))  # accepted: exactly what it says
