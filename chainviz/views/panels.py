"""What each panel of the chain-rule figure shows: its matrix, title and hover text, for any depth.

A panel lives in a *slot* ``(band, column)``. Columns follow the written order of
the product, output side first, with the loss's own column in front and J at the
end; for a two-layer net with a sigmoid::

    column   loss  | W2     | D1            | W1    | J
    "top"          | W2     | diag(σ′(z₁))  | W1    | J        the factors, · between them, = before J
    "rev"    ∂L/∂y | ∂L/∂a₁ | ∂L/∂z₁        | ∂L/∂x |          the row after each factor, under it
    "fwd"    ∂y/∂x | ∂a₁/∂x | ∂z₁/∂x        | I     |          what forward mode holds at that stage
    "grad"         | ∂L/∂W2 |               | ∂L/∂W1|          under its weight (same shape)

Column names are ``"W{l}"`` for a weight and ``"D{l}"`` for a slope factor, so a
net of any depth has its own list (:func:`columns`). Everything here is a pure
function of a :class:`~chainviz.core.snapshot.Snapshot`.
"""

from __future__ import annotations

import numpy as np

from ..core.activations import ACTIVATIONS
from ..core.notation import count_text, fmt, sub
from ..core.snapshot import Snapshot

BANDS = ("top", "rev", "fwd", "grad")
HIDDEN_HOVER = "hidden: this is the exercise"


def factor_column(f) -> str:
    """``"W2"`` for the weight of layer 2, ``"D1"`` for the slope factor of layer 1."""
    return ("D" if f.kind == "slope" else "W") + str(f.layer)


def columns(s: Snapshot) -> list[str]:
    """Every column in written order: ``["loss", <one per factor>, "J"]``."""
    return ["loss"] + [factor_column(f) for f in s.factors] + ["J"]


def row_columns(s: Snapshot) -> list[str]:
    """The column of each reverse row: ``rows[k]`` sits under ``row_columns(s)[k]``."""
    return columns(s)[:-1]


def _shape(a) -> str:
    r, k = np.atleast_2d(a).shape
    return f"{r}×{k}"


def _vec(v, most: int = 4) -> str:
    vals = ", ".join(fmt(t, 2) for t in v[:most])
    return f"({vals}{', …' if len(v) > most else ''})"


def _symbol(name: str) -> str:
    return ACTIVATIONS[name].text


def _input_of(layer: int) -> str:
    """The value layer ``l`` multiplies: ``x`` for layer 1, else ``a_{l-1}``."""
    return "x" if layer == 1 else f"a{sub(layer - 1)}"


def j_formula(s: Snapshot) -> str:
    """How ``J[i, j]`` is computed, with ``%{y}``/``%{x}`` for ``i``/``j`` (hover text).

    Two layers: the sum over paths through the hidden layer, one product per path.
    Otherwise: the last layer's row times the forward carry ``∂a_{L−1}/∂x``.
    """
    acts, L = s.net.activations, s.net.depth
    out = "" if acts[-1] == "identity" else f"{_symbol(acts[-1])}′(z{sub(L)}[%{{y}}])·"
    if L == 1:
        return f"{out}W1[%{{y}},%{{x}}]"
    if L == 2:
        mid = "" if acts[0] == "identity" else f"·{_symbol(acts[0])}′(z₁[k])"
        return f"{out}Σₖ W2[%{{y}},k]{mid}·W1[k,%{{x}}]"
    prev = f"a{sub(L - 1)}"
    return f"{out}Σₖ W{L}[%{{y}},k]·(∂{prev}/∂x)[k,%{{x}}]"


# The panels of the snapshot last asked for: an edit asks three times for the same snapshot (to
# fit the colour scale, to draw the figure, to caption the tables), and the figure waits on the
# first two. A snapshot is a frozen value, so its identity names its panels.
_last: tuple = (None, None, {})


def panels(s: Snapshot, step: int | None = None) -> dict[tuple[str, str], dict]:
    """Each panel's matrix ``z``, ``title`` (plotly HTML) and ``hover`` template, keyed by slot;
    ``live`` marks a title that quotes numbers of the state (it changes with every edit).

    ``step`` is how many factors the backward walk-through has applied (``None``: all);
    rows not yet reached are blank and say so. The dict is the caller's own; the panel dicts in
    it and their arrays are shared with later calls for the same snapshot: read them, do not
    change them.
    """
    global _last
    if _last[0] is not s or _last[1] != step:
        _last = (s, step, _panels(s, step))
    return dict(_last[2])


