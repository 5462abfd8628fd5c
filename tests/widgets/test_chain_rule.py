"""ChainRuleExplorer without a kernel: every edit, from the API or from a widget, shows
what the core computes; bad input is refused cell by cell; one small message per edit.

Expected numbers come from the core API (``Net.jacobian_factors``, ``Net.jacobian``,
``Net.reverse_sweep``, ``Net.forward_sweep``, ``Net.weight_gradients``) or from formulas
written here by hand; never from ``app.snapshot`` or ``figure_spec``. The figure holds
numbers rounded to 3 significant digits, so comparisons with it are to 3 digits.
"""

from __future__ import annotations

import html
import io
import json
import re
from contextlib import redirect_stdout

import numpy as np
import pytest

import chainviz as cv
from chainviz import examples
from chainviz.widgets import page as page_module

ChainRuleExplorer = cv.ChainRuleExplorer

BAD_TEXTS = [
    ("abc", "not a number"),
    ("", "empty"),
    ("   ", "empty"),
    ("nan", "not a finite number"),
    ("inf", "not a finite number"),
    ("-inf", "not a finite number"),
    ("1e7", "too large"),
]
BAD_NUMBERS = [
    (float("nan"), "not a finite number"),
    (float("inf"), "not a finite number"),
    (-1e7, "too large"),
]


@pytest.fixture
def app():
    return ChainRuleExplorer()


def state(app):
    """The state an edit may change, as copies."""
    return app.net, app.x, app.loss


def assert_same_state(app, before):
    net, x, loss = before
    assert app.net == net
    assert np.array_equal(app.x, x)
    assert app.loss == loss


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _where(where: str) -> tuple[str, int, int]:
    name, idx = where.split("[")
    idx = [int(v) for v in idx.rstrip("]").split(",")]
    return name, idx[0], idx[1] if len(idx) > 1 else 0


def send(widget, **msg):
    """A message from the page, as the browser sends it (a click, a typed cell)."""
    widget._received(widget, msg, [])


def type_cell(app, where: str, text: str):
    """Type ``text`` into the grid cell ``where`` (``W1[0,2]``, ``x[1]``) and press Enter."""
    name, i, j = _where(where)
    send(app._grids[name], event="edit", i=i, j=j, text=text)


def cell_text(app, where: str) -> str:
    name, i, j = _where(where)
    return app._grids[name].cells[i][j]


def cell_error(app, where: str) -> str | None:
    name, i, j = _where(where)
    return app._grids[name].errors.get(f"{i},{j}")


def item(bar, key):
    """The control item ``key`` of a control bar (searching inside groups)."""
    def find(items):
        for it in items:
            if it["id"] == key:
                return it
            if it["kind"] == "group":
                found = find(it["items"])
                if found:
                    return found
        return None
    found = find(bar.items)
    assert found is not None, f"no item {key!r} in {[it['id'] for it in bar.items]}"
    return found


def change(bar, key, value):
    send(bar, event="change", id=key, value=value)


def click(bar, key):
    send(bar, event="click", id=key)


def api_edit(app, where: str, value):
    name, idx = where.split("[")
    idx = [int(v) for v in idx.rstrip("]").split(",")]
    if name == "W1":
        return app.set_weight(1, idx[0], idx[1], value)
    if name == "W2":
        return app.set_weight(2, idx[0], idx[1], value)
    if name == "x":
        return app.set_input(idx[0], value)
    return app.set_target(idx[0], value)


def visible_data(data: list) -> list:
    """Traces as plain data, without plotly's random ``uid`` and without hidden slots."""
    return [{k: v for k, v in t.items() if k != "uid"} for t in data if t.get("visible") is not False]


def word_texts(fig) -> list[str]:
    """Titles, headings and ticks: the "words" text traces (:mod:`chainviz.views.words`)."""
    return [t for tr in fig.data if tr.name in ("words", "live words") for t in tr.text]


# ------------------------------------------------------------------ the default state
def test_default_figure_shows_the_core(app, assert_chain_figure):
    W1, W2, x = examples.W1_DEFAULT, examples.W2_DEFAULT, examples.X_DEFAULT
    assert app.net == cv.two_layer(W1, W2, "sigmoid")
    assert np.array_equal(app.x, x)
    assert app.loss == cv.MSE([0.5, -0.5])
    assert app.error == ""
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


def test_sigmoid_J_matches_the_hand_formula(app, trace_z, assert_sig3):
    W1, W2, x = examples.W1_DEFAULT, examples.W2_DEFAULT, examples.X_DEFAULT
    z1 = W1 @ x
    s = sigmoid(z1)
    slope = s * (1 - s)  # σ' = σ(1 − σ)
    assert_sig3(trace_z(app.figure, "top:J"), W2 @ np.diag(slope) @ W1, "J")
    D1 = np.full((4, 4), np.nan)
    D1[np.diag_indices(4)] = slope
    assert_sig3(trace_z(app.figure, "top:D1"), D1, "diag(σ'(z1))")
    assert_sig3(trace_z(app.figure, "top:W1"), W1, "W1")
    assert_sig3(trace_z(app.figure, "top:W2"), W2, "W2")
    # reverse rows by hand, MSE target (0.5, -0.5)
    y = W2 @ s
    g = y - np.array([0.5, -0.5])
    assert_sig3(trace_z(app.figure, "rev:loss"), g[None, :], "∂L/∂y")
    assert_sig3(trace_z(app.figure, "rev:W2"), (g @ W2)[None, :], "∂L/∂a1")
    assert_sig3(trace_z(app.figure, "rev:D1"), (g @ W2 * slope)[None, :], "∂L/∂z1")
    assert_sig3(trace_z(app.figure, "rev:W1"), (g @ W2 * slope @ W1)[None, :], "∂L/∂x")


# ------------------------------------------------------------------ valid edits, API
@pytest.mark.parametrize("layer,i,j,value", [(1, 0, 2, 0.25), (1, 3, 0, -1.75), (2, 1, 3, 2.5), (2, 0, 0, 0.0),
                                             (1, 2, 1, "  -0.5 "), (2, 1, 2, "1e-3")])
def test_set_weight_updates_every_panel(app, layer, i, j, value, assert_chain_figure):
    Ws = [np.array(W) for W in app.net.weights]
    Ws[layer - 1][i, j] = float(value)
    expected = cv.two_layer(Ws[0], Ws[1], "sigmoid")
    app.set_weight(layer, i, j, value)
    assert app.error == ""
    assert app.net == expected
    assert_chain_figure(app.figure, expected, examples.X_DEFAULT, cv.MSE([0.5, -0.5]))
    assert float(cell_text(app, f"W{layer}[{i},{j}]")) == float(value)  # the grid shows it too


@pytest.mark.parametrize("j,value", [(0, -0.9), (2, 3.0), (1, "0")])
def test_set_input_updates_every_panel(app, j, value, assert_chain_figure):
    x = examples.X_DEFAULT.copy()
    x[j] = float(value)
    app.set_input(j, value)
    assert np.array_equal(app.x, x)
    assert_chain_figure(app.figure, app.net, x, app.loss)
    assert app.net == cv.two_layer(examples.W1_DEFAULT, examples.W2_DEFAULT, "sigmoid")


def test_set_target_updates_the_reverse_rows(app, assert_chain_figure, trace_z, assert_sig3):
    app.set_target(1, 0.75)
    assert app.loss == cv.MSE([0.5, 0.75])
    assert_chain_figure(app.figure, app.net, app.x, cv.MSE([0.5, 0.75]))
    y = app.net.forward(app.x).output
    assert_sig3(trace_z(app.figure, "rev:loss"), (y - [0.5, 0.75])[None, :], "∂L/∂y = y − t")


def test_x_property_setter(app, assert_chain_figure):
    app.x = [0.1, 0.2, -0.3]
    assert np.array_equal(app.x, [0.1, 0.2, -0.3])
    assert_chain_figure(app.figure, app.net, np.array([0.1, 0.2, -0.3]), app.loss)
    before = state(app)
    with pytest.raises(ValueError, match="length 2"):
        app.x = [1.0, 2.0]  # wrong length: refused, kept
    assert "x" in app.error and "length 2" in app.error
    assert_same_state(app, before)


