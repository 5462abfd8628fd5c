"""Central differences of a function at a point, with what is needed to judge them.

:func:`difference_points` chooses the points ``x ± h_j e_j`` (and ``± 2h``),
refusing a step below ``x``'s precision or too small for ``f``'s;
:class:`Differences` holds the values there and gives the difference
Jacobian, its error bound (see :mod:`chainviz.core.gradcheck` for the formula
and its sources) and how many digits it is good to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np

EPS = float(np.finfo(float).eps)
#: The floating types by machine epsilon: how messages name what f returns.
DTYPE_NAMES = {float(np.finfo(t).eps): np.dtype(t).name for t in (np.float16, np.float32, np.float64)}


def difference_points(x: np.ndarray, step, precision: float, wide: bool, given: bool = True):
    """The points ``[x + h e_j]_j, [x − h e_j]_j`` (and ``± 2h`` when ``wide``) as columns of
    ``P`` ``(n, 2n or 4n)``, with the half-steps actually taken ``h`` ``(n,)`` and ``h2`` ``(n,)``.

    ``h_j = step·max(1, |x_j|)``; ``step`` is one number or one per column ``(n,)``.

    Raises ``ValueError`` when a step does not change ``x`` (below its precision) or is so
    small that ``f``'s rounding would leave fewer than 2 correct digits.
    """
    n = x.size
    steps = np.broadcast_to(np.asarray(step, dtype=float), (n,))
    nominal = steps * np.maximum(1.0, np.abs(x))
    h = ((x + nominal) - (x - nominal)) / 2  # x ± h are rounded: divide by what was taken
    tiny = precision * np.maximum(1.0, np.abs(x)) / np.where(h == 0, 1.0, h) > 1e-2
    if (h == 0).any() or (given and tiny.any()):
        j = int(np.argmax(h == 0)) if (h == 0).any() else int(np.argmax(tiny))
        where = f"x[{j}] = {x[j]:.6g}"
        if h[j] == 0:
            raise ValueError(f"eps = {steps[j]:g} gives a step of {nominal[j]:.2g} at {where}, below x's precision "
                             f"(numbers next to it are {np.spacing(abs(x[j])):.2g} apart): use a larger eps, "
                             f"or leave eps unset")
        name = DTYPE_NAMES.get(precision, "its precision")
        raise ValueError(f"eps = {steps[j]:g} is too small for f, which returns {name} (about "
                         f"{round(-math.log10(precision))} significant digits): differences with step "
                         f"{nominal[j]:.2g} at {where} would keep fewer than 2 of them; use eps ≥ "
                         f"{100 * precision:.2g}, or leave eps unset (then eps = "
                         f"{precision ** (1 / 3) if precision > EPS else 1e-6:.2g})")
    eye = np.eye(n)
    cols = [x[:, None] + eye * nominal, x[:, None] - eye * nominal]
    h2 = None
    if wide:
        cols += [x[:, None] + 2 * eye * nominal, x[:, None] - 2 * eye * nominal]
        h2 = ((x + 2 * nominal) - (x - 2 * nominal)) / 2
    return np.concatenate(cols, axis=1), h, h2


@dataclass(frozen=True)
class Differences:
    """Central differences of ``f: R^n -> R^m`` at ``x`` and the values they came from.

    ``fx`` ``(m,)`` (None when ``f(x)`` itself was not evaluated); ``plus``/``minus`` ``(m, n)``: column ``j`` is ``f(x ± h_j e_j)``;
    ``h`` ``(n,)`` the half-steps actually taken; ``plus2``/``minus2``/``h2`` the same
    at twice the step (None unless taken); ``precision`` the machine epsilon of ``f``'s
    values; ``eps`` the relative step (``h_j ≈ eps·max(1, |x_j|)``; one number, or ``(n,)``).
    """

    x: np.ndarray
    fx: np.ndarray | None
    h: np.ndarray
    plus: np.ndarray
    minus: np.ndarray
    h2: np.ndarray | None
    plus2: np.ndarray | None
    minus2: np.ndarray | None
    precision: float
    eps: float | np.ndarray

    @cached_property
    def J(self) -> np.ndarray:
        """``(m, n)``: the central-difference Jacobian with step ``h``."""
        return (self.plus - self.minus) / (2 * self.h)

    @cached_property
    def J_wide(self) -> np.ndarray | None:
        """``(m, n)``: the same with step ``2h`` (None if not taken)."""
        return None if self.plus2 is None else (self.plus2 - self.minus2) / (2 * self.h2)

    def noise(self) -> np.ndarray:
        """``(m,)``: the rounding error ``δ_i`` assumed in each output, ``4·ε_f·max|f_i|`` (and at
        least a few subnormal spacings, the absolute rounding near 0)."""
        values = [self.plus, self.minus] + ([self.fx[:, None]] if self.fx is not None else []) \
            + ([self.plus2, self.minus2] if self.plus2 is not None else [])
        tiny = float(np.finfo(float).smallest_subnormal)
        return 4 * self.precision * np.max(np.abs(np.concatenate(values, axis=1)), axis=1) + 4 * tiny

    def error_bound(self, noise: np.ndarray | None = None, richardson: bool = True) -> np.ndarray:
        """``(m, n)``: how far each entry of :attr:`J` may be from the derivative (module docstring).

        ``noise`` ``(m,)`` replaces :meth:`noise` when the caller knows better (a net's
        forward-error bound); ``richardson=False`` leaves out the truncation estimate.
        """
        delta = self.noise() if noise is None else np.asarray(noise, dtype=float)
        J = self.J
        bound = delta[:, None] / self.h[None, :]
        if self.precision > EPS:  # f rounds x ± h to its own precision before using them
            bound = bound + self.precision * np.maximum(1.0, np.abs(self.x))[None, :] / self.h[None, :] * np.abs(J)
        if richardson and self.plus2 is not None:
            bound = bound + np.abs(self.J_wide - J)
        return bound

    def digits(self, noise: np.ndarray | None = None) -> int | None:
        """How many significant digits :attr:`J` is good to (0–16), relative to its largest
        entry; None when ``J`` is all zero."""
        scale = float(np.max(np.abs(self.J)))
        if scale == 0:
            return None
        rel = float(np.max(self.error_bound(noise))) / scale
        return 16 if rel <= 1e-16 else max(0, min(16, int(math.floor(-math.log10(rel)))))