def _panels(s: Snapshot, step: int | None) -> dict[tuple[str, str], dict]:
    tr, acts = s.trace, s.net.activations
    out: dict[tuple[str, str], dict] = {}
    for f in s.factors:
        l = f.layer
        if f.kind == "slope":
            z = np.where(np.eye(f.matrix.shape[0], dtype=bool), f.matrix, np.nan)  # blank off-diagonal
            title = f"<b>{f.text}</b>  {_shape(f.matrix)}<br>at z{sub(l)} = {_vec(tr.zs[l - 1])}"
            hover = f"{_symbol(acts[l - 1])}′(z{sub(l)}[%{{y}}]) = ∂a{sub(l)}[%{{y}}]/∂z{sub(l)}[%{{y}}]"
        else:
            z = f.matrix
            title = f"<b>{f.text}</b>  {_shape(z)}<br>= ∂z{sub(l)}/∂{_input_of(l)}"
            hover = f"W{l}[%{{y}},%{{x}}] = ∂z{sub(l)}[%{{y}}]/∂{_input_of(l)}[%{{x}}]"
        out[("top", factor_column(f))] = dict(z=z, title=title, hover=hover, live=f.kind == "slope")
    out[("top", "J")] = dict(
        z=s.J,
        title=f"<b>J = ∂y/∂x</b>  {_shape(s.J)}<br>at x = {_vec(s.x)}",
        hover=f"J[%{{y}},%{{x}}] = ∂y[%{{y}}]/∂x[%{{x}}] = {j_formula(s)}",
        live=True,
    )
    shown = len(s.rows) if step is None else step + 1
    for k, (row, col, C) in enumerate(zip(s.rows, row_columns(s), s.carried)):
        d = row.values.size
        v = row.text.split("/∂", 1)[1]
        if k == 0:
            how = ""
        else:
            prev = s.rows[k - 1].text
            how = f" = ({prev} · {s.factors[k - 1].text})[%{{x}}]"
        reached = k < shown
        out[("rev", col)] = dict(
            z=row.values[None, :] if reached else np.full((1, d), np.nan),
            title=(f"<b>{row.text}</b>  1×{d}<br>{count_text(d)}" if reached
                   else f"{row.text}  1×{d}<br>not yet computed"),
            hover=f"{row.text}[%{{x}}]{how}",
        )
        r, n = C.shape
        out[("fwd", col)] = dict(
            z=C,
            title=f"<b>∂{v}/∂x</b>  {r}×{n}<br>{count_text(r * n)}",
            hover=f"∂{v}[%{{y}}]/∂x[%{{x}}]",
        )
    for l, G in enumerate(s.weight_grads, start=1):
        dz = next(r.values for r in s.rows if r.layer == l and (r.stage == "z" or acts[l - 1] == "identity"))
        out[("grad", f"W{l}")] = dict(
            z=G,
            title=f"<b>∂L/∂W{l}</b>  {_shape(G)}<br>= (∂L/∂z{sub(l)})ᵀ·{_input_of(l)}ᵀ",
            hover=f"∂L/∂W{l}[%{{y}},%{{x}}] = ∂L/∂z{sub(l)}[%{{y}}] · {_input_of(l)}[%{{x}}] = %{{row}} · %{{col}}",
            values=(tuple(fmt(v, 3) for v in dz), tuple(fmt(v, 3) for v in tr.activations[l - 1])),
        )
    return out


def band_heading(s: Snapshot, band: str, step: int | None, short: bool = False) -> str:
    """The line above a band; ``short`` leaves out what the panel titles already say."""
    if band == "top":
        if short:
            return "<b>Jacobian factors</b>, in written order"
        shapes = "".join(f"({_shape(f.matrix)})" for f in s.factors)
        return f"<b>Jacobian factors</b>, in written order:  {shapes} = {_shape(s.J)}"
    if band == "rev":
        K = len(s.factors)
        where = "" if step is None or step >= K else f"  ·  step {step} of {K}"
        lead = "<b>Reverse mode</b>" if short else "<b>Reverse mode</b>: from ∂L/∂y, one factor at a time"
        return f"{lead}  ·  L = {fmt(s.loss_value, 4)}{where}"
    if band == "fwd":
        total_f = sum(C.size for C in s.carried[:-1])
        total_r = sum(r.values.size for r in s.rows)
        if short:
            return f"<b>Forward mode</b> carries d×n: {count_text(total_f)} vs {count_text(total_r)}"
        return (f"<b>Forward mode</b> would carry ∂(stage)/∂x, a d×n matrix, instead: "
                f"{count_text(total_f)} in all vs {count_text(total_r)} in the rows")
    return ("<b>Weight gradients</b>" if short else
            "<b>Weight gradients</b>: the row reaching a layer times that layer's input (outer product)")