def test_net_and_loss_property_setters(app, assert_chain_figure):
    rng = np.random.default_rng(3)
    net = cv.two_layer(rng.normal(size=(5, 2)), rng.normal(size=(3, 5)), "tanh", "sigmoid")
    app.net = net
    assert app.net == net
    assert app.net.widths == [2, 5, 3]
    np.testing.assert_array_equal(app.x, examples.X_DEFAULT[:2])  # kept where it fits
    assert app.loss == cv.MSE([0.5, -0.5, 0.0])  # the target is fitted to m = 3
    assert_chain_figure(app.figure, net, app.x, app.loss)
    app.loss = cv.SoftmaxCrossEntropy(2)
    assert app.loss == cv.SoftmaxCrossEntropy(2)
    assert_chain_figure(app.figure, net, app.x, cv.SoftmaxCrossEntropy(2))
    before = state(app)
    with pytest.raises(ValueError, match="label is 7"):
        app.loss = cv.SoftmaxCrossEntropy(7)
    assert "label is 7" in app.error
    assert_same_state(app, before)
    with pytest.raises(TypeError, match="net must be a chainviz Net"):
        app.net = "not a net"
    with pytest.raises(TypeError, match=r"cv.Net\(\[W1, W2\]"):  # a list of matrices: say how to make a Net
        app.net = [np.eye(2), np.eye(2)]
    assert_same_state(app, before)


# ------------------------------------------------------------------ sizes and depth
@pytest.mark.parametrize("sizes", [(1, 1, 1), (2, 5, 3), (5, 2, 4), (3, 4, 2), (8, 8, 8), (12, 3, 2)])
def test_set_sizes(app, sizes, assert_chain_figure):
    old = app.net
    app.set_sizes(*sizes)
    n, h, m = sizes
    assert app.net.widths == [n, h, m]
    assert app.net.activations == old.activations
    W1, W2 = app.net.weights
    r, k = min(h, 4), min(n, 3)
    np.testing.assert_array_equal(W1[:r, :k], old.weights[0][:r, :k])  # kept where it fits
    r, k = min(m, 2), min(h, 4)
    np.testing.assert_array_equal(W2[:r, :k], old.weights[1][:r, :k])
    assert app.x.shape == (n,)
    assert app.loss.target.shape == (m,)
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


@pytest.mark.parametrize("sizes", [(0, 3, 2), (3, 300, 2), ("a", 2, 2), (3,), (3, 2, 2, 2, 2, 2)])
def test_set_sizes_out_of_range_is_refused(app, sizes, figure_data):
    before, data = state(app), figure_data(app.figure)
    with pytest.raises((ValueError, TypeError)):
        app.set_sizes(*sizes)
    assert "width" in app.error  # named as on the Widths field (one rule for widths)
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_set_depth_keeps_n_and_m(app, depth, assert_chain_figure):
    app.set_depth(depth)
    assert app.net.depth == depth
    assert app.net.n == 3 and app.net.m == 2
    assert app.net.activations[-1] == "identity"  # the output layer keeps its activation
    # the output layer keeps its weights where the shapes overlap
    W_out = app.net.weights[-1]
    r, k = min(W_out.shape[0], 2), min(W_out.shape[1], 4)
    np.testing.assert_array_equal(W_out[:r, :k], examples.W2_DEFAULT[:r, :k])
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


def test_three_layer_figure_holds_the_core_after_edits(assert_chain_figure, trace_z, assert_sig3):
    """Any depth, no special case: a depth-3 net's figure equals the core after edits of every layer."""
    p = examples.PRESETS["three_layers"]
    app = ChainRuleExplorer(p.net, p.x, p.loss)
    assert_chain_figure(app.figure, p.net, p.x, p.loss)
    for layer, (i, j, v) in zip((1, 2, 3), [(0, 1, -0.7), (2, 3, 1.1), (1, 2, 0.25)]):
        app.set_weight(layer, i, j, v)
        assert app.net.weights[layer - 1][i, j] == v
        assert_chain_figure(app.figure, app.net, app.x, app.loss)
    app.set_options(show_weight_grads=True)
    assert_chain_figure(app.figure, app.net, app.x, app.loss, grads=True)
    # J of a tanh-tanh-linear net, by hand: W3·diag(tanh'(z2))·W2·diag(tanh'(z1))·W1
    W1, W2, W3 = app.net.weights
    z1 = W1 @ app.x
    z2 = W2 @ np.tanh(z1)
    J = W3 @ np.diag(1 - np.tanh(z2) ** 2) @ W2 @ np.diag(1 - np.tanh(z1) ** 2) @ W1
    assert_sig3(trace_z(app.figure, "top:J"), J, "J of three layers")
    app.set_step(2)
    assert_chain_figure(app.figure, app.net, app.x, app.loss, step=2, grads=True)


def test_one_layer_net():
    net = cv.Net([[[0.5, -1.0], [2.0, 0.3]]], ["tanh"])
    app = ChainRuleExplorer(net, [0.2, -0.1], cv.Sum())
    z = np.array([[0.5, -1.0], [2.0, 0.3]]) @ [0.2, -0.1]
    np.testing.assert_allclose(app.snapshot.J, np.diag(1 - np.tanh(z) ** 2) @ [[0.5, -1.0], [2.0, 0.3]])
    assert [g.name for g in app._grids.values()] == ["W1", "x"]


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("hidden", sorted(cv.ACTIVATIONS))
@pytest.mark.parametrize("output", ["identity", "sigmoid"])
def test_activation_switch(app, hidden, output, assert_chain_figure, visible_traces):
    app.set_activations(hidden, output)
    assert app.net.activations == [hidden, output]
    expected = cv.two_layer(examples.W1_DEFAULT, examples.W2_DEFAULT, hidden, output)
    assert app.net == expected
    assert_chain_figure(app.figure, expected, examples.X_DEFAULT, cv.MSE([0.5, -0.5]))
    shown = visible_traces(app.figure)
    for band in ("top", "rev", "fwd"):
        assert (f"{band}:D1" in shown) == (hidden != "identity")
        assert (f"{band}:D2" in shown) == (output != "identity")


def test_identity_activations_give_W2_W1(app, trace_z, assert_sig3, visible_traces):
    send(app._grids["W1"], event="option", value="identity")  # the select in W1's header
    assert app.net.activations == ["identity", "identity"]
    W1, W2 = examples.W1_DEFAULT, examples.W2_DEFAULT
    assert_sig3(trace_z(app.figure, "top:J"), W2 @ W1, "J = W2·W1")
    shown = visible_traces(app.figure)
    assert not [name for name in shown if name.endswith(":D1") or name.endswith(":D2")]
    assert sorted(n for n in shown if n.startswith("top:")) == ["top:J", "top:W1", "top:W2"]
    # a linear map: ∂L/∂x = ∂L/∂y · W2 · W1
    g = W2 @ W1 @ examples.X_DEFAULT - np.array([0.5, -0.5])
    assert_sig3(trace_z(app.figure, "rev:W1"), (g @ W2 @ W1)[None, :], "∂L/∂x")
    # and back: the slope slots return
    send(app._grids["W1"], event="option", value="sigmoid")
    assert "top:D1" in visible_traces(app.figure)


def test_unknown_activation_is_refused(app, figure_data):
    before, data = state(app), figure_data(app.figure)
    with pytest.raises(ValueError, match="swish"):
        app.set_activations("swish")
    assert "swish" in app.error and "not a known activation" in app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data
    send(app._grids["W2"], event="option", value="swish")  # from the page: shown, not raised
    assert "swish" in app.error
    assert_same_state(app, before)


def test_output_activation_select(app, assert_chain_figure):
    send(app._grids["W2"], event="option", value="tanh")
    assert app.net.activations == ["sigmoid", "tanh"]
    assert app._grids["W2"].option["value"] == "tanh"
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


# ------------------------------------------------------------------ losses
def _hand_dL_dy(name, y, param):
    if name == "mse":
        return y - param
    if name == "sum":
        return np.ones_like(y)
    p = np.exp(y - y.max())
    p /= p.sum()
    p[param] -= 1
    return p


@pytest.mark.parametrize("name,label", [("sum", None), ("softmax_ce", 0), ("softmax_ce", 1), ("mse", None)])
def test_loss_switch(app, name, label, assert_chain_figure, trace_z, assert_sig3):
    if name == "mse":
        app.set_loss("sum")  # switching back to MSE starts from a zero target
    app.set_loss(name, label)
    expected = {"sum": cv.Sum(), "mse": cv.MSE([0.0, 0.0]),
                "softmax_ce": cv.SoftmaxCrossEntropy(label or 0)}[name]
    assert app.loss == expected
    assert_chain_figure(app.figure, app.net, app.x, expected)
    y = app.net.forward(app.x).output
    param = {"mse": np.zeros(2), "sum": None, "softmax_ce": label}[name]
    assert_sig3(trace_z(app.figure, "rev:loss"), _hand_dL_dy(name, y, param)[None, :], "∂L/∂y")


