"""A small fully connected network and the chain rule evaluated on it.

Layer ``l`` (1-based) computes ``z_l = W_l a_{l-1} + b_l`` and ``a_l = s_l(z_l)``,
with ``a_0 = x`` and ``a_L = y``. Its Jacobian with respect to its input is
``diag(s_l'(z_l)) · W_l``, so the network's Jacobian is the product, written
output side first::

    J = diag(s_L'(z_L)) · W_L · ... · diag(s_1'(z_1)) · W_1        (m, n)

A slope factor is left out where ``s_l`` is the identity (its Jacobian is I).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .checks import as_matrix, as_vector, check_computed, describe
from .notation import shape_text, stage_name
from .activations import Activation, get_activation
from .losses import Loss, as_loss

@dataclass(frozen=True)
class Trace:
    """Every intermediate value of one forward pass.

    Attributes
    ----------
    zs : list of ndarray
        Pre-activations ``[z_1, ..., z_L]``, each ``(d_l,)``.
    activations : list of ndarray
        ``[a_0 = x, a_1, ..., a_L = y]``, each ``(d_l,)``.
    slopes : list of ndarray
        ``[s_1'(z_1), ..., s_L'(z_L)]``: the diagonals of the slope factors.
    """

    zs: list
    activations: list
    slopes: list

    @property
    def x(self) -> np.ndarray:
        return self.activations[0]

    @property
    def output(self) -> np.ndarray:
        """``y = a_L``, shape ``(m,)``."""
        return self.activations[-1]


@dataclass(frozen=True)
class Factor:
    """One Jacobian factor of the chain-rule product.

    Attributes
    ----------
    label : str
        LaTeX, e.g. ``W_{2}`` or ``\\mathrm{diag}(\\sigma'(z_{1}))``.
    matrix : ndarray
        ``(d_l, d_{l-1})`` for a weight, ``(d_l, d_l)`` diagonal for a slope.
    kind : {"weight", "slope"}
    layer : int
        1-based layer the factor belongs to.
    text : str
        The label in plain Unicode (``W2``, ``diag(σ'(z₁))``), for plot titles.
    """

    label: str
    matrix: np.ndarray
    kind: str
    layer: int
    text: str

    @property
    def shape(self) -> tuple[int, int]:
        return self.matrix.shape


@dataclass(frozen=True)
class Row:
    """One row vector of the reverse sweep: ``∂L/∂(stage value of layer)``.

    Attributes
    ----------
    label : str
        LaTeX, e.g. ``\\partial L/\\partial z_{2}``.
    values : ndarray
        ``(d,)``, the row's entries.
    layer : int
        Layer whose ``z`` or ``a`` this row differentiates (0 means ``x``).
    stage : {"z", "a"}
    text : str
        The label in plain Unicode (``∂L/∂z₂``).
    factor : int or None
        Index into :meth:`Net.jacobian_factors` of the factor applied to produce
        this row; ``None`` for the first row, ``∂L/∂y``.
    """

    label: str
    values: np.ndarray
    layer: int
    stage: str
    text: str
    factor: int | None


class Net:
    """A fully connected network ``x -> y`` of any depth ``L >= 1``.

    Parameters
    ----------
    weights : sequence of array_like
        ``[W_1, ..., W_L]``; ``W_l`` has shape ``(d_l, d_{l-1})`` with ``d_0 = n``.
    activations : sequence of str, or str
        One activation name per layer (a single name is used for every layer).
    biases : sequence of (array_like or None), optional
        ``[b_1, ..., b_L]`` with ``b_l`` of shape ``(d_l,)``; ``None`` means zero.

    Raises
    ------
    ValueError, TypeError
        If the shapes do not chain, an entry is not a finite number, or an
        activation is unknown. The message names the matrix and both shapes.
    """

    def __init__(self, weights: Sequence, activations: Sequence[str] | str = "sigmoid", biases: Sequence | None = None):
        if isinstance(weights, np.ndarray) and weights.ndim == 2:
            weights = [weights]  # one layer (an np.matrix too)
        elif isinstance(weights, np.ndarray) and weights.ndim == 3:
            weights = list(weights)  # a stack of equal-shaped matrices
        if isinstance(weights, Net):
            raise TypeError("weights must be a list of matrices [W1, W2, ...], got a chainviz Net "
                            "(it is already a network: use it as it is)")
        if not isinstance(weights, (list, tuple)) or len(weights) == 0:
            raise ValueError(f"weights must be a non-empty list of matrices [W1, W2, ...], got {describe(weights)}")
        L = len(weights)
        Ws = [as_matrix(f"W{l}", W) for l, W in enumerate(weights, start=1)]
        for l in range(1, L):
            prev, W = Ws[l - 1], Ws[l]
            if W.shape[1] != prev.shape[0]:
                raise ValueError(
                    f"W{l + 1} is {shape_text(W.shape)} but a{l} has length {prev.shape[0]} "
                    f"(W{l} is {shape_text(prev.shape)}): W{l + 1} needs {prev.shape[0]} columns"
                )
        if isinstance(activations, (str, Activation)):
            activations = [activations] * L
        if not isinstance(activations, (list, tuple, np.ndarray)):
            raise TypeError(f"activations must be a name such as 'sigmoid' or a list of {L} names, "
                            f"got {describe(activations)}")
        activations = list(activations)
        if len(activations) != L:
            raise ValueError(f"activations has {len(activations)} entries but there are {L} weight matrices")
        acts = [get_activation(a, f"activation of layer {l}") for l, a in enumerate(activations, start=1)]
        if biases is None:
            biases = [None] * L
        if not isinstance(biases, (list, tuple)):
            raise TypeError(f"biases must be a list of {L} vectors (or None entries), got {describe(biases)}")
        biases = list(biases)
        if len(biases) != L:
            raise ValueError(f"biases has {len(biases)} entries but there are {L} weight matrices")
        bs = []
        for l, (b, W) in enumerate(zip(biases, Ws), start=1):
            if b is None:
                bs.append(np.zeros(W.shape[0]))
            else:
                bs.append(as_vector(f"b{l}", b, W.shape[0], f"W{l} is {shape_text(W.shape)}, so b{l} needs length {W.shape[0]}"))
        for arr in Ws + bs:
            arr.setflags(write=False)  # a Net is a value: edits make a new Net
        self._W = tuple(Ws)
        self._b = tuple(bs)
        self._act = tuple(acts)
        self._has_bias = tuple(b is not None for b in biases)

    # -- what the network is -------------------------------------------------
    @property
    def weights(self) -> list[np.ndarray]:
        """``[W_1, ..., W_L]`` (read-only arrays)."""
        return list(self._W)

    @property
    def biases(self) -> list[np.ndarray]:
        """``[b_1, ..., b_L]`` (zeros where none was given)."""
        return list(self._b)

    @property
    def activations(self) -> list[str]:
        """Activation names, one per layer."""
        return [a.name for a in self._act]

    @property
    def depth(self) -> int:
        """Number of layers ``L``."""
        return len(self._W)

    @property
    def widths(self) -> list[int]:
        """``[n, d_1, ..., d_L]``."""
        return [self._W[0].shape[1]] + [W.shape[0] for W in self._W]

    @property
    def n(self) -> int:
        return self.widths[0]

    @property
    def m(self) -> int:
        return self.widths[-1]

    def __repr__(self) -> str:
        return f"Net(widths={self.widths}, activations={self.activations})"

    def __eq__(self, other) -> bool:
        return (
            isinstance(other, Net)
            and self.activations == other.activations
            and all(np.array_equal(a, b) for a, b in zip(self._W + self._b, other._W + other._b))
            and self.widths == other.widths
        )

    __hash__ = None

    # -- values ---------------------------------------------------------------
    def check_input(self, x) -> np.ndarray:
        """``x`` as a finite ``(n,)`` array, or an error naming both shapes."""
        W1 = self._W[0]
        return as_vector("x", x, W1.shape[1], f"W1 is {shape_text(W1.shape)}, so x needs length {W1.shape[1]}")

    def forward(self, x) -> Trace:
        """Run the network on ``x`` of shape ``(n,)`` and keep every intermediate value."""
        a = self.check_input(x)
        zs, acts, slopes = [], [a], []
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, in words
            for W, b, s in zip(self._W, self._b, self._act):
                z = W @ a + b
                a = s.f(z)
                zs.append(z)
                acts.append(a)
                slopes.append(s.df(z))
        for l, (z, a) in enumerate(zip(zs, acts[1:]), start=1):
            check_computed(stage_name("z", l, self.depth)[1], z)
            check_computed(stage_name("a", l, self.depth)[1], a)
        return Trace(zs=zs, activations=acts, slopes=slopes)

    def __call__(self, x) -> np.ndarray:
        """``y = f(x)``, shape ``(m,)``."""
        return self.forward(x).output

    def outputs(self, X) -> np.ndarray:
        """``f`` at many points at once: ``X`` is ``(n, k)``, one input per column; returns ``(m, k)``.

        One matrix product per layer instead of ``k`` passes (a numerical Jacobian
        needs ``2n`` points). Non-finite outputs are returned as they are.
        """
        A = np.asarray(X, dtype=float)
        n = self._W[0].shape[1]
        if A.ndim != 2 or A.shape[0] != n:
            raise ValueError(f"X is {shape_text(A.shape)} but W1 is {shape_text(self._W[0].shape)}: "
                             f"X needs {n} rows, one input per column")
        with np.errstate(over="ignore", invalid="ignore"):
            for W, b, s in zip(self._W, self._b, self._act):
                A = s.f(W @ A + b[:, None])
        return A

    # -- the chain rule ---------------------------------------------------------
    def jacobian_factors(self, x, trace: Trace | None = None) -> list[Factor]:
        """The factors of ``J`` in written order, output side first.

        ``[diag(s_L'(z_L)), W_L, ..., diag(s_1'(z_1)), W_1]``; a slope factor
        appears only for a layer whose activation is not the identity.
        """
        tr = trace if trace is not None else self.forward(x)
        out = []
        for l in range(self.depth, 0, -1):
            act = self._act[l - 1]
            if act.name != "identity":
                zl, zt = stage_name("z", l, self.depth)
                out.append(
                    Factor(
                        label=rf"\mathrm{{diag}}({act.symbol}'({zl}))",
                        matrix=np.diag(tr.slopes[l - 1]),
                        kind="slope",
                        layer=l,
                        text=f"diag({act.text}'({zt}))",
                    )
                )
            out.append(Factor(label=f"W_{{{l}}}", matrix=self._W[l - 1], kind="weight", layer=l, text=f"W{l}"))
        return out

    def jacobian(self, x) -> np.ndarray:
        """``J = ∂y/∂x``, shape ``(m, n)``: the product of :meth:`jacobian_factors`."""
        factors = self.jacobian_factors(x)
        J = np.array(factors[-1].matrix)  # a writable copy, even for one linear layer
        for f in reversed(factors[:-1]):
            J = f.matrix @ J
        return J

    def reverse_sweep(self, x, loss: Loss, trace: Trace | None = None) -> list[Row]:
        """The reverse-mode rows, in the order computed.

        Starts from ``∂L/∂y = loss.grad(y)`` (length ``m``) and multiplies by one
        factor at a time on the right, output side first, giving one row after
        each factor: ``∂L/∂z_L``, ``∂L/∂a_{L-1}``, ..., ``∂L/∂x`` (length ``n``).
        Every row has the length of one stage, never ``n × something``.
        """
        loss = as_loss(loss)
        tr = trace if trace is not None else self.forward(x)
        loss.check(self.m)
        g = loss.grad(tr.output)
        lab, txt = stage_name("a", self.depth, self.depth)
        rows = [Row(rf"\partial L/\partial {lab}", g, self.depth, "a", f"∂L/∂{txt}", None)]
        for k, f in enumerate(self.jacobian_factors(x, tr)):
            if f.kind == "slope":
                g = g * np.diag(f.matrix)  # a diagonal factor scales entries: O(d), not O(d²)
                stage, layer = "z", f.layer
            else:
                g = g @ f.matrix
                stage, layer = "a", f.layer - 1
            lab, txt = stage_name(stage, layer, self.depth)
            rows.append(Row(rf"\partial L/\partial {lab}", g, layer, stage, f"∂L/∂{txt}", k))
        return rows

    def forward_sweep(self, x, trace: Trace | None = None) -> list[np.ndarray]:
        """What forward mode carries: ``∂(stage)/∂x`` after each factor, input side first.

        Starts from ``W_1`` and multiplies by one factor at a time on the left,
        so the k-th matrix has shape ``(d, n)`` for the width ``d`` of its stage;
        the last is ``J``. Every carried matrix has ``n`` columns.
        """
        factors = self.jacobian_factors(x, trace)[::-1]
        carried = [np.array(factors[0].matrix)]  # a copy: W_1 itself is read-only
        for f in factors[1:]:
            if f.kind == "slope":
                carried.append(np.diag(f.matrix)[:, None] * carried[-1])
            else:
                carried.append(f.matrix @ carried[-1])
        return carried

    def weight_gradients(self, x, loss: Loss, trace: Trace | None = None,
                         rows: list[Row] | None = None) -> list[np.ndarray]:
        """``[∂L/∂W_1, ..., ∂L/∂W_L]``, each the shape of its weight.

        ``∂L/∂W_l = (∂L/∂z_l)ᵀ a_{l-1}ᵀ``: an outer product of the row reaching
        layer ``l`` and the layer's input. ``trace`` and ``rows`` (this ``x`` and
        ``loss``'s forward pass and reverse sweep) are reused when given.
        """
        tr = trace if trace is not None else self.forward(x)
        rows = rows if rows is not None else self.reverse_sweep(x, loss, tr)
        dz = {}
        for r in rows:
            # with an identity activation there is no z row: ∂L/∂z_l = ∂L/∂a_l
            if r.stage == "z" or (r.stage == "a" and r.layer >= 1 and self._act[r.layer - 1].name == "identity"):
                dz[r.layer] = r.values
        return [np.outer(dz[l], tr.activations[l - 1]) for l in range(1, self.depth + 1)]

    # -- editing (a Net is immutable: edits return a new one) --------------------
    def with_weight(self, layer: int, i: int, j: int, value: float) -> "Net":
        """A copy with ``W_layer[i, j] = value``; indices are checked with a clear message."""
        if not (1 <= layer <= self.depth):
            raise ValueError(f"layer must be 1 to {self.depth}, got {layer}")
        W = np.array(self._W[layer - 1])
        if not (0 <= i < W.shape[0] and 0 <= j < W.shape[1]):
            raise ValueError(f"W{layer}[{i}, {j}] is outside W{layer}, which is {shape_text(W.shape)}")
        W[i, j] = as_vector(f"W{layer}[{i}, {j}]", value, 1)[0]
        Ws = list(self._W)
        Ws[layer - 1] = W
        return Net(Ws, self.activations, self._given_biases())

    def with_activations(self, activations: Sequence[str] | str) -> "Net":
        return Net(list(self._W), activations, self._given_biases())

    def _given_biases(self):
        return [b if has else None for b, has in zip(self._b, self._has_bias)]

    def to_dict(self) -> dict:
        """JSON-safe description: ``{"weights": [...], "activations": [...], "biases": [...]}``."""
        return {
            "weights": [W.tolist() for W in self._W],
            "activations": self.activations,
            "biases": [b.tolist() if has else None for b, has in zip(self._b, self._has_bias)],
        }

    @classmethod
    def from_dict(cls, d) -> "Net":
        """Rebuild from :meth:`to_dict`; every field is validated as in the constructor."""
        if not isinstance(d, dict):
            raise ValueError(f"a saved net must be a dict, got {type(d).__name__}")
        missing = [k for k in ("weights", "activations") if k not in d]
        if missing:
            raise ValueError(f"a saved net needs {' and '.join(repr(k) for k in missing)}")
        return cls(d["weights"], d["activations"], d.get("biases"))


def as_net(obj, where: str = "net") -> Net:
    """``obj`` if it is a :class:`Net`, else a ``TypeError`` saying what was given and how to make one.

    A list of weight matrices is refused, not guessed into a net: it does not say the
    activations (a sigmoid default would silently differ from what the user had in
    mind), and ``cv.Net([W1, W2], "relu")`` is one call away.
    """
    if isinstance(obj, Net):
        return obj
    hint = "cv.Net([W1, W2], activations)" if isinstance(obj, (list, tuple, np.ndarray)) else "cv.Net([W1, W2])"
    raise TypeError(f"{where} must be a chainviz Net, e.g. {hint}; got {describe(obj)}")


def two_layer(W1, W2, activation: str = "sigmoid", output_activation: str = "identity", b1=None, b2=None) -> Net:
    """The section's two-layer net: ``y = s2(W2 · s1(W1 x + b1) + b2)``.

    ``W1`` is ``(h, n)`` and ``W2`` is ``(m, h)``. With both activations the
    identity, ``J = W2 · W1``: two linear layers are one linear layer.
    """
    return Net([W1, W2], [activation, output_activation], [b1, b2])
