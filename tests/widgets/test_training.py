"""Gradient descent in the explorer: Step, Train, Undo, Reset training, the loss history chart,
saving and loading from the page, divergence and dead units. Expected values from the core's
formulas written out here (W − η·∂L/∂W with ∂L/∂W from autograd) or from the state before."""

from __future__ import annotations

import json

import numpy as np
import pytest
from autograd import grad as ag_grad
import autograd.numpy as anp

import chainviz as cv
from chainviz.core import examples


def send(widget, **msg):
    widget._received(widget, msg, [])


def item(bar, key):
    for it in bar.items:
        if it["id"] == key:
            return it
        for sub in it.get("items", []):
            if sub["id"] == key:
                return sub
    raise KeyError(key)


def test_the_training_controls_fold_away_until_used():
    app = cv.ChainRuleExplorer()
    assert "open" not in item(app.info, "training")  # folded: the page keeps its height for the figure
    app.step()
    assert item(app.info, "training")["open"] is True


def autograd_grads(app):
    """∂L/∂W_l of the explorer's two-layer sigmoid net with its MSE loss, by autograd."""
    x, t = app.x, app.loss.target

    def L(Ws):
        a1 = 1 / (1 + anp.exp(-anp.dot(Ws[0], x)))
        return 0.5 * anp.sum((anp.dot(Ws[1], a1) - t) ** 2)

    return ag_grad(L)([np.array(W) for W in app.net.weights])


def test_the_step_button_takes_W_minus_eta_times_the_gradient():
    app = cv.ChainRuleExplorer()
    W, G = [np.array(w) for w in app.net.weights], autograd_grads(app)
    send(app.info, event="change", id="eta", value="0.25")
    send(app.info, event="click", id="step_once")
    assert app.error == ""
    for W_new, W_old, g in zip(app.net.weights, W, G):
        np.testing.assert_allclose(W_new, W_old - 0.25 * g, rtol=1e-12, atol=1e-15)
    assert len(app.history) == 2 and app.history[1]["predicted"] is not None
    status = item(app.info, "status")["html"]
    assert "Step 1" in status and "→" in status and "first order predicted" in status
    # the gradient is shown once it is used, and the loss chart appears
    assert app.state.settings.show_weight_grads
    chart = [t for t in app.figure.data if t.name == "loss history"][0]
    assert chart.visible is True and list(chart.y) == pytest.approx([h["loss"] for h in app.history])


def test_eta_is_refused_outside_its_range_and_nothing_changes():
    app = cv.ChainRuleExplorer()
    for text in ("0", "-1", "11", "abc", "nan"):
        send(app.info, event="change", id="eta", value=text)
        assert "η" in app.error, text
        assert app.eta == 0.1
    with pytest.raises(ValueError):
        app.step(20)
    assert app.history[-1]["step"] == 0


def test_undo_after_n_steps_restores_the_weights_bit_for_bit():
    app = cv.ChainRuleExplorer()
    snapshots = []
    for _ in range(7):
        snapshots.append([np.array(W) for W in app.net.weights])
        app.step(0.3)
    for k in range(6, -1, -1):
        send(app.info, event="click", id="undo")
        for W, W0 in zip(app.net.weights, snapshots[k]):
            assert np.array_equal(W, W0)
    assert item(app.info, "undo")["disabled"] is True
    with pytest.raises(ValueError, match="no step to undo"):
        app.undo()


def test_reset_training_returns_to_the_weights_before_training():
    app = cv.ChainRuleExplorer()
    before = app.net
    app.train(10, eta=0.2)
    send(app.info, event="click", id="reset_training")
    assert app.net == before and len(app.history) == 1


def test_train_plays_one_step_per_tick_and_stops():
    app = cv.ChainRuleExplorer()
    send(app.info, event="change", id="train", value=True)  # the first step at once
    assert item(app.info, "train")["playing"] is True
    for _ in range(4):
        send(app.info, event="tick", id="train")
    assert len(app.history) == 6
    losses = [h["loss"] for h in app.history]
    assert all(b < a for a, b in zip(losses, losses[1:]))  # η = 0.1 on this net: downhill
    send(app.info, event="change", id="train", value=False)
    assert item(app.info, "train")["playing"] is False
    send(app.info, event="change", id="speed", value="5")
    assert item(app.info, "train")["interval"] == 200


def test_a_too_large_eta_stops_training_with_a_message_and_keeps_a_finite_state():
    app = cv.ChainRuleExplorer()
    app.load_preset("linear")
    app.eta = 1.0
    send(app.info, event="change", id="train", value=True)
    for _ in range(20):
        if not item(app.info, "train")["playing"]:
            break
        send(app.info, event="tick", id="train")
    assert item(app.info, "train")["playing"] is False  # it stopped by itself
    status = item(app.info, "status")["html"]
    assert "grown 3 steps in a row" in status and "smaller η" in status
    assert all(np.all(np.isfinite(W)) for W in app.net.weights)
    app.train(50)  # the API the same way: stops early, keeps a finite state
    assert len(app.history) < 20 and np.isfinite(app.history[-1]["loss"])


