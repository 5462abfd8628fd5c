"""Explorers for any function, not just a net: its Jacobian, a composition, and the cost of both modes.

:class:`JacobianExplorer`
    ``f: R^n -> R^m`` at a point: ``f(x)``, ``J_f(x)`` and the linear
    approximation ``f(x + Δx) − f(x) ≈ J_f(x)·Δx``.
:class:`CompositionExplorer`
    ``J_(g∘f)(x) = J_g(f(x)) · J_f(x)``, with a check against ``g∘f`` differenced directly.
:class:`ModeCostExplorer`
    what forward and reverse mode carry and cost for widths ``[n, d_1, ..., d_L]``,
    predicted by :func:`chainviz.mode_cost` and measured on real sweeps.
:func:`scalar_chain_demo`
    the section's scalar examples ``sin(x²)`` and ``(3x+1)²`` as 1×1 Jacobians.

Widgets hold state and wire events only: numbers come from :mod:`chainviz.timing`
(and through it :mod:`chainviz.jacobian`, :mod:`chainviz.modes`), figures from
:mod:`chainviz.views.functions`. Every edit is validated, computed, and sent
as one figure update; a rejected edit leaves the figure and state as they were.
"""

from __future__ import annotations

from typing import Callable, Sequence

import ipywidgets as W
import numpy as np

from ..core.checks import as_vector, parse_number, parse_number_list
from ..core.gradcheck import JacobianCheck
from ..core.examples import SCALE_WIDTHS
from ..core.modes import ModeCost, check_widths, mode_cost
from ..core.jacobian import (ChainAt, JacobianAt, LinearApproximation, call_jacobian, chain_at, jacobian_at,
                        linear_approximation)
from ..core.modes import SweepTimes, time_sweeps
from ..views.functions import (component_names, composition_figure, count_text, jacobian_figure,
                               mode_cost_figure, ratio_text)
from ..core.notation import fmt
from .base import CSS, Explorer, is_echo

BAD = "cv-bad"


def _check_names(names, n: int) -> list[str]:
    if names is None:
        return component_names("x", n)
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or len(names) != n:
        raise ValueError(f"names must be a list of {n} input names (x has length {n}), got {names!r}")
    names = [str(s) for s in names]
    if len(set(names)) != n:
        raise ValueError(f"names must be different from each other, got {names!r}")
    return names


def _slider_limit(x0: np.ndarray) -> float:
    """Half-width of the x sliders: room around every starting value, at least ±3."""
    return float(np.ceil(max(3.0, 2 * float(np.max(np.abs(x0))))))


