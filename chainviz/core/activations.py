"""Element-wise activations and their derivatives.

Each activation acts coordinate by coordinate, so its Jacobian is the diagonal
matrix ``diag(σ'(z))``: the "slope factor" of the chain rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Kink:
    """A point ``at`` where an activation is not differentiable, and its one-sided slopes there."""

    at: float
    left: float
    right: float


@dataclass(frozen=True)
class Activation:
    """An element-wise function with its derivative.

    Attributes
    ----------
    name : str
        Key in :data:`ACTIVATIONS`.
    f, df : callable
        ``(d,) -> (d,)``: the function and its derivative, applied element-wise.
    symbol : str
        LaTeX symbol used in factor labels (``\\sigma`` for the sigmoid).
    text : str
        The same symbol in plain Unicode, for plot titles.
    kinks : tuple of Kink
        The points where the function is not differentiable (relu at 0), each with
        its one-sided slopes; ``df`` there gives the convention chainviz uses.
        Empty for a smooth activation. The Jacobian check reads them, so a new
        activation with a kink says so here and nowhere else.
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    symbol: str
    text: str
    kinks: tuple = ()

    def __call__(self, z: np.ndarray) -> np.ndarray:
        return self.f(z)

    def slope_at(self, z: float) -> float:
        """``df(z)`` for one number: the slope chainviz uses there (at a kink, its convention)."""
        return float(self.df(np.array([float(z)]))[0])


def _sigmoid(z):
    # exp of a non-positive number never overflows: split by sign
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _dsigmoid(z):
    s = _sigmoid(z)
    return s * (1.0 - s)


def _softplus(z):
    # log(1 + e^z) = max(z, 0) + log1p(e^-|z|), finite for any finite z
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def _tanh_slope(z):
    return 1.0 - np.tanh(z) ** 2


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation("identity", lambda z: np.asarray(z, float).copy(), lambda z: np.ones_like(z, float), r"\mathrm{id}", "id"),
        Activation("sigmoid", _sigmoid, _dsigmoid, r"\sigma", "σ"),
        Activation("tanh", np.tanh, _tanh_slope, r"\tanh", "tanh"),
        # relu'(0) = 0 by convention (the subgradient most libraries use)
        Activation("relu", lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float), r"\mathrm{relu}", "relu",
                   (Kink(0.0, 0.0, 1.0),)),
        Activation(
            "leaky_relu",
            lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
            lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
            r"\mathrm{lrelu}",
            "lrelu",
            (Kink(0.0, LEAKY_SLOPE, 1.0),),
        ),
        Activation("softplus", _softplus, _sigmoid, r"\mathrm{softplus}", "softplus"),
    ]
}
"""Every activation by name: identity, sigmoid, tanh, relu, leaky_relu, softplus."""


def get_activation(name: str, where: str = "activation") -> Activation:
    """Look an activation up by name, with a message listing the choices."""
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"{where} must be a name such as 'sigmoid', got {type(name).__name__} {name!r}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        choices = ", ".join(ACTIVATIONS)
        raise ValueError(f"{where} {name!r} is not a known activation; choose one of: {choices}") from None
