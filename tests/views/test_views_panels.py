"""The panels of the chain-rule figure as pure functions of a snapshot, for nets of any depth.

Expected shapes and names follow from the written order of the product (the factors
``diag(σ_L′)·W_L·…·diag(σ₁′)·W₁``), worked out here by hand for each net.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainviz as cv
from chainviz.core.snapshot import snapshot
from chainviz.views import panels as P
from chainviz.views.chain import Options, figure_spec


def snap(widths, acts, loss=None, seed=0):
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(b, a)) for a, b in zip(widths, widths[1:])]
    net = cv.Net(Ws, acts)
    return snapshot(net, rng.normal(size=widths[0]), loss or cv.Sum())


@pytest.mark.parametrize("widths,acts,cols", [
    ((3, 2), ["identity"], ["loss", "W1", "J"]),
    ((3, 2), ["tanh"], ["loss", "D1", "W1", "J"]),
    ((3, 4, 2), ["sigmoid", "identity"], ["loss", "W2", "D1", "W1", "J"]),
    ((3, 4, 2), ["sigmoid", "sigmoid"], ["loss", "D2", "W2", "D1", "W1", "J"]),
    ((2, 3, 3, 4, 2), ["relu", "tanh", "identity", "softplus"], ["loss", "D4", "W4", "W3", "D2", "W2", "D1", "W1", "J"]),
])
def test_columns_follow_the_written_order(widths, acts, cols):
    s = snap(widths, acts)
    assert P.columns(s) == cols
    panels = P.panels(s)
    # one factor per column, the reverse row after each factor under it, J last
    assert [c for (b, c) in panels if b == "top"] == cols[1:]
    assert [c for (b, c) in panels if b == "rev"] == cols[:-1]
    assert [c for (b, c) in panels if b == "fwd"] == cols[:-1]
    # each row's length is the column count of the factor that produced it
    for k, f in enumerate(s.factors):
        assert panels[("rev", cols[k + 1])]["z"].shape == (1, f.matrix.shape[1])
    # forward mode carries d×n where reverse mode carries 1×d
    n = widths[0]
    for (b, c), p in panels.items():
        if b == "fwd":
            assert p["z"].shape[1] == n


def test_slope_factor_shows_only_its_diagonal():
    s = snap((3, 4, 2), ["sigmoid", "identity"])
    z = P.panels(s)[("top", "D1")]["z"]
    assert np.isnan(z[~np.eye(4, dtype=bool)]).all()
    np.testing.assert_allclose(np.diag(z), s.trace.slopes[0])


def test_rows_not_yet_reached_are_blank_and_say_so():
    s = snap((3, 4, 2), ["sigmoid", "identity"])
    panels = P.panels(s, step=1)
    assert not np.isnan(panels[("rev", "W2")]["z"]).any()
    assert np.isnan(panels[("rev", "D1")]["z"]).all()
    assert "not yet computed" in panels[("rev", "D1")]["title"]


def test_panels_asked_again_are_the_same_state_and_a_callers_changes_stay_its_own():
    # the explorer asks for one snapshot's panels several times per edit (they are kept): a
    # figure that hides a panel for an exercise must not hide it from the next figure, and a
    # step asked for later is that step's
    s = snap((3, 4, 2), ["sigmoid", "identity"])
    hidden = figure_spec(s, Options(hidden=frozenset({("top", "J")})))
    shown = figure_spec(s, Options())
    for spec, hides in ((hidden, True), (shown, False)):
        titles = " ".join(t for tr in spec["traces"] if tr.get("name") == "words" for t in tr["text"])
        assert ("your turn" in titles) is hides
    mine = P.panels(s)
    mine.clear()
    again = P.panels(s)
    assert ("top", "J") in again
    np.testing.assert_array_equal(again[("top", "J")]["z"], s.J)
    assert np.isnan(P.panels(s, step=0)[("rev", "W2")]["z"]).all()
    assert not np.isnan(P.panels(s)[("rev", "W2")]["z"]).any()
    other = snap((3, 4, 2), ["sigmoid", "identity"], seed=1)
    np.testing.assert_array_equal(P.panels(other)[("top", "J")]["z"], other.J)


@pytest.mark.parametrize("widths,acts,names", [
    ((3, 4, 2), ["sigmoid", "identity"], ["J", "D1", "dL/dy", "dL/da1", "dL/dz1", "dL/dx"]),
    ((3, 4, 2), ["identity", "identity"], ["J", "dL/dy", "dL/da1", "dL/dx"]),
    ((2, 3, 3, 2), ["tanh", "tanh", "sigmoid"],
     ["J", "D3", "D2", "D1", "dL/dy", "dL/dz3", "dL/da2", "dL/dz2", "dL/da1", "dL/dz1", "dL/dx"]),
])
def test_exercise_names_for_any_depth(widths, acts, names):
    s = snap(widths, acts)
    assert P.quiz_names(s) == names
    for name in names:
        slot = P.quiz_slot(s, name)
        assert slot in P.panels(s)


@pytest.mark.parametrize("name,words", [("D2", "no slope factor D2"), ("dL/dz9", "no such row"), ("K", "not a panel"),
                                        (3, "text")])
def test_unknown_exercise_names_say_what_there_is(name, words):
    s = snap((3, 4, 2), ["sigmoid", "identity"])
    with pytest.raises((ValueError, TypeError), match=words):
        P.quiz_slot(s, name)


def test_hiding_a_slope_factor_hides_what_gives_it_away():
    """diag(σ′(z₁)) can be read off ∂L/∂z₁ = ∂L/∂a₁ ⊙ σ′ and off the forward carries around it."""
    s = snap((3, 4, 2), ["sigmoid", "identity"])
    hidden = P.revealing(s, {("top", "D1")})
    assert {("rev", "D1"), ("fwd", "W2"), ("fwd", "D1")} <= hidden
    assert ("grad", "W1") in hidden  # ∂L/∂W1 = (∂L/∂z₁)ᵀ xᵀ holds ∂L/∂z₁
    assert P.revealing(s, {("top", "J")}) >= {("top", "J"), ("fwd", "loss")}  # J is forward mode's last carry


def test_j_hover_formula_names_every_factor():
    assert P.j_formula(snap((3, 4, 2), ["sigmoid", "identity"])) == "Σₖ W2[%{y},k]·σ′(z₁[k])·W1[k,%{x}]"
    assert P.j_formula(snap((3, 2), ["tanh"])) == "tanh′(z1[%{y}])·W1[%{y},%{x}]".replace("z1", "z₁")
    deep = P.j_formula(snap((2, 3, 3, 2), ["tanh", "tanh", "identity"]))
    assert deep == "Σₖ W3[%{y},k]·(∂a₂/∂x)[k,%{x}]"