def test_loss_controls(app, assert_chain_figure):
    change(app.toolbar, "loss", "softmax_ce")
    assert app.loss == cv.SoftmaxCrossEntropy(0)
    assert item(app.toolbar, "label")["value"] == "0"
    change(app.toolbar, "label", "1")
    assert app.loss == cv.SoftmaxCrossEntropy(1)
    assert_chain_figure(app.figure, app.net, app.x, cv.SoftmaxCrossEntropy(1))
    assert "t" not in app._grids  # no target without MSE
    change(app.toolbar, "loss", "sum")
    assert app.loss == cv.Sum()
    assert_chain_figure(app.figure, app.net, app.x, cv.Sum())


def test_bad_loss_is_refused(app, figure_data):
    before, data = state(app), figure_data(app.figure)
    with pytest.raises(ValueError, match="hinge"):
        app.set_loss("hinge")
    with pytest.raises(ValueError, match="label is 5"):
        app.set_loss("softmax_ce", 5)
    assert "label is 5" in app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


# ------------------------------------------------------------------ presets, randomize, reset
@pytest.mark.parametrize("name", list(examples.PRESETS))
def test_load_preset(app, name, assert_chain_figure):
    app.set_sizes(2, 2, 2)  # start from somewhere else
    p = examples.PRESETS[name]
    app.load_preset(name)
    assert app.net == p.net
    assert np.array_equal(app.x, p.x)
    assert app.loss == p.loss
    assert app.error == ""
    assert_chain_figure(app.figure, p.net, p.x, p.loss)
    # the editors show the preset, and the menu names it
    W1 = p.net.weights[0]
    assert float(app._grids["W1"].cells[0][0]) == pytest.approx(W1[0, 0], rel=1e-4)  # shown to 4 digits
    assert app._grids["W1"].option["value"] == p.net.activations[0]
    assert item(app.toolbar, "preset")["value"] == name


def test_preset_menu(app, assert_chain_figure):
    assert item(app.toolbar, "preset")["value"] == "sigmoid"  # built at the section's example: named
    change(app.toolbar, "preset", "dead_relu")
    p = examples.PRESETS["dead_relu"]
    assert app.net == p.net
    assert_chain_figure(app.figure, p.net, p.x, p.loss)
    assert html.escape(p.note) in item(app.info, "status")["html"]  # the preset's note is shown
    assert app.error == ""
    app.set_weight(1, 0, 0, 0.1)  # edited: no longer the preset
    assert item(app.toolbar, "preset")["value"] == ""


def test_unknown_preset_is_refused(app, figure_data):
    before, data = state(app), figure_data(app.figure)
    with pytest.raises(ValueError, match="nope"):
        app.load_preset("nope")
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


def test_randomize_and_reset(app, assert_chain_figure):
    initial = state(app)
    app.randomize(7)
    assert app.net != initial[0]
    assert app.net.widths == [3, 4, 2]
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    again = ChainRuleExplorer()
    again.randomize(7)
    assert again.net == app.net and np.array_equal(again.x, app.x)  # seeded
    net7 = app.net
    click(app.toolbar, "randomize")  # the button takes the next seed
    assert app.net != net7
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    click(app.toolbar, "reset")
    assert_same_state(app, initial)
    assert_chain_figure(app.figure, *initial)


def test_weight_gradient_band(app, assert_chain_figure, visible_traces):
    assert "grad:W1" not in visible_traces(app.figure)
    change(app.toolbar, "show_weight_grads", True)
    assert_chain_figure(app.figure, app.net, app.x, app.loss, grads=True)
    app.set_weight(2, 0, 1, -0.3)
    assert_chain_figure(app.figure, app.net, app.x, app.loss, grads=True)
    app.set_options(show_weight_grads=False)
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


def test_free_colour_limits(app, trace_by_name, chain_expected):
    shared = {trace_by_name(app.figure, n).zmax for n in ("top:W1", "top:J", "rev:W1", "fwd:W2")}
    assert len(shared) == 1  # one scale for every panel, by default
    panels = chain_expected(app.net, app.x, app.loss)
    largest = max(np.nanmax(np.abs(z)) for z in panels.values())
    limit = shared.pop()
    assert limit >= largest and limit in (1, 2, 5, 10, 20, 50)  # a round number that holds every value
    change(app.toolbar, "free_limits", True)
    W1_limit = trace_by_name(app.figure, "top:W1").zmax
    assert W1_limit == pytest.approx(np.abs(examples.W1_DEFAULT).max())
    J_limit = trace_by_name(app.figure, "top:J").zmax
    assert J_limit == pytest.approx(np.abs(app.net.jacobian(app.x)).max())
    for name in ("top:W1", "top:J"):
        t = trace_by_name(app.figure, name)
        assert t.zmin == -t.zmax  # zero stays white


def test_colour_scale_stays_put_until_a_value_leaves_it(app, trace_by_name):
    """Colours of unchanged cells do not change after an edit; a wider scale is said out loud."""
    limit = trace_by_name(app.figure, "top:W2").zmax
    assert limit == 1.0
    app.set_weight(1, 0, 0, 0.95)  # inside ±1: nothing rescales
    assert trace_by_name(app.figure, "top:W2").zmax == 1.0
    assert "scale" not in item(app.info, "status")["html"]
    app.set_weight(1, 0, 0, 1.6)  # outside: the scale widens, and a note says so
    assert trace_by_name(app.figure, "top:W2").zmax == 2.0
    note = item(app.info, "status")["html"]
    assert "widened from ±1 to ±2" in note and "W1[0,0]" in note
    app.set_weight(1, 0, 0, 0.5)  # back inside: the scale does not jump back
    assert trace_by_name(app.figure, "top:W2").zmax == 2.0
    click(app.toolbar, "fit_scale")
    assert trace_by_name(app.figure, "top:W2").zmax == 1.0


# ------------------------------------------------------------------ typed edits through the grids
@pytest.mark.parametrize("where,text,shown,value", [
    ("W1[0,2]", "0.25", "0.25", 0.25),
    ("W1[3,1]", ".5", "0.5", 0.5),
    ("W2[1,3]", " -2e-1 ", "-0.2", -0.2),
    ("W2[0,0]", "−0.3", "-0.3", -0.3),  # a typed Unicode minus
    ("x[1]", "1,5", "1.5", 1.5),  # a decimal comma
    ("t[0]", "-1.000", "-1", -1.0),
])
def test_typed_edit(app, where, text, shown, value, assert_chain_figure):
    type_cell(app, where, text)
    assert app.error == ""
    assert cell_text(app, where) == shown  # normalised
    assert cell_error(app, where) is None
    name, i, j = _where(where)
    if name in ("W1", "W2"):
        assert app.net.weights[int(name[1]) - 1][i, j] == value
    elif name == "x":
        assert app.x[i] == value
    else:
        assert app.loss.target[i] == value
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


def test_typed_edit_values_match_the_hand_formula(app, trace_z, assert_sig3):
    app.set_activations("identity")
    type_cell(app, "W1[0,2]", "0.25")
    W1 = examples.W1_DEFAULT.copy()
    W1[0, 2] = 0.25
    assert_sig3(trace_z(app.figure, "top:J"), examples.W2_DEFAULT @ W1, "J = W2·W1 after a typed edit")


@pytest.mark.parametrize("text,expected", [
    ("0.1\t0.2\t0.3\n0.4\t0.5\t0.6\n0.7\t0.8\t0.9\n1\t1.1\t1.2", np.arange(1, 13).reshape(4, 3) / 10),
    ("[[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]", np.arange(1, 13).reshape(4, 3)),
    ("0,5 0,25 -1\n1 2 3\n4 5 6\n7 8 9", np.array([[0.5, 0.25, -1], [1, 2, 3], [4, 5, 6], [7, 8, 9]])),
])
def test_pasted_block_fills_the_matrix(app, text, expected, assert_chain_figure):
    send(app._grids["W1"], event="paste", i=2, j=1, text=text)  # the whole shape: from the top left
    assert app.error == ""
    np.testing.assert_array_equal(app.net.weights[0], expected)
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