class _PointExplorer(Explorer):
    """An explorer with an input point ``x``: one slider and one typed field per coordinate.

    Subclasses implement ``_compute(x)`` (raise on bad input, return a new
    state) and ``_figure(state)`` (the spec), and keep ``self._state``.
    """

    def _build_point_controls(self, x0: np.ndarray, names: list[str]) -> W.VBox:
        self._names = names
        self._x = x0.copy()
        # What the controls ask for; it differs from self._x only while an edit is refused.
        self._pending = x0.copy()
        lim = _slider_limit(x0)
        self.sliders: list[W.FloatSlider] = []
        self.fields: list[W.Text] = []
        rows = []
        for j, (name, v) in enumerate(zip(names, x0)):
            s = W.FloatSlider(value=float(v), min=-lim, max=lim, step=0.01, description=name, readout=False,
                              continuous_update=True, layout=W.Layout(width="300px"),
                              style={"description_width": "40px"})
            s.min, s.max = min(s.min, float(v)), max(s.max, float(v))
            t = W.Text(value=fmt(float(v), 6).replace("−", "-"), continuous_update=False,
                       layout=W.Layout(width="90px"), tooltip=f"type a value for {name}, then Enter")
            t.add_class("cv-cell")
            s.observe(self.guarded(lambda ch, j=j: self._on_slider(j, ch)), names="value")
            t.observe(self.guarded(lambda ch, j=j: self._on_field(j, ch)), names="value")
            self.sliders.append(s)
            self.fields.append(t)
            rows.append(W.HBox([s, t]))
        self._syncing = False
        return W.VBox([W.HTML("<b>Point x</b> (drag, or type and press Enter)")] + rows,
                      layout=W.Layout(margin="0 40px 0 0"))

    # -- events ------------------------------------------------------------------------
    def _on_slider(self, j: int, change) -> None:
        if self._syncing or is_echo(change):
            return
        self._pending[j] = float(change["new"])
        self._edit(self._pending.copy(), bad=self.fields[j])

    def _on_field(self, j: int, change) -> None:
        if self._syncing:
            return
        try:
            v = parse_number(change["new"], self._names[j])
        except ValueError:
            self.fields[j].add_class(BAD)
            raise
        self._pending[j] = v
        self._edit(self._pending.copy(), bad=self.fields[j])

    def _edit(self, x: np.ndarray, bad=None) -> None:
        try:
            state = self._compute(x)
        except (ValueError, TypeError):
            if bad is not None:
                bad.add_class(BAD)
            raise
        self._commit(state)
        self._sync_point(state.x)

    def _commit(self, state) -> None:
        self._apply(self._figure(state))
        self._state = state
        self._x = state.x.copy()
        self._pending = state.x.copy()
        self._show_ok()

    def _sync_point(self, x: np.ndarray) -> None:
        """Show ``x`` in every slider and field without firing their handlers."""
        self._syncing = True
        try:
            for s, t, v in zip(self.sliders, self.fields, x):
                v = float(v)
                s.min, s.max = min(s.min, v), max(s.max, v)
                s.value = v
                text = fmt(v, 6).replace("−", "-")
                if _differs(t.value, v):
                    t.value = text
                t.remove_class(BAD)
        finally:
            self._syncing = False

    # -- API ------------------------------------------------------------------------------
    @property
    def x(self) -> np.ndarray:
        """The input point ``(n,)`` currently shown. Setting it validates, recomputes and updates the figure."""
        return self._x.copy()

    @x.setter
    def x(self, value) -> None:
        try:
            x = as_vector("x", value, self._x.size, against=f"the function takes {self._x.size} inputs")
            self._edit(x)
        except (ValueError, TypeError) as exc:
            self._show_error(str(exc))
            raise


def _differs(text: str, v: float) -> bool:
    try:
        return float(str(text).replace("−", "-")) != v
    except ValueError:
        return True


