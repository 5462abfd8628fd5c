"""What a clicked cell says: how its number is computed, with the numbers plugged in.

Every number printed in an explanation can be checked by hand *to the digits shown*:
the factors of each term, multiplied, round to the printed term, and the printed
terms add up exactly to the printed result. :func:`agreeing_digits` finds the
fewest digits for which that holds (a sum of terms each rounded to 3 digits can be
off in its third digit, which a learner would rightly call wrong).
"""

from __future__ import annotations

import decimal
import html
import math

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.notation import fmt, sub
from ..core.snapshot import Snapshot
from .panels import factor_column, panels, row_columns

MAX_EXTRA_DIGITS = 8
_EXACT = decimal.Context(prec=80, Emin=-999999, Emax=999999)  # products of printed numbers, exactly


def _exponent(v: float) -> int:
    return int(math.floor(math.log10(abs(v)))) if v != 0 and math.isfinite(v) else 0


def _show(v: decimal.Decimal, last: int, sci: int | None) -> str:
    """``v`` (a multiple of 10**last) written out: fixed decimals, or ``m.mmme±XX`` with exponent ``sci``."""
    if sci is None:
        text = f"{v:.{max(0, -last)}f}"
    else:
        mantissa = v.scaleb(-sci, _EXACT)
        text = f"{mantissa:.{max(0, sci - last)}f}e{sci:+03d}"
    if decimal.Decimal(text.split("e")[0]) == 0:
        text = text.lstrip("-")  # -0.000 is 0 to a reader
    return text.replace("-", "−")


def agreeing_digits(terms: list[list[float]], total: float, sig: int = 3) -> tuple[list[list[str]], list[str], str]:
    """Print ``total = Σ_k Π terms[k]`` so that the printed numbers agree with each other.

    Returns the printed factors of every term, every term's printed product and the
    printed total. The total shows ``sig + e`` significant digits; the products carry
    ``g`` more decimals (one more, plus one per factor of ten in the number of terms), so
    that their sum, rounded to the total's last digit, is the printed total; the factors
    get ``2e`` more significant digits, and as many more again as the largest term is
    larger than the total (cancellation would otherwise eat the shown digits). ``e ≥ 0`` is
    the smallest for which each printed product is the product of its printed factors,
    rounded, and the printed products add up to the printed total (checked in exact
    decimal arithmetic).
    Very large or small numbers are written ``1.23e-05``.
    """
    biggest = max([abs(math.prod(t)) for t in terms] + [abs(total)])
    top = _exponent(biggest)
    base = _exponent(total) if total != 0 else top
    gap = max(0, top - base)
    sci = base if not -4 <= base <= 5 else None
    g = len(str(len(terms))) if len(terms) > 1 else 0  # 1 more decimal up to 9 terms, 2 up to 99, …
    for extra in range(MAX_EXTRA_DIGITS + 1):
        last = base - (sig - 1) - extra  # the exponent of the total's last digit
        unit, finer = decimal.Decimal(1).scaleb(last), decimal.Decimal(1).scaleb(last - g)
        printed = [[fmt(v, sig + gap + g + 2 * extra) for v in term] for term in terms]
        shown = [[decimal.Decimal(f.replace("−", "-")) for f in term] for term in printed]
        products = [_EXACT.multiply(math.prod(term[1:], start=term[0]), 1).quantize(finer, context=_EXACT)
                    for term in shown]
        target = _EXACT.create_decimal(total).quantize(unit, context=_EXACT)
        if _EXACT.plus(sum(products, decimal.Decimal(0))).quantize(unit, context=_EXACT) == target:
            return printed, [_show(p, last - g, sci) for p in products], _show(target, last, sci)
    # not reached for finite inputs: say so rather than print a sum that does not add up
    return printed, [_show(p, last - g, sci) for p in products], "≈ " + _show(target, last, sci)


def _paren(t: str) -> str:
    return f"({t})" if t.startswith("−") else t