def test_pasted_smaller_block_lands_at_the_cell(app):
    send(app._grids["W1"], event="paste", i=2, j=1, text="9 8\n7 6")
    W1 = examples.W1_DEFAULT.copy()
    W1[2:4, 1:3] = [[9, 8], [7, 6]]
    np.testing.assert_array_equal(app.net.weights[0], W1)


@pytest.mark.parametrize("text,words", [("1 2\n3", "different lengths"), ("1 2 3 4 5", "room for"),
                                        ("1 x 3", "'x' is not a number"), ("", "no numbers")])
def test_bad_paste_is_refused(app, text, words, figure_data):
    before, data = state(app), figure_data(app.figure)
    send(app._grids["W1"], event="paste", i=0, j=0, text=text)
    assert words in app.error, app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


# ------------------------------------------------------------------ bad input
CELLS = ["W1[0,2]", "W2[1,3]", "x[1]", "t[0]"]


@pytest.mark.parametrize("path", ["api", "widget"])
@pytest.mark.parametrize("where", CELLS)
@pytest.mark.parametrize("text,problem", BAD_TEXTS, ids=[repr(t) for t, _ in BAD_TEXTS])
def test_bad_text_is_refused_and_marked(app, path, where, text, problem, figure_data, record_messages):
    before, data = state(app), figure_data(app.figure)
    old_text = cell_text(app, where)
    log = record_messages(app.figure)
    if path == "api":
        with pytest.raises(ValueError) as info:
            api_edit(app, where, text)
        assert str(info.value) == app.error  # the exception carries the message the page shows
    else:
        type_cell(app, where, text)  # raises nothing: the page shows it
    assert cell_text(app, where) == old_text  # the grid still holds the kept value (the page keeps the typing)
    assert where in app.error, app.error
    assert problem in app.error, app.error
    status = item(app.info, "status")["html"]
    assert html.escape(where) in status and "⚠" in status
    assert cell_error(app, where) == app.error  # the cell is marked with the message
    assert_same_state(app, before)
    assert figure_data(app.figure) == data
    assert len(log) == 0  # nothing visible changed, nothing sent
    for name, grid in app._grids.items():  # no other cell is marked
        for key in grid.errors:
            assert f"{name}[{key.replace(',', ',')}]".startswith(where.split("[")[0]), (name, key)
    # a valid edit of the same cell clears the error and the mark
    if path == "api":
        api_edit(app, where, 0.125)
    else:
        type_cell(app, where, "0.125")
    assert app.error == ""
    assert cell_error(app, where) is None
    assert cell_text(app, where) == "0.125"
    assert len(log) == 1


@pytest.mark.parametrize("where", CELLS)
@pytest.mark.parametrize("value,problem", BAD_NUMBERS, ids=["nan", "inf", "-1e7"])
def test_bad_number_is_refused(app, where, value, problem, figure_data):
    before, data = state(app), figure_data(app.figure)
    with pytest.raises(ValueError):
        api_edit(app, where, value)
    assert where in app.error and problem in app.error, app.error
    assert cell_error(app, where) == app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


def test_limit_is_inclusive(app):
    app.set_weight(1, 0, 0, "1e6")
    assert app.net.weights[0][0, 0] == 1e6
    app.set_weight(1, 0, 0, -1e6)


@pytest.mark.parametrize("call,words", [
    (lambda a: a.set_weight(3, 0, 0, 1.0), "layer must be 1 to 2"),
    (lambda a: a.set_weight(1, 4, 0, 1.0), "outside W1"),
    (lambda a: a.set_weight(2, 0, 9, 1.0), "outside W2"),
    (lambda a: a.set_input(3, 1.0), "outside x"),
    (lambda a: a.set_target(2, 1.0), "outside t"),
    (lambda a: a.set_weight(1, 0, 0, True), "not a number"),
])
def test_bad_index_is_refused(app, call, words, figure_data):
    before, data = state(app), figure_data(app.figure)
    with pytest.raises((ValueError, TypeError)):
        call(app)
    assert words in app.error, app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


def test_target_without_mse_is_refused(app):
    app.set_loss("sum")
    before = state(app)
    with pytest.raises(ValueError, match="MSE"):
        app.set_target(0, 1.0)
    assert_same_state(app, before)


def test_extreme_valid_values_still_show_the_core(app, assert_chain_figure, trace_z):
    for i in range(4):
        for j in range(3):
            app.set_weight(1, i, j, 1e6 if (i + j) % 2 else -1e6)
    app.set_input(0, 1e6)
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    # the sigmoid is flat out there: every slope, hence J, is 0
    assert np.all(trace_z(app.figure, "top:J") == 0)


# ------------------------------------------------------------------ exceptions never escape the page
def fail_next_call(monkeypatch, module, name: str, message: str = "simulated bug") -> dict:
    """Make the next call of ``module.name`` raise a RuntimeError (a bug of ours);
    set ``calls["n"] = 0`` to arm it again."""
    real = getattr(module, name)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError(message)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, flaky)
    return calls


def test_internal_error_in_the_core_is_shown_not_raised(app, monkeypatch, figure_data, record_messages):
    from chainviz.widgets import structure as state_module

    fail_next_call(monkeypatch, state_module, "snapshot")
    before, data = state(app), figure_data(app.figure)
    log = record_messages(app.figure)
    type_cell(app, "W1[0,0]", "0.5")  # from the page: shown, not raised
    assert app.error.startswith("internal error")
    assert "RuntimeError" in app.error and "simulated bug" in app.error
    assert "internal error" in item(app.info, "status")["html"]
    assert_same_state(app, before)
    assert figure_data(app.figure) == data
    assert len(log) == 0
    app.set_weight(1, 0, 1, 0.5)  # the next edit works and clears the message
    assert app.error == "" and "internal error" not in item(app.info, "status")["html"]
    assert app.net.weights[0][0, 1] == 0.5


def test_internal_error_through_the_api_is_raised_and_shown(app, monkeypatch, figure_data):
    from chainviz.widgets import structure as state_module

    calls = fail_next_call(monkeypatch, state_module, "snapshot")
    before, data = state(app), figure_data(app.figure)
    for edit in (lambda: app.set_sizes(2, 2, 2), lambda: app.set_activations("tanh")):
        calls["n"] = 0
        with pytest.raises(RuntimeError, match="simulated bug"):
            edit()
        assert app.error.startswith("internal error")
        assert_same_state(app, before)
        assert figure_data(app.figure) == data


@pytest.mark.parametrize("path", ["api", "widget"])
def test_internal_error_in_the_view_keeps_state_and_figure_together(app, monkeypatch, path, figure_data,
                                                                     assert_chain_figure):
    fail_next_call(monkeypatch, page_module, "figure_spec", "simulated view bug")
    before, data = state(app), figure_data(app.figure)
    if path == "api":
        with pytest.raises(RuntimeError):
            app.set_weight(1, 0, 0, 0.5)
    else:
        type_cell(app, "W1[0,0]", "0.5")
    assert app.error.startswith("internal error") and "simulated view bug" in app.error
    assert_same_state(app, before)  # the last valid state is kept ...
    assert figure_data(app.figure) == data  # ... and the figure still shows it
    app.set_weight(1, 0, 1, 0.5)
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


def _click(app, name: str, i: int, j: int):
    """A click on entry [i, j] of panel ``name`` as plotly reports it (grid coordinates)."""
    from plotly.callbacks import InputDeviceState, Points

    trace = app.figure.data[0]
    row, col, _, _ = trace.meta["panels"][name]
    pts = Points(point_inds=[[row + i, col + j]], xs=[col + j], ys=[row + i], trace_name=trace.name, trace_index=0)
    st = InputDeviceState(ctrl=False, alt=False, shift=False, meta=False, button=0, buttons=1)
    trace._dispatch_on_click(pts, st)


def test_click_handler_is_guarded(app, monkeypatch):
    _click(app, "top:J", 1, 0)
    assert "J[1,0]" in item(app.info, "status")["html"]
    monkeypatch.setattr(app, "select", lambda *a: (_ for _ in ()).throw(RuntimeError("click bug")))
    _click(app, "top:J", 1, 0)  # raises nothing
    assert "internal error" in app.error and "click bug" in app.error