# =============================================================================================
class JacobianExplorer(_PointExplorer):
    """``f(x)``, the Jacobian ``J_f(x)`` ``(m, n)`` and the linear approximation, live.

    Parameters
    ----------
    f : callable
        ``f(x) -> (m,)`` for ``x`` of shape ``(n,)``; any Python function.
    x0 : array-like, shape ``(n,)``
        The starting point.
    names : list of str, optional
        Input names (default ``x₁, …, xₙ``).
    jacobian : callable, optional
        ``jacobian(x) -> (m, n)``, the exact Jacobian; without it central differences are used.
    dx : array-like ``(n,)``, optional
        The starting step Δx of the linear approximation (default 0.1 in every coordinate).

    Raises
    ------
    ValueError, TypeError
        If ``f`` (or ``jacobian``) fails at ``x0``: there is no good state to fall back on.
    """

    def __init__(self, f: Callable, x0, names: Sequence[str] | None = None, jacobian: Callable | None = None,
                 dx=None):
        super().__init__()
        if not callable(f):
            raise TypeError(f"f must be a function of x, got {type(f).__name__}")
        if jacobian is not None and not callable(jacobian):
            raise TypeError(f"jacobian must be a function of x returning a matrix, got {type(jacobian).__name__}")
        self.f, self.jacobian = f, jacobian
        x0 = as_vector("x0", x0)
        n = x0.size
        names = _check_names(names, n)
        self._names = names
        dx = np.full(n, 0.1) if dx is None else as_vector("dx", dx, n, against=f"x0 has length {n}")
        at = jacobian_at(f, x0, jacobian)
        self._m = at.fx.size  # later calls must return this length
        self._output_names = component_names("f", self._m)
        self._dx, self._dx_pending = dx, dx.copy()
        self._state = _JacobianState(at, linear_approximation(f, at, dx))
        self._init_figure(self._figure(self._state))
        point = self._build_point_controls(x0, names)
        self.dx_sliders: list[W.FloatSlider] = []
        for j, (name, v) in enumerate(zip(names, dx)):
            s = W.FloatSlider(value=float(v), min=min(-1.0, float(v)), max=max(1.0, float(v)), step=0.01,
                              description=f"Δ{name}", readout=True, readout_format=".2f", continuous_update=True,
                              layout=W.Layout(width="320px"), style={"description_width": "50px"})
            s.observe(self.guarded(lambda ch, j=j: self._on_dx(j, ch)), names="value")
            self.dx_sliders.append(s)
        steps = W.VBox([W.HTML("<b>Step Δx</b> (for f(x+Δx) − f(x) ≈ J·Δx)")] + self.dx_sliders)
        self.widget = W.VBox([W.HTML(CSS), W.HBox([point, steps]),
                              self.figure, self.status])

    def _compute(self, x: np.ndarray, dx: np.ndarray | None = None) -> "_JacobianState":
        at = jacobian_at(self.f, x, self.jacobian, m=self._m)
        return _JacobianState(at, linear_approximation(self.f, at, self._dx if dx is None else dx))

    def _figure(self, state: "_JacobianState") -> dict:
        return jacobian_figure(state.at, state.linear, self._names, self._output_names)

    def _on_dx(self, j: int, change) -> None:
        if self._syncing or is_echo(change):
            return
        self._dx_pending[j] = float(change["new"])
        dx = self._dx_pending.copy()
        try:
            state = self._compute(self._x, dx)
        except (ValueError, TypeError):
            self.dx_sliders[j].add_class(BAD)
            raise
        self._commit(state)
        self._dx = dx
        for s in self.dx_sliders:
            s.remove_class(BAD)

    # -- readable state -----------------------------------------------------------------------
    @property
    def jacobian_matrix(self) -> np.ndarray:
        """``J_f(x)`` ``(m, n)`` at the current point, unrounded."""
        return self._state.at.J.copy()

    @property
    def value(self) -> np.ndarray:
        """``f(x)`` ``(m,)`` at the current point."""
        return self._state.at.fx.copy()

    @property
    def exact(self) -> bool:
        """True when the Jacobian comes from ``jacobian=``, False for central differences."""
        return self._state.at.exact

    @property
    def check(self) -> JacobianCheck | None:
        """How far the shown Jacobian can be trusted: a hand-derived one judged against central
        differences, or differences with the digits they are good to (or a kink of ``f``).
        None when ``f`` cannot be differenced around ``x`` (an exact Jacobian is then shown unchecked)."""
        return self._state.at.check

    @property
    def linear(self) -> LinearApproximation:
        """The linear-approximation comparison at the current ``x`` and ``dx``."""
        return self._state.linear

    @property
    def dx(self) -> np.ndarray:
        """The step Δx ``(n,)``. Setting it validates, recomputes and updates the figure."""
        return self._dx.copy()

    @dx.setter
    def dx(self, value) -> None:
        try:
            dx = as_vector("dx", value, self._x.size, against=f"x has length {self._x.size}")
            state = self._compute(self._x, dx)
        except (ValueError, TypeError) as exc:
            self._show_error(str(exc))
            raise
        self._commit(state)
        self._dx, self._dx_pending = dx, dx.copy()
        self._syncing = True
        try:
            for s, v in zip(self.dx_sliders, dx):
                s.min, s.max = min(s.min, float(v)), max(s.max, float(v))
                s.value = float(v)
        finally:
            self._syncing = False


class _JacobianState:
    """What a :class:`JacobianExplorer` shows: the Jacobian at ``x`` and the step comparison."""

    __slots__ = ("at", "linear")

    def __init__(self, at: JacobianAt, linear: LinearApproximation):
        self.at, self.linear = at, linear

    @property
    def x(self) -> np.ndarray:
        return self.at.x


