"""Is a Jacobian right? Central differences as an independent witness, judged at every scale.

A Jacobian ``J`` (the chain-rule product, or one derived by hand) is compared
entry by entry with central differences ``D``, and the verdict is a
:class:`JacobianCheck`: ``"ok"``, ``"kink"`` (the function is not
differentiable where the differences look, so they cannot judge) or
``"mismatch"``.

How much may ``J`` and ``D`` differ? (the tolerance)
----------------------------------------------------
Column ``j`` of ``D`` is ``(f(x + h_j e_j) − f(x − h_j e_j)) / 2ĥ_j`` (``ĥ_j`` the
half-step actually taken). Following Press et al., *Numerical Recipes* (3rd ed.,
§5.7) and Gill, Murray & Wright, *Practical Optimization* (§8.6), its error is

- rounding: each value of ``f_i`` carries an absolute error ``δ_i``, so the
  difference quotient errs by up to ``δ_i / ĥ_j``. For a function we cannot see
  into, ``δ_i = 4·ε_f·max|f_i|`` over the points evaluated (``ε_f`` the machine
  epsilon of what ``f`` returns: float32's 1.2e-7 or float64's 2.2e-16); for a
  :class:`~chainviz.core.net.Net`, ``δ`` is the forward-error bound of its layers
  (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., §3.5:
  ``|fl(Wa + b) − (Wa + b)| ≤ γ_{k}(|W||a| + |b|)``, ``γ_k = kε/(1 − kε)``),
  carried through each activation's slope, so cancellation inside the net is
  allowed for;
- the input's rounding, when ``f`` computes in a lower precision than float64: it
  sees ``x ± h`` rounded to ``ε_f``, an error of ``ε_f·max(1, |x_j|)/ĥ_j`` relative;
- truncation ``h²|f‴|/6``, estimated by Richardson's comparison with the step
  ``2h``: ``|D(2h) − D(h)| ≈ 3·(truncation of D(h))`` (it also contains a rounding
  noise of the same order, which only widens the estimate).

The differences are good to ``bound_ij = δ_i/ĥ_j + ε_f·max(1,|x_j|)/ĥ_j·|D_ij| +
|D(2h)_ij − D(h)_ij|``; ``J`` passes where ``|J_ij − D_ij| ≤ 2·bound_ij + τ_ij``
(``τ`` is ``J``'s own rounding; the 2 covers the Richardson term being an estimate,
not a bound). Every term scales with ``f``, so the check is the same for weights of
0.01 or 1000.

Kinks
-----
Where an activation is not differentiable (relu and leaky relu at 0, see
:attr:`chainviz.core.activations.Activation.kinks`) a difference whose two points
lie on both sides of the kink measures a mix of the two one-sided slopes, not a
derivative. Columns whose steps cross (or touch) a kink are left out of the
comparison; if ``J`` disagrees there, the verdict is ``"kink"``, with the sentence
saying where, the one-sided slopes and the convention chainviz uses. For a plain
function the kink is recognised by its one-sided slopes: their gap does not shrink
when the step is doubled, as it does (in proportion) for a smooth function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .activations import get_activation
from .differences import DTYPE_NAMES, EPS, Differences, difference_points
from .notation import fmt, stage_name, sub


# -- the verdict -------------------------------------------------------------------------------
@dataclass(frozen=True)
class KinkAt:
    """A place where the function is not differentiable, as the check found it.

    ``where``: ``'z₁[2]'`` (a unit of a net) or ``'x = (0, 1)'`` (a plain function's point,
    with ``component`` ``'f₁ in x₂'``); ``value``: the unit's value (a net) or the
    point's coordinate; ``at``: the kink;
    ``left``/``right``: the one-sided slopes; ``used``: the slope chainviz uses there
    (None for a plain function); ``exact``: the point is exactly at the kink (else
    only within the difference step); ``symbol``: the activation's name as printed.
    """

    where: str
    value: float
    at: float
    left: float
    right: float
    used: float | None
    exact: bool
    symbol: str = ""
    component: str = ""

    def sentence(self, against: str = "central differences") -> str:
        if self.used is None:
            output, _, wrt = self.component.partition(" in ")
            return (f"not differentiable at {self.where}: {output} has one-sided slopes {fmt(self.left)} and "
                    f"{fmt(self.right)} in {wrt}; {against} give their average {fmt((self.left + self.right) / 2)}")
        if self.exact:
            return (f"not differentiable at {self.where} = {fmt(self.at)}: one-sided slopes {fmt(self.left)} "
                    f"and {fmt(self.right)}; chainviz uses {self.symbol}′({fmt(self.at)}) = {fmt(self.used)}")
        return (f"{self.where} = {fmt(self.value)} is within the difference step of {self.symbol}'s kink at "
                f"{fmt(self.at)}: {against} there mix the slopes {fmt(self.left)} and {fmt(self.right)}, so "
                f"they cannot check J; chainviz uses {self.symbol}′({fmt(self.value)}) = {fmt(self.used)}")


@dataclass(frozen=True)
class JacobianCheck:
    """The verdict on a Jacobian.

    Attributes
    ----------
    status : {"ok", "kink", "mismatch"}
    error : float
        ``|J − D|`` at the entry worst off relative to its tolerance, among the entries
        the differences can judge (0 if none).
    tolerance : float
        The tolerance of that entry; ``status == "mismatch"`` exactly when ``error > tolerance``.
    text : str
        One plain-Unicode sentence to show as it is (starts with ✓ or ✗ for ok/mismatch).
    entry : (int, int) or None
        Where ``error`` was found.
    kinks : tuple of KinkAt
        Where the function is not differentiable within the difference steps.
    """

    status: str
    error: float
    tolerance: float
    text: str
    entry: tuple | None = None
    kinks: tuple = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def _agreement(err: float, scale: float) -> str:
    """``'to 10 digits'``: steady while the error keeps its order, so the badge does not flicker."""
    if err == 0:
        return "exactly"
    if scale == 0:
        return f"within {err:.0e}"
    d = int(math.floor(-math.log10(err / scale))) if err < scale else 0
    return f"to {min(d, 16)} digit{'s' if d != 1 else ''}"


def compare(J, reference, tolerance, *, label: str = "J", against: str = "central differences",
            skip: np.ndarray | None = None) -> JacobianCheck:
    """``"ok"`` if ``|J − reference| ≤ tolerance`` entry by entry (``(m, n)`` each), else ``"mismatch"``.

    Columns where ``skip`` ``(n,)`` is True are left out (their reference cannot judge).
    """
    J, ref = np.atleast_2d(J), np.atleast_2d(reference)
    tol = np.broadcast_to(np.asarray(tolerance, dtype=float), J.shape)
    mask = np.isfinite(ref) & np.ones(J.shape, dtype=bool)
    if skip is not None:
        mask &= ~np.asarray(skip, dtype=bool)[None, :]
    diff = np.where(mask, np.abs(J - np.where(mask, ref, 0.0)), 0.0)
    if not mask.any():
        return JacobianCheck("ok", 0.0, 0.0, f"✓ {label}: nothing {against} can judge here")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ratio = np.where(diff == 0, 0.0, diff / tol)
    i, j = (int(v) for v in np.unravel_index(int(np.argmax(np.where(mask, ratio, -1.0))), J.shape))
    error, limit = float(diff[i, j]), float(tol[i, j])
    if error <= limit:
        scale = float(np.max(np.where(mask, np.maximum(np.abs(J), np.abs(ref)), 0.0)))
        widest = float(np.max(np.where(mask, tol, 0.0)))
        if widest >= scale > 0:  # the differences cannot resolve numbers this small: say so
            return JacobianCheck("ok", error, limit, f"✓ {label} is within the ±{widest:.0e} that {against} "
                                 f"can resolve here", (i, j))
        return JacobianCheck("ok", error, limit,
                             f"✓ {label} agrees with {against} {_agreement(float(diff.max()), scale)}", (i, j))
    return JacobianCheck("mismatch", error, limit,
                         f"✗ {label} differs from {against} by {error:.1e} at [{i}, {j}], more than the "
                         f"{limit:.1e} that rounding and the difference step can explain", (i, j))


def _verdict(J, D: Differences, tol_fair, tol_strict, kinks: list, affected, label: str, against: str,
             ) -> JacobianCheck:
    """Judge on the columns the differences can judge; where only kinked columns disagree, say so."""
    base = compare(J, D.J, tol_fair, label=label, against=against, skip=affected)
    if base.status == "mismatch" or not affected.any():
        return base
    off = (np.abs(J - D.J) > tol_strict)[:, affected]
    if not off.any():
        return base
    kinks = sorted(kinks, key=lambda k: not k.exact)
    more = [k.where for k in kinks[1:4]]
    tail = f" (and at {', '.join(more)}{', …' if len(kinks) > 4 else ''})" if more else ""
    return JacobianCheck("kink", base.error, base.tolerance, kinks[0].sentence() + tail, base.entry, tuple(kinks))


def _names(symbol: str, k: int) -> list[str]:
    return [symbol] if k == 1 else [f"{symbol}{sub(i + 1)}" for i in range(k)]


def check_function(J, D: Differences, *, name: str = "f", label: str = "J", extra=None,
                   against: str = "central differences", arg: str = "x") -> JacobianCheck:
    """Judge ``J`` ``(m, n)`` against the differences ``D`` of a plain function ``name``.

    ``J=None`` judges the differences themselves: ``"ok"`` with how many digits they
    are good to, or ``"kink"`` where ``f`` has one. ``extra`` ``(m, n)`` is added to the
    tolerance (the known error of ``J``, e.g. of differenced factors). ``arg`` is what
    messages call the function's argument (``u`` for the outer function of a composition).
    """
    bound = D.error_bound()
    kinks, affected = _function_kinks(D, name, arg)
    if J is None:
        if kinks:
            k = kinks[0]
            return JacobianCheck("kink", 0.0, float(bound.max()), f"{name} is {k.sentence()}", None, tuple(kinks))
        digits = D.digits()
        good = f"good to about {digits} digits" if digits is not None else f"all within {float(bound.max()):.0e} of 0"
        precision = DTYPE_NAMES.get(D.precision, "")
        why = f" ({name} returns {precision})" if D.precision > EPS and precision else ""
        return JacobianCheck("ok", 0.0, float(bound.max()), f"J by central differences, {good}{why}")
    J = np.atleast_2d(np.asarray(J, dtype=float))
    own = 4 * EPS * np.abs(J) + (0.0 if extra is None else np.asarray(extra, dtype=float))
    strict = 2 * D.error_bound(richardson=False) + own
    check = _verdict(J, D, 2 * bound + own, strict, kinks, affected, label, against)
    if check.status == "kink":
        return JacobianCheck("kink", check.error, check.tolerance, f"{name} is {kinks[0].sentence(against)}",
                             check.entry, check.kinks)
    return check


def _function_kinks(D: Differences, name: str, arg: str = "x"):
    """Kinks of a plain function at ``x``, from its one-sided slopes at steps ``h`` and ``2h``."""
    n = D.x.size
    if D.plus2 is None or D.fx is None:
        return [], np.zeros(n, dtype=bool)
    fx = D.fx[:, None]
    right, left = (D.plus - fx) / D.h, (fx - D.minus) / D.h
    gap = right - left  # ≈ h·f'' for a smooth f, the jump for a kink
    gap2 = (D.plus2 - fx) / D.h2 - (fx - D.minus2) / D.h2  # ≈ 2h·f'', or the same jump
    noise = 8 * D.noise()[:, None] / D.h[None, :] + 1e-8 * (np.abs(right) + np.abs(left))
    kinked = (np.abs(gap) > noise) & (np.abs(gap2 - gap) <= 0.25 * np.abs(gap))
    outs, ins = _names(name, D.fx.size), _names(arg, n)
    point = f"{arg} = (" + ", ".join(fmt(v, 4) for v in D.x) + ")"
    found = [KinkAt(point, float(D.x[j]), float(D.x[j]), float(left[i, j]), float(right[i, j]), None, True,
                    component=f"{outs[i]} in {ins[j]}") for i, j in zip(*np.nonzero(kinked))]
    return found, kinked.any(axis=0)


# -- a net -------------------------------------------------------------------------------------
def _forward_all(net, P: np.ndarray):
    """``(Y (m, k), [Z_l (d_l, k)], [A_l (d_l, k)])``: the net at every column of ``P``, keeping
    the pre-activations and the activations (``A_0 = P``)."""
    A, Zs, As = P, [], [P]
    with np.errstate(over="ignore", invalid="ignore"):
        for W, b, name in zip(net.weights, net.biases, net.activations):
            Z = W @ A + b[:, None]
            A = get_activation(name).f(Z)
            Zs.append(Z)
            As.append(A)
    return A, Zs, As


#: The absolute rounding of one operation near zero: the spacing of subnormal floats.
TINY = float(np.finfo(float).smallest_subnormal)


def _net_noise(net, Zs, As) -> np.ndarray:
    """``(m,)``: a bound on the rounding error of the net's output at any of the points evaluated
    (columns of ``Zs``/``As``), by the recursion in the module docstring, with the largest
    magnitudes and slopes over those points."""
    E = np.zeros(net.n)
    for l, (W, b, name) in enumerate(zip(net.weights, net.biases, net.activations)):
        act = get_activation(name)
        a_prev, Z, a = (np.abs(M).max(axis=1) for M in (As[l], Zs[l], As[l + 1]))
        k = W.shape[1] + 1
        gamma = k * EPS / (1 - k * EPS)
        absW = np.abs(W)
        Ez = absW @ E + gamma * (absW @ a_prev + np.abs(b)) + k * TINY
        slope = np.abs(act.df(Zs[l])).max(axis=1)
        for kink in act.kinks:  # at a kink the value moves with the larger one-sided slope
            slope = np.where((Zs[l] == kink.at).any(axis=1), max(slope.max(), abs(kink.left), abs(kink.right)), slope)
        E = slope * Ez + 4 * EPS * a + 4 * TINY
    return E


def _product_rounding(factors) -> np.ndarray:
    """``(m, 1)``: a bound on the rounding of every entry in row ``i`` of the product of
    ``factors``: ``γ_k·(|F_1|···|F_K|·1)_i`` (Higham §3.5), by matrix-vector products only."""
    mats = [np.abs(np.atleast_2d(f)) for f in factors]
    row = np.ones(mats[-1].shape[1])
    for M in reversed(mats):
        row = M @ row
    k = sum(M.shape[0] for M in mats[1:]) + len(mats)
    return (k * EPS / (1 - k * EPS) * row)[:, None]


def _kinks_crossed(net, Zs, n: int, blocks: int):
    """Units whose pre-activation is not on one side of a kink at all of column ``j``'s points.

    ``Zs[l]`` has columns ``x`` and then ``blocks`` blocks of ``n`` perturbed points.
    Returns ``(affected (n,) bool, [KinkAt])``.
    """
    affected = np.zeros(n, dtype=bool)
    found = []
    for l, (Z, name) in enumerate(zip(Zs, net.activations), start=1):
        act = get_activation(name)
        for kink in act.kinks:
            side = np.sign(Z - kink.at).astype(np.int8)
            crossed = np.zeros((Z.shape[0], n), dtype=bool)  # not all on one side (or all at the kink)
            for r in range(blocks):
                crossed |= side[:, 1 + r * n:1 + (r + 1) * n] != side[:, :1]
            affected |= crossed.any(axis=0)
            for k in np.flatnonzero(crossed.any(axis=1)):
                z = float(Z[k, 0])
                found.append(KinkAt(f"{stage_name('z', l, net.depth)[1]}[{k}]", z, kink.at, kink.left, kink.right,
                                    act.slope_at(z), z == kink.at, act.text))
    return affected, found


def check_net(net, x: np.ndarray, J: np.ndarray, trace, factors) -> tuple[JacobianCheck, Differences]:
    """Judge a net's Jacobian ``J`` ``(m, n)`` at ``x`` against central differences (module docstring).

    ``trace`` is the forward pass at ``x`` and ``factors`` the matrices whose product is ``J``.
    Returns the verdict and the differences with step ``h = 10⁻⁶·max(1, |x_j|)`` (their
    ``J`` is what :attr:`Snapshot.J_check` measures).

    In stages, so the common case costs one batched pass over ``2n + 1`` points:
    the rounding-only tolerance first (the Richardson term can only widen it, so a
    pass is a pass); if that fails, the step ``2h`` as well; and where truncation then
    dominates (large weights on unsaturated units: ``z`` moves by more than its own
    scale within the step), a smaller step per column, ``h·(R/2T)^(1/3)`` (at most
    1000 times smaller), which balances rounding ``R`` against truncation ``T``,
    before the verdict.
    """
    n = x.size
    own = _product_rounding(factors) + len(factors) * TINY

    def take(step, wide):
        P, h, h2 = difference_points(x, step, EPS, wide, given=False)
        Y, Zs, As = _forward_all(net, np.concatenate([x[:, None], P], axis=1))
        blocks = [Y[:, 1 + r * n:1 + (r + 1) * n] for r in range(4 if wide else 2)] + [None, None]
        D = Differences(x=x, fx=Y[:, 0], h=h, plus=blocks[0], minus=blocks[1], h2=h2, plus2=blocks[2],
                        minus2=blocks[3], precision=EPS, eps=step)
        return D, _net_noise(net, Zs, As), *_kinks_crossed(net, Zs, n, 4 if wide else 2)

    D, noise, affected, kinks = take(1e-6, False)
    strict = 2 * D.error_bound(noise, richardson=False) + own
    check = _verdict(J, D, strict, strict, kinks, affected, "J", "central differences")
    if check.status != "mismatch":
        return check, D
    first, step = D, 1e-6
    for attempt in range(2):
        D, noise, affected, kinks = take(step, True)  # a kink within 2h spoils D(2h): judged strictly below
        rounding = D.error_bound(noise, richardson=False)
        strict = 2 * rounding + own
        fair = np.where(affected[None, :], strict, 2 * D.error_bound(noise) + own)
        check = _verdict(J, D, fair, strict, kinks, affected, "J", "central differences")
        truncation = np.abs(D.J_wide - D.J) / 3
        R, T = rounding.max(axis=0), truncation.max(axis=0)
        coarse = (T > 4 * R) & ~affected
        if attempt or not coarse.any():
            break
        with np.errstate(over="ignore"):  # R/T overflows only in columns that are not coarse, and unused
            shrink = np.where(coarse, np.cbrt(R / (2 * np.where(T > 0, T, 1.0))), 1.0)
        # where a pre-activation moves by far more than its own scale within the step (a sigmoid
        # crossed from one flat end to the other), no Richardson estimate helps: step so that no
        # z moves by more than 1e-3, down to what x's precision allows
        gain = _z_gain(net, trace) * np.maximum(1.0, np.abs(x))
        within = np.where(gain > 1e-3, 1e-3 / np.where(gain > 1e-3, gain, 1.0), 1.0)
        step = np.where(coarse, np.clip(np.minimum(step * np.clip(shrink, 1e-3, 1.0), within), 1e-13, step), step)
    return check, first


def _z_gain(net, trace) -> np.ndarray:
    """Per input ``j``, the largest ``|∂z_l[i]/∂x_j|`` over the layers whose activation bends
    (not the identity): how fast a step in ``x_j`` moves them. ``(n,)``."""
    C = np.eye(net.n)
    gain = np.zeros(net.n)
    with np.errstate(over="ignore", invalid="ignore"):
        for W, act, slope in zip(net.weights, net.activations, trace.slopes):
            C = W @ C  # ∂z_l/∂x
            if act != "identity":
                gain = np.maximum(gain, np.nan_to_num(np.abs(C), posinf=np.finfo(float).max).max(axis=0))
            C = slope[:, None] * C  # ∂a_l/∂x
    return gain
