"""Click explanations: every printed number can be re-added by hand to the digits shown.

The checks multiply and add the *printed* numbers (as a learner would, with a
calculator) and compare with the printed results; the true values come from
autograd on the net written out independently.
"""

from __future__ import annotations

import math
import re

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import jacobian as ag_jacobian
from hypothesis import given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.core.snapshot import snapshot
from chainviz.views.explain import agreeing_digits, explain


def _num(t: str) -> float:
    return float(t.strip().strip("()").replace("−", "-"))


def _last_digit(t: str) -> int:
    """The exponent of the last digit of a printed number (``0.0845`` -> -4, ``1.20e-05`` -> -7)."""
    mantissa, _, exp = t.strip().strip("()").replace("−", "-").partition("e")
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return int(exp or 0) - decimals


@settings(max_examples=300, deadline=None)
@given(terms=st.lists(st.lists(st.floats(-5, 5, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-90),
                              min_size=1, max_size=3), min_size=1, max_size=6)
       .filter(lambda ts: len({len(t) for t in ts}) == 1))
def test_printed_terms_multiply_and_add_up_to_the_printed_total(terms):
    """(Products far below 1e-300 are left out: there the float total itself has lost its digits.)"""
    from decimal import Decimal, localcontext

    total = sum(math.prod(t) for t in terms)
    printed, products, shown = agreeing_digits(terms, total)
    assert not shown.startswith("≈")
    last = _last_digit(shown)
    dec = lambda t: Decimal(t.strip().strip("()").replace("−", "-"))  # noqa: E731
    with localcontext() as ctx:
        ctx.prec, ctx.Emin, ctx.Emax = 100, -999999, 999999
        unit = Decimal(1).scaleb(last)
        for factors, product in zip(printed, products):  # a calculator's product of the printed factors
            p = Decimal(1)
            for f in factors:
                p *= dec(f)
            assert p.quantize(Decimal(1).scaleb(_last_digit(product))) == dec(product), (factors, product)
        # the printed terms add up to the printed total, to its last digit
        assert sum(dec(p) for p in products).quantize(unit) == dec(shown)
        # and the printed total is the true total, rounded to its last digit
        assert abs(dec(shown) - Decimal(total)) <= unit / 2 + Decimal(abs(total)) * Decimal(2) ** -50


def _reference(net):
    act = {"identity": lambda z: z, "tanh": anp.tanh, "sigmoid": lambda z: 1 / (1 + anp.exp(-z))}
    layers = list(zip(net.weights, net.activations))

    def f(x):
        for W, a in layers:
            x = act[a](anp.dot(W, x))
        return x

    return f


@pytest.mark.parametrize("acts", [["sigmoid", "identity"], ["tanh", "sigmoid"], ["tanh", "tanh", "identity"],
                                  ["tanh"], ["identity", "identity", "sigmoid", "tanh"]])
def test_J_explanation_ends_with_J_from_autograd(acts):
    rng = np.random.default_rng(len(acts))
    widths = [3] + [4] * (len(acts) - 1) + [2]
    net = cv.Net([rng.normal(size=(b, a)) for a, b in zip(widths, widths[1:])], acts)
    x = rng.normal(size=3)
    J = ag_jacobian(_reference(net))(x)
    s = snapshot(net, x, cv.Sum())
    for i in range(2):
        for j in range(3):
            text = re.sub(r"<[^>]+>", "", explain(s, "top", "J", i, j))
            total = text.split(" = ")[-1].split(". ")[0]
            assert not total.startswith("≈"), text
            assert abs(_num(total) - J[i, j]) <= 0.5 * 10.0 ** _last_digit(total) + 1e-12, text


def test_explaining_a_cell_outside_its_panel_is_refused():
    s = snapshot(cv.two_layer(np.eye(2), np.eye(2), "identity"), [1.0, 2.0], cv.Sum())
    with pytest.raises(ValueError, match="outside"):
        explain(s, "top", "J", 2, 0)
    with pytest.raises(ValueError, match="no panel"):
        explain(s, "top", "D1", 0, 0)


# -- an exercise keeps its answer: no click explanation prints a hidden number -----------------
_NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?(?:e[−-]?\d+)?")


def _printed_numbers(text: str) -> list[str]:
    return [m.replace("−", "-") for m in _NUMBER.findall(re.sub(r"<[^>]+>|\[\d+(?:,\d+)?\]|[a-zA-Z]+\d*", " ", text))]


@pytest.mark.parametrize("preset, quiz", [
    ("relu", ["D1", "J"]), ("sigmoid", ["dL/da1", "dL/dz1"]), ("sigmoid", ["D1", "J", "dL/dz1"]),
    ("sigmoid", ["dL/da1"]), ("two_sigmoids", ["D2", "dL/dz1"]), ("three_layers", ["D1", "dL/dz2"]),
])
def test_no_explanation_of_a_visible_cell_prints_a_hidden_number(preset, quiz):
    """Every cell a learner may click (every panel the exercise leaves visible) is explained; a
    hidden panel's value (at 3 significant digits and more) appears in no explanation unless a
    visible panel already shows it (relu′ = 1 makes ∂L/∂z₁[k] = ∂L/∂a₁[k], both may be drawn).
    Before the fix, clicking ∂L/∂x printed the hidden ∂L/∂z₁ as the factors of its sum."""
    from chainviz.views.panels import panels, quiz_slot, revealing

    p = cv.examples.PRESETS[preset]
    s = snapshot(p.net, p.x, p.loss)
    P = panels(s)
    answers = {quiz_slot(s, name) for name in quiz}
    secret = revealing(s, answers)  # the answers, and the panels that would give them away
    shown = {f"{v:.3g}" for slot, panel in P.items() if slot not in secret
             for v in np.asarray(panel["z"], dtype=float).ravel() if np.isfinite(v)}
    hidden = {float(f"{v:.3g}") for slot in answers if slot in P
              for v in np.asarray(P[slot]["z"], dtype=float).ravel()
              if np.isfinite(v) and abs(v) >= 0.01 and v != round(v) and f"{v:.3g}" not in shown}
    assert hidden, "the exercise hides some numbers no visible panel shows"
    for slot, panel in P.items():
        if slot in secret:
            continue
        r, c = np.atleast_2d(panel["z"]).shape
        for i in range(r):
            for j in range(c):
                text = explain(s, *slot, i, j, secret)
                for t in _printed_numbers(text):
                    v = float(t)
                    near = [h for h in hidden if v != 0 and abs(v - h) <= 0.6 * 10 ** (math.floor(math.log10(abs(h))) - 2)]
                    assert not near, f"{slot}[{i},{j}] prints {t}, a hidden value ({near}): {text}"
