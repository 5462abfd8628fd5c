"""Jacobians of any callable, at a point.

:func:`evaluate` calls user code carefully; :func:`central_differences` (and
:func:`numerical_jacobian`, its matrix) takes central differences with a step
chosen from the precision of what ``f`` returns; :func:`jacobian_at` gives
``f(x)`` and ``J_f(x)``, exactly (from a user's Jacobian callable, checked
against differences) or by differences; :func:`linear_approximation` compares
``f(x + Δx) − f(x)`` with ``J_f(x)·Δx``; :func:`chain_at` gives both factors of
``J_g(f(x))·J_f(x)``, their product and the Jacobian of ``g∘f`` computed
directly, for the check. User code that does anything wrong becomes a
``ValueError``/``TypeError`` in plain words naming the function, what it returned
and the point.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .checks import _described, _first_non_number, _short, as_vector, describe
from .differences import Differences, difference_points
from .gradcheck import JacobianCheck, check_function, compare
from .notation import shape_text

#: float64's machine epsilon: what a plain Python/numpy function computes in.
EPS = float(np.finfo(float).eps)


def _point(x: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in np.atleast_1d(x)) + ")"


def _require_callable(f, name: str = "f") -> None:
    if not callable(f):
        hint = " (for a network, use cv.Net([W1, W2], activations))" if isinstance(f, (list, tuple)) else ""
        raise TypeError(f"{name} must be a function of x, got {describe(f)}{hint}")


def _call(fn: Callable, x: np.ndarray, name: str, where: str):
    """``fn(x)`` as user code returns it; whatever user code raises becomes a plain-words ``ValueError``.

    ``fn`` gets its own copy of ``x`` (a function that edits its argument must not move
    the point), and numpy's overflow/invalid warnings are silenced: what they warn
    about arrives as inf or NaN, which the caller reports in words.
    """
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return fn(np.array(x, dtype=float))
    except Exception as exc:  # user code may raise anything; report it, do not crash
        raise ValueError(f"{name} raised {type(exc).__name__} at x = {where}: {exc}") from exc


def _as_numbers(out, name: str, where: str) -> tuple[np.ndarray, float]:
    """What user code returned, as a float64 array, and the machine epsilon of the
    precision it was computed in (float32 → 1.2e-7). Anything that is not real numbers
    is a ``TypeError`` naming ``name``, what it returned and ``where``."""
    if out is None:
        raise TypeError(f"{name} returned None at x = {where} — is a `return` missing?")
    if isinstance(out, (str, bytes)):
        raise TypeError(f"{name} returned the text {_short(out, 40)} at x = {where}, not numbers")
    try:
        arr = np.asarray(out)
    except ValueError:
        raise TypeError(f"{name} returned {_short(out, 50)} at x = {where}: a ragged sequence "
                        f"(entries of different lengths), not numbers") from None
    except Exception as exc:  # an object whose __array__ fails
        raise TypeError(f"{name} returned {describe(out)} at x = {where}, not numbers ({exc})") from None
    kind = arr.dtype.kind
    if kind == "c":
        raise TypeError(f"{name} returned complex values at x = {where}: chainviz differentiates real "
                        f"functions; return the real part or the modulus (np.real, np.abs) yourself")
    if kind not in "biuf":
        bad = _first_non_number(arr)
        if bad is not None:
            idx, item = bad
            if isinstance(item, numbers.Complex):
                raise TypeError(f"{name} returned complex values at x = {where}: chainviz differentiates "
                                f"real functions; return the real part or the modulus yourself")
            if not idx:
                raise TypeError(f"{name} returned {_described(out)} at x = {where}, not numbers")
            entry = ", ".join(map(str, idx))
            raise TypeError(f"{name} returned {_short(out, 50)} at x = {where}: entry [{entry}] is "
                            f"{_short(item, 30)}, not numbers")
    precision = max(float(np.finfo(arr.dtype).eps), EPS) if kind == "f" else EPS
    try:
        return np.array(arr, dtype=float) + 0.0, precision
    except OverflowError:
        raise ValueError(f"{name} returned a number too large for a float at x = {where}") from None


def _as_vector_output(out, name: str, where: str, m: int | None) -> tuple[np.ndarray, float]:
    y, precision = _as_numbers(out, name, where)
    if y.ndim == 0 or (y.ndim == 2 and 1 in y.shape):
        y = y.ravel()  # a scalar, a column (m, 1) or a row (1, m): a vector
    if y.ndim != 1:
        raise ValueError(f"{name} returned shape {shape_text(y.shape)} at x = {where}: it must return a vector")
    if y.size == 0:
        raise ValueError(f"{name} returned an empty array at x = {where}: it must return at least one number")
    if m is not None and y.size != m:
        raise ValueError(f"{name} returned length {y.size} at x = {where} but length {m} elsewhere")
    if not np.all(np.isfinite(y)):
        k = int(np.argmax(~np.isfinite(y)))
        raise ValueError(f"{name} returned {y[k]} in output {k} at x = {where}")
    return y, precision


def _guarded(f: Callable, name: str):
    """``f`` as ``call(v, m) -> (y (m,), precision)``, raising plain-words errors."""
    def call(v: np.ndarray, m: int | None = None):
        where = _point(v)
        return _as_vector_output(_call(f, v, name, where), name, where, m)

    return call


def evaluate(f: Callable, x: np.ndarray, name: str = "f", m: int | None = None) -> np.ndarray:
    """Call ``f(x)`` and return a finite ``(m,)`` float array, or raise a plain-words error.

    The explorers call user code through here, so a function that raises,
    returns None, text, complex or ragged values, the wrong shape, or NaN/inf
    gives a message naming ``f``, what it returned and the point, never a traceback.
    A column ``(m, 1)`` or a scalar counts as a vector.

    Raises
    ------
    ValueError
        ``f`` raised, returned the wrong shape or length, or a non-finite value.
    TypeError
        ``f`` returned something that is not real numbers.
    """
    _require_callable(f, name)
    return _guarded(f, name)(np.asarray(x, dtype=float), m)[0]


def _columns(call):
    """``call(v, m)`` on many points at once: ``(n, k)`` columns → ``((m, k), precision)``."""
    def many(P: np.ndarray, m: int | None = None):
        outs = [call(P[:, c], m) for c in range(P.shape[1])]
        return np.column_stack([o[0] for o in outs]), max(o[1] for o in outs)

    return many


def _batched(batch: Callable):
    """A user's batch function ``(n, k) -> (m, k)``, checked like ``f``."""
    def many(P: np.ndarray, m: int | None = None):
        where = f"{P.shape[1]} points"
        Y, precision = _as_numbers(_call(batch, P, "batch", where), "batch", where)
        if Y.ndim != 2 or Y.shape[1] != P.shape[1] or (m is not None and Y.shape[0] != m):
            raise ValueError(f"batch returned shape {shape_text(Y.shape)} for {P.shape[1]} points: "
                             f"it must return one output column per point")
        if not np.all(np.isfinite(Y)):
            k = int(np.argmax(~np.all(np.isfinite(Y), axis=0)))
            raise ValueError(f"f is not finite at x = {_point(P[:, k])}")
        return Y, precision

    return many