def test_click_on_a_weight_picks_it_for_the_grid_and_the_slider(app):
    token = app._grids["W2"].focus_token
    _click(app, "top:W2", 1, 3)
    assert app._grids["W2"].selected == [1, 3]
    assert app._grids["W2"].focus_token == token + 1  # the page focuses that cell: typing goes there
    assert item(app.scrub, "scrub")["label"] == "scrub W2[1,3]"
    change(app.scrub, "scrub", 0.42)
    assert app.net.weights[1][1, 3] == 0.42
    assert cell_text(app, "W2[1,3]") == "0.42"


# ------------------------------------------------------------------ one message per edit
EDITS = {
    "set_weight": lambda a: a.set_weight(1, 0, 2, 0.25),
    "set_weight W2": lambda a: a.set_weight(2, 1, 0, -0.4),
    "set_input": lambda a: a.set_input(0, 0.3),
    "set_target": lambda a: a.set_target(1, 0.1),
    "typed W1 cell": lambda a: type_cell(a, "W1[2,1]", "0.7"),
    "typed x cell": lambda a: type_cell(a, "x[2]", "-0.2"),
    "pasted block": lambda a: send(a._grids["x"], event="paste", i=0, j=0, text="1 2 3"),
    "activation": lambda a: a.set_activations("tanh"),
    "activation identity": lambda a: a.set_activations("identity"),
    "activation select": lambda a: send(a._grids["W2"], event="option", value="sigmoid"),
    "set_sizes": lambda a: a.set_sizes(4, 5, 3),
    "sizes typed": lambda a: change(a.toolbar, "sizes", "3, 6, 2"),
    "depth": lambda a: change(a.toolbar, "depth", "3"),
    "loss": lambda a: a.set_loss("softmax_ce", 1),
    "preset": lambda a: a.load_preset("relu"),
    "randomize": lambda a: a.randomize(3),
    "step": lambda a: a.set_step(1),
    "step slider": lambda a: change(a.info, "step", 2),
    "select": lambda a: a.select("top", "J", 1, 0),
    "free limits": lambda a: a.set_options(free_limits=True),
    "grads": lambda a: a.set_options(show_weight_grads=True),
    "scrub": lambda a: change(a.scrub, "scrub", 0.42),
    "a weight reached with the arrow keys": lambda a: send(a._grids["W1"], event="select", i=1, j=2),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_one_message_per_edit(app, edit, record_messages):
    log = record_messages(app.figure)
    EDITS[edit](app)
    assert app.error == ""
    assert log.names == ["_send_update_msg"], log.names
    assert len(log.payloads) == 1


NO_OPS = {
    "same weight": lambda a: a.set_weight(1, 0, 0, 0.8),
    "same weight typed": lambda a: a.set_weight(1, 0, 0, "0.80"),
    "same input": lambda a: a.set_input(1, -0.5),
    "same activations": lambda a: a.set_activations("sigmoid", "identity"),
    "same sizes": lambda a: a.set_sizes(3, 4, 2),
    "same loss": lambda a: a.set_loss("mse"),
    "step None": lambda a: a.set_step(None),
    "step K": lambda a: a.set_step(4),
    "options unchanged": lambda a: a.set_options(free_limits=False),
    "tiny change below display precision": lambda a: a.set_weight(1, 0, 0, 0.8 + 1e-12),
    "x picked in its grid": lambda a: send(a._grids["x"], event="select", i=1, j=0),
}


@pytest.mark.parametrize("edit", list(NO_OPS))
def test_edit_that_changes_nothing_visible_sends_nothing(app, edit, record_messages):
    log = record_messages(app.figure)
    NO_OPS[edit](app)
    assert app.error == ""
    assert len(log) == 0, log.names


def test_message_size_per_edit(app, record_messages, capsys):
    """The design budget: ≤ 4 KB sent per edit at the default size (3, 4, 2)."""
    log = record_messages(app.figure)
    sizes = {}
    for name, edit in [("set_weight", lambda: app.set_weight(1, 0, 2, 0.25)),
                       ("set_weight again", lambda: app.set_weight(2, 1, 1, 0.35)),
                       ("set_input", lambda: app.set_input(1, 0.4)),
                       ("set_target", lambda: app.set_target(0, 0.2))]:
        log.clear()
        edit()
        assert len(log.payloads) == 1
        sizes[name] = log.sizes()[0]
    with capsys.disabled():
        print(f"\nbytes per edit at (3, 4, 2): {sizes}")
    assert max(sizes.values()) <= 4096, sizes


def test_messages_carry_rounded_numbers(app, record_messages, decode_array, trace_by_name):
    log = record_messages(app.figure)
    app.set_weight(1, 0, 2, 0.123456789)
    z = log.payloads[0]["style_data"]["z"][0]  # the heatmap of every panel's cells
    values = decode_array(z)
    W1 = trace_by_name(app.figure, "top:W1")
    r, c, _, _ = W1.box
    assert values[r, c + 2] == np.float32(0.123)  # 3 significant digits, as float32
    finite = values[np.isfinite(values)]
    digits = lambda v: len(f"{abs(v):.6g}".replace(".", "").split("e")[0].strip("0"))  # noqa: E731
    assert finite.size and max(digits(v) for v in finite) <= 3


@pytest.mark.parametrize("value", [9.745407676974639e-124, -3e-40, 1.2e-38, 5e-324])
def test_tiny_numbers_are_shown_not_rounded_to_zero(app, trace_z, assert_sig3, value):
    """float32 (how small grids travel) has no room below 1.2e-38: such a value must still arrive."""
    app.set_weight(1, 0, 0, value)
    W1 = examples.W1_DEFAULT.copy()
    W1[0, 0] = value
    assert_sig3(trace_z(app.figure, "top:W1"), W1, "W1 with a tiny entry")
    assert trace_z(app.figure, "top:W1")[0, 0] != 0
    app.set_weight(1, 0, 0, 0.8)  # and back: the grid travels as float32 again
    assert_sig3(trace_z(app.figure, "top:W1"), examples.W1_DEFAULT, "W1 after the tiny entry")


def test_changed_cells_are_marked(app, trace_by_name):
    """After an edit the cells whose shown value changed are outlined; the others are not."""
    app.set_weight(1, 3, 2, 0.1)  # W1[3,2] feeds z1[3] only: D1[3], J, the rows after it
    cells = {(int(r.y0 + 0.5), c) for r in _rects(app.figure, "changed")
             for c in range(int(r.x0 + 0.5), int(r.x1 + 0.5))}  # (row, col) of each outlined cell
    W1 = trace_by_name(app.figure, "top:W1")
    r, c, _, _ = W1.box
    assert (r + 3, c + 2) in cells
    assert (r, c) not in cells  # W1[0,0] did not change
    D1 = trace_by_name(app.figure, "top:D1")
    assert (D1.box[0] + 3, D1.box[1] + 3) in cells and (D1.box[0], D1.box[1]) not in cells
    W2 = trace_by_name(app.figure, "top:W2")
    assert not [(i, j) for i, j in cells if W2.box[0] <= i < W2.box[0] + 2 and W2.box[1] <= j < W2.box[1] + 4]
    app.set_sizes(3, 5, 2)  # a new shape: every cell moved, nothing is marked
    assert not _rects(app.figure, "changed")


def test_update_leaves_the_figure_as_a_fresh_draw(app, figure_data):
    """After many edits the FigureWidget equals a figure built from scratch for the same state."""
    for edit in (lambda: app.set_weight(1, 0, 2, 0.25), lambda: app.set_activations("identity", "tanh"),
                 lambda: app.set_sizes(2, 3, 3), lambda: app.set_depth(3), lambda: app.set_loss("softmax_ce", 2),
                 lambda: app.set_activations("relu", "identity"), lambda: app.set_step(1),
                 lambda: app.select("top", "J", 0, 1), lambda: app.set_options(show_weight_grads=True)):
        edit()
        assert app.error == ""
    click(app.toolbar, "fit_scale")  # the colour scale kept from earlier edits, fitted as a fresh one is
    app.set_weight(1, 0, 0, app.net.weights[0][0, 0])  # an edit that changes nothing: no marks left
    fresh = ChainRuleExplorer(app.net, app.x, app.loss, show_weight_grads=True)
    fresh.set_step(1)
    fresh.select("top", "J", 0, 1)
    ours, theirs = app.figure.to_dict(), fresh.figure.to_dict()
    assert visible_data(figure_data(app.figure)) == visible_data(figure_data(fresh.figure))
    for key, axis in ours["layout"].items():  # every axis stays hidden and fixed
        if key.startswith(("xaxis", "yaxis")):
            assert axis == theirs["layout"][key], key
            assert axis.get("visible") is False, (key, axis)
    assert ours["layout"]["annotations"] == theirs["layout"]["annotations"]
    assert ours["layout"]["shapes"] == theirs["layout"]["shapes"]


# ------------------------------------------------------------------ save and load
def _edited(app):
    app.set_activations("tanh", "sigmoid")
    app.set_weight(1, 2, 1, 1.2345678901234567)
    app.set_input(0, -0.1)
    app.set_loss("softmax_ce", 1)
    app.set_options(free_limits=True, show_weight_grads=True)
    return app


def _assert_same_app(a, b):
    assert a.net == b.net
    assert a.net.activations == b.net.activations
    assert np.array_equal(a.x, b.x)
    assert a.loss == b.loss
    assert a.to_dict() == b.to_dict()


def test_to_dict_round_trip(app, figure_data):
    _edited(app)
    d = app.to_dict()
    again = ChainRuleExplorer.from_dict(d)
    _assert_same_app(app, again)
    assert d["options"]["free_limits"] is True and d["options"]["show_weight_grads"] is True
    assert item(again.toolbar, "free_limits")["value"] is True
    assert item(again.toolbar, "show_weight_grads")["value"] is True
    assert visible_data(figure_data(again.figure)) == visible_data(figure_data(app.figure))


def test_json_round_trip(app):
    _edited(app)
    text = json.dumps(app.to_dict())
    again = ChainRuleExplorer.from_dict(json.loads(text))
    _assert_same_app(app, again)
    assert again.net.weights[0][2, 1] == 1.2345678901234567  # exact, not display precision
    from_text = ChainRuleExplorer.from_dict(text)  # a JSON string is accepted too
    _assert_same_app(app, from_text)


def test_round_trip_keeps_depth_mse_target_biases_and_presentation():
    rng = np.random.default_rng(0)
    net = cv.Net([rng.normal(size=(2, 3)), rng.normal(size=(3, 2)), rng.normal(size=(4, 3))],
                 ["softplus", "tanh", "identity"], [[0.1, -0.2], None, None])
    app = ChainRuleExplorer(net, [0.3, 0.2, 0.1], cv.MSE([1, 2, 3, 4]), presentation=True, seed=5)
    again = ChainRuleExplorer.from_dict(json.loads(json.dumps(app.to_dict())))
    _assert_same_app(app, again)
    assert again.net.depth == 3
    assert again.net.biases[0].tolist() == [0.1, -0.2]
    assert again.to_dict()["options"]["presentation"] is True
    assert again.to_dict()["seed"] == 5


def _good():
    return ChainRuleExplorer().to_dict()


def _without(d, *path):
    d = json.loads(json.dumps(d))
    node = d
    for k in path[:-1]:
        node = node[k]
    del node[path[-1]]
    return d


def _with(d, value, *path):
    d = json.loads(json.dumps(d))
    node = d
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return d


MALFORMED = {
    "not a dict": (lambda: [1, 2, 3], "must be a dict"),
    "a number": (lambda: 3, "must be a dict"),
    "None": (lambda: None, "must be a dict"),
    "bad JSON text": (lambda: "{net: ", "not valid JSON"),
    "missing net": (lambda: _without(_good(), "net"), "'net'"),
    "missing x": (lambda: _without(_good(), "x"), "'x'"),
    "missing loss": (lambda: _without(_good(), "loss"), "'loss'"),
    "missing weights": (lambda: _without(_good(), "net", "weights"), "'weights'"),
    "missing activations": (lambda: _without(_good(), "net", "activations"), "'activations'"),
    "W2 does not chain": (lambda: _with(_good(), [[1.0, 2.0, 3.0]], "net", "weights", 1), "W2 is 1×3"),
    "ragged W1": (lambda: _with(_good(), [[1.0, 2.0], [3.0]], "net", "weights", 0), "W1"),
    "five layers": (lambda: _with(_good(), [[[1.0]]] * 5, "net", "weights"), "at most 4"),
    "NaN in x": (lambda: _with(_good(), [1.0, float("nan"), 0.0], "x"), "x"),
    "text in x": (lambda: _with(_good(), [1.0, "a", 0.0], "x"), "x[1]"),
    "x too short": (lambda: _with(_good(), [1.0, 2.0], "x"), "x has length 2"),
    "inf in W1": (lambda: _with(_good(), float("inf"), "net", "weights", 0, 1, 1), "W1"),
    "unknown activation": (lambda: _with(_good(), ["swish", "identity"], "net", "activations"), "swish"),
    "unknown loss": (lambda: _with(_good(), {"name": "hinge"}, "loss"), "hinge"),
    "label out of range": (lambda: _with(_good(), {"name": "softmax_ce", "label": 2}, "loss"), "label is 2"),
    "negative label": (lambda: _with(_good(), {"name": "softmax_ce", "label": -1}, "loss"), "negative"),
    "fractional label": (lambda: _with(_good(), {"name": "softmax_ce", "label": 0.5}, "loss"), "label"),
    "mse without target": (lambda: _with(_good(), {"name": "mse"}, "loss"), "target"),
    "target wrong length": (lambda: _with(_good(), {"name": "mse", "target": [1.0]}, "loss"), "target t"),
    "bad colour limit": (lambda: _with(_good(), -1, "options", "color_limit"), "color_limit"),
    "a boolean as text": (lambda: _with(_good(), "false", "options", "free_limits"), "free_limits"),
    "options not a dict": (lambda: _with(_good(), [1], "options"), "options"),
    "seed not an int": (lambda: _with(_good(), "x", "seed"), "seed"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_state_is_refused_and_builds_nothing(case, widget_count):
    make, words = MALFORMED[case]
    d = make()
    before = widget_count()
    with pytest.raises((ValueError, TypeError)) as info:
        ChainRuleExplorer.from_dict(d)
    if words is not None:
        assert words in str(info.value), str(info.value)
    assert len(str(info.value)) > 10
    assert widget_count() == before  # nothing was built


@pytest.mark.parametrize("kwargs,words", [({"color_limit": -1}, "color_limit"), ({"color_limit": float("nan")}, "finite"),
                                          ({"color_limit": "2"}, "color_limit"), ({"free_limits": "yes"}, "free_limits"),
                                          ({"theme": "blue"}, "theme"), ({"colour_limit": 2}, "color_limit"),
                                          ({"sizes": (3, 4, 4, 4, 4, 2)}, "layer"), ({"seed": 1.5}, "seed")])
def test_bad_constructor_options_are_refused_like_saved_state(kwargs, words, widget_count):
    before = widget_count()
    with pytest.raises((ValueError, TypeError)) as info:
        ChainRuleExplorer(**kwargs)
    assert words in str(info.value)
    assert widget_count() == before


def test_every_accepted_option_round_trips():
    app = ChainRuleExplorer(color_limit=3, free_limits=True, theme="dark", show_forward=False)
    again = ChainRuleExplorer.from_dict(app.to_dict())
    assert again.to_dict() == app.to_dict()
    assert again.state.settings == app.state.settings


# ------------------------------------------------------------------ code export
def _run(code: str) -> dict:
    ns: dict = {}
    with redirect_stdout(io.StringIO()) as out:
        exec(compile(code, "<to_code>", "exec"), ns)
    assert "J =" in out.getvalue() and "dL/dx =" in out.getvalue()
    return ns


LOSSES = {"mse": cv.MSE([0.3, -0.7]), "sum": cv.Sum(), "softmax": cv.SoftmaxCrossEntropy(1)}


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("acts", [("sigmoid", "identity"), ("relu", "identity"), ("tanh", "identity"),
                                  ("identity", "identity"), ("leaky_relu", "sigmoid"), ("softplus", "tanh"),
                                  ("sigmoid", "sigmoid")])
def test_numpy_code_reproduces_the_core(acts, loss):
    W1, W2, x = examples.W1_DEFAULT, examples.W2_DEFAULT, examples.X_DEFAULT
    net = cv.two_layer(W1, W2, *acts)
    app = ChainRuleExplorer(net, x, LOSSES[loss])
    ns = _run(app.to_code("numpy"))
    np.testing.assert_allclose(ns["J"], net.jacobian(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ns["dL_dx"], net.reverse_sweep(x, LOSSES[loss])[-1].values, rtol=1e-12, atol=1e-12)


def test_numpy_code_after_edits_and_with_biases():
    rng = np.random.default_rng(11)
    net = cv.two_layer(rng.normal(size=(5, 2)), rng.normal(size=(3, 5)), "tanh", "identity",
                       b1=rng.normal(size=5), b2=rng.normal(size=3))
    x = rng.normal(size=2)
    app = ChainRuleExplorer(net, x, cv.SoftmaxCrossEntropy(2))
    app.set_weight(2, 1, 4, 0.123456789012)
    ns = _run(app.to_code())
    np.testing.assert_allclose(ns["J"], app.net.jacobian(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ns["dL_dx"], app.net.reverse_sweep(x, app.loss)[-1].values, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_torch_and_jax_code_compiles(framework, loss):
    app = ChainRuleExplorer(cv.two_layer(examples.W1_DEFAULT, examples.W2_DEFAULT, "sigmoid", "tanh"),
                            examples.X_DEFAULT, LOSSES[loss])
    code = app.to_code(framework)
    compile(code, f"<{framework}>", "exec")
    assert repr(examples.W1_DEFAULT.tolist()) in code


@pytest.mark.parametrize("framework", ["torch", "jax"])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_torch_and_jax_code_runs(framework, loss):
    pytest.importorskip(framework)
    net = cv.two_layer(examples.W1_DEFAULT, examples.W2_DEFAULT, "sigmoid", "tanh")
    app = ChainRuleExplorer(net, examples.X_DEFAULT, LOSSES[loss])
    ns = _run(app.to_code(framework))
    np.testing.assert_allclose(np.asarray(ns["J"]), net.jacobian(examples.X_DEFAULT), rtol=1e-10, atol=1e-12)


def test_unknown_framework_is_refused(app):
    with pytest.raises(ValueError, match="framework"):
        app.to_code("tensorflow")


# ------------------------------------------------------------------ static HTML
def _figure_from_html(text: str) -> list:
    """The trace list passed to ``Plotly.newPlot(id, data, layout, config)`` in the page."""
    dec = json.JSONDecoder()

    def skip(pos):
        while text[pos].isspace():
            pos += 1
        return pos

    pos = skip(text.index("Plotly.newPlot(") + len("Plotly.newPlot("))
    _, pos = dec.raw_decode(text, pos)  # the div id
    pos = skip(text.index(",", pos) + 1)
    data, _ = dec.raw_decode(text, pos)
    return data


def test_to_html(app, tmp_path, sig3, decode_array):
    app.set_weight(1, 0, 2, 0.25)
    path = app.to_html(tmp_path / "frozen.html")
    assert path.exists()
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size > 3_000_000  # plotly.js itself is inside
    assert "plotly.js v" in text
    # nothing is loaded from a CDN (the bundle itself mentions cdn.plot.ly as a topojson default)
    assert not re.findall(r"<script[^>]*\bsrc=", text)
    assert "cdn.plot.ly/plotly" not in text
    J = app.net.jacobian(app.x)
    panels = {}
    for t in _figure_from_html(text):
        if t.get("type") == "heatmap":
            z = decode_array(t["z"]).astype(float)
            for name, (r, c, rows, cols) in t["meta"]["panels"].items():
                panels[name] = z[r:r + rows, c:c + cols]
    # float32 on the wire: 7 significant digits of the 3 shown
    np.testing.assert_allclose(panels["top:J"], np.vectorize(sig3)(J), rtol=1e-7)
    # and the other panels are there too
    rows = app.net.reverse_sweep(app.x, app.loss)
    np.testing.assert_allclose(panels["rev:W1"].ravel(), [sig3(v) for v in rows[-1].values], rtol=1e-7)
    assert "J = ∂y/∂x" in text  # the equation line, without MathJax


# ------------------------------------------------------------------ selecting a J cell
class _Rect:
    def __init__(self, x0, x1, y0, y1):
        self.x0, self.x1, self.y0, self.y1 = x0, x1, y0, y1


def _path_rects(path: str) -> list[_Rect]:
    """The rectangles of an SVG path made of ``M x0,y0 H x1 V y1 H x0 Z`` pieces."""
    out = []
    for piece in re.findall(r"M([-0-9.e]+),([-0-9.e]+)H([-0-9.e]+)V([-0-9.e]+)H[-0-9.e]+Z", path):
        x0, y0, x1, y1 = map(float, piece)
        out.append(_Rect(min(x0, x1), max(x0, x1), min(y0, y1), max(y0, y1)))
    return out


def _rects(fig, name: str = "highlight"):
    """The outlined rectangles of the named outline shape (none while it is hidden)."""
    [shape] = [s for s in fig.layout.shapes if s.name == name]
    return _path_rects(shape.path) if shape.visible else []


def _on(rects, panel) -> list[tuple]:
    """``(x0, x1, y0, y1)`` of the rectangles drawn on ``panel``, in the panel's own cell
    coordinates (entry ``[i, j]`` is centred on ``x = j``, ``y = i``)."""
    r, c, rows, cols = panel.box
    out = []
    for s in rects:
        if c - 0.5 <= s.x0 < s.x1 <= c + cols - 0.5 and r - 0.5 <= s.y0 < s.y1 <= r + rows - 0.5:
            out.append((s.x0 - c, s.x1 - c, s.y0 - r, s.y1 - r))
    return out


def test_select_J_cell_highlights_its_row_and_column(app, trace_by_name, sig3):
    app.select("top", "J", 1, 0)
    rects = _rects(app.figure)
    W2 = trace_by_name(app.figure, "top:W2")  # the left factor: the output activation is the identity
    W1 = trace_by_name(app.figure, "top:W1")
    J = trace_by_name(app.figure, "top:J")
    assert _on(rects, W2) == [(-0.5, 3.5, 0.5, 1.5)]  # row 1 only, every column of W2 (4)
    assert _on(rects, W1) == [(-0.5, 0.5, -0.5, 3.5)]  # column 0 only, every row of W1 (4)
    assert _on(rects, J) == [(-0.5, 0.5, 0.5, 1.5)]  # the cell itself
    assert len(rects) == 3

    # the explanation plugs in the numbers: J[1,0] = Σk W2[1,k]·σ'(z1[k])·W1[k,0]
    W1v, W2v, x = examples.W1_DEFAULT, examples.W2_DEFAULT, examples.X_DEFAULT
    s = sigmoid(W1v @ x)
    slope = s * (1 - s)
    Jv = W2v @ np.diag(slope) @ W1v
    text = item(app.info, "status")["html"]
    assert "J[1,0]" in text and "Σ" in text
    # every number printed can be re-added by hand to the digits shown: the factors of each
    # term multiply to the printed term, the printed terms add up to the printed J[1,0]
    sums = re.sub(r"<[^>]+>", "", text).replace("−", "-").split(" = ")
    factors, terms, total = sums[-3], sums[-2], sums[-1].split(".", 1)[0] + "." + sums[-1].split(".")[1][:12]
    total = re.match(r"-?[0-9.]+", total).group(0)
    products = [t.strip().strip("()") for t in terms.split(" + ")]
    decimals = len(total.split(".")[1])
    for term, product in zip(factors.split(" + "), products):
        p = np.prod([float(f.strip("()")) for f in term.split("·")])
        places = len(product.split(".")[1])  # a product carries a decimal more than the sum it adds to
        assert round(p, places) == pytest.approx(float(product), abs=1e-12), (term, product)
    assert round(sum(float(p) for p in products), decimals) == pytest.approx(float(total), abs=1e-12)
    assert float(total) == pytest.approx(Jv[1, 0], abs=0.6 * 10 ** -decimals)  # and it is J[1,0]
    assert len(products) == 4


def test_select_J_cell_with_two_slope_factors(app, trace_by_name):
    app.load_preset("two_sigmoids")
    app.select("top", "J", 0, 2)
    rects = _rects(app.figure)
    D2 = trace_by_name(app.figure, "top:D2")  # now the left factor
    W1 = trace_by_name(app.figure, "top:W1")
    assert [(y0, y1) for _, _, y0, y1 in _on(rects, D2)] == [(-0.5, 0.5)]
    assert [(x0, x1) for x0, x1, _, _ in _on(rects, W1)] == [(1.5, 2.5)]
    assert "σ′(z₂[0])" in item(app.info, "status")["html"]


def test_select_a_reverse_row_cell_explains_it(app):
    app.select("rev", "W2", 0, 2)
    rows = app.net.reverse_sweep(app.x, app.loss)
    v = rows[1].values[2]  # ∂L/∂a1[2]: the row after the first factor, W2
    text = re.sub(r"<[^>]+>", "", item(app.info, "status")["html"]).replace("−", "-")
    total = float(re.search(r"= (-?[0-9.]+)$", text).group(1))
    assert total == pytest.approx(v, abs=10 ** -(len(str(total).split(".")[1])))
    assert "Σ" in text


def test_select_after_resize_is_cleared(app):
    app.select("top", "J", 1, 2)
    assert _rects(app.figure)
    app.set_sizes(2, 2, 1)  # J is 1×2 now: the old selection is gone
    assert not _rects(app.figure)


# ------------------------------------------------------------------ the backward walk-through
@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_set_step(app, k, trace_z, assert_sig3, assert_chain_figure):
    K = len(app.net.jacobian_factors(app.x))  # W2 · diag(σ'(z1)) · W1
    cols = ["loss", "W2", "D1", "W1"]
    assert K == 3
    app.set_step(k)
    rows = app.net.reverse_sweep(app.x, app.loss)
    for i, col in enumerate(cols):
        z = trace_z(app.figure, f"rev:{col}")
        if i <= k:
            assert_sig3(z, rows[i].values[None, :], f"rev:{col}")
        else:
            assert np.isnan(z).all(), f"rev:{col} should be blank at step {k}"
    heading = [t for t in word_texts(app.figure) if "Reverse mode" in t]
    assert len(heading) == 1
    if k < K:
        assert f"step {k} of {K}" in heading[0]
    else:
        assert "step" not in heading[0]
    # the forward band and the factors are not part of the walk-through
    assert_chain_figure(app.figure, app.net, app.x, app.loss, step=k)
    assert item(app.info, "step")["value"] == k
    assert item(app.info, "step")["valuetext"].startswith(f"step {k} of {K}")
    app.set_step(None)
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    assert not [t for t in word_texts(app.figure) if "step " in t and " of " in t]
    assert item(app.info, "step")["value"] == K


def test_step_controls(app, assert_chain_figure, trace_z):
    change(app.info, "step", 0)
    assert np.isnan(trace_z(app.figure, "rev:W2")).all()
    assert item(app.info, "back")["disabled"] is True
    click(app.info, "forward")
    assert item(app.info, "step")["value"] == 1
    assert not np.isnan(trace_z(app.figure, "rev:W2")).any()
    assert np.isnan(trace_z(app.figure, "rev:D1")).all()
    click(app.info, "back")
    click(app.info, "back")  # stops at 0
    assert item(app.info, "step")["value"] == 0
    # an edit keeps the step; a structural change shows everything again
    app.set_weight(1, 0, 0, 0.1)
    assert_chain_figure(app.figure, app.net, app.x, app.loss, step=0)
    app.set_activations("tanh")
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    assert item(app.info, "step")["value"] == item(app.info, "step")["max"]


def test_play_walks_the_sweep_one_factor_per_tick(app, trace_z):
    change(app.info, "play", True)  # at the end of the sweep: starts again from ∂L/∂y
    assert item(app.info, "play")["playing"] is True
    assert item(app.info, "step")["value"] == 0
    for k in (1, 2, 3):
        send(app.info, event="tick", id="play")
        assert item(app.info, "step")["value"] == k
    assert item(app.info, "play")["playing"] is False  # stopped at the end
    assert not np.isnan(trace_z(app.figure, "rev:W1")).any()


def test_negative_step_clamps_to_zero(app, assert_chain_figure):
    app.set_step(-3)
    assert_chain_figure(app.figure, app.net, app.x, app.loss, step=0)


@pytest.mark.parametrize("cell", [("top", "J", 2, 0), ("top", "J", 0, 3), ("rev", "W1", 0, 5), ("top", "D2", 0, 0),
                                  ("nowhere", "J", 0, 0)])
def test_select_outside_every_panel_is_refused(app, cell, record_messages, figure_data):
    app.select("top", "J", 1, 1)
    data, shapes = figure_data(app.figure), app.figure.layout.shapes
    log = record_messages(app.figure)
    with pytest.raises(ValueError):
        app.select(*cell)
    assert app.error and ("outside" in app.error or "no panel" in app.error)
    assert figure_data(app.figure) == data and app.figure.layout.shapes == shapes
    assert len(log) == 0


# ------------------------------------------------------------------ few widget models; small updates
@pytest.mark.parametrize("kwargs", [{}, {"presentation": True}, {"quiz": ["J", "D1", "dL/dx"]},
                                    {"sizes": (3, 4, 4, 4, 2)}])
def test_an_explorer_opens_at_most_60_widget_models(kwargs, widget_count):
    """Layouts and styles included (issue 13: 209 before the rebuild)."""
    before = widget_count()
    ChainRuleExplorer(**kwargs)
    assert widget_count() - before <= 60


def test_a_bar_sends_only_the_items_that_changed():
    from chainviz.widgets.controls import ControlBar

    bar = ControlBar()
    bar.set_items([dict(kind="select", id="a", label="A", value="1", options=[["one", "1"], ["two", "2"]]),
                   dict(kind="group", id="g", label="G", items=[dict(kind="check", id="c", label="C", value=False)])])
    sent, states = [], []
    bar.send = lambda content, buffers=None: sent.append(content)
    bar.observe(lambda ch: states.append(ch["new"]), names=["items"])
    bar.set_items([dict(kind="select", id="a", label="A", value="2", options=[["one", "1"], ["two", "2"]]),
                   dict(kind="group", id="g", label="G", items=[dict(kind="check", id="c", label="C", value=True)])])
    assert sent == [{"patch": [dict(kind="select", id="a", label="A", value="2", options=[["one", "1"], ["two", "2"]]),
                               dict(kind="check", id="c", label="C", value=True)]}]
    assert bar.items[0]["value"] == "2" and bar.items[1]["items"][0]["value"] is True  # the kernel's copy is whole
    assert bar._should_send_property("items", bar.items) is True  # nothing left locked
    bar.set_items(bar.items)  # nothing changed: nothing sent
    assert len(sent) == 1


def test_the_tables_name_every_panel_and_follow_the_selection(app):
    captions = app.tables.captions
    assert set(captions) == {f"{b}:{c}" for b, c in [("top", "W2"), ("top", "D1"), ("top", "W1"), ("top", "J"),
                                                    ("rev", "loss"), ("rev", "W2"), ("rev", "D1"), ("rev", "W1"),
                                                    ("fwd", "loss"), ("fwd", "W2"), ("fwd", "D1"), ("fwd", "W1")]}
    assert captions["top:W1"] == "W1  4×3, = ∂z₁/∂x"
    assert not any(re.search(r"\d\.\d", c) for c in captions.values())  # no values: they change with every edit
    change(app.info, "tables", True)
    assert app.tables.shown is True and item(app.info, "tables")["value"] is True
    send(app.tables, event="select", panel="top:J", i=1, j=2)  # Enter on a table cell
    assert "J[1,2]" in item(app.info, "status")["html"]
    assert app.tables.selected == ["top:J", 1, 2]


def test_exercise_tables_say_what_is_hidden():
    app = ChainRuleExplorer(quiz=["J"])
    assert app.tables.captions["top:J"].endswith("(hidden: part of the exercise)")


@pytest.mark.parametrize("theme,cls", [("dark", "cv-dark"), ("light", "cv-light")])
def test_a_forced_theme_dresses_the_figure_and_the_controls(theme, cls):
    app = ChainRuleExplorer(theme=theme)
    assert cls in app.widget._dom_classes
    paper = app.figure.layout.paper_bgcolor
    assert (paper == "#1e1e1e") == (theme == "dark")
    app.info.dark = theme == "light"  # the page says the opposite: a forced theme does not follow it
    assert app.figure.layout.paper_bgcolor == paper


def test_auto_theme_follows_the_page():
    app = ChainRuleExplorer()
    assert app.figure.layout.paper_bgcolor == "#ffffff"
    app.info.dark = True  # JupyterLab switched to a dark theme
    assert app.figure.layout.paper_bgcolor == "#1e1e1e"
    assert app.figure.layout.font.color == "#ececec"
    app.set_options(theme="light")
    assert app.figure.layout.paper_bgcolor == "#ffffff" and "cv-light" in app.widget._dom_classes
