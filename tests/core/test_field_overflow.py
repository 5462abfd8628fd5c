"""Review of field report 12: a number that overflows anywhere in what the explorer computes.

Inputs are finite, yet a product of finite numbers may leave float64's range: the
backward sweep, ``∂L/∂W`` or the loss can overflow where the forward pass does not.
The rule: the state is refused with a ``ValueError`` naming the first value that
overflows (``"∂L/∂a₁[0] overflows (|values| above 1.8e308): …"``), never a
RuntimeWarning (warnings are errors here) and never a raw Python error.

The expected values come from an exact reference in :mod:`decimal` (28 significant
digits, exponents up to 10⁹⁹⁹⁹⁹⁹): the textbook formulas of the chain rule, evaluated
with no overflow at all, say which values exceed the largest float.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, localcontext

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainviz as cv
from chainviz.core.notation import short
from chainviz.core.snapshot import snapshot

W1 = [[0.8, -0.6, 0.3], [0.4, 0.9, 0.5], [0.6, 0.2, 0.5], [-0.3, -0.5, 0.6]]
W2 = [[0.9, -0.8, 0.5, 0.3], [-0.3, 0.6, 0.8, -0.7]]
X = [1.0, -0.5, 0.8]
T = [0.5, -0.5]
FLOAT_MAX = Decimal(np.finfo(float).max)
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


# -- the exact reference: a two-layer net and MSE, by the textbook formulas -------------------
def _act(name, z: Decimal) -> tuple[Decimal, Decimal]:
    """``(s(z), s'(z))`` for identity and softplus, exactly (softplus written so e^z never overflows)."""
    if name == "identity":
        return z, Decimal(1)
    e = (-abs(z)).exp()  # in (0, 1]
    softplus = max(z, Decimal(0)) + (1 + e).ln()
    sigma = 1 / (1 + e) if z >= 0 else e / (1 + e)
    return softplus, sigma


def _reference(Ws, acts, x, t) -> dict:
    """Every value the explorer shows, by name, as lists of Decimals."""
    with localcontext() as ctx:
        ctx.prec = 28
        Ws = [[[Decimal(v) for v in row] for row in W] for W in Ws]
        a0 = [Decimal(v) for v in x]
        z1 = [sum(w * a for w, a in zip(row, a0)) for row in Ws[0]]
        a1, s1 = zip(*(_act(acts[0], z) for z in z1))
        z2 = [sum(w * a for w, a in zip(row, a1)) for row in Ws[1]]
        y, s2 = zip(*(_act(acts[1], z) for z in z2))
        gy = [yi - Decimal(ti) for yi, ti in zip(y, t)]
        gz2 = [g * s for g, s in zip(gy, s2)]
        ga1 = [sum(gz2[i] * Ws[1][i][k] for i in range(len(gz2))) for k in range(len(a1))]
        gz1 = [g * s for g, s in zip(ga1, s1)]
        gx = [sum(gz1[k] * Ws[0][k][j] for k in range(len(gz1))) for j in range(len(a0))]
        J = [[sum(s2[i] * Ws[1][i][k] * s1[k] * Ws[0][k][j] for k in range(len(a1))) for j in range(len(a0))]
             for i in range(len(y))]
        return {"∂L/∂y": gy, "∂L/∂z₂": gz2, "∂L/∂a₁": ga1, "∂L/∂z₁": gz1, "∂L/∂x": gx,
                "J": [v for row in J for v in row], "L": [sum(g * g for g in gy) / 2],
                "∂L/∂W1": [g * a for g in gz1 for a in a0], "∂L/∂W2": [g * a for g in gz2 for a in a1]}


def _named_entry(message: str) -> tuple[str, int]:
    """``("∂L/∂a₁", 0)`` from ``"∂L/∂a₁[0] overflows …"``; ``("the loss L", 0)`` for a number."""
    m = re.match(r"(.+?)(?:\[(\d+)(?:, (\d+))?\])? overflows \(\|values\| above 1\.8e308\)", message)
    assert m, message
    return m.group(1), int(m.group(2) or 0)


# -- the review's two instances ------------------------------------------------------------------
def test_backward_overflow_with_finite_forward_values_is_refused_naming_the_row():
    s = 1e160
    ref = _reference([W1, (np.array(W2) * s).tolist()], ["identity", "identity"], X, T)
    assert max(abs(v) for v in ref["J"]) < FLOAT_MAX  # forward mode's J = s·W2·W1 fits
    assert max(abs(v) for v in ref["∂L/∂z₂"]) < FLOAT_MAX
    first = next(k for k, v in enumerate(ref["∂L/∂a₁"]) if abs(v) > FLOAT_MAX)  # ≈ s²·((W2W1x)ᵀW2)
    with pytest.raises(ValueError) as info:
        cv.ChainRuleExplorer(cv.two_layer(np.array(W1), np.array(W2) * s, "identity"), x=X, loss=cv.MSE(T))
    assert _named_entry(str(info.value)) == ("∂L/∂a₁", first)


def test_a_saved_state_that_overflows_backward_is_refused_by_from_dict():
    d = cv.ChainRuleExplorer().to_dict()
    d["net"]["weights"][0][0][0] = 1e300
    d["net"]["activations"] = ["softplus", "softplus"]
    ref = _reference(d["net"]["weights"], ["softplus", "softplus"], d["x"], d["loss"]["target"])
    with pytest.raises(ValueError) as info:
        cv.ChainRuleExplorer.from_dict(json.loads(json.dumps(d)))
    name, k = _named_entry(str(info.value))
    assert abs(ref[name][k]) > FLOAT_MAX, (name, ref[name][k])
    # the rows before it in the reverse sweep fit: the first row that does not is the one named
    order = ["∂L/∂y", "∂L/∂z₂", "∂L/∂a₁", "∂L/∂z₁", "∂L/∂x"]
    assert name == next(r for r in order if max(abs(v) for v in ref[r]) > FLOAT_MAX)


# -- the kind: any scale, any place ------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(e1=st.integers(0, 200), e2=st.integers(0, 200), acts=st.sampled_from(
    [("identity", "identity"), ("softplus", "identity"), ("softplus", "softplus"), ("identity", "softplus")]))