def _sum_text(printed, products, total, masked: frozenset = frozenset()) -> str:
    """``0.9·0.161·0.8 + (−0.8)·… = 0.116 + (−0.076) = 0.040``; one term: ``a·b = c``.

    The factors at the positions in ``masked`` (within every term) come from a panel hidden
    by an exercise: they print as ``?`` and the products are left out (each would give the
    hidden number away, divided by the shown one)."""
    if masked:
        printed = [["?" if k in masked else p for k, p in enumerate(term)] for term in printed]
        factors = " + ".join("·".join(_paren(p) for p in term) for term in printed)
        return f"{factors} = <b>{total}</b>"
    factors = " + ".join("·".join(_paren(p) for p in term) for term in printed)
    if len(products) == 1:
        return f"{factors} = <b>{total}</b>"
    sums = " + ".join(_paren(p) for p in products)
    return f"{factors} = {sums} = <b>{total}</b>"


def _slope_slot(s: Snapshot, layer: int) -> tuple[str, str]:
    f = next(f for f in s.factors if f.kind == "slope" and f.layer == layer)
    return ("top", factor_column(f))


def _j_entry(s: Snapshot, i: int, j: int, hidden: frozenset = frozenset()) -> str:
    """``J[i,j]`` as a sum over paths (two layers) or over the last hidden layer (deeper)."""
    net, tr = s.net, s.trace
    masked = set()
    L, acts = net.depth, net.activations
    W = net.weights
    lead = ""
    s_out = 1.0
    if acts[-1] != "identity":
        s_out = float(tr.slopes[-1][i])
        lead = f"{ACTIVATIONS[acts[-1]].text}′(z{sub(L)}[{i}])·"
        if _slope_slot(s, L) in hidden:
            masked.add(0)
    if L == 1:
        terms = [[s_out, float(W[0][i, j])]] if lead else [[float(W[0][i, j])]]
        how = f"{lead}W1[{i},{j}]"
    elif L == 2:
        s1 = tr.slopes[0] if acts[0] != "identity" else None
        terms = []
        for k in range(W[1].shape[1]):
            t = [float(W[1][i, k])] + ([float(s1[k])] if s1 is not None else []) + [float(W[0][k, j])]
            terms.append(([s_out] if lead else []) + t)
        mid = "" if s1 is None else f"·{ACTIVATIONS[acts[0]].text}′(z₁[k])"
        if s1 is not None and _slope_slot(s, 1) in hidden:
            masked.add(len(terms[0]) - 2)
        how = f"{lead}Σₖ W2[{i},k]{mid}·W1[k,{j}]"
    else:
        # ∂a_{L-1}/∂x, the forward carry that W_L multiplies: stage 1 if the output has no slope factor
        stage = 1 if s.factors[0].kind == "weight" else 2
        C = s.carried[stage]
        terms = [([s_out] if lead else []) + [float(W[-1][i, k]), float(C[k, j])] for k in range(W[-1].shape[1])]
        if ("fwd", row_columns(s)[stage]) in hidden:
            masked.add(len(terms[0]) - 1)
        how = f"{lead}Σₖ W{L}[{i},k]·(∂a{sub(L - 1)}/∂x)[k,{j}]"
    printed, products, total = agreeing_digits(terms, float(s.J[i, j]))
    n_left = f"row {i} of {s.factors[0].text}"
    return (f"<b>J[{i},{j}]</b> = ∂y[{i}]/∂x[{j}] = {how} = " + _sum_text(printed, products, total, frozenset(masked))
            + f". Outlined: {n_left} and column {j} of W1.")


