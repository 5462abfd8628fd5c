"""What forward mode and reverse mode cost on a chain of layers with a scalar loss.

The network has widths ``[n, d_1, ..., d_L]``: layer ``l`` is a weight matrix
``W_l`` (``d_l × d_{l-1}``) followed by an element-wise activation (a diagonal
``d_l × d_l`` slope factor), and a scalar loss ``L(y)`` follows layer ``L``, so
the whole chain-rule product is::

    ∂L/∂x = g · D_L · W_L · ... · D_1 · W_1,     g = ∂L/∂y  (1 × d_L)

Counting multiply-adds (one multiply and one add; a diagonal factor costs one
multiply per entry it scales):

Forward mode (evaluate from the input side, carrying ``∂(stage)/∂x``, a ``d × n`` matrix)
    start with ``W_1`` itself (no work), then each ``D_l`` costs ``d_l·n``, each
    ``W_l`` (``l ≥ 2``) costs ``d_l·d_{l-1}·n``, and the final ``g ·`` costs ``d_L·n``::

        forward_madds = n · (Σ_{l=1..L} d_l + Σ_{l=2..L} d_l d_{l-1} + d_L)

    It carries ``d_l × n`` numbers between layers: ``forward_peak = n · max_l d_l``.

Reverse mode (evaluate from the loss side, carrying a row)
    start with ``g`` (``d_L`` numbers), each ``D_l`` costs ``d_l``, each ``W_l``
    costs ``d_l·d_{l-1}``::

        reverse_madds = Σ_{l=1..L} d_l + Σ_{l=1..L} d_l d_{l-1}

    The rows have lengths ``d_L, ..., d_1`` and, last, ``n`` (``∂L/∂x`` is as
    long as the input): ``reverse_peak = max(n, d_1, ..., d_L)``. The slogan
    "reverse mode holds one layer's width" forgets that last row.

    Reverse mode also needs the slopes ``s_l'(z_l)`` from the forward pass,
    kept until the sweep reaches them: ``stored_activations = Σ_{l=1..L} d_l``.
    (To produce the weight gradients as well it keeps each layer's input
    ``a_{l-1}``, another ``n + Σ_{l<L} d_l``; see ``stored_for_weight_gradients``.)

Both modes first need the forward pass itself, ``primal_madds = Σ_l d_l d_{l-1}``;
it is the same for both and counted separately.
"""

from __future__ import annotations

import numbers
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .checks import _short, width_entries


@dataclass(frozen=True)
class ModeCost:
    """Predicted cost of both sweeps for widths ``[n, d_1, ..., d_L]`` (see module docstring)."""

    widths: tuple
    forward_madds: int
    reverse_madds: int
    forward_peak: int
    reverse_peak: int
    stored_activations: int
    stored_for_weight_gradients: int
    primal_madds: int
    forward_carried: tuple  # numbers carried after each stage, input side first: d_l·n
    reverse_carried: tuple  # row lengths in the order computed: d_L, ..., d_1, n

    @property
    def madds_ratio(self) -> float:
        """How many times more arithmetic forward mode does."""
        return self.forward_madds / self.reverse_madds

    @property
    def peak_ratio(self) -> float:
        """How many times more numbers forward mode carries at its peak."""
        return self.forward_peak / self.reverse_peak


def check_widths(widths, what: str = "widths", example: str = "3, 4, 2", limit: float = 1e15) -> tuple[int, ...]:
    """``widths`` as a tuple of positive ints ``(n, d_1, ..., d_L)``, L ≥ 1.

    Given as any vector (a list, an array, a row or column, an ``np.matrix``) or as text
    (``"3, 4, 2"``), read by :func:`chainviz.core.checks.width_entries`, the one rule for
    widths; ``what`` names them in messages (``"sizes"`` in the chain-rule explorer).
    """
    widths = width_entries(widths, what, example, limit)
    if len(widths) < 2:
        raise ValueError(f"{what} needs the input size and at least one layer, got {_short(widths, 60)}")
    out = []
    for k, w in enumerate(widths):
        name = f"n ({what}[0])" if k == 0 else f"d{k} ({what}[{k}])"
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or not (isinstance(w, numbers.Integral) or float(w).is_integer()):
            raise ValueError(f"{name} is {_short(w, 40)}: every width must be a positive whole number")
        if w < 1:
            raise ValueError(f"{name} is {_short(w, 40)}: every width must be a positive whole number")
        out.append(int(w))
    return tuple(out)


