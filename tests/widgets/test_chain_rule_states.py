"""Random sequences of edits on a ChainRuleExplorer, valid and invalid, from the API and the page.

Whatever the sequence: a valid edit is accepted and clears the error; an invalid one
raises ``ValueError``/``TypeError`` from the API (and nothing from the page) with a
message, and changes neither the state nor the figure; random text typed into any
cell is either accepted as exactly the number it spells or refused with a message;
and after every step the figure shows what the core computes for ``app.net``,
``app.x``, ``app.loss`` (factors, J, reverse rows, forward carries, weight gradients),
to the 3 significant digits it displays.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

import chainviz as cv
from chainviz import examples

ACTIVATIONS = sorted(cv.ACTIVATIONS)
PRESETS = sorted(examples.PRESETS)
JUNK = ["abc", "", "  ", "nan", "inf", "-inf", "1e7", "-2e6", "1,2,3", "--1", "0x1"]
VALUES = st.floats(-3.0, 3.0, allow_nan=False, allow_infinity=False)
TYPED = VALUES.map(lambda v: f"{v:.3f}")  # what a person types
INDEX = st.integers(0, 6)  # sometimes past the end: then the edit must be refused


class ChainRuleMachine(RuleBasedStateMachine):
    # set by the test function from the conftest fixtures
    assert_chain_figure = None
    figure_data = None

    def __init__(self):
        super().__init__()
        self.app = cv.ChainRuleExplorer()
        self.step = None  # the walk-through step the figure should show
        self.grads = False
        self.forward = True

    # -- the one way every edit is checked ---------------------------------------------
    def edit(self, call, valid: bool | None):
        """Run ``call``; ``valid`` None means "either way", decided by whether it raised."""
        app = self.app
        net, x, loss = app.net, app.x, app.loss
        data = type(self).figure_data(app.figure)
        try:
            call()
            ok = True
        except (ValueError, TypeError) as exc:
            ok = False
            assert str(exc) == app.error, "the exception carries the message the page shows"
        if valid is not None:
            assert ok == valid, app.error
        if not ok:
            assert app.error, "a refused edit must say why"
            assert app.net == net and np.array_equal(app.x, x) and app.loss == loss
            assert type(self).figure_data(app.figure) == data, "a refused edit changed the figure"
            return False
        assert app.error == ""
        if app.net.widths != net.widths or app.net.activations != net.activations:
            self.step = None  # a new structure shows the whole sweep again
        return True

    # -- cells ---------------------------------------------------------------------------
    @rule(layer=st.integers(1, 4), i=INDEX, j=INDEX, value=st.one_of(VALUES, TYPED))
    def set_weight(self, layer, i, j, value):
        Ws = self.app.net.weights
        inside = layer <= len(Ws) and i < Ws[layer - 1].shape[0] and j < Ws[layer - 1].shape[1]
        if self.edit(lambda: self.app.set_weight(layer, i, j, value), valid=inside):
            assert self.app.net.weights[layer - 1][i, j] == float(value)

    @rule(layer=st.integers(1, 2), i=INDEX, j=INDEX, text=st.sampled_from(JUNK))
    def set_weight_junk(self, layer, i, j, text):
        self.edit(lambda: self.app.set_weight(layer, i, j, text), valid=False)

    @rule(where=st.sampled_from(["W1", "W2", "W3", "x", "t"]), i=st.integers(0, 4), j=st.integers(0, 4),
          text=st.one_of(st.text(max_size=12), TYPED, st.sampled_from(JUNK)))
    def type_into_a_grid(self, where, i, j, text):
        """Any text typed into any cell from the page: never raises; accepted means exactly its number."""
        app = self.app
        grid = app._grids.get(where)
        if grid is None or i >= len(grid.cells) or j >= len(grid.cells[0]):
            return
        net, x, loss = app.net, app.x, app.loss
        data = type(self).figure_data(app.figure)
        grid._received(grid, {"event": "edit", "i": i, "j": j, "text": text}, [])  # raises nothing
        if app.error:
            assert app.net == net and np.array_equal(app.x, x) and app.loss == loss
            assert type(self).figure_data(app.figure) == data
            assert grid.errors == {f"{i},{j}": app.error}
            return
        value = float(text.strip().replace("−", "-").replace(",", "."))  # what it spells, by Python's reading
        got = app.x[i] if where == "x" else app.loss.target[i] if where == "t" else \
            app.net.weights[int(where[1]) - 1][i, j]
        assert got == value, (text, got)

    @rule(j=INDEX, value=st.one_of(VALUES, TYPED, st.sampled_from(JUNK)))
    def set_input(self, j, value):
        valid = j < self.app.net.n and value not in JUNK
        if self.edit(lambda: self.app.set_input(j, value), valid=valid):
            assert self.app.x[j] == float(value)

    @rule(i=INDEX, value=st.one_of(VALUES, st.sampled_from(JUNK)))
    def set_target(self, i, value):
        valid = isinstance(self.app.loss, cv.MSE) and i < self.app.net.m and value not in JUNK
        if self.edit(lambda: self.app.set_target(i, value), valid=valid):
            assert self.app.loss.target[i] == value

    # -- structure -----------------------------------------------------------------------
    @rule(n=st.integers(1, 5), h=st.integers(1, 5), m=st.integers(1, 5))
    def set_sizes(self, n, h, m):
        if self.edit(lambda: self.app.set_sizes(n, h, m), valid=True):
            assert self.app.net.widths == [n, h, m]

    @rule(hidden=st.sampled_from(ACTIVATIONS), output=st.sampled_from(ACTIVATIONS))
    def set_activations(self, hidden, output):
        if self.edit(lambda: self.app.set_activations(hidden, output), valid=True):
            acts = self.app.net.activations
            assert acts[-1] == output and all(a == hidden for a in acts[:-1])

    @rule(name=st.sampled_from(ACTIVATIONS + ["swish"]))
    def set_hidden_activation(self, name):
        self.edit(lambda: self.app.set_activations(name), valid=name != "swish")

    @rule(depth=st.integers(0, 5))
    def set_depth(self, depth):
        if self.edit(lambda: self.app.set_depth(depth), valid=1 <= depth <= 4):
            assert self.app.net.depth == depth

    @rule(name=st.sampled_from(["mse", "sum", "softmax_ce", "hinge"]), label=st.integers(0, 5))
    def set_loss(self, name, label):
        valid = name in ("mse", "sum") or (name == "softmax_ce" and label < self.app.net.m)
        if self.edit(lambda: self.app.set_loss(name, label), valid=valid):
            assert self.app.loss.name == name

    @rule(name=st.sampled_from(PRESETS + ["nope"]))
    def load_preset(self, name):
        if self.edit(lambda: self.app.load_preset(name), valid=name != "nope"):
            p = examples.PRESETS[name]
            assert self.app.net == p.net and np.array_equal(self.app.x, p.x) and self.app.loss == p.loss

    @rule(seed=st.integers(0, 2**16))
    def randomize(self, seed):
        widths, acts = self.app.net.widths, self.app.net.activations
        self.edit(lambda: self.app.randomize(seed), valid=True)
        assert self.app.net.widths == widths and self.app.net.activations == acts

    @rule()
    def reset(self):
        if self.edit(self.app.reset, valid=True):
            assert self.app.net == cv.two_layer(examples.W1_DEFAULT, examples.W2_DEFAULT, "sigmoid")
            self.step = None

    # -- view options (always accepted) ---------------------------------------------------
    @rule(step=st.one_of(st.none(), st.integers(-1, 6)))
    def set_step(self, step):
        K = len(self.app.net.jacobian_factors(self.app.x))
        self.app.set_step(step)
        self.step = None if step is None or step >= K else max(0, step)

    @rule(free=st.booleans(), grads=st.booleans(), forward=st.booleans())
    def set_options(self, free, grads, forward):
        self.app.set_options(free_limits=free, show_weight_grads=grads, show_forward=forward)
        self.grads, self.forward = grads, forward

    @rule(i=st.integers(0, 5), j=st.integers(0, 5))
    def select_J(self, i, j):
        m, n = self.app.net.m, self.app.net.n
        if self.edit(lambda: self.app.select("top", "J", i, j), valid=i < m and j < n) is False:
            assert "outside" in self.app.error

    # -- what must always hold --------------------------------------------------------------
    @invariant()
    def figure_shows_the_core(self):
        app = self.app
        type(self).assert_chain_figure(app.figure, app.net, app.x, app.loss, step=self.step,
                                       grads=self.grads, forward=self.forward)

    @invariant()
    def J_is_the_product_of_the_factors(self):
        app = self.app
        factors = app.net.jacobian_factors(app.x)
        P = factors[0].matrix
        for f in factors[1:]:
            P = P @ f.matrix
        np.testing.assert_allclose(app.net.jacobian(app.x), P, rtol=1e-12, atol=1e-12)

    @invariant()
    def editors_show_the_state(self):
        app = self.app
        if max(app.net.widths) > 8:
            return
        for l, W in enumerate(app.net.weights, start=1):
            shown = np.array([[float(t) for t in row] for row in app._grids[f"W{l}"].cells])
            np.testing.assert_allclose(shown, W, rtol=1e-3, atol=1e-12)  # cells show 4 digits
        assert len(app._grids["x"].cells) == app.net.n


def test_chain_rule_state_machine(assert_chain_figure, figure_data):
    ChainRuleMachine.assert_chain_figure = staticmethod(assert_chain_figure)
    ChainRuleMachine.figure_data = staticmethod(figure_data)
    run_state_machine_as_test(
        ChainRuleMachine,
        settings=settings(max_examples=25, stateful_step_count=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )


@pytest.mark.parametrize("value", JUNK)
def test_junk_list_is_really_junk(value):
    """The machine assumes every JUNK text is refused; check that assumption directly."""
    app = cv.ChainRuleExplorer()
    with pytest.raises(ValueError, match=r"W1\[0,0\]"):
        app.set_weight(1, 0, 0, value)
    assert "W1[0,0]" in app.error
