"""Shared pieces for the core tests: random networks and an independent reference.

Nothing here calls chainviz to compute an expected value. The reference network
is written from scratch in ``autograd.numpy`` from the raw weight arrays and the
textbook formulas of each activation, so autograd can differentiate it and the
same code (on plain arrays) gives the forward values.

Test modules get these through session-scoped fixtures (``net_specs``,
``loss_specs``, ``ref``), never by importing this file: several ``conftest.py``
files live under ``tests/`` and none of the test folders is a package.
"""

from __future__ import annotations

from dataclasses import dataclass

import autograd.numpy as anp
import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

ACTIVATION_NAMES = ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "softplus")
KINKED = ("relu", "leaky_relu")
LEAKY = 0.01
EPS = float(np.finfo(float).eps)


# -- the reference network, written independently of chainviz ------------------------
def ref_activation(name: str, z):
    """Each activation from its textbook formula, in autograd.numpy."""
    if name == "identity":
        return z
    # Written so that neither the values nor autograd's derivatives overflow for large |z|
    # (autograd differentiates tanh as 1/cosh², which overflows past |z| ≈ 355).
    if name == "sigmoid":
        # σ(z) = 1 / (1 + e^-z) = exp(-log(1 + e^-z))
        return anp.exp(-anp.logaddexp(0.0, -z))
    if name == "tanh":
        # tanh(z) = 2σ(2z) - 1
        return 2.0 * anp.exp(-anp.logaddexp(0.0, -2.0 * z)) - 1.0
    if name == "relu":
        # autograd differentiates `where` branch by branch: slope 0 at z = 0, as promised
        return anp.where(z > 0, z, 0.0 * z)
    if name == "leaky_relu":
        return anp.where(z > 0, z, LEAKY * z)
    if name == "softplus":
        return anp.logaddexp(0.0, z)  # log(1 + e^z)
    raise AssertionError(name)


def ref_slope(name: str, z: np.ndarray) -> np.ndarray:
    """σ'(z) in closed form (plain numpy), for comparing slope factors."""
    z = np.asarray(z, float)
    if name == "identity":
        return np.ones_like(z)
    if name == "sigmoid":
        s = 0.5 * (np.tanh(0.5 * z) + 1.0)
        return s * (1.0 - s)
    if name == "tanh":
        e = np.exp(-2.0 * np.abs(z))  # sech²(z) = 4e^{-2|z|} / (1 + e^{-2|z|})², no overflow
        return 4.0 * e / (1.0 + e) ** 2
    if name == "relu":
        return (z > 0).astype(float)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, LEAKY)
    if name == "softplus":
        return 0.5 * (np.tanh(0.5 * z) + 1.0)  # d/dz log(1 + e^z) = σ(z)
    raise AssertionError(name)


def ref_forward(weights, biases, acts, x):
    """``(zs, activations)`` of ``a_l = s_l(W_l a_{l-1} + b_l)``, ``a_0 = x``; works under autograd."""
    a = x
    zs, activations = [], [x]
    for W, b, name in zip(weights, biases, acts):
        z = anp.dot(W, a) + b
        a = ref_activation(name, z)
        zs.append(z)
        activations.append(a)
    return zs, activations


def ref_tail(weights, biases, acts, stage: str, layer: int):
    """The rest of the network as a function of ``z_layer`` (stage "z") or ``a_layer`` (stage "a")."""

    def tail(v):
        a = ref_activation(acts[layer - 1], v) if stage == "z" else v
        for W, b, name in zip(weights[layer:], biases[layer:], acts[layer:]):
            a = ref_activation(name, anp.dot(W, a) + b)
        return a

    return tail


def ref_factors(spec: "NetSpec") -> list[tuple[str, int, np.ndarray]]:
    """``(kind, layer, matrix)`` in written order, output side first, from the raw arrays."""
    zs, _ = ref_forward(spec.weights, spec.bias_arrays, spec.activations, spec.x)
    out = []
    for l in range(spec.depth, 0, -1):
        name = spec.activations[l - 1]
        if name != "identity":
            out.append(("slope", l, np.diag(ref_slope(name, zs[l - 1]))))
        out.append(("weight", l, spec.weights[l - 1]))
    return out


def abs_chain(mats) -> np.ndarray:
    """``|F_0| |F_1| ... |F_k|`` (entry-wise absolute values).

    The rounding error of any order of evaluating ``F_0 F_1 ... F_k`` is at most
    about ``k · width · ε_machine`` times this matrix, entry by entry, whatever
    cancellation happens in the true product; it is the scale tolerances use.
    """
    out = np.abs(np.atleast_2d(mats[0]))
    for M in mats[1:]:
        out = out @ np.abs(M)
    return out