def _row_entry(s: Snapshot, k: int, j: int, hidden: frozenset = frozenset()) -> str:
    row = s.rows[k]
    if k == 0:
        return f"<b>{row.text}[{j}]</b> = {fmt(row.values[j], 4)}: the loss gradient that starts the sweep."
    prev, f = s.rows[k - 1], s.factors[k - 1]
    masked = frozenset(p for p, slot in enumerate([("rev", row_columns(s)[k - 1]), ("top", factor_column(f))])
                       if slot in hidden)
    if f.kind == "slope":
        printed, products, total = agreeing_digits([[float(prev.values[j]), float(f.matrix[j, j])]],
                                                   float(row.values[j]))
        return (f"<b>{row.text}[{j}]</b> = {prev.text}[{j}] · {f.text}[{j},{j}] = "
                + _sum_text(printed, products, total, masked))
    terms = [[float(prev.values[r]), float(f.matrix[r, j])] for r in range(prev.values.size)]
    printed, products, total = agreeing_digits(terms, float(row.values[j]))
    return (f"<b>{row.text}[{j}]</b> = Σₖ {prev.text}[k] · {f.text}[k,{j}] = "
            + _sum_text(printed, products, total, masked))


def _grad_entry(s: Snapshot, layer: int, i: int, j: int, hidden: frozenset = frozenset()) -> str:
    k, dz = next((k, r) for k, r in enumerate(s.rows)
                 if r.layer == layer and (r.stage == "z" or s.net.activations[layer - 1] == "identity"))
    masked = frozenset({0}) if ("rev", row_columns(s)[k]) in hidden else frozenset()
    a_in = s.trace.activations[layer - 1]
    src = "x" if layer == 1 else f"a{sub(layer - 1)}"
    G = s.weight_grads[layer - 1]
    printed, products, total = agreeing_digits([[float(dz.values[i]), float(a_in[j])]], float(G[i, j]))
    return (f"<b>∂L/∂W{layer}[{i},{j}]</b> = ∂L/∂z{sub(layer)}[{i}] · {src}[{j}] = "
            + _sum_text(printed, products, total, masked))


def explain(s: Snapshot, band: str, column: str, i: int, j: int, hidden=frozenset()) -> str:
    """The explanation of cell ``[i, j]`` of the panel in slot ``(band, column)`` (HTML, escaped).

    ``hidden``: the slots an exercise hides (with what would reveal them, see
    :func:`~chainviz.views.panels.revealing`); a number taken from one of them prints as ``?``.

    Raises
    ------
    ValueError
        If there is no such panel or the cell is outside it.
    """
    P = panels(s)
    if (band, column) not in P:
        raise ValueError(f"there is no panel {band}:{column} in this figure")
    r, c = np.atleast_2d(P[(band, column)]["z"]).shape
    if not (0 <= i < r and 0 <= j < c):
        raise ValueError(f"cell [{i},{j}] is outside {band}:{column}, which is {r}×{c}")
    if (band, column) == ("top", "J"):
        return _j_entry(s, i, j, frozenset(hidden))
    if band == "rev":
        return _row_entry(s, row_columns(s).index(column), j, frozenset(hidden))
    if band == "grad":
        return _grad_entry(s, int(column[1:]), i, j, frozenset(hidden))
    if band == "top":
        f = next(f for f in s.factors if factor_column(f) == column)
        if f.kind == "slope":
            l = f.layer
            return (f"<b>{html.escape(f.text)}[{i},{i}]</b> = slope of layer {l}'s activation at "
                    f"z{sub(l)}[{i}] = {fmt(s.trace.zs[l - 1][i], 4)}: <b>{fmt(f.matrix[i, i], 4)}</b>"
                    + ("" if i == j else f" (off the diagonal: [{i},{j}] = 0)"))
        return (f"<b>W{f.layer}[{i},{j}]</b> = ∂z{sub(f.layer)}[{i}]/∂{'x' if f.layer == 1 else 'a' + sub(f.layer - 1)}"
                f"[{j}] = <b>{fmt(f.matrix[i, j], 4)}</b>: type a new value in its grid, or scrub it")
    k = row_columns(s).index(column)
    v = s.rows[k].text.split("/∂", 1)[1]
    return (f"<b>∂{v}[{i}]/∂x[{j}]</b> = <b>{fmt(s.carried[k][i, j], 4)}</b>: forward mode carries this "
            f"{s.carried[k].shape[0]}×{s.carried[k].shape[1]} matrix at this stage")
