"""The section's worked examples, each with its closed-form answer.

Scalar chain rule
    ``sin(x²)``: h'(x) = cos(x²)·2x;  ``(3x+1)²``: h'(x) = 2(3x+1)·3 = 18x + 6.
A Jacobian
    f(x₁, x₂) = (x₁² + x₂, x₁x₂), J_f = [[2x₁, 1], [x₂, x₁]], at (1, 2): [[2, 1], [2, 1]].
A composition
    f(x) = (x, x²), g(u) = u₁ + u₂: J_g·J_f = [1, 1]·[1, 2x]ᵀ = 1 + 2x.
Two-layer nets
    linear: J = W2·W1; with an activation: J = diag(σ'(z1))·W1 for a1, then a second layer.
Scale
    n = 10⁶ inputs, ten hidden layers of width 10³, a scalar loss (for :func:`mode_cost`).

These are data only: the one-liners that open an explorer on them live in
:mod:`chainviz.widgets.demos` (``cv.demos``), so the core never imports widgets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .losses import MSE, Loss, SoftmaxCrossEntropy
from .net import Net, two_layer


@dataclass(frozen=True)
class ScalarChain:
    """``h(x) = g(f(x))`` for scalars, with each derivative in closed form."""

    name: str
    f: Callable[[float], float]
    df: Callable[[float], float]
    g: Callable[[float], float]
    dg: Callable[[float], float]
    dh: Callable[[float], float]  # the closed form of h'(x), derived by hand
    text: str

    def h(self, x: float) -> float:
        return self.g(self.f(x))

    def chain_rule(self, x: float) -> float:
        """``g'(f(x)) · f'(x)``: what the chain rule says h'(x) is."""
        return self.dg(self.f(x)) * self.df(x)


SIN_X2 = ScalarChain(
    "sin(x²)", f=lambda x: x**2, df=lambda x: 2 * x, g=np.sin, dg=np.cos,
    dh=lambda x: np.cos(x**2) * 2 * x, text="h(x) = sin(x²), h'(x) = cos(x²)·2x",
)
SQUARE_3X_PLUS_1 = ScalarChain(
    "(3x+1)²", f=lambda x: 3 * x + 1, df=lambda x: 3.0, g=lambda u: u**2, dg=lambda u: 2 * u,
    dh=lambda x: 18 * x + 6, text="h(x) = (3x+1)² = 9x² + 6x + 1, h'(x) = 18x + 6",
)


def f_jacobian_demo(x) -> np.ndarray:
    """f(x₁, x₂) = (x₁² + x₂, x₁x₂): ``(2,) -> (2,)``."""
    x1, x2 = x
    return np.array([x1**2 + x2, x1 * x2])


def J_jacobian_demo(x) -> np.ndarray:
    """Its Jacobian by hand: [[2x₁, 1], [x₂, x₁]], ``(2, 2)``."""
    x1, x2 = x
    return np.array([[2 * x1, 1.0], [x2, x1]])


JACOBIAN_DEMO_X0 = np.array([1.0, 2.0])
JACOBIAN_DEMO_J0 = np.array([[2.0, 1.0], [2.0, 1.0]])  # J_f(1, 2), from the section


def f_composition(x) -> np.ndarray:
    """f(x) = (x, x²): ``(1,) -> (2,)``."""
    return np.array([x[0], x[0] ** 2])


def g_composition(u) -> np.ndarray:
    """g(u) = u₁ + u₂: ``(2,) -> (1,)``."""
    return np.array([u[0] + u[1]])


def J_f_composition(x) -> np.ndarray:
    """[[1], [2x]], ``(2, 1)``."""
    return np.array([[1.0], [2 * x[0]]])


def J_g_composition(u) -> np.ndarray:
    """[[1, 1]], ``(1, 2)`` at every u."""
    return np.array([[1.0, 1.0]])


def dh_composition(x: float) -> float:
    """h(x) = x + x², h'(x) = 1 + 2x."""
    return 1 + 2 * x


#: The section's scale example: n = 10⁶, ten hidden layers of width 10³, scalar loss after.
SCALE_WIDTHS = [10**6] + [10**3] * 10


# -- two-layer nets for the explorer (n, h, m) = (3, 4, 2) ----------------------
# x and W1 chosen so that every z1 is positive (all ReLUs on) with distinct slopes
W1_DEFAULT = np.array([[0.8, -0.6, 0.3], [0.4, 0.9, 0.5], [0.6, 0.2, 0.5], [-0.3, -0.5, 0.6]])
W2_DEFAULT = np.array([[0.9, -0.8, 0.5, 0.3], [-0.3, 0.6, 0.8, -0.7]])
X_DEFAULT = np.array([1.0, -0.5, 0.8])