# =============================================================================================
class CompositionExplorer(_PointExplorer):
    """``J_g(f(x)) · J_f(x) = J_(g∘f)(x)`` side by side, with the shapes and a check.

    Parameters
    ----------
    f : callable ``(n,) -> (m,)``
    g : callable ``(m,) -> (p,)``
    x0 : array-like ``(n,)``
    jacobian_f, jacobian_g : callable, optional
        Exact Jacobians ``(m, n)`` and ``(p, m)``; otherwise central differences.
    names : list of str, optional
        Input names (default ``x₁, …, xₙ``).
    closed_form : callable, optional
        A hand-derived ``J_(g∘f)(x)`` ``(p, n)`` (a number when p = n = 1), also checked.
    closed_form_text : str
        How ``closed_form`` is written, e.g. ``"18x + 6"``.
    heading : str
        A title line replacing the default, e.g. ``"h(x) = sin(x²)"``.
    """

    def __init__(self, f: Callable, g: Callable, x0, *, jacobian_f: Callable | None = None,
                 jacobian_g: Callable | None = None, names: Sequence[str] | None = None,
                 closed_form: Callable | None = None, closed_form_text: str = "", heading: str = ""):
        super().__init__()
        for label, fn in (("f", f), ("g", g)):
            if not callable(fn):
                raise TypeError(f"{label} must be a function, got {type(fn).__name__}")
        for label, fn in (("jacobian_f", jacobian_f), ("jacobian_g", jacobian_g), ("closed_form", closed_form)):
            if fn is not None and not callable(fn):
                raise TypeError(f"{label} must be a function, got {type(fn).__name__}")
        for label, text in (("closed_form_text", closed_form_text), ("heading", heading)):
            if not isinstance(text, str):
                raise TypeError(f"{label} must be text, got {type(text).__name__} {text!r:.40}")
        self.f, self.g = f, g
        self.jacobian_f, self.jacobian_g, self.closed_form = jacobian_f, jacobian_g, closed_form
        self._closed_text, self._title_text = closed_form_text, heading
        x0 = as_vector("x0", x0)
        names = _check_names(names, x0.size)
        self._names = names
        self._mp = (None, None)
        self.shared_scale = W.Checkbox(value=True, description="one colour scale for all three",
                                       indent=False, layout=W.Layout(width="auto"))
        state = self._compute(x0)
        self._mp = (state.chain.fx.size, state.chain.hx.size)
        self._state = state
        self._init_figure(self._figure(state))
        point = self._build_point_controls(x0, names)
        self.shared_scale.observe(self.guarded(self._on_scale), names="value")
        self.widget = W.VBox([W.HTML(CSS), W.HBox([point, self.shared_scale]),
                              self.figure, self.status])

    def _compute(self, x: np.ndarray) -> "_ChainState":
        m, p = self._mp
        chain = chain_at(self.f, self.g, x, self.jacobian_f, self.jacobian_g, m=m, p=p)
        closed = None
        if self.closed_form is not None:
            closed = call_jacobian(self.closed_form, chain.x, chain.hx.size, chain.x.size, name="closed_form")
        return _ChainState(chain, closed)

    def _figure(self, state: "_ChainState") -> dict:
        return composition_figure(state.chain, self._names, shared_scale=self.shared_scale.value,
                                  closed_form=state.closed, closed_form_text=self._closed_text,
                                  heading=self._title_text)

    def _on_scale(self, change) -> None:
        self._apply(self._figure(self._state))

    @property
    def chain(self) -> ChainAt:
        """Everything shown: ``x``, ``f(x)``, ``J_g``, ``J_f``, the product and the direct Jacobian."""
        return self._state.chain

    @property
    def product(self) -> np.ndarray:
        """``J_g(f(x)) · J_f(x)`` ``(p, n)``, unrounded."""
        return self._state.chain.J_h.copy()

    @property
    def check(self) -> JacobianCheck:
        """``J_g·J_f`` judged against ``J_(g∘f)`` by central differences on ``g∘f``:
        ``.status`` (``"ok"``, ``"kink"``, ``"mismatch"``), ``.error``, ``.tolerance``, ``.text``."""
        return self._state.chain.check


class _ChainState:
    __slots__ = ("chain", "closed")

    def __init__(self, chain: ChainAt, closed: np.ndarray | None):
        self.chain, self.closed = chain, closed

    @property
    def x(self) -> np.ndarray:
        return self.chain.x