def _check_eps(eps) -> float | None:
    if eps is None:
        return None
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, numbers.Real) or not np.isfinite(float(eps)) \
            or float(eps) <= 0:
        raise ValueError(f"eps must be a positive number (or None, to choose it from f's precision), got {eps!r}")
    return float(eps)


def central_differences(f: Callable, x, eps: float | None = None, *, batch: Callable | None = None,
                        name: str = "f", m: int | None = None, wide: bool = False) -> Differences:
    """Central differences of ``f: R^n -> R^m`` at ``x``, with what is needed to judge them.

    Column ``j`` of ``.J`` is ``(f(x + h_j e_j) − f(x − h_j e_j)) / (2ĥ_j)`` with
    ``h_j = eps·max(1, |x_j|)`` and ``ĥ_j`` the half-step actually taken (``x ± h``
    are rounded). ``eps`` defaults to ``1e-6`` when ``f`` returns float64 (close to
    the optimal ``ε^(1/3) ≈ 6e-6``) and to ``ε_f^(1/3)`` for a lower precision
    (float32: ``4.9e-3``), which balances truncation ``h²|f‴|/6`` against rounding
    ``ε_f|f|/h`` (Press et al., *Numerical Recipes*, 3rd ed., §5.7).
    ``wide=True`` also evaluates ``x ± 2h`` for the error estimate of
    :meth:`Differences.error_bound` (Richardson) and kink detection.

    Raises
    ------
    ValueError
        ``eps`` is not a positive number; the step is below ``x``'s precision
        (``x + h == x``) or too small to leave 2 correct digits at ``f``'s precision;
        ``f`` raised or returned a non-finite value or inconsistent lengths.
    TypeError
        ``f`` is not callable or returned something that is not real numbers.
    """
    x = as_vector("x", x)
    eps = _check_eps(eps)
    if batch is None:
        _require_callable(f, name)
        return _differences(_columns(_guarded(f, name)), x, eps, m, wide)
    return _differences(_batched(batch), x, eps, m, wide, probe=wide)