@dataclass(frozen=True)
class Preset:
    """A named state for :class:`ChainRuleExplorer`: a net, an input and a loss."""

    name: str
    title: str
    net: Net
    x: np.ndarray
    loss: Loss
    note: str


# a third layer for the depth-3 preset: 3 hidden units after the section's 4, then the 2 outputs
W2_DEEP = np.array([[0.7, -0.5, 0.4, 0.2], [-0.4, 0.8, 0.3, -0.6], [0.5, 0.3, -0.7, 0.6]])
W3_DEEP = np.array([[0.8, -0.6, 0.5], [-0.4, 0.7, 0.9]])


def _presets() -> dict[str, Preset]:
    x, W1, W2 = X_DEFAULT, W1_DEFAULT, W2_DEFAULT
    t = MSE([0.5, -0.5])
    dead_W1 = W1.copy()
    dead_W1[1] = [-1.5, -0.5, -1.0]  # z1[1] = -2.05 < 0: hidden unit 1 is off for this x
    big = 6 * W1  # z1 from 2 to 8: the sigmoid is nearly flat there
    ps = [
        Preset("linear", "Two linear layers", two_layer(W1, W2, "identity"), x, t,
               "No activations: J = W2·W1, a single linear map."),
        Preset("sigmoid", "With a sigmoid", two_layer(W1, W2, "sigmoid"), x, t,
               "One slope factor appears: J = W2·diag(σ'(z1))·W1."),
        Preset("relu", "With a ReLU", two_layer(W1, W2, "relu"), x, t,
               "ReLU slopes are 0 or 1: diag(relu'(z1)) keeps or drops whole rows of W1."),
        Preset("dead_relu", "A dead ReLU", two_layer(dead_W1, W2, "relu"), x, t,
               "z1[1] < 0, so relu'(z1[1]) = 0: hidden unit 1 passes no gradient, row 1 of ∂L/∂W1 is zero."),
        Preset("saturated", "A saturated sigmoid", two_layer(big, W2, "sigmoid"), x, t,
               "Large weights push z1 far from 0 where σ' ≈ 0: the slopes shrink every path through them."),
        Preset("two_sigmoids", "Two sigmoids, softmax loss", two_layer(W1, W2, "sigmoid", "sigmoid"), x,
               SoftmaxCrossEntropy(0), "Both layers have a slope factor: diag(σ'(z2))·W2·diag(σ'(z1))·W1."),
        Preset("three_layers", "Three layers (tanh)", Net([W1, W2_DEEP, W3_DEEP], ["tanh", "tanh", "identity"]), x, t,
               "Depth 3: J = W3·diag(tanh'(z2))·W2·diag(tanh'(z1))·W1, and the reverse sweep has one more "
               "row per factor."),
    ]
    return {p.name: p for p in ps}


PRESETS: dict[str, Preset] = _presets()


def random_state(widths, seed: int = 0, activation: str = "sigmoid") -> tuple[Net, np.ndarray, MSE]:
    """A random net of ``widths = (n, d_1, ..., d_L)``, an input and an MSE target, seeded.

    Weights are drawn from N(0, (1.2/√fan_in)²) so that every layer keeps z of order one
    (the usual 1/√fan_in scaling), and everything is rounded to one decimal so a learner
    can check any shown number by hand. Hidden layers use ``activation``, the output the
    identity.
    """
    widths = [int(w) for w in widths]
    rng = np.random.default_rng(seed)

    def tenths(a):
        return np.round(a, 1) + 0.0  # + 0.0 turns a rounded -0.0 into 0.0

    Ws = [tenths(rng.normal(0, 1.2 / np.sqrt(n_in), (n_out, n_in))) for n_in, n_out in zip(widths, widths[1:])]
    x = tenths(rng.uniform(-1, 1, widths[0]))
    t = tenths(rng.uniform(-1, 1, widths[-1]))
    acts = [activation] * (len(Ws) - 1) + ["identity"]
    return Net(Ws, acts), x, MSE(t)


__all__ = [
    "ScalarChain", "SIN_X2", "SQUARE_3X_PLUS_1", "f_jacobian_demo", "J_jacobian_demo",
    "JACOBIAN_DEMO_X0", "JACOBIAN_DEMO_J0", "f_composition", "g_composition", "J_f_composition",
    "J_g_composition", "dh_composition", "SCALE_WIDTHS", "Preset", "PRESETS", "random_state",
]
