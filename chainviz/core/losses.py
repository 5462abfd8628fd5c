"""Scalar losses L(y). Their gradient ∂L/∂y is the row that starts the reverse sweep."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .checks import _short, as_vector


class Loss:
    """A scalar function of the network output ``y`` (length ``m``).

    Subclasses provide ``value(y) -> float`` and ``grad(y) -> (m,)``;
    ``check(m)`` raises if the loss cannot take an output of length ``m``.
    """

    name: str = ""
    formula: str = ""  # LaTeX

    def check(self, m: int) -> None:  # pragma: no cover - overridden where it matters
        return None

    def _y(self, y) -> np.ndarray:
        y = as_vector("y", y)
        self.check(y.size)
        return y

    def to_dict(self) -> dict:
        raise NotImplementedError


@dataclass(frozen=True)
class MSE(Loss):
    """``L = 1/2 * sum((y - t)**2)``; ``∂L/∂y = y - t``."""

    target: np.ndarray
    name = "mse"
    formula = r"L = \tfrac12\lVert y - t\rVert^2"

    def __post_init__(self):
        object.__setattr__(self, "target", as_vector("target t", self.target))

    def __eq__(self, other):
        return isinstance(other, MSE) and np.array_equal(self.target, other.target)

    __hash__ = None

    def check(self, m: int) -> None:
        if self.target.size != m:
            raise ValueError(f"target t has length {self.target.size} but y has length {m}")

    def value(self, y) -> float:
        d = self._y(y) - self.target
        with np.errstate(over="ignore"):
            v = float(0.5 * np.sum(d * d))
        if math.isinf(v):  # (y − t)² overflowed on the way: (‖y − t‖/√2)² by math.hypot, which
            r = math.hypot(*d.tolist()) * math.sqrt(0.5)  # scales, is inf only when L is
            v = r * r
        return v + 0.0

    def grad(self, y) -> np.ndarray:
        return self._y(y) - self.target

    def to_dict(self) -> dict:
        return {"name": "mse", "target": self.target.tolist()}


@dataclass(frozen=True)
class Sum(Loss):
    """``L = sum(y)``; ``∂L/∂y`` is a row of ones, so ``∂L/∂x`` is the column sums of ``J``."""

    name = "sum"
    formula = r"L = \textstyle\sum_i y_i"

    def value(self, y) -> float:
        return float(np.sum(self._y(y))) + 0.0  # -0.0 is 0

    def grad(self, y) -> np.ndarray:
        return np.ones_like(self._y(y))

    def to_dict(self) -> dict:
        return {"name": "sum"}


@dataclass(frozen=True)
class SoftmaxCrossEntropy(Loss):
    """``L = -log softmax(y)[label]``; ``∂L/∂y = softmax(y) - onehot(label)``.

    Computed through log-sum-exp shifted by ``max(y)``, so large logits do not overflow.
    """

    label: int = 0
    name = "softmax_ce"
    formula = r"L = -\log \mathrm{softmax}(y)_c"

    def __post_init__(self):
        label = self.label
        if isinstance(label, np.ndarray) and label.ndim == 0:
            label = label.item()  # a 0-d array is the number it holds
        if isinstance(label, (bool, np.bool_)) or not isinstance(label, numbers.Integral):
            if not isinstance(label, (bool, np.bool_)) and isinstance(label, numbers.Real) and float(label).is_integer():
                label = int(label)
            else:
                raise TypeError(f"label must be a whole number (a class index), got {_short(label)}")
        if label < 0:
            raise ValueError(f"label is {label}: a class index cannot be negative")
        object.__setattr__(self, "label", int(label))

    def check(self, m: int) -> None:
        if self.label >= m:
            raise ValueError(f"label is {_short(self.label)} but y has length {m} (classes 0 to {m - 1})")

    def _log_softmax(self, y: np.ndarray) -> np.ndarray:
        shifted = y - y.max()
        return shifted - np.log(np.sum(np.exp(shifted)))

    def value(self, y) -> float:
        # + 0.0: with one class, -log 1 is -0.0, printed "−0"
        return float(-self._log_softmax(self._y(y))[self.label]) + 0.0

    def grad(self, y) -> np.ndarray:
        p = np.exp(self._log_softmax(self._y(y)))
        p[self.label] -= 1.0
        return p

    def to_dict(self) -> dict:
        return {"name": "softmax_ce", "label": self.label}


LOSSES = {"mse": MSE, "sum": Sum, "softmax_ce": SoftmaxCrossEntropy}


#: The keys a saved loss may have, by name.
SAVED_KEYS = {"mse": ("name", "target"), "sum": ("name",), "softmax_ce": ("name", "label")}


def loss_from_dict(d) -> Loss:
    """Rebuild a loss from :meth:`Loss.to_dict`, with a clear error for anything else.

    The name must be text naming a known loss; keys a loss does not have are refused.
    """
    if not isinstance(d, dict) or "name" not in d:
        raise ValueError(f"a saved loss must be a dict with a 'name', got {d!r:.80}")
    name = d["name"]
    if not isinstance(name, str):
        raise TypeError(f"a saved loss's 'name' must be text such as 'mse', got {type(name).__name__} {name!r:.40}")
    if name not in LOSSES:
        raise ValueError(f"loss {name!r:.40} is not known; choose one of: {', '.join(LOSSES)}")
    extra = [k for k in d if k not in SAVED_KEYS[name]]
    if extra:
        raise ValueError(f"a saved {name!r} loss has no {extra[0]!r:.40}; its keys are: {', '.join(SAVED_KEYS[name])}")
    if name == "mse":
        if "target" not in d:
            raise ValueError("a saved 'mse' loss needs its 'target'")
        return MSE(d["target"])
    if name == "softmax_ce":
        if "label" not in d:
            raise ValueError("a saved 'softmax_ce' loss needs its 'label'")
        return SoftmaxCrossEntropy(d["label"])
    return Sum()


def as_loss(loss) -> Loss:
    """Accept a Loss, a name ('sum') or a saved dict."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        if loss == "sum":
            return Sum()
        if loss in LOSSES:
            raise ValueError(f"loss {loss!r} needs a parameter: use cv.MSE(target) or cv.SoftmaxCrossEntropy(label)")
        raise ValueError(f"loss {loss!r} is not known; choose one of: {', '.join(LOSSES)}")
    if isinstance(loss, dict):
        return loss_from_dict(loss)
    raise TypeError(f"loss must be cv.MSE(target), cv.Sum() or cv.SoftmaxCrossEntropy(label), got {type(loss).__name__}")