def _differences(many, x: np.ndarray, eps: float | None, m: int | None, wide: bool,
                 probe: bool = True) -> Differences:
    """The differences of a guarded ``many(P, m) -> ((m, k), precision)``, step from its precision.

    ``probe`` evaluates ``f(x)`` first, to learn the precision before choosing the step;
    without it (a batch function: one call for all points) float64 is assumed, and the
    points are taken again with the right step if ``f`` turns out to return less.
    """
    fx, precision = None, EPS
    if probe:
        y0, precision = many(x[:, None], m)
        fx, m = y0[:, 0], y0.shape[0]
    n = x.size
    while True:
        step = eps if eps is not None else (1e-6 if precision <= EPS else float(precision ** (1 / 3)))
        P, h, h2 = difference_points(x, step, precision, wide, given=eps is not None)
        Y, p = many(P[:, : 2 * n], m)
        if probe or eps is not None or p <= precision:
            break
        precision = p  # f computes in less than float64: a larger step
    plus2 = minus2 = None
    if wide:
        try:
            Y2, p2 = many(P[:, 2 * n:], Y.shape[0])
            plus2, minus2, p = Y2[:, :n], Y2[:, n:], max(p, p2)
        except (ValueError, TypeError):
            h2 = None  # f fails at x ± 2h (a domain edge): judge without the Richardson estimate
    return Differences(x=x, fx=fx, h=h, plus=Y[:, :n], minus=Y[:, n:], h2=h2, plus2=plus2, minus2=minus2,
                       precision=max(precision, p), eps=step)


def numerical_jacobian(f: Callable, x, eps: float | None = None, *, batch: Callable | None = None) -> np.ndarray:
    """Central-difference Jacobian of ``f: R^n -> R^m`` at ``x``, shape ``(m, n)``.

    Column ``j`` is ``(f(x + h e_j) - f(x - h e_j)) / (2h)`` with
    ``h = eps * max(1, |x_j|)``; the error is ``O(h²)`` plus rounding
    ``O(ε_f / h)``, about 1e-9 for smooth float64 ``f`` of moderate size.
    ``eps=None`` (the default) chooses ``1e-6`` for float64 results and
    ``ε_f^(1/3)`` for lower precisions (float32: ``4.9e-3``, good to about 4
    digits); see :func:`central_differences`.

    ``batch``, if given, is ``f`` on many points at once (``(n, k)`` points as
    columns -> ``(m, k)``, e.g. :meth:`Net.outputs`): one call instead of ``2n``.

    Raises
    ------
    ValueError, TypeError
        As :func:`central_differences`: a bad step, or ``f`` misbehaving, in words.
    """
    return central_differences(f, x, eps, batch=batch).J


def call_jacobian(jacobian: Callable, x: np.ndarray, m: int, n: int, name: str = "jacobian") -> np.ndarray:
    """Call a user's Jacobian callable at ``x`` and return a finite ``(m, n)`` array.

    A scalar is accepted when ``m = n = 1`` and a length-``n`` vector when
    ``m = 1`` (a gradient written as a row), since the section treats both as
    special cases of the Jacobian.
    """
    _require_callable(jacobian, name)
    where = _point(x)
    J = _as_numbers(_call(jacobian, x, name, where), name, where)[0]
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


@dataclass(frozen=True)
class JacobianAt:
    """``f(x)`` ``(m,)`` and ``J_f(x)`` ``(m, n)`` at one point ``x`` ``(n,)``.

    ``exact`` is True when ``J`` came from the user's Jacobian callable, False
    for central differences. ``differences`` are the central differences taken
    (None if ``f`` could not be differenced around ``x`` while an exact ``J`` was
    given). ``check`` says how far ``J`` can be trusted: for an exact ``J`` its
    agreement with the differences; for differences, how many digits they are
    good to, or that ``f`` has a kink at ``x``. ``error`` ``(m, n)`` bounds
    ``|J − J_true|`` entry by entry (rounding only, for an exact ``J``).
    """

    x: np.ndarray
    fx: np.ndarray
    J: np.ndarray
    exact: bool
    differences: Differences | None = None
    check: JacobianCheck | None = None

    @property
    def error(self) -> np.ndarray:
        if self.exact or self.differences is None:
            return 4 * EPS * np.abs(self.J)
        return self.differences.error_bound()


