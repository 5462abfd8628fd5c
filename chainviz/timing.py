"""Numbers behind the function explorers (numpy only).

At a point
    :func:`jacobian_at` gives ``f(x)`` and ``J_f(x)`` of any callable, exactly
    (from a user-supplied Jacobian callable) or by central differences;
    :func:`linear_approximation` compares ``f(x + Δx) − f(x)`` with ``J_f(x)·Δx``;
    :func:`chain_at` gives both factors of ``J_g(f(x))·J_f(x)``, their product
    and the Jacobian of ``g∘f`` computed directly, for the check.
Over n
    :func:`time_sweeps` times real forward- and reverse-mode sweeps
    (:func:`chainviz.modes.measure_sweeps`) for a range of input sizes with the
    hidden widths fixed, next to the multiply-adds :func:`chainviz.modes.mode_cost`
    predicts; :func:`check_measurable` refuses sizes that would not fit.

User code is always called through :func:`chainviz.jacobian.evaluate` (or
:func:`call_jacobian` for a Jacobian callable), so anything it does wrong
becomes a ``ValueError``/``TypeError`` in plain words.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ._checks import as_vector, shape_text
from .jacobian import evaluate, numerical_jacobian
from .modes import check_widths, measure_sweeps, mode_cost


def _point(x: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in x) + ")"


def call_jacobian(jacobian: Callable, x: np.ndarray, m: int, n: int, name: str = "jacobian") -> np.ndarray:
    """Call a user's Jacobian callable at ``x`` and return a finite ``(m, n)`` array.

    A scalar is accepted when ``m = n = 1`` and a length-``n`` vector when
    ``m = 1`` (a gradient written as a row), since the section treats both as
    special cases of the Jacobian.
    """
    where = _point(x)
    try:
        J = jacobian(x)
    except Exception as exc:  # user code may raise anything; report it, do not crash
        raise ValueError(f"{name} raised {type(exc).__name__} at x = {where}: {exc}") from exc
    try:
        J = np.array(J, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} returned {type(J).__name__} at x = {where}, not numbers") from None
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


# -- timing over n ----------------------------------------------------------------
#: Forward mode carries d·n numbers; above this many (160 MB of float64) we refuse to measure.
MAX_MEASURED_CARRIED = 20_000_000
#: Total predicted multiply-adds of all timed sweeps; above this a measurement takes too long.
MAX_MEASURED_MADDS = 10_000_000_000


def measurement_sizes(n: int, points: int = 6, spread: float = 32.0) -> list[int]:
    """Input sizes to time: about ``points`` sizes spaced evenly in log from ``n/spread`` to ``n``."""
    lo = max(1.0, n / spread)
    return sorted({int(round(v)) for v in np.geomspace(lo, n, points)})


def check_measurable(widths: Sequence[int], points: int = 6, repeats: int = 3) -> list[int]:
    """The sizes :func:`time_sweeps` would use for ``widths``, or a ``ValueError`` if it is too big.

    Measuring runs real forward mode, which holds a ``d × n`` matrix: refuse
    when that, or the total arithmetic of all repeats, would not fit.
    """
    w = check_widths(widths)
    cost = mode_cost(w)
    if cost.forward_peak > MAX_MEASURED_CARRIED:
        biggest = max(w[1:])
        n_max = MAX_MEASURED_CARRIED // biggest
        raise ValueError(
            f"too big to measure: forward mode would carry a {biggest}×{w[0]} matrix "
            f"({cost.forward_peak:.3g} numbers, limit {MAX_MEASURED_CARRIED:.0e}). "
            f"Lower n to at most {n_max} or make the layers narrower."
        )
    ns = measurement_sizes(w[0], points)
    total = repeats * sum(mode_cost((k,) + w[1:]).forward_madds + mode_cost((k,) + w[1:]).primal_madds for k in ns)
    if total > MAX_MEASURED_MADDS:
        raise ValueError(
            f"too slow to measure: timing forward mode over n up to {w[0]} would take about "
            f"{total:.2g} multiply-adds (limit {MAX_MEASURED_MADDS:.0e}). Lower n or the widths."
        )
    return ns


@dataclass(frozen=True)
class SweepTimes:
    """Measured and predicted cost of ``∂L/∂x`` for widths ``[n, *hidden]``, one entry per ``n``.

    All arrays have the length of ``ns``. ``seconds_per_madd`` is one constant,
    fitted on the forward sweeps (whose time is mostly arithmetic), that turns
    multiply-adds into predicted seconds for both modes.
    """

    hidden: tuple
    ns: np.ndarray
    forward_seconds: np.ndarray
    reverse_seconds: np.ndarray
    forward_madds: np.ndarray
    reverse_madds: np.ndarray
    seconds_per_madd: float
    wall_seconds: float

    @property
    def forward_predicted(self) -> np.ndarray:
        return self.forward_madds * self.seconds_per_madd

    @property
    def reverse_predicted(self) -> np.ndarray:
        return self.reverse_madds * self.seconds_per_madd


def time_sweeps(widths: Sequence[int], points: int = 6, repeats: int = 3, seed: int = 0) -> SweepTimes:
    """Time both sweeps for ``n`` from about ``n/32`` up to ``widths[0]``, hidden widths fixed.

    Each size is timed ``repeats`` times (a fresh random sigmoid net of the
    same widths each time, see :func:`chainviz.modes.measure_sweeps`) and the
    fastest run kept.

    Raises ``ValueError`` (from :func:`check_measurable`) for sizes that would not fit.
    """
    w = check_widths(widths)
    ns = check_measurable(w, points, repeats)
    t0 = time.perf_counter()
    fwd, rev, fm, rm = [], [], [], []
    for k in ns:
        # The fastest of several single runs: the one least disturbed by other work on the machine.
        runs = [measure_sweeps((k,) + w[1:], repeats=1, seed=seed) for _ in range(repeats)]
        tf, tr = min(r[0] for r in runs), min(r[1] for r in runs)
        cost = mode_cost((k,) + w[1:])
        fwd.append(tf)
        rev.append(tr)
        fm.append(cost.forward_madds)
        rm.append(cost.reverse_madds)
    fwd, rev, fm, rm = (np.array(a, dtype=float) for a in (fwd, rev, fm, rm))
    return SweepTimes(
        hidden=w[1:], ns=np.array(ns), forward_seconds=fwd, reverse_seconds=rev,
        forward_madds=fm, reverse_madds=rm, seconds_per_madd=float(np.median(fwd / fm)),
        wall_seconds=time.perf_counter() - t0,
    )