def test_a_dead_relu_stays_dead_and_the_explorer_says_why():
    app = cv.ChainRuleExplorer()
    app.load_preset("dead_relu")
    row = np.array(app.net.weights[0][1])
    app.train(15, eta=0.3)
    np.testing.assert_array_equal(app.net.weights[0][1], row)
    status = item(app.info, "status")["html"]
    assert "z₁[1]" in status and "row of ∂L/∂W1 is zero" in status


def test_save_and_load_from_the_page_reproduce_the_state_exactly():
    app = cv.ChainRuleExplorer()
    app.set_weight(1, 2, 1, 0.123456789)
    app.train(4, eta=0.2)
    sent = []
    app.toolbar.send = lambda content, buffers=None: sent.append(content)  # what the page would save
    send(app.toolbar, event="click", id="save")
    [msg] = sent
    text = msg["download"]["text"]
    assert msg["download"]["filename"].endswith(".json")
    other = cv.ChainRuleExplorer(sizes=(2, 2, 2))
    send(other.toolbar, event="upload", id="load", name="state.json", text=text)
    assert other.error == ""
    assert other.net == app.net and np.array_equal(other.x, app.x) and other.loss == app.loss
    assert other.eta == app.eta and [h["loss"] for h in other.history] == [h["loss"] for h in app.history]
    other.undo()
    app.undo()
    assert other.net == app.net  # the undo history came along, exactly


@pytest.mark.parametrize("tamper,words", [
    (lambda d: d["net"]["weights"][0][0].__setitem__(0, "x"), "every entry must be a number"),
    (lambda d: d["history"][0].__setitem__("loss", None), "history[0].loss"),
    (lambda d: d.__setitem__("version", 9), "version"),
    (lambda d: d["options"].__setitem__("eta", 50), "eta"),
])
def test_a_tampered_file_is_refused_and_nothing_changes(tamper, words):
    app = cv.ChainRuleExplorer()
    app.train(2)
    d = json.loads(json.dumps(app.to_dict()))
    tamper(d)
    other = cv.ChainRuleExplorer()
    net, x, loss = other.net, other.x, other.loss
    send(other.toolbar, event="upload", id="load", name="bad.json", text=json.dumps(d))
    assert words in other.error, other.error
    assert other.net == net and np.array_equal(other.x, x) and other.loss == loss and len(other.history) == 1


def test_an_oversized_file_is_refused_before_it_is_read():
    app = cv.ChainRuleExplorer()
    send(app.toolbar, event="upload_refused", id="load", name="huge.json", size=20_000_000)
    assert "huge.json is 20,000,000 bytes" in app.error
    assert app.net == cv.ChainRuleExplorer().net


def test_copy_as_code_rebuilds_this_explorer():
    app = cv.ChainRuleExplorer()
    app.set_input(0, 0.25)
    app.train(2)
    send(app.toolbar, event="click", id="copy_code")
    code = [it for it in app.info.items if it["id"] == "code"][0]["text"]
    assert code.startswith("cv.ChainRuleExplorer.from_dict(")
    again = eval(code, {"cv": cv})  # noqa: S307 - the line the page shows, run as a lecturer would
    assert again.net == app.net and np.array_equal(again.x, app.x) and len(again.history) == 3


def test_reset_training_goes_back_to_the_start_after_more_steps_than_the_history_keeps():
    from chainviz.widgets.training import MAX_HISTORY

    app = cv.ChainRuleExplorer()
    before = [W.copy() for W in app.net.weights]
    for _ in range(3):
        app.train(200, eta=0.01)
    assert len(app.history) == MAX_HISTORY + 1  # the oldest 100 steps are forgotten
    said = app.info.items.__repr__()
    assert "Step 600" in said and "Reset training still goes back" in said
    send(app.info, event="click", id="reset_training")  # as the page's button does
    for W, W0 in zip(app.net.weights, before):
        np.testing.assert_array_equal(W, W0)  # bit for bit: the net before step 1


@pytest.mark.parametrize("sizes, steps", [((256, 256, 2), 5), ((32, 32, 32, 32, 32), 100)])
def test_a_saved_long_training_is_read_back_by_from_dict(sizes, steps):
    """Save writes only what Load reads: the most recent steps that fit its limits."""
    import json

    from chainviz.core.schema import MAX_BYTES

    app = cv.ChainRuleExplorer(sizes=sizes)
    app.train(steps, eta=0.001)
    text = json.dumps(app.to_dict())
    assert len(text) <= MAX_BYTES
    back = cv.ChainRuleExplorer.from_dict(json.loads(text))
    for W, V in zip(back.net.weights, app.net.weights):
        np.testing.assert_array_equal(W, V)
    kept = len(back.history) - 1
    assert 1 <= kept <= steps
    # the steps kept are the most recent ones, in order
    assert [h["loss"] for h in back.history] == [h["loss"] for h in app.history][-kept - 1:]
