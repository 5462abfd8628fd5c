"""Jacobians of any callable, at a point.

:func:`evaluate` calls user code carefully; :func:`numerical_jacobian` takes
central differences; :func:`jacobian_at` gives ``f(x)`` and ``J_f(x)``, exactly
(from a user's Jacobian callable) or by differences; :func:`linear_approximation`
compares ``f(x + Δx) − f(x)`` with ``J_f(x)·Δx``; :func:`chain_at` gives both
factors of ``J_g(f(x))·J_f(x)``, their product and the Jacobian of ``g∘f``
computed directly, for the check. User code that does anything wrong becomes a
``ValueError``/``TypeError`` in plain words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .checks import as_vector
from .notation import shape_text


def _point(x: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in np.atleast_1d(x)) + ")"


def _call(fn: Callable, x: np.ndarray, name: str, where: str) -> np.ndarray:
    """``fn(x)`` as a float array; whatever user code raises or returns becomes a plain-words error."""
    try:
        out = fn(x)
    except Exception as exc:  # user code may raise anything; report it, do not crash
        raise ValueError(f"{name} raised {type(exc).__name__} at x = {where}: {exc}") from exc
    try:
        return np.array(out, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} returned {type(out).__name__} at x = {where}, not numbers") from None


def evaluate(f: Callable, x: np.ndarray, name: str = "f", m: int | None = None) -> np.ndarray:
    """Call ``f(x)`` and return a finite ``(m,)`` array, or raise a plain-words error.

    The explorers call user code through here, so a function that raises,
    returns the wrong shape, or returns NaN/inf gives a message naming ``f``
    and the point, never a traceback.
    """
    where = _point(x)
    y = np.atleast_1d(_call(f, x, name, where))
    if y.ndim != 1:
        raise ValueError(f"{name} returned shape {shape_text(y.shape)} at x = {where}: it must return a vector")
    if m is not None and y.size != m:
        raise ValueError(f"{name} returned length {y.size} at x = {where} but length {m} elsewhere")
    if not np.all(np.isfinite(y)):
        k = int(np.argmax(~np.isfinite(y)))
        raise ValueError(f"{name} returned {y[k]} in output {k} at x = {where}")
    return y


def numerical_jacobian(f: Callable, x, eps: float = 1e-6, *, batch: Callable | None = None) -> np.ndarray:
    """Central-difference Jacobian of ``f: R^n -> R^m`` at ``x``, shape ``(m, n)``.

    Column ``j`` is ``(f(x + h e_j) - f(x - h e_j)) / (2h)`` with
    ``h = eps * max(1, |x_j|)``; the error is ``O(h²)`` plus rounding
    ``O(ε_machine / h)``, about 1e-9 for smooth ``f`` of moderate size.

    ``batch``, if given, is ``f`` on many points at once (``(n, k)`` points as
    columns -> ``(m, k)``, e.g. :meth:`Net.outputs`): one call instead of ``2n``.
    """
    x = as_vector("x", x)
    if not (isinstance(eps, (int, float)) and np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive number, got {eps!r}")
    n = x.size
    h = np.diag(eps * np.maximum(1.0, np.abs(x)))
    P = np.concatenate([x[:, None] + h, x[:, None] - h], axis=1)  # x ± h e_j, as columns
    if batch is None:
        y0 = evaluate(f, x)
        Y = np.column_stack([evaluate(f, P[:, k], m=y0.size) for k in range(2 * n)])
    else:
        Y = np.asarray(batch(P), dtype=float)
        if Y.ndim != 2 or Y.shape[1] != 2 * n:
            raise ValueError(f"batch returned shape {shape_text(Y.shape)} for {2 * n} points: "
                             f"it must return one output column per point")
        if not np.all(np.isfinite(Y)):
            k = int(np.argmax(~np.all(np.isfinite(Y), axis=0)))
            raise ValueError(f"f is not finite at x = {_point(P[:, k])}")
    # divide by the step actually taken (x + h and x - h are rounded)
    return (Y[:, :n] - Y[:, n:]) / (np.diag(P[:, :n]) - np.diag(P[:, n:]))


def call_jacobian(jacobian: Callable, x: np.ndarray, m: int, n: int, name: str = "jacobian") -> np.ndarray:
    """Call a user's Jacobian callable at ``x`` and return a finite ``(m, n)`` array.

    A scalar is accepted when ``m = n = 1`` and a length-``n`` vector when
    ``m = 1`` (a gradient written as a row), since the section treats both as
    special cases of the Jacobian.
    """
    where = _point(x)
    J = _call(jacobian, x, name, where)
    if J.ndim == 0 or (J.ndim == 1 and m == 1 and J.size == n):
        J = J.reshape(1, -1)
    if J.shape != (m, n):
        raise ValueError(
            f"{name} returned shape {shape_text(J.shape)} at x = {where}, but the Jacobian of a map "
            f"R^{n} → R^{m} is {m}×{n} (one row per output, one column per input)"
        )
    if not np.all(np.isfinite(J)):
        i, j = (int(k) for k in np.argwhere(~np.isfinite(J))[0])
        raise ValueError(f"{name} returned {J[i, j]} in entry [{i}, {j}] at x = {where}")
    return J


def _differences(safe_f: Callable, x: np.ndarray) -> np.ndarray:
    """:func:`numerical_jacobian` of an already-guarded callable, keeping its own message.

    ``numerical_jacobian`` wraps whatever its callable raises in "f raised …";
    ``safe_f`` has already said in plain words which function failed and where.
    """
    try:
        return numerical_jacobian(safe_f, x)
    except (ValueError, TypeError) as exc:
        if isinstance(exc.__cause__, (ValueError, TypeError)):
            raise exc.__cause__ from None
        raise


@dataclass(frozen=True)
class JacobianAt:
    """``f(x)`` ``(m,)`` and ``J_f(x)`` ``(m, n)`` at one point ``x`` ``(n,)``.

    ``exact`` is True when ``J`` came from the user's Jacobian callable, False
    for central differences.
    """

    x: np.ndarray
    fx: np.ndarray
    J: np.ndarray
    exact: bool


def jacobian_at(f: Callable, x, jacobian: Callable | None = None, m: int | None = None,
                name: str = "f") -> JacobianAt:
    """Evaluate ``f`` and its Jacobian at ``x``; exact if ``jacobian`` is given, else central differences.

    Parameters
    ----------
    f : callable, ``(n,) -> (m,)``
    x : array-like ``(n,)``
    jacobian : callable ``(n,) -> (m, n)``, optional
    m : int, optional
        The output length seen before; a different one is an error.
    name : str
        How messages call ``f``.
    """
    x = as_vector("x", x)
    fx = evaluate(f, x, name=name, m=m)
    if jacobian is not None:
        J = call_jacobian(jacobian, x, fx.size, x.size, name=f"the Jacobian of {name}")
    else:
        J = _differences(lambda v: evaluate(f, v, name=name, m=fx.size), x)
    return JacobianAt(x, fx, J, jacobian is not None)


@dataclass(frozen=True)
class LinearApproximation:
    """How well ``J_f(x)`` predicts a step: all vectors ``(m,)`` except ``dx`` ``(n,)``.

    ``delta_f = f(x + dx) − f(x)``, ``predicted = J_f(x)·dx``,
    ``error = delta_f − predicted`` (second order in ``dx`` for smooth ``f``).
    """

    dx: np.ndarray
    f_moved: np.ndarray
    delta_f: np.ndarray
    predicted: np.ndarray
    error: np.ndarray


def linear_approximation(f: Callable, at: JacobianAt, dx, name: str = "f") -> LinearApproximation:
    """Compare the true change ``f(x + dx) − f(x)`` with the linear prediction ``J·dx``."""
    dx = as_vector("Δx", dx, at.x.size, against=f"x has length {at.x.size}")
    f_moved = evaluate(f, at.x + dx, name=name, m=at.fx.size)
    delta_f = f_moved - at.fx
    predicted = at.J @ dx
    return LinearApproximation(dx, f_moved, delta_f, predicted, delta_f - predicted)


@dataclass(frozen=True)
class ChainAt:
    """Both sides of ``J_(g∘f)(x) = J_g(f(x)) · J_f(x)`` at one point.

    Shapes: ``x`` ``(n,)``, ``fx`` ``(m,)``, ``hx = g(f(x))`` ``(p,)``,
    ``J_g`` ``(p, m)`` at ``fx``, ``J_f`` ``(m, n)`` at ``x``,
    ``J_h = J_g @ J_f`` ``(p, n)``, and ``J_h_direct`` ``(p, n)`` by central
    differences on ``g∘f`` itself, never using either factor.
    """

    x: np.ndarray
    fx: np.ndarray
    hx: np.ndarray
    J_f: np.ndarray
    J_g: np.ndarray
    J_h: np.ndarray
    J_h_direct: np.ndarray
    exact_f: bool
    exact_g: bool

    @property
    def check(self) -> float:
        """``max |J_g·J_f − J_(g∘f)|`` with ``J_(g∘f)`` by differences: near 0 when the chain rule holds."""
        return float(np.max(np.abs(self.J_h - self.J_h_direct)))


def chain_at(f: Callable, g: Callable, x, jacobian_f: Callable | None = None,
             jacobian_g: Callable | None = None, m: int | None = None, p: int | None = None) -> ChainAt:
    """Evaluate the vector chain rule for ``h = g∘f`` at ``x``.

    ``J_f`` is taken at ``x`` and ``J_g`` at ``f(x)``, the point ``g`` actually
    sees. ``m`` and ``p`` are the lengths of ``f(x)`` and ``g(f(x))`` seen
    before, if any.
    """
    inner = jacobian_at(f, x, jacobian_f, m=m, name="f")
    outer = jacobian_at(g, inner.fx, jacobian_g, m=p, name="g")

    def h(v):
        return evaluate(g, evaluate(f, v, name="f", m=inner.fx.size), name="g", m=outer.fx.size)

    direct = _differences(h, inner.x)
    return ChainAt(inner.x, inner.fx, outer.fx, inner.J, outer.J, outer.J @ inner.J, direct,
                   inner.exact, outer.exact)
