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
from chainviz.widgets import chain_rule as chain_rule_module

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


def cell_of(app, where: str):
    """The Text widget of ``W1[i,j]``, ``W2[i,j]``, ``x[j]`` or ``t[i]``."""
    name, idx = where.split("[")
    idx = [int(v) for v in idx.rstrip("]").split(",")]
    if name == "W1":
        return app._W1.cells[idx[0]][idx[1]]
    if name == "W2":
        return app._W2.cells[idx[0]][idx[1]]
    if name == "x":
        return app._x_editor.cells[idx[0]][0]
    return app._t_editor.cells[idx[0]][0]


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


def annotation_texts(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


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
    assert app.set_weight(layer, i, j, value) is True
    assert app.error == ""
    assert app.net == expected
    assert_chain_figure(app.figure, expected, examples.X_DEFAULT, cv.MSE([0.5, -0.5]))


@pytest.mark.parametrize("j,value", [(0, -0.9), (2, 3.0), (1, "0")])
def test_set_input_updates_every_panel(app, j, value, assert_chain_figure):
    x = examples.X_DEFAULT.copy()
    x[j] = float(value)
    assert app.set_input(j, value) is True
    assert np.array_equal(app.x, x)
    assert_chain_figure(app.figure, app.net, x, app.loss)
    assert app.net == cv.two_layer(examples.W1_DEFAULT, examples.W2_DEFAULT, "sigmoid")


def test_set_target_updates_the_reverse_rows(app, assert_chain_figure, trace_z, assert_sig3):
    assert app.set_target(1, 0.75) is True
    assert app.loss == cv.MSE([0.5, 0.75])
    assert_chain_figure(app.figure, app.net, app.x, cv.MSE([0.5, 0.75]))
    y = app.net.forward(app.x).output
    assert_sig3(trace_z(app.figure, "rev:loss"), (y - [0.5, 0.75])[None, :], "∂L/∂y = y − t")


def test_x_property_setter(app, assert_chain_figure):
    app.x = [0.1, 0.2, -0.3]
    assert np.array_equal(app.x, [0.1, 0.2, -0.3])
    assert_chain_figure(app.figure, app.net, np.array([0.1, 0.2, -0.3]), app.loss)
    before = state(app)
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
    app.loss = cv.SoftmaxCrossEntropy(7)
    assert "label is 7" in app.error
    assert_same_state(app, before)
    app.net = "not a net"
    assert "net must be a chainviz Net" in app.error
    assert_same_state(app, before)


# ------------------------------------------------------------------ sizes
@pytest.mark.parametrize("sizes", [(1, 1, 1), (2, 5, 3), (5, 2, 4), (3, 4, 2), (8, 8, 8), (12, 3, 2)])
def test_set_sizes(app, sizes, assert_chain_figure):
    old = app.net
    assert app.set_sizes(*sizes) is True, app.error
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


@pytest.mark.parametrize("sizes", [(0, 3, 2), (3, 300, 2), ("a", 2, 2)])
def test_set_sizes_out_of_range_is_refused(app, sizes, figure_data):
    before, data = state(app), figure_data(app.figure)
    assert app.set_sizes(*sizes) is False
    assert "size" in app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


def test_size_widgets(app, assert_chain_figure):
    app._n.value = 4
    assert app.net.widths == [4, 4, 2]
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    app._h.value = 2
    assert app.net.widths == [4, 2, 2]
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    app._m.value = 5
    assert app.net.widths == [4, 2, 5]
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    # the editors follow the new shapes
    assert app._W1.shape == (2, 4) and app._W2.shape == (5, 2) and app._x_editor.shape == (4, 1)
    # a typed edit in a grid that was rebuilt still reaches the model
    app._W2.cells[4][1].value = "0.5"
    assert app.net.weights[1][4, 1] == 0.5
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("hidden", sorted(cv.ACTIVATIONS))
@pytest.mark.parametrize("output", ["identity", "sigmoid"])
def test_activation_switch(app, hidden, output, assert_chain_figure, visible_traces):
    assert app.set_activations(hidden, output) is True, app.error
    assert app.net.activations == [hidden, output]
    expected = cv.two_layer(examples.W1_DEFAULT, examples.W2_DEFAULT, hidden, output)
    assert app.net == expected
    assert_chain_figure(app.figure, expected, examples.X_DEFAULT, cv.MSE([0.5, -0.5]))
    shown = visible_traces(app.figure)
    for band in ("top", "rev", "fwd"):
        assert (f"{band}:D1" in shown) == (hidden != "identity")
        assert (f"{band}:D2" in shown) == (output != "identity")


def test_identity_activations_give_W2_W1(app, trace_z, assert_sig3, visible_traces):
    app._act1.value = "identity"  # the dropdown, as a click does
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
    app._act1.value = "sigmoid"
    assert "top:D1" in visible_traces(app.figure)


def test_unknown_activation_is_refused(app, figure_data):
    before, data = state(app), figure_data(app.figure)
    assert app.set_activations("swish") is False
    assert "swish" in app.error and "not a known activation" in app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


def test_output_dropdown(app, assert_chain_figure):
    app._act2.value = "tanh"
    assert app.net.activations == ["sigmoid", "tanh"]
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
    assert app.set_loss(name, label) is True, app.error
    expected = {"sum": cv.Sum(), "mse": cv.MSE([0.0, 0.0]),
                "softmax_ce": cv.SoftmaxCrossEntropy(label or 0)}[name]
    assert app.loss == expected
    assert_chain_figure(app.figure, app.net, app.x, expected)
    y = app.net.forward(app.x).output
    param = {"mse": np.zeros(2), "sum": None, "softmax_ce": label}[name]
    assert_sig3(trace_z(app.figure, "rev:loss"), _hand_dL_dy(name, y, param)[None, :], "∂L/∂y")


def test_loss_widgets(app, assert_chain_figure):
    app._loss_kind.value = "softmax_ce"
    assert app.loss == cv.SoftmaxCrossEntropy(0)
    assert app._label.layout.display != "none"
    app._label.value = 1
    assert app.loss == cv.SoftmaxCrossEntropy(1)
    assert_chain_figure(app.figure, app.net, app.x, cv.SoftmaxCrossEntropy(1))
    app._loss_kind.value = "sum"
    assert app.loss == cv.Sum()
    assert_chain_figure(app.figure, app.net, app.x, cv.Sum())


def test_bad_loss_is_refused(app, figure_data):
    before, data = state(app), figure_data(app.figure)
    assert app.set_loss("hinge") is False
    assert "hinge" in app.error
    assert app.set_loss("softmax_ce", 5) is False
    assert "label is 5" in app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


# ------------------------------------------------------------------ presets, randomize, reset
@pytest.mark.parametrize("name", list(examples.PRESETS))
def test_load_preset(app, name, assert_chain_figure):
    app.set_sizes(2, 2, 2)  # start from somewhere else
    p = examples.PRESETS[name]
    assert app.load_preset(name) is True, app.error
    assert app.net == p.net
    assert np.array_equal(app.x, p.x)
    assert app.loss == p.loss
    assert app.error == ""
    assert_chain_figure(app.figure, p.net, p.x, p.loss)
    # the editors show the preset
    W1 = p.net.weights[0]
    assert float(app._W1.cells[0][0].value) == pytest.approx(W1[0, 0], rel=1e-4)  # shown to 4 digits
    assert app._act1.value == p.net.activations[0]


def test_preset_dropdown(app, assert_chain_figure):
    app._preset.value = "dead_relu"
    p = examples.PRESETS["dead_relu"]
    assert app.net == p.net
    assert app._preset.value == ""  # ready for the next choice
    assert_chain_figure(app.figure, p.net, p.x, p.loss)
    assert html.escape(p.note) in app.status.value  # the preset's note is shown
    assert app.error == ""


def test_unknown_preset_is_refused(app, figure_data):
    before, data = state(app), figure_data(app.figure)
    assert app.load_preset("nope") is False
    assert "nope" in app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


def test_randomize_and_reset(app, assert_chain_figure):
    initial = state(app)
    assert app.randomize(7) is True
    assert app.net != initial[0]
    assert app.net.widths == [3, 4, 2]
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    again = ChainRuleExplorer()
    again.randomize(7)
    assert again.net == app.net and np.array_equal(again.x, app.x)  # seeded
    app._randomize.click()  # the button uses the seed box
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    assert app.reset() is True
    assert_same_state(app, initial)
    assert_chain_figure(app.figure, *initial)


def test_weight_gradient_band(app, assert_chain_figure, visible_traces):
    assert "grad:W1" not in visible_traces(app.figure)
    app._grads.value = True
    assert_chain_figure(app.figure, app.net, app.x, app.loss, grads=True)
    app.set_weight(2, 0, 1, -0.3)
    assert_chain_figure(app.figure, app.net, app.x, app.loss, grads=True)
    app.set_options(show_weight_grads=False)
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


def test_free_colour_limits(app, trace_by_name, chain_expected):
    shared = {trace_by_name(app.figure, n).zmax for n in ("top:W1", "top:J", "rev:W1", "fwd:W2")}
    assert len(shared) == 1  # one scale for every panel, by default
    panels = chain_expected(app.net, app.x, app.loss)
    assert shared.pop() == pytest.approx(max(np.nanmax(np.abs(z)) for z in panels.values()))
    app._free.value = True
    W1_limit = trace_by_name(app.figure, "top:W1").zmax
    assert W1_limit == pytest.approx(np.abs(examples.W1_DEFAULT).max())
    J_limit = trace_by_name(app.figure, "top:J").zmax
    assert J_limit == pytest.approx(np.abs(app.net.jacobian(app.x)).max())
    for name in ("top:W1", "top:J"):
        t = trace_by_name(app.figure, name)
        assert t.zmin == -t.zmax  # zero stays white


# ------------------------------------------------------------------ typed edits through the UI
@pytest.mark.parametrize("where,text,shown,value", [
    ("W1[0,2]", "0.25", "0.25", 0.25),
    ("W1[3,1]", ".5", "0.5", 0.5),
    ("W2[1,3]", " -2e-1 ", "-0.2", -0.2),
    ("W2[0,0]", "−0.3", "-0.3", -0.3),  # a typed Unicode minus
    ("x[1]", "1,5", "1.5", 1.5),  # a decimal comma
    ("t[0]", "-1.000", "-1", -1.0),
])
def test_typed_edit(app, where, text, shown, value, assert_chain_figure):
    cell = cell_of(app, where)
    cell.value = text
    assert app.error == ""
    assert cell.value == shown  # normalised
    assert "cv-bad" not in cell._dom_classes
    name, idx = where.split("[")
    idx = tuple(int(v) for v in idx.rstrip("]").split(","))
    if name in ("W1", "W2"):
        assert app.net.weights[int(name[1]) - 1][idx] == value
    elif name == "x":
        assert app.x[idx[0]] == value
    else:
        assert app.loss.target[idx[0]] == value
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


def test_typed_edit_values_match_the_hand_formula(app, trace_z, assert_sig3):
    app._act1.value = "identity"
    app._W1.cells[0][2].value = "0.25"
    W1 = examples.W1_DEFAULT.copy()
    W1[0, 2] = 0.25
    assert_sig3(trace_z(app.figure, "top:J"), examples.W2_DEFAULT @ W1, "J = W2·W1 after a typed edit")


# ------------------------------------------------------------------ bad input
CELLS = ["W1[0,2]", "W2[1,3]", "x[1]", "t[0]"]


@pytest.mark.parametrize("path", ["api", "widget"])
@pytest.mark.parametrize("where", CELLS)
@pytest.mark.parametrize("text,problem", BAD_TEXTS, ids=[repr(t) for t, _ in BAD_TEXTS])
def test_bad_text_is_refused_and_marked(app, path, where, text, problem, figure_data, record_messages):
    before, data = state(app), figure_data(app.figure)
    cell = cell_of(app, where)
    old_text = cell.value
    log = record_messages(app.figure)
    if path == "api":
        assert api_edit(app, where, text) is False
        assert cell.value == old_text  # the cell still shows the kept value
    else:
        cell.value = text  # raises nothing: the observer is guarded
        assert cell.value == text  # what was typed stays, marked, so it can be corrected
    assert where in app.error, app.error
    assert problem in app.error, app.error
    assert where in app.status.value and "⚠" in app.status.value
    assert "cv-bad" in cell._dom_classes
    assert problem in cell.tooltip
    assert_same_state(app, before)
    assert figure_data(app.figure) == data
    assert len(log) == 0  # nothing visible changed, nothing sent
    # every other cell is unmarked
    for ed in (app._W1, app._W2, app._x_editor, app._t_editor):
        for row in ed.cells:
            for t in row:
                if t is not cell:
                    assert "cv-bad" not in t._dom_classes
    # a valid edit of the same cell clears the error and the mark
    if path == "api":
        assert api_edit(app, where, 0.125) is True
    else:
        cell.value = "0.125"
    assert app.error == ""
    assert "cv-bad" not in cell._dom_classes
    assert cell.value == "0.125"
    assert len(log) == 1


@pytest.mark.parametrize("where", CELLS)
@pytest.mark.parametrize("value,problem", BAD_NUMBERS, ids=["nan", "inf", "-1e7"])
def test_bad_number_is_refused(app, where, value, problem, figure_data):
    before, data = state(app), figure_data(app.figure)
    assert api_edit(app, where, value) is False
    assert where in app.error and problem in app.error, app.error
    assert "cv-bad" in cell_of(app, where)._dom_classes
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


def test_limit_is_inclusive(app):
    assert app.set_weight(1, 0, 0, "1e6") is True
    assert app.net.weights[0][0, 0] == 1e6
    assert app.set_weight(1, 0, 0, -1e6) is True


@pytest.mark.parametrize("call,words", [
    (lambda a: a.set_weight(3, 0, 0, 1.0), "layer must be 1 or 2"),
    (lambda a: a.set_weight(1, 4, 0, 1.0), "outside W1"),
    (lambda a: a.set_weight(2, 0, 9, 1.0), "outside W2"),
    (lambda a: a.set_input(3, 1.0), "outside x"),
    (lambda a: a.set_target(2, 1.0), "outside t"),
    (lambda a: a.set_weight(1, 0, 0, True), "not a number"),
])
def test_bad_index_is_refused(app, call, words, figure_data):
    before, data = state(app), figure_data(app.figure)
    assert call(app) is False
    assert words in app.error, app.error
    assert_same_state(app, before)
    assert figure_data(app.figure) == data


def test_target_without_mse_is_refused(app):
    app.set_loss("sum")
    before = state(app)
    assert app.set_target(0, 1.0) is False
    assert "MSE" in app.error
    assert_same_state(app, before)


def test_extreme_valid_values_still_show_the_core(app, assert_chain_figure, trace_z):
    for i in range(4):
        for j in range(3):
            assert app.set_weight(1, i, j, 1e6 if (i + j) % 2 else -1e6) is True
    assert app.set_input(0, 1e6) is True
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    # the sigmoid is flat out there: every slope, hence J, is 0
    assert np.all(trace_z(app.figure, "top:J") == 0)


# ------------------------------------------------------------------ exceptions never escape
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
    fail_next_call(monkeypatch, chain_rule_module, "snapshot")
    before, data = state(app), figure_data(app.figure)
    log = record_messages(app.figure)
    app._W1.cells[0][0].value = "0.5"  # through the observer
    assert app.error.startswith("internal error")
    assert "RuntimeError" in app.error and "simulated bug" in app.error
    assert "internal error" in app.status.value
    assert_same_state(app, before)
    assert figure_data(app.figure) == data
    assert len(log) == 0
    # the next edit works and clears the message
    assert app.set_weight(1, 0, 1, 0.5) is True
    assert app.error == "" and "internal error" not in app.status.value
    assert app.net.weights[0][0, 1] == 0.5


def test_internal_error_through_the_api_is_shown_not_raised(app, monkeypatch, figure_data):
    calls = fail_next_call(monkeypatch, chain_rule_module, "snapshot")
    before, data = state(app), figure_data(app.figure)
    for edit in (lambda: app.set_sizes(2, 2, 2), lambda: app.set_activations("tanh")):
        calls["n"] = 0
        assert edit() is False
        assert app.error.startswith("internal error")
        assert_same_state(app, before)
        assert figure_data(app.figure) == data


@pytest.mark.parametrize("path", ["api", "widget"])
def test_internal_error_in_the_view_keeps_state_and_figure_together(app, monkeypatch, path, figure_data,
                                                                     assert_chain_figure):
    from chainviz.views import chain as view

    fail_next_call(monkeypatch, view, "figure_spec", "simulated view bug")
    before, data = state(app), figure_data(app.figure)
    if path == "api":
        assert app.set_weight(1, 0, 0, 0.5) is False  # returns, does not raise
    else:
        app._W1.cells[0][0].value = "0.5"
    assert app.error.startswith("internal error") and "simulated view bug" in app.error
    assert_same_state(app, before)  # the last valid state is kept ...
    assert figure_data(app.figure) == data  # ... and the figure still shows it
    assert app.set_weight(1, 0, 1, 0.5) is True
    assert_chain_figure(app.figure, app.net, app.x, app.loss)


def test_click_handler_is_guarded(app, monkeypatch):
    from plotly.callbacks import InputDeviceState, Points

    [k] = [k for k, t in enumerate(app.figure.data) if t.meta and "top:J" in t.meta["panels"]]
    J = app.figure.data[k]
    row, col, _, _ = J.meta["panels"]["top:J"]
    # plotly reports the clicked cell of the whole heatmap grid: J[1,0] is at (row + 1, col)
    pts = Points(point_inds=[[row + 1, col]], xs=[col], ys=[row + 1], trace_name=J.name, trace_index=k)
    state_ = InputDeviceState(ctrl=False, alt=False, shift=False, meta=False, button=0, buttons=1)
    J._dispatch_on_click(pts, state_)  # a click on J[1,0]
    assert "J[1,0]" in app._explain.value
    monkeypatch.setattr(app, "select", lambda *a: (_ for _ in ()).throw(RuntimeError("click bug")))
    J._dispatch_on_click(pts, state_)  # raises nothing
    assert "internal error" in app.error and "click bug" in app.error


# ------------------------------------------------------------------ one message per edit
EDITS = {
    "set_weight": lambda a: a.set_weight(1, 0, 2, 0.25),
    "set_weight W2": lambda a: a.set_weight(2, 1, 0, -0.4),
    "set_input": lambda a: a.set_input(0, 0.3),
    "set_target": lambda a: a.set_target(1, 0.1),
    "typed W1 cell": lambda a: setattr(a._W1.cells[2][1], "value", "0.7"),
    "typed x cell": lambda a: setattr(a._x_editor.cells[2][0], "value", "-0.2"),
    "activation": lambda a: a.set_activations("tanh"),
    "activation identity": lambda a: a.set_activations("identity"),
    "activation dropdown": lambda a: setattr(a._act2, "value", "sigmoid"),
    "set_sizes": lambda a: a.set_sizes(4, 5, 3),
    "size widget": lambda a: setattr(a._h, "value", 6),
    "loss": lambda a: a.set_loss("softmax_ce", 1),
    "preset": lambda a: a.load_preset("relu"),
    "randomize": lambda a: a.randomize(3),
    "step": lambda a: a.set_step(1),
    "select": lambda a: a.select("top", "J", 1, 0),
    "free limits": lambda a: a.set_options(free_limits=True),
    "grads": lambda a: a.set_options(show_weight_grads=True),
    "scrub": lambda a: setattr(a._scrub, "value", 0.42),
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
    assert sizes["set_weight"] <= 4096, sizes
    assert max(sizes.values()) <= 4096, sizes


def test_messages_carry_rounded_numbers(app, record_messages, decode_array, trace_by_name):
    log = record_messages(app.figure)
    app.set_weight(1, 0, 2, 0.123456789)
    [z] = log.payloads[0]["style_data"]["z"]  # the one trace that changed: every panel's cells
    values = decode_array(z)
    W1 = trace_by_name(app.figure, "top:W1")
    r, c, _, _ = W1.box
    assert values[r, c + 2] == np.float32(0.123)  # 3 significant digits, as float32
    finite = values[np.isfinite(values)]
    digits = lambda v: len(f"{abs(v):.6g}".replace(".", "").split("e")[0].strip("0"))  # noqa: E731
    assert finite.size and max(digits(v) for v in finite) <= 3


@pytest.mark.parametrize("value", [9.745407676974639e-124, -3e-40, 1.2e-38])
def test_tiny_numbers_are_shown_not_rounded_to_zero(app, trace_z, assert_sig3, value):
    """float32 (how small grids travel) has no room below 1.2e-38: such a value must still arrive."""
    assert app.set_weight(1, 0, 0, value)
    W1 = examples.W1_DEFAULT.copy()
    W1[0, 0] = value
    assert_sig3(trace_z(app.figure, "top:W1"), W1, "W1 with a tiny entry")
    assert trace_z(app.figure, "top:W1")[0, 0] != 0
    assert app.set_weight(1, 0, 0, 0.8)  # and back: the grid travels as float32 again
    assert_sig3(trace_z(app.figure, "top:W1"), examples.W1_DEFAULT, "W1 after the tiny entry")


def test_update_leaves_the_figure_as_a_fresh_draw(app, figure_data):
    """After many edits the FigureWidget equals a figure built from scratch for the same state."""
    for edit in (lambda: app.set_weight(1, 0, 2, 0.25), lambda: app.set_activations("identity", "tanh"),
                 lambda: app.set_sizes(2, 3, 3), lambda: app.set_loss("softmax_ce", 2),
                 lambda: app.set_activations("relu", "identity"), lambda: app.set_step(1),
                 lambda: app.select("top", "J", 0, 1), lambda: app.set_options(show_weight_grads=True)):
        edit()
        assert app.error == ""
    fresh = ChainRuleExplorer(app.net, app.x, app.loss)
    fresh.set_step(1)
    fresh.select("top", "J", 0, 1)
    fresh.set_options(show_weight_grads=True)
    ours, theirs = app.figure.to_dict(), fresh.figure.to_dict()
    assert visible_data(figure_data(app.figure)) == visible_data(figure_data(fresh.figure))
    for key in ours["layout"]:
        if key.startswith(("xaxis", "yaxis")) and ours["layout"][key].get("visible") is not False:
            assert ours["layout"][key] == theirs["layout"][key], key
    for key, axis in ours["layout"].items():  # every axis stays hidden and fixed
        if key.startswith(("xaxis", "yaxis")):
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
    assert a.to_dict()["options"] == b.to_dict()["options"]


def test_to_dict_round_trip(app, figure_data):
    _edited(app)
    d = app.to_dict()
    again = ChainRuleExplorer.from_dict(d)
    _assert_same_app(app, again)
    assert d["options"]["free_limits"] is True and d["options"]["show_weight_grads"] is True
    assert again._free.value is True and again._grads.value is True
    assert visible_data(figure_data(again.figure)) == visible_data(figure_data(app.figure))


def test_json_round_trip(app):
    _edited(app)
    text = json.dumps(app.to_dict())
    again = ChainRuleExplorer.from_dict(json.loads(text))
    _assert_same_app(app, again)
    assert again.net.weights[0][2, 1] == 1.2345678901234567  # exact, not display precision
    from_text = ChainRuleExplorer.from_dict(text)  # a JSON string is accepted too
    _assert_same_app(app, from_text)


def test_round_trip_keeps_mse_target_biases_and_presentation():
    rng = np.random.default_rng(0)
    net = cv.two_layer(rng.normal(size=(2, 3)), rng.normal(size=(4, 2)), "softplus", "identity",
                       b1=[0.1, -0.2], b2=None)
    app = ChainRuleExplorer(net, [0.3, 0.2, 0.1], cv.MSE([1, 2, 3, 4]), presentation=True, seed=5)
    again = ChainRuleExplorer.from_dict(json.loads(json.dumps(app.to_dict())))
    _assert_same_app(app, again)
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
    "three layers": (lambda: _with(_good(), [[[1.0]], [[1.0]], [[1.0]]], "net", "weights"), None),
    "NaN in x": (lambda: _with(_good(), [1.0, float("nan"), 0.0], "x"), "x[1]"),
    "text in x": (lambda: _with(_good(), [1.0, "a", 0.0], "x"), "x[1]"),
    "x too short": (lambda: _with(_good(), [1.0, 2.0], "x"), "x has length 2"),
    "inf in W1": (lambda: _with(_good(), float("inf"), "net", "weights", 0, 1, 1), "W1[1, 1]"),
    "unknown activation": (lambda: _with(_good(), ["swish", "identity"], "net", "activations"), "swish"),
    "unknown loss": (lambda: _with(_good(), {"name": "hinge"}, "loss"), "hinge"),
    "label out of range": (lambda: _with(_good(), {"name": "softmax_ce", "label": 2}, "loss"), "label is 2"),
    "negative label": (lambda: _with(_good(), {"name": "softmax_ce", "label": -1}, "loss"), "negative"),
    "fractional label": (lambda: _with(_good(), {"name": "softmax_ce", "label": 0.5}, "loss"), "label"),
    "mse without target": (lambda: _with(_good(), {"name": "mse"}, "loss"), "target"),
    "target wrong length": (lambda: _with(_good(), {"name": "mse", "target": [1.0]}, "loss"), "target t"),
    "bad colour limit": (lambda: _with(_good(), -1, "options", "color_limit"), "color_limit"),
    "options not a dict": (lambda: _with(_good(), [1], "options"), "options"),
    "seed not an int": (lambda: _with(_good(), "x", "seed"), "seed"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_state_is_refused_and_builds_nothing(case, widget_count, monkeypatch):
    make, words = MALFORMED[case]
    d = make()
    built = []
    real_init = ChainRuleExplorer.__init__

    def init(self, *a, **k):
        built.append(1)
        real_init(self, *a, **k)

    monkeypatch.setattr(ChainRuleExplorer, "__init__", init)
    before = widget_count()
    with pytest.raises((ValueError, TypeError)) as info:
        ChainRuleExplorer.from_dict(d)
    if words is not None:
        assert words in str(info.value), str(info.value)
    assert len(str(info.value)) > 10
    assert built == []
    assert widget_count() == before


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
        if t.get("visible") is not False:
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
def _rects(fig):
    return [s for s in fig.layout.shapes if s.type == "rect"]


def _on(rects, panel) -> list[tuple]:
    """``(x0, x1, y0, y1)`` of the rectangles drawn on ``panel``, in the panel's own cell
    coordinates (entry ``[i, j]`` is centred on ``x = j``, ``y = i``)."""
    r, c, rows, cols = panel.box
    out = []
    for s in rects:
        assert (s.xref, s.yref) == (panel.trace.xaxis or "x", panel.trace.yaxis or "y")
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
    text = app._explain.value
    fmt = lambda v, d=3: f"{v:.{d}g}".replace("-", "−")  # noqa: E731
    assert "J[1,0]" in text
    assert fmt(Jv[1, 0], 4) in text
    for k in range(4):
        factors = [fmt(W2v[1, k]), fmt(slope[k]), fmt(W1v[k, 0])]
        term = "·".join(f"({f})" if f.startswith("−") else f for f in factors)
        assert term in text, (term, text)
    assert "+" in text and "Σ" in text
    # and the sum of the shown terms is J[1,0]
    assert sum(W2v[1, k] * slope[k] * W1v[k, 0] for k in range(4)) == pytest.approx(Jv[1, 0])


def test_select_J_cell_with_two_slope_factors(app, trace_by_name):
    app.load_preset("two_sigmoids")
    app.select("top", "J", 0, 2)
    rects = _rects(app.figure)
    D2 = trace_by_name(app.figure, "top:D2")  # now the left factor
    W1 = trace_by_name(app.figure, "top:W1")
    assert [(y0, y1) for _, _, y0, y1 in _on(rects, D2)] == [(-0.5, 0.5)]
    assert [(x0, x1) for x0, x1, _, _ in _on(rects, W1)] == [(1.5, 2.5)]
    assert "σ′(z₂[0])" in app._explain.value


def test_select_a_reverse_row_cell_explains_it(app):
    app.select("rev", "W2", 0, 2)
    rows = app.net.reverse_sweep(app.x, app.loss)
    v = rows[1].values[2]  # ∂L/∂a1[2]: the row after the first factor, W2
    assert f"{v:.4g}".replace("-", "−") in app._explain.value
    assert "Σ" in app._explain.value


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
    heading = [t for t in annotation_texts(app.figure) if "Reverse mode" in t]
    assert len(heading) == 1
    if k < K:
        assert f"step {k} of {K}" in heading[0]
    else:
        assert "step" not in heading[0]
    # the forward band and the factors are not part of the walk-through
    assert_chain_figure(app.figure, app.net, app.x, app.loss, step=k)
    assert app._step.value == k
    app.set_step(None)
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    assert not [t for t in annotation_texts(app.figure) if "step " in t and " of " in t]
    assert app._step.value == K


def test_step_controls(app, assert_chain_figure, trace_z):
    app._step.value = 0
    assert np.isnan(trace_z(app.figure, "rev:W2")).all()
    app._fwd.click()
    assert app._step.value == 1
    assert not np.isnan(trace_z(app.figure, "rev:W2")).any()
    assert np.isnan(trace_z(app.figure, "rev:D1")).all()
    app._back.click()
    app._back.click()  # stops at 0
    assert app._step.value == 0
    # an edit keeps the step; a structural change shows everything again
    app.set_weight(1, 0, 0, 0.1)
    assert_chain_figure(app.figure, app.net, app.x, app.loss, step=0)
    app.set_activations("tanh")
    assert_chain_figure(app.figure, app.net, app.x, app.loss)
    assert app._step.value == app._step.max


def test_negative_step_clamps_to_zero(app, assert_chain_figure):
    app.set_step(-3)
    assert_chain_figure(app.figure, app.net, app.x, app.loss, step=0)


@pytest.mark.parametrize("cell", [("top", "J", 2, 0), ("top", "J", 0, 3), ("rev", "W1", 0, 5), ("top", "D2", 0, 0),
                                  ("nowhere", "J", 0, 0)])
def test_select_outside_every_panel_is_refused(app, cell, record_messages, figure_data):
    app.select("top", "J", 1, 1)
    data, shapes = figure_data(app.figure), app.figure.layout.shapes
    log = record_messages(app.figure)
    app.select(*cell)  # raises nothing
    assert app.error and ("outside" in app.error or "no panel" in app.error)
    assert figure_data(app.figure) == data and app.figure.layout.shapes == shapes
    assert len(log) == 0