def test_every_shown_value_is_finite_and_exact_or_the_first_overflow_is_named(e1, e2, acts):
    Ws = [(np.array(W1) * 10.0**e1).tolist(), (np.array(W2) * 10.0**e2).tolist()]
    ref = _reference(Ws, acts, X, T)
    fits = {k: max(abs(v) for v in vals) < FLOAT_MAX * Decimal("0.999") for k, vals in ref.items()}
    over = {k: max(abs(v) for v in vals) > FLOAT_MAX * Decimal("1.001") for k, vals in ref.items()}
    try:
        snap = snapshot(cv.two_layer(np.array(Ws[0]), np.array(Ws[1]), *acts), X, cv.MSE(T))
    except ValueError as exc:
        msg = str(exc)
        if msg.startswith(("z", "y", "a")):  # the forward pass: already refused in words before
            assert "overflows" in msg
            return
        name, k = _named_entry(msg if not msg.startswith("J = ") else msg[4:])
        key = {"∂y/∂x": "J", "the loss L": "L"}.get(name, name)
        if key in ref:
            assert not fits[key], (name, msg)
        else:  # what forward mode carries inside the product, or the check of J
            assert not all(fits.values()), msg
        return
    assert not any(over.values()), [k for k, v in over.items() if v]
    rows = {r.text: r.values for r in snap.rows}
    for name in ("∂L/∂y", "∂L/∂a₁", "∂L/∂x"):
        np.testing.assert_allclose(rows[name], [float(v) for v in ref[name]], rtol=1e-9, atol=0)
    np.testing.assert_allclose(snap.J.ravel(), [float(v) for v in ref["J"]], rtol=1e-9, atol=0)
    assert np.isfinite(snap.loss_value) and all(np.isfinite(G).all() for G in snap.weight_grads)


def test_a_loss_that_overflows_alone_is_named():
    # y = (1e308, 1e308) fits, and for L = Σy every row and ∂L/∂W is made of ones, x and W's
    # entries (1 and 1e308), which fit; L = 2e308 does not
    net = cv.Net([[[1.0], [1.0]]], "identity")
    assert 2 * Decimal("1e308") > FLOAT_MAX
    with pytest.raises(ValueError, match=r"^the loss L overflows \(\|values\| above 1\.8e308\)"):
        snapshot(net, [1e308], cv.Sum())


def test_short_prints_infinities_and_nan_instead_of_failing():
    assert short(float("inf")) == "∞" and short(float("-inf")) == "−∞" and short(float("nan")) == "nan"
    assert short(np.finfo(float).max) == "1.8e308"