def mode_cost(widths: Sequence[int]) -> ModeCost:
    """Forward- and reverse-mode cost of ``∂L/∂x`` for a scalar loss after widths ``[n, d_1, ..., d_L]``.

    Exact integer counts from the formulas in this module's docstring.

    >>> c = mode_cost([10**6] + [10**3] * 10)   # the section's example
    >>> c.forward_peak, c.reverse_peak
    (1000000000, 1000000)
    """
    w = check_widths(widths)
    n, ds = w[0], w[1:]
    pairs = sum(ds[l] * ds[l - 1] for l in range(1, len(ds)))
    forward_madds = n * (sum(ds) + pairs + ds[-1])
    reverse_madds = sum(ds) + sum(a * b for a, b in zip(w[1:], w[:-1]))
    return ModeCost(
        widths=w,
        forward_madds=forward_madds,
        reverse_madds=reverse_madds,
        forward_peak=n * max(ds),
        reverse_peak=max(w),
        stored_activations=sum(ds),
        stored_for_weight_gradients=sum(ds) + n + sum(ds[:-1]),
        primal_madds=sum(a * b for a, b in zip(w[1:], w[:-1])),
        forward_carried=tuple(d * n for d in ds),
        reverse_carried=tuple(reversed(w)),
    )


def measure_sweeps(widths: Sequence[int], repeats: int = 5, seed: int = 0) -> tuple[float, float]:
    """Median seconds of a real forward-mode and reverse-mode ``∂L/∂x`` on a random sigmoid net.

    Both start after the same forward pass; forward mode carries ``(d, n)``
    matrices and ends with ``g · J``, reverse mode carries rows.
    """
    from .losses import Sum
    from .net import Net

    w = check_widths(widths)
    rng = np.random.default_rng(seed)
    net = Net([rng.normal(0, 1 / np.sqrt(a), (b, a)) for a, b in zip(w[:-1], w[1:])], "sigmoid")
    x = rng.normal(size=w[0])
    tr = net.forward(x)
    loss = Sum()
    g = loss.grad(tr.output)

    def fwd():
        return g @ net.forward_sweep(x, tr)[-1]

    def rev():
        return net.reverse_sweep(x, loss, tr)[-1].values

    times = {fwd: [], rev: []}
    with _one_blas_thread():
        for _ in range(repeats):
            for fn in (fwd, rev):
                t0 = time.perf_counter()
                fn()
                times[fn].append(time.perf_counter() - t0)
    return float(np.median(times[fwd])), float(np.median(times[rev]))


def _one_blas_thread():
    """Time on one BLAS thread: on a busy 2-core machine a second OpenBLAS thread
    stalls a 0.3 ms product for 10 ms, which would measure the machine, not the sweep.
    (threadpoolctl, when installed; otherwise the BLAS runs as configured.)"""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


# -- measured timing over n ----------------------------------------------------------------
#: Forward mode carries d·n numbers; above this many (160 MB of float64) we refuse to measure.
MAX_MEASURED_CARRIED = 20_000_000
#: Total predicted multiply-adds of all timed sweeps; above this a measurement takes too long.
MAX_MEASURED_MADDS = 10_000_000_000


def measurement_sizes(n: int, points: int = 6, spread: float = 32.0) -> list[int]:
    """Input sizes to time: about ``points`` sizes spaced evenly in log from ``n/spread`` to ``n``."""
    lo = max(1.0, n / spread)
    return sorted({int(round(v)) for v in np.geomspace(lo, n, points)})


def _count(value, name: str, most: int) -> int:
    """A whole number from 1 to ``most`` (not a bool), or a plain-words error naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number from 1 to {most}, got {value!r:.40}")
    if not 1 <= value <= most:
        raise ValueError(f"{name} must be a whole number from 1 to {most}, got {value}")
    return int(value)


def check_measurable(widths: Sequence[int], points: int = 6, repeats: int = 3) -> list[int]:
    """The sizes :func:`time_sweeps` would use for ``widths``, or a ``ValueError`` if it is too big.

    Measuring runs real forward mode, which holds a ``d × n`` matrix: refuse
    when that, or the total arithmetic of all repeats, would not fit. ``points``
    (sizes of n) and ``repeats`` must be whole numbers from 1 to 50.
    """
    points, repeats = _count(points, "points", 50), _count(repeats, "repeats", 50)
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