# =============================================================================================
#: A small net where n ≫ widths, quick enough to measure: n = 10⁴, three layers of 100.
DEFAULT_WIDTHS = (10_000, 100, 100, 100)
MAX_DEPTH = 50
MAX_WIDTH = 10**12


def parse_widths(text: str) -> list:
    """``"1000000, 1000, 1000"`` (also ``1e6``, ``10^6``, ``10**6``) as a list of numbers.

    Read by the one rule for typed text (:mod:`chainviz.core.checks`): entries are
    separated by commas, semicolons or spaces, and a thousands-like ``12,500`` is
    refused as ambiguous. Only turns text into numbers; :func:`chainviz.modes.check_widths`
    judges them.
    """
    return parse_number_list(text, "widths", "1000000, 1000, 1000", limit=MAX_WIDTH * 1000)


def _check_drawable(w: tuple) -> None:
    if len(w) - 1 > MAX_DEPTH:
        raise ValueError(f"{len(w) - 1} layers is more than the {MAX_DEPTH} this view draws")
    big = [k for k, v in enumerate(w) if v > MAX_WIDTH]
    if big:
        raise ValueError(f"widths[{big[0]}] = {w[big[0]]} is larger than {MAX_WIDTH:.0e}, beyond this view")


class ModeCostExplorer(Explorer):
    """Forward vs reverse mode for a scalar loss after widths ``[n, d_1, ..., d_L]``: predicted and measured.

    Parameters
    ----------
    widths : sequence of int, optional
        ``[n, d_1, ..., d_L]``; default :data:`DEFAULT_WIDTHS` (n = 10⁴, three layers of 100).

    The figure shows what each mode carries after every stage
    (``mode_cost(widths).forward_carried`` and ``.reverse_carried``), the
    multiply-adds and peaks of both sweeps, and after :meth:`measure`, real
    timings over n next to the prediction.
    """

    def __init__(self, widths: Sequence[int] | None = None):
        super().__init__()
        w = check_widths(DEFAULT_WIDTHS if widths is None else widths)
        _check_drawable(w)
        self._widths = w
        self._cost = mode_cost(w)
        self._measured: SweepTimes | None = None
        self._init_figure(mode_cost_figure(self._cost))
        self._syncing = False

        self.widths_field = W.Text(value=self._widths_string(w), continuous_update=False,
                                   description="widths n, d₁, …, d_L", style={"description_width": "150px"},
                                   layout=W.Layout(width="520px"), tooltip="comma-separated; press Enter")
        self.n_slider = W.FloatLogSlider(value=min(w[0], 1e6), base=10, min=0, max=6, step=0.05,
                                         description="input size n", readout_format=".3s",
                                         continuous_update=False, style={"description_width": "110px"},
                                         layout=W.Layout(width="420px"))
        self.depth_slider = W.IntSlider(value=min(len(w) - 1, 20), min=1, max=20, description="layers L",
                                        continuous_update=False, style={"description_width": "110px"},
                                        layout=W.Layout(width="420px"))
        self.width_slider = W.IntSlider(value=min(max(w[1:]), 2000), min=1, max=2000,
                                        description="every layer's width", continuous_update=False,
                                        style={"description_width": "140px"}, layout=W.Layout(width="440px"))
        self.section_button = W.Button(description="Section example: n = 10⁶, ten layers of 10³",
                                       layout=W.Layout(width="340px"))
        self.default_button = W.Button(description="Small net (measurable)", layout=W.Layout(width="200px"))
        self.measure_button = W.Button(description="Measure", button_style="primary", icon="stopwatch",
                                       tooltip="time real forward and reverse sweeps over a range of n",
                                       layout=W.Layout(width="140px"))

        self.widths_field.observe(self.guarded(self._on_field), names="value")
        self.n_slider.observe(self.guarded(self._on_n), names="value")
        self.depth_slider.observe(self.guarded(self._on_depth), names="value")
        self.width_slider.observe(self.guarded(self._on_width), names="value")
        self.section_button.on_click(self.guarded(lambda _: self._set(SCALE_WIDTHS)))
        self.default_button.on_click(self.guarded(lambda _: self._set(DEFAULT_WIDTHS)))
        self.measure_button.on_click(self.guarded(lambda _: self.measure()))
        self.widget = W.VBox([
            W.HTML(CSS),
            W.HBox([self.widths_field, self.section_button, self.default_button]),
            W.HBox([W.VBox([self.n_slider, self.depth_slider]), W.VBox([self.width_slider, self.measure_button])]),
            self.figure, self.status,
        ])

    @staticmethod
    def _widths_string(w) -> str:
        return ", ".join(str(v) for v in w)

    # -- events ------------------------------------------------------------------------------
    def _on_field(self, change) -> None:
        if self._syncing:
            return
        try:
            w = check_widths(parse_widths(change["new"]))
            _check_drawable(w)
        except (ValueError, TypeError):
            self.widths_field.add_class("cv-bad")
            raise
        self._set(w)

    def _on_n(self, change) -> None:
        n = int(round(change["new"]))
        if not self._syncing and n != self._widths[0]:  # a float echo of the same n changes nothing
            self._set((n,) + self._widths[1:])

    def _on_depth(self, change) -> None:
        if not self._syncing:
            hidden = list(self._widths[1:])[: change["new"]]
            hidden += [self.width_slider.value] * (change["new"] - len(hidden))
            self._set((self._widths[0], *hidden))

    def _on_width(self, change) -> None:
        if not self._syncing:
            self._set((self._widths[0],) + (int(change["new"]),) * (len(self._widths) - 1))

    def _set(self, widths) -> None:
        w = check_widths(widths)
        _check_drawable(w)
        cost = mode_cost(w)
        self._apply(mode_cost_figure(cost))
        self._widths, self._cost, self._measured = w, cost, None
        self._sync_controls()
        self._show_ok(f"forward mode: {count_text(cost.forward_madds)} multiply-adds, reverse mode: "
                      f"{count_text(cost.reverse_madds)} ({ratio_text(cost.madds_ratio)} fewer)")

    def _sync_controls(self) -> None:
        w = self._widths
        self._syncing = True
        try:
            self.widths_field.value = self._widths_string(w)
            self.widths_field.remove_class("cv-bad")
            if 1 <= w[0] <= 1e6:
                self.n_slider.value = float(w[0])
            if len(w) - 1 <= self.depth_slider.max:
                self.depth_slider.value = len(w) - 1
            if len(set(w[1:])) == 1 and w[1] <= self.width_slider.max:
                self.width_slider.value = w[1]
        finally:
            self._syncing = False

    # -- API ---------------------------------------------------------------------------------
    @property
    def widths(self) -> tuple:
        """``(n, d_1, ..., d_L)``. Setting it validates, recomputes and updates the figure."""
        return self._widths

    @widths.setter
    def widths(self, value) -> None:
        try:
            self._set(value)
        except (ValueError, TypeError) as exc:
            self._show_error(str(exc))
            raise

    @property
    def cost(self) -> ModeCost:
        """``mode_cost(widths)``: what the figure shows."""
        return self._cost

    @property
    def measured(self) -> SweepTimes | None:
        """The last measurement for the current widths, or None."""
        return self._measured

    def measure(self, points: int = 6, repeats: int = 3) -> SweepTimes:
        """Time real forward- and reverse-mode sweeps for ``n`` from about n/32 to n, hidden widths fixed.

        Refuses (ValueError, shown in the status line) when forward mode would
        carry more than about 2×10⁷ numbers or take too long.
        """
        self.status.value = "measuring…"
        try:
            result = time_sweeps(self._widths, points=points, repeats=repeats)
        except (ValueError, TypeError) as exc:
            self._show_error(str(exc))
            raise
        self._apply(mode_cost_figure(self._cost, result))
        self._measured = result
        fwd, rev = result.forward_seconds[-1], result.reverse_seconds[-1]
        self._show_ok(
            f"measured {len(result.ns)} sizes in {result.wall_seconds:.1f} s; at n = {count_text(result.ns[-1])} "
            f"forward took {fwd * 1e3:.3g} ms, reverse {rev * 1e3:.3g} ms (reverse {ratio_text(fwd / rev)} faster)"
        )
        return result