def ref_loss_fn(kind: str, param):
    """The scalar loss in autograd.numpy."""
    if kind == "sum":
        return lambda y: anp.sum(y)
    if kind == "mse":
        t = np.asarray(param, float)
        return lambda y: 0.5 * anp.sum((y - t) ** 2)
    if kind == "softmax_ce":
        label = int(param)

        def sce(y):
            top = anp.max(y)  # log-sum-exp shifted by the max; its gradient cancels
            return top + anp.log(anp.sum(anp.exp(y - top))) - y[label]

        return sce
    raise AssertionError(kind)


class Tolerances:
    """Entry-wise error bounds for comparing chainviz with the reference, derived, not tuned.

    Sources of difference, for a network of depth ≤ 4 and widths ≤ 8:

    * rounding inside a product of K factors: at most about K·8·ε times the
      product of absolute values ``A = |g||F_0|···|F_k|``; we allow ``1e-12·A``
      (1e-12 ≈ 4500 ε > 10·K·8·ε for K ≤ 8);
    * the forward values: ``z_l`` is a dot product of ≤ 8 terms fed by earlier
      layers (each activation is 1-Lipschitz), so it errs by at most a few
      ``l·8·ε·zscale_l`` with ``zscale_l = |W_l| zscale_{l-1} + |b_l| + 1``;
      we allow ``ez_l = 1e-13·(zscale_l + 1)``;
    * the slopes: all six lie in [0, 1], are computed to a few ε in *absolute*
      terms (``1 - σ(z)`` cancels for large z) and move by at most ``|Δz|``
      (|s''| ≤ 1), so each is off by at most ``δ_l = 4ε + ez_l``;
    * ``g = ∂L/∂y`` is off by at most ``δ_g = 2·ez_L + 4ε(1 + |g|)``.

    The first-order effect of moving every slope and ``g`` by its δ is
    ``B - A`` with ``B`` the product using ``|F| + δ``; the bound is
    ``1e-12·A + 10·(B - A)``.
    """

    def __init__(self, spec, g=None):
        self.spec = spec
        zs, acts = ref_forward(spec.weights, spec.bias_arrays, spec.activations, spec.x)
        self.acts = acts
        zscale, s = [], np.abs(spec.x)
        for W, b in zip(spec.weights, spec.bias_arrays):
            zs_l = np.abs(W) @ s + np.abs(b) + 1.0
            zscale.append(zs_l)
            s = zs_l + 1.0
        self.ez = [1e-13 * (z + 1.0) for z in zscale]
        self.ea = [np.zeros_like(spec.x)] + [e + 4 * EPS * (np.abs(a) + 1) for e, a in zip(self.ez, acts[1:])]
        self.factors = []  # (|F|, |F| + δ), written order
        for kind, l, M in ref_factors(spec):
            A = np.abs(M)
            self.factors.append((A, A + np.diag(4 * EPS + self.ez[l - 1]) if kind == "slope" else A))
        self.kinds = [(kind, l) for kind, l, _ in ref_factors(spec)]
        if g is not None:
            g = np.abs(np.asarray(g, float))
            self.g = (g[None, :], (g + 2 * self.ez[-1] + 4 * EPS * (1 + g))[None, :])

    @staticmethod
    def _bound(start, mats):
        A, B = start
        for MA, MB in mats:
            A, B = A @ MA, B @ MB
        return 1e-12 * A + 10 * (B - A) + 1e-300  # floor: products that underflow to subnormals

    def partial(self, i: int, j: int) -> np.ndarray:
        """Bound for the product ``F_i ··· F_{j-1}`` (written order), ``i < j``."""
        d = self.factors[i][0].shape[0]
        return self._bound((np.eye(d), np.eye(d)), self.factors[i:j])

    @property
    def J(self) -> np.ndarray:
        return self.partial(0, len(self.factors))

    def row(self, k: int) -> np.ndarray:
        """Bound for ``g · F_0 ··· F_{k-1}``, the reverse-sweep row after k factors."""
        return self._bound(self.g, self.factors[:k]).ravel()

    def row_abs(self, k: int) -> np.ndarray:
        A = self.g[0]
        for MA, _ in self.factors[:k]:
            A = A @ MA
        return A.ravel()

    def weight_grad(self, l: int) -> np.ndarray:
        """Bound for ``∂L/∂W_l = outer(∂L/∂z_l, a_{l-1})``."""
        k = self.kinds.index(("weight", l))  # the row reaching z_l comes just before W_l is applied
        a = np.abs(self.acts[l - 1])
        return np.outer(self.row(k), a + 1.0) + 10 * np.outer(self.row_abs(k) + self.row(k), self.ea[l - 1])