def jacobian_at(f: Callable, x, jacobian: Callable | None = None, m: int | None = None,
                name: str = "f", arg: str = "x") -> JacobianAt:
    """Evaluate ``f`` and its Jacobian at ``x``; exact if ``jacobian`` is given, else central differences.

    Parameters
    ----------
    f : callable, ``(n,) -> (m,)``
    x : array-like ``(n,)``
    jacobian : callable ``(n,) -> (m, n)``, optional
        Checked against central differences (:attr:`JacobianAt.check`).
    m : int, optional
        The output length seen before; a different one is an error.
    name, arg : str
        How messages call ``f`` and its argument (``g`` and ``u`` for an outer function).
    """
    x = as_vector("x", x)
    if jacobian is None:
        D = central_differences(f, x, name=name, m=m, wide=True)
        return JacobianAt(x, D.fx, D.J, False, D, check_function(None, D, name=name, arg=arg))
    fx = evaluate(f, x, name=name, m=m)
    J = call_jacobian(jacobian, x, fx.size, x.size, name=f"the Jacobian of {name}")
    try:
        D = central_differences(f, x, name=name, m=fx.size, wide=True)
    except (ValueError, TypeError):  # f fails within a step of x: the exact J stands unchecked
        return JacobianAt(x, fx, J, True)
    return JacobianAt(x, fx, J, True, D, check_function(J, D, name=name, label="the Jacobian derived by hand",
                                                                 arg=arg))


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
    differences on ``g∘f`` itself, never using either factor. ``check`` compares
    the two (:class:`chainviz.core.gradcheck.JacobianCheck`), allowing for the
    error of each factor that was differenced (``product_error`` ``(p, n)``).
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
    check: JacobianCheck
    product_error: np.ndarray

    @property
    def difference(self) -> float:
        """``max |J_g·J_f − J_(g∘f)|`` with ``J_(g∘f)`` by differences: near 0 when the chain rule holds."""
        return float(np.max(np.abs(self.J_h - self.J_h_direct)))

    def compare(self, M, label: str = "the closed form") -> JacobianCheck:
        """Whether a hand-derived ``J_(g∘f)(x)`` ``M`` ``(p, n)`` agrees with ``J_g·J_f``,
        within the error of the differenced factors."""
        M = np.atleast_2d(np.asarray(M, dtype=float))
        return compare(M, self.J_h, 2 * self.product_error + 4 * EPS * np.abs(M), label=label,
                       against="J_g·J_f")


def chain_at(f: Callable, g: Callable, x, jacobian_f: Callable | None = None,
             jacobian_g: Callable | None = None, m: int | None = None, p: int | None = None) -> ChainAt:
    """Evaluate the vector chain rule for ``h = g∘f`` at ``x``.

    ``J_f`` is taken at ``x`` and ``J_g`` at ``f(x)``, the point ``g`` actually
    sees. ``m`` and ``p`` are the lengths of ``f(x)`` and ``g(f(x))`` seen
    before, if any.
    """
    inner = jacobian_at(f, x, jacobian_f, m=m, name="f")
    outer = jacobian_at(g, inner.fx, jacobian_g, m=p, name="g", arg="u")
    call_f, call_g = _guarded(f, "f"), _guarded(g, "g")

    def h(v, m_h=None):
        u, pf = call_f(v, inner.fx.size)
        y, pg = call_g(u, outer.fx.size)
        return y, max(pf, pg)

    direct = _differences(_columns(h), inner.x, None, outer.fx.size, True)
    J_h = outer.J @ inner.J
    Bf, Bg = inner.error, outer.error
    # |J_g + dG|·|J_f + dF| − |J_g J_f| ≤ |J_g|·dF + dG·|J_f| + dG·dF, entry by entry
    product_error = np.abs(outer.J) @ Bf + Bg @ np.abs(inner.J) + Bg @ Bf
    check = check_function(J_h, direct, name="g∘f", label="J_g·J_f", extra=product_error,
                           against="J_(g∘f) by central differences on g∘f")
    for factor in (inner, outer):  # a differenced factor at a kink is an average, not a derivative: say so
        if check.status == "ok" and factor.check is not None and factor.check.status == "kink":
            check = factor.check
    return ChainAt(inner.x, inner.fx, outer.fx, inner.J, outer.J, J_h, direct.J, inner.exact, outer.exact,
                   check, product_error)
