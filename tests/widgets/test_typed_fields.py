"""Random text into every typed field of the chain-rule explorer, and random JSON into from_dict:
either accepted and drawn exactly, or refused with a message, with the state and the figure unchanged,
and never a warning or another exception (issue 12). Grids are covered by the state machine in
test_chain_rule_states.py; here: the widths field, the learning rate, a loaded file, from_dict, a
block pasted into a matrix grid, and ModeCostExplorer's widths field."""

from __future__ import annotations

import json
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.widgets.mode_cost_explorer import ModeCostExplorer

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


# -- a block pasted into a matrix grid (the page's "paste" message) ---------------------------------
def _block_text(values: np.ndarray, style: str) -> str:
    """``values`` as a user pastes them: numpy-style brackets, or spreadsheet lines (tabs,
    spaces, semicolons; decimal commas in some locales). ``repr`` round-trips every float."""
    cells = [[repr(float(v)) for v in row] for row in values]
    if style == "numpy":
        return "[" + ", ".join("[" + ", ".join(r) + "]" for r in cells) + "]"
    sep = {"tabs": "\t", "spaces": " ", "semicolons": "; ", "decimal commas": "\t"}[style]
    if style == "decimal commas":
        cells = [[c.replace(".", ",") for c in r] for r in cells]
    return "\n".join(sep.join(r) for r in cells)


BLOCKS = st.integers(1, 5).flatmap(lambda r: st.integers(1, 4).flatmap(lambda c: st.lists(
    st.lists(st.floats(-2e6, 2e6, allow_nan=False) | st.sampled_from([0.0, -0.0, 5e-324, 1e-300, 1e6, 0.5]),
             min_size=c, max_size=c), min_size=r, max_size=r)))
PASTE_TEXT = st.text(alphabet="0123456789.,;-+eE []\t\nx_−", max_size=30)


@SETTINGS
@given(grid=st.sampled_from(["W1", "W2"]), i=st.integers(0, 3), j=st.integers(0, 3),
       block=st.none() | BLOCKS, style=st.sampled_from(["numpy", "tabs", "spaces", "semicolons", "decimal commas"]),
       text=PASTE_TEXT)
def test_random_pastes_into_a_grid(grid, i, j, block, style, text, assert_chain_figure):
    app = APP
    app.reset()
    before = snapshot_of(app)
    old = [np.array(W) for W in app.net.weights]
    layer = int(grid[1]) - 1
    if block is not None:
        text = _block_text(np.array(block), style)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning is a failure here
        send(app._grids[grid], event="paste", i=i, j=j, text=text)
    if app.error:
        assert unchanged(app, before), (text, app.error)
        return
    new = app.net.weights
    assert all(np.array_equal(new[k], old[k]) for k in range(len(old)) if k != layer)  # only this grid
    W = new[layer]
    assert np.all(np.isfinite(W)) and np.all(np.abs(W) <= 1e6)
    if block is not None:  # accepted: exactly the numbers pasted, where the rule puts them
        B = np.array(block, dtype=float)
        at = (0, 0) if B.shape == old[layer].shape else (i, j)
        expected = old[layer].copy()
        expected[at[0]:at[0] + B.shape[0], at[1]:at[1] + B.shape[1]] = B
        np.testing.assert_array_equal(W, expected + 0.0)
    assert_chain_figure(app.figure, app.net, app.x, app.loss)  # drawn exactly


# -- ModeCostExplorer's widths field -------------------------------------------------------------------
MODE_COST = ModeCostExplorer([1000, 10, 20])
WIDTH_LISTS = st.lists(st.integers(1, 10**6), min_size=2, max_size=6)


@SETTINGS
@given(widths=st.none() | WIDTH_LISTS, sep=st.sampled_from([", ", "; ", " ", ",", " ; "]),
       text=st.text(alphabet="0123456789,; ._^*e-x", max_size=24))
def test_random_text_in_the_mode_cost_widths_field(widths, sep, text):
    m = MODE_COST
    m._set((1000, 10, 20))
    before = (m.widths, json.dumps(m.figure.to_dict()["data"], default=str))
    if widths is not None:
        text = sep.join(map(str, widths))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        send(m.controls, event="change", id="widths", value=text)
    if m.error:
        assert (m.widths, json.dumps(m.figure.to_dict()["data"], default=str)) == before, (text, m.error)
        return
    w = m.widths
    if widths is not None:
        assert w == tuple(widths), text
    n, ds = w[0], w[1:]
    d = m.figure.data  # what each mode carries, from the formulas: d_l·n numbers forward, d_l in reverse
    assert tuple(d[0].y) == tuple(k * n for k in ds) and tuple(d[1].y) == tuple(reversed(w))


def test_a_file_with_a_number_of_thousands_of_digits_is_refused_by_the_load_button():
    app = APP
    app.reset()
    before = snapshot_of(app)
    text = json.dumps(app.to_dict()).replace('"seed": 0', '"seed": ' + "9" * 5000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        send(app.toolbar, event="upload", id="load", name="big.json", text=text)
    assert "saved state seed: a number in the file has 5,000 digits" in app.error, app.error
    assert "Exceeds the limit" not in app.error and unchanged(app, before)
