"""Jacobians of any callable: a careful call, and central differences."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._checks import as_vector, shape_text


def evaluate(f: Callable, x: np.ndarray, name: str = "f", m: int | None = None) -> np.ndarray:
    """Call ``f(x)`` and return a finite ``(m,)`` array, or raise a plain-words error.

    The explorers call user code through here, so a function that raises,
    returns the wrong shape, or returns NaN/inf gives a message naming ``f``
    and the point, never a traceback.
    """
    where = "(" + ", ".join(f"{v:.4g}" for v in np.atleast_1d(x)) + ")"
    try:
        y = f(x)
    except Exception as exc:  # user code may raise anything; report it, do not crash
        raise ValueError(f"{name} raised {type(exc).__name__} at x = {where}: {exc}") from exc
    try:
        y = np.array(y, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} returned {type(y).__name__} at x = {where}, not numbers") from None
    y = np.atleast_1d(y)
    if y.ndim != 1:
        raise ValueError(f"{name} returned shape {shape_text(y.shape)} at x = {where}: it must return a vector")
    if m is not None and y.size != m:
        raise ValueError(f"{name} returned length {y.size} at x = {where} but length {m} elsewhere")
    if not np.all(np.isfinite(y)):
        k = int(np.argmax(~np.isfinite(y)))
        raise ValueError(f"{name} returned {y[k]} in output {k} at x = {where}")
    return y


def numerical_jacobian(f: Callable, x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of ``f: R^n -> R^m`` at ``x``, shape ``(m, n)``.

    Column ``j`` is ``(f(x + h e_j) - f(x - h e_j)) / (2h)`` with
    ``h = eps * max(1, |x_j|)``; the error is ``O(h²)`` plus rounding
    ``O(ε_machine / h)``, about 1e-9 for smooth ``f`` of moderate size.
    """
    x = as_vector("x", x)
    if not (isinstance(eps, (int, float)) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    y0 = evaluate(f, x)
    J = np.empty((y0.size, x.size))
    for j in range(x.size):
        h = eps * max(1.0, abs(x[j]))
        xp, xm = x.copy(), x.copy()
        xp[j] += h
        xm[j] -= h
        J[:, j] = (evaluate(f, xp, m=y0.size) - evaluate(f, xm, m=y0.size)) / (xp[j] - xm[j])
    return J