def revealing(s: Snapshot, hidden) -> set:
    """The hidden slots plus the panels that would give them away at a glance.

    J is forward mode's last carry (and the weights' product when no slope factor
    is present, which a learner is asked to compute); a slope factor's diagonal can
    be read off the row it produces (``∂L/∂z = ∂L/∂a ⊙ σ′``) and off the forward
    carry it scales; a reverse row can be read off the next row when the factor
    between them is a slope (divide) and off ∂L/∂W (an outer product with it).
    """
    out = set(hidden)
    cols = row_columns(s)
    if ("top", "J") in out:
        out.add(("fwd", "loss"))
    for k, f in enumerate(s.factors):
        if f.kind == "slope" and ("top", cols[k + 1]) in out:
            out.add(("rev", cols[k + 1]))  # the row after the slope factor
            out.add(("fwd", cols[k]))  # the carry just after it (forward mode reads right to left)
            out.add(("fwd", cols[k + 1]))  # and the one just before: D·C divided by C gives D
    for k, col in enumerate(cols):
        if ("rev", col) in out:
            # ∂L/∂z_l reappears as a row of ∂L/∂W_l (an outer product with the layer's input)
            row = s.rows[k]
            if row.stage == "z" or (row.stage == "a" and row.layer >= 1
                                    and s.net.activations[row.layer - 1] == "identity"):
                out.add(("grad", f"W{row.layer}"))
    return out


def quiz_names(s: Snapshot) -> list[str]:
    """Every name an exercise may ask for on this net: ``J``, ``D1``…, and rows ``dL/dy``…``dL/dx``."""
    names = ["J"] + [factor_column(f) for f in s.factors if f.kind == "slope"]
    for row in s.rows:
        v = row.text.split("/∂", 1)[1]
        names.append("dL/d" + v.translate(str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")))
    return names


def quiz_slot(s: Snapshot, name: str) -> tuple[str, str]:
    """The slot an exercise name refers to: ``"J"``, ``"D1"`` (a slope factor) or a row like ``"dL/dz1"``."""
    if not isinstance(name, str):
        raise TypeError(f"an exercise name is text such as 'J' or 'dL/dx', got {name!r}")
    if name == "J":
        return ("top", "J")
    cols = row_columns(s)
    if name[:1] == "D" and name[1:].isdigit():
        if name not in cols:
            raise ValueError(f"exercise {name!r}: this net has no slope factor {name} "
                             f"(layer {name[1:]} has no slope factor, or no such layer)")
        return ("top", name)
    if name.startswith("dL/d"):
        for row, col, known in zip(s.rows, cols, quiz_names(s)[-len(s.rows):]):
            if known == name:
                return ("rev", col)
        raise ValueError(f"exercise {name!r}: this net has no such row; its rows are "
                         f"{', '.join(quiz_names(s)[-len(s.rows):])}")
    raise ValueError(f"exercise {name!r} is not a panel; choose from: {', '.join(quiz_names(s))}")


def quiz_answer(s: Snapshot, slot: tuple[str, str]) -> np.ndarray:
    """The true values an exercise on ``slot`` asks for, ``(r, k)``: a slope factor's diagonal
    (as one row), a reverse row, or J."""
    z = panels(s)[slot]["z"]
    if slot[0] == "top" and slot[1].startswith("D"):
        return np.diag(np.nan_to_num(z))[None, :]
    return np.atleast_2d(z)


def quiz_label(s: Snapshot, name: str) -> str:
    """How an exercise grid is titled: ``diagonal of diag(σ′(z₁))`` for ``D1``, else the panel's name."""
    slot = quiz_slot(s, name)
    if slot[1].startswith("D") and slot[0] == "top":
        f = next(f for f in s.factors if factor_column(f) == slot[1])
        return f"diagonal of {f.text}"
    if slot == ("top", "J"):
        return "J = ∂y/∂x"
    return s.rows[row_columns(s).index(slot[1])].text