# -- random networks --------------------------------------------------------------
@dataclass
class NetSpec:
    """A network as raw arrays, plus an input: what the tests build both sides from."""

    weights: list
    biases: list | None  # None, or one entry per layer (an array or None)
    activations: list
    x: np.ndarray

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def widths(self) -> list[int]:
        return [self.weights[0].shape[1]] + [W.shape[0] for W in self.weights]

    @property
    def bias_arrays(self) -> list[np.ndarray]:
        bs = self.biases or [None] * self.depth
        return [np.zeros(W.shape[0]) if b is None else b for b, W in zip(bs, self.weights)]

    def net(self):
        import chainviz as cv

        return cv.Net(self.weights, self.activations, self.biases)

    def zs(self, x=None) -> list[np.ndarray]:
        return ref_forward(self.weights, self.bias_arrays, self.activations, self.x if x is None else x)[0]

    def output(self, x=None) -> np.ndarray:
        return ref_forward(self.weights, self.bias_arrays, self.activations, self.x if x is None else x)[1][-1]

    def kinks_clear(self, margin: float = 1e-3, x=None) -> bool:
        """True when no ReLU-type unit has ``|z| <= margin`` (so its slope is unambiguous)."""
        return all(
            np.all(np.abs(z) > margin)
            for z, name in zip(self.zs(x), self.activations)
            if name in KINKED
        )

    def same_kink_side(self, points) -> bool:
        """True when every ReLU-type unit has the same sign of ``z`` at ``self.x`` and at each point."""
        base = [np.sign(z) for z in self.zs()]
        for p in points:
            for z, b, name in zip(self.zs(p), base, self.activations):
                if name in KINKED and not np.array_equal(np.sign(z), b):
                    return False
        return True


@dataclass
class LossSpec:
    kind: str  # "sum" | "mse" | "softmax_ce"
    param: object  # target array, label, or None

    def cv_loss(self):
        import chainviz as cv

        if self.kind == "sum":
            return cv.Sum()
        if self.kind == "mse":
            return cv.MSE(self.param)
        return cv.SoftmaxCrossEntropy(self.param)

    def fn(self):
        return ref_loss_fn(self.kind, self.param)


ENTRY = st.floats(-2.0, 2.0, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def _net_specs(draw, max_depth: int = 4, max_width: int = 8, activations=ACTIVATION_NAMES):
    depth = draw(st.integers(1, max_depth))
    widths = draw(st.lists(st.integers(1, max_width), min_size=depth + 1, max_size=depth + 1))
    acts = draw(st.lists(st.sampled_from(activations), min_size=depth, max_size=depth))
    weights = [draw(hnp.arrays(float, (widths[l + 1], widths[l]), elements=ENTRY)) for l in range(depth)]
    bias_mode = draw(st.sampled_from(["none", "all", "some"]))
    if bias_mode == "none":
        biases = None
    else:
        biases = []
        for d in widths[1:]:
            given = bias_mode == "all" or draw(st.booleans())
            biases.append(draw(hnp.arrays(float, d, elements=ENTRY)) if given else None)
    x = draw(hnp.arrays(float, widths[0], elements=ENTRY))
    return NetSpec(weights, biases, acts, x)


@st.composite
def _scaled_net_specs(draw, max_depth: int = 3, max_width: int = 5, activations=ACTIVATION_NAMES,
                      biggest: float = 1e6):
    """Like ``_net_specs``, with each weight matrix scaled by a power of ten from 1e-3 up to
    ``biggest``: the states a lecturer reaches by typing large weights, saturated ones included."""
    spec = draw(_net_specs(max_depth, max_width, activations))
    top = int(np.log10(biggest)) - 1  # ENTRY reaches 2, so 2·10^top ≤ biggest
    scales = [10.0 ** draw(st.integers(-3, top)) for _ in spec.weights]
    spec.weights = [W * s for W, s in zip(spec.weights, scales)]
    return spec


@st.composite
def _loss_specs(draw, m: int):
    kind = draw(st.sampled_from(["sum", "mse", "softmax_ce"]))
    if kind == "mse":
        return LossSpec(kind, draw(hnp.arrays(float, m, elements=ENTRY)))
    if kind == "softmax_ce":
        return LossSpec(kind, draw(st.integers(0, m - 1)))
    return LossSpec(kind, None)


class Reference:
    """Namespace handed to tests by the ``ref`` fixture."""

    ACTIVATION_NAMES = ACTIVATION_NAMES
    KINKED = KINKED
    LEAKY = LEAKY
    activation = staticmethod(ref_activation)
    slope = staticmethod(ref_slope)
    forward = staticmethod(ref_forward)
    tail = staticmethod(ref_tail)
    factors = staticmethod(ref_factors)
    abs_chain = staticmethod(abs_chain)
    loss_fn = staticmethod(ref_loss_fn)
    NetSpec = NetSpec
    Tolerances = Tolerances
    LossSpec = LossSpec


@pytest.fixture(scope="session")
def ref():
    return Reference


@pytest.fixture(scope="session")
def net_specs():
    """Strategy: networks of depth 1–4, widths 1–8, every activation, with and without biases."""
    return _net_specs()


@pytest.fixture(scope="session")
def scaled_net_specs():
    """Strategy: networks of depth 1–3, widths 1–5, every activation, weights scaled by up to 1e6."""
    return _scaled_net_specs()


@pytest.fixture(scope="session")
def loss_specs():
    """``loss_specs(m)``: strategy for a Sum, MSE or softmax cross-entropy loss on outputs of length m."""
    return _loss_specs
