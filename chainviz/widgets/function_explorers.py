"""Explorers for any function, not just a net: its Jacobian, a composition, and the cost of both modes.

:class:`JacobianExplorer`
    ``f: R^n -> R^m`` at a point: ``f(x)``, ``J_f(x)`` and the linear
    approximation ``f(x + Δx) − f(x) ≈ J_f(x)·Δx``.
:class:`CompositionExplorer`
    ``J_(g∘f)(x) = J_g(f(x)) · J_f(x)``, with a check against ``g∘f`` differenced directly.
:class:`ModeCostExplorer` (in :mod:`.mode_cost_explorer`)
    what forward and reverse mode carry and cost for widths ``[n, d_1, ..., d_L]``,
    predicted by :func:`chainviz.mode_cost` and measured on real sweeps.
:func:`scalar_chain_demo` (in :mod:`.demos`)
    the section's scalar examples ``sin(x²)`` and ``(3x+1)²`` as 1×1 Jacobians.

Widgets hold state and wire events only: numbers come from :mod:`chainviz.core`, figures
from :mod:`chainviz.views.functions`, what the controls say from :mod:`.function_controls`.
Every edit is validated, computed, and sent as one figure update; a rejected edit leaves
the figure and state as they were. The page (controls, status line, theme) is
:class:`~.function_page.FunctionPage`.
"""

from __future__ import annotations

from typing import Callable, Sequence

import ipywidgets as W
import numpy as np

from ..core.checks import as_vector, parse_number
from ..core.gradcheck import JacobianCheck
from ..core.jacobian import (ChainAt, JacobianAt, LinearApproximation, call_jacobian, chain_at, jacobian_at,
                             linear_approximation)
from ..views.functions import component_names, composition_figure, jacobian_figure
from ..views.function_parts import count_text, ratio_text
from . import function_controls as C
from .controls import ControlBar
from .function_page import FunctionPage
from .mode_cost_explorer import DEFAULT_WIDTHS, MAX_DEPTH, MAX_WIDTH, ModeCostExplorer, parse_widths

__all__ = ["JacobianExplorer", "CompositionExplorer", "ModeCostExplorer", "DEFAULT_WIDTHS", "MAX_DEPTH",
           "MAX_WIDTH", "parse_widths", "count_text", "ratio_text"]


def _check_names(names, n: int) -> list[str]:
    if names is None:
        return component_names("x", n)
    if isinstance(names, str) or not isinstance(names, (list, tuple)) or len(names) != n:
        raise ValueError(f"names must be a list of {n} input names (x has length {n}), got {names!r}")
    names = [str(s) for s in names]
    if len(set(names)) != n:
        raise ValueError(f"names must be different from each other, got {names!r}")
    return names


def _same(a: float, b: float) -> bool:
    """A slider value that only repeats the last one (the bar sends its latest value again after
    an answer) changes nothing, and must not wipe a message."""
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


class _PointExplorer(FunctionPage):
    """An explorer with an input point ``x``: one slider and one typed field per coordinate.

    Subclasses implement ``_compute(x)`` (raise on bad input, return a new state with ``.x``)
    and ``_figure(state)`` (the spec), and keep ``self._state``.
    """

    def _start_point(self, x0: np.ndarray, names: list[str]) -> None:
        self._names = names
        self._x = x0.copy()
        # What the controls ask for; it differs from self._x only while an edit is refused.
        self._pending = x0.copy()
        self._reach = [C.slider_reach(x0)] * x0.size
        self._typed: dict[int, str] = {}  # refused text, kept in its field to be corrected
        self._invalid: set[str] = set()

    def _items(self) -> list[dict]:
        return C.point_items(self._names, self._pending, self._reach, self._typed, self._invalid)

    # -- events ------------------------------------------------------------------------
    def _control(self, msg: dict) -> None:
        key, value = str(msg.get("id", "")), msg.get("value")
        if msg.get("event") != "change":
            return
        if key.startswith("x") and key.endswith("_text"):
            self._on_field(int(key[1:-5]), value)
        elif key.startswith("x") and key[1:].isdigit():
            self._on_slider(int(key[1:]), float(value))
        else:
            self._other(key, value)

    def _other(self, key: str, value) -> None:
        """A control of the subclass's own (Δx, the colour scale)."""

    def _on_slider(self, j: int, v: float) -> None:
        if _same(v, self._pending[j]):
            return
        self._pending[j] = v
        self._typed.pop(j, None)
        self._edit(self._pending.copy(), bad=f"x{j}")

    def _on_field(self, j: int, text) -> None:
        try:
            v = parse_number(text, self._names[j])
        except ValueError:
            self._typed[j] = str(text)
            self._invalid.add(f"x{j}")
            raise
        self._pending[j] = v
        self._typed.pop(j, None)
        self._reach[j] = max(self._reach[j], abs(v))  # a value beyond the slider widens it
        self._edit(self._pending.copy(), bad=f"x{j}")

    def _edit(self, x: np.ndarray, bad: str | None = None) -> None:
        try:
            state = self._compute(x)
        except (ValueError, TypeError):
            if bad is not None:
                self._invalid.add(bad)
            raise
        self._commit(state)

    def _commit(self, state) -> None:
        self._apply(self._figure(state))
        self._state = state
        self._x = state.x.copy()
        self._pending = state.x.copy()
        self._reach = [max(r, abs(float(v))) for r, v in zip(self._reach, self._x)]
        self._typed.clear()
        self._invalid.clear()
        self._show_ok()

    # -- API ------------------------------------------------------------------------------
    @property
    def x(self) -> np.ndarray:
        """The input point ``(n,)`` currently shown. Setting it validates, recomputes and updates the
        figure and the controls; bad input raises ``ValueError``/``TypeError`` and changes nothing."""
        return self._x.copy()

    @x.setter
    def x(self, value) -> None:
        try:
            x = as_vector("x", value, self._x.size, against=f"the function takes {self._x.size} inputs")
            self._edit(x)
        except (ValueError, TypeError) as exc:
            self._show_error(str(exc))
            raise
        finally:
            self._render_controls()


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
    theme : {"auto", "light", "dark"}
        ``"auto"`` follows JupyterLab's theme; the others force one.

    Raises
    ------
    ValueError, TypeError
        If ``f`` (or ``jacobian``) fails at ``x0``: there is no good state to fall back on;
        or an argument the explorer cannot use, named in the message.
    """

    def __init__(self, f: Callable, x0, names: Sequence[str] | None = None, jacobian: Callable | None = None,
                 dx=None, *, theme: str = "auto"):
        super().__init__()
        if not callable(f):
            raise TypeError(f"f must be a function of x, got {type(f).__name__}")
        if jacobian is not None and not callable(jacobian):
            raise TypeError(f"jacobian must be a function of x returning a matrix, got {type(jacobian).__name__}")
        self.f, self.jacobian = f, jacobian
        x0 = as_vector("x0", x0)
        n = x0.size
        names = _check_names(names, n)
        dx = np.full(n, 0.1) if dx is None else as_vector("dx", dx, n, against=f"x0 has length {n}")
        self._check_theme(theme)
        at = jacobian_at(f, x0, jacobian)
        self._m = at.fx.size  # later calls must return this length
        self._output_names = component_names("f", self._m)
        self._dx, self._dx_pending = dx, dx.copy()
        self._start_point(x0, names)
        self._state = _JacobianState(at, linear_approximation(f, at, dx))
        self._start_page()
        self._init_figure(self._figure(self._state))
        self.steps = ControlBar(handler=self._from_page)
        self._render_controls()
        self.widget = self._page(W.HBox([self.controls, self.steps]), self.figure, self.status)

    def _compute(self, x: np.ndarray, dx: np.ndarray | None = None) -> "_JacobianState":
        at = jacobian_at(self.f, x, self.jacobian, m=self._m)
        return _JacobianState(at, linear_approximation(self.f, at, self._dx if dx is None else dx))

    def _figure(self, state: "_JacobianState") -> dict:
        return jacobian_figure(state.at, state.linear, self._names, self._output_names, dark=self.dark)

    def _render_controls(self) -> None:
        super()._render_controls()
        self.steps.items = C.step_items(self._names, self._dx_pending)

    def _other(self, key: str, value) -> None:
        if key.startswith("dx") and key[2:].isdigit():
            j = int(key[2:])
            if _same(float(value), self._dx_pending[j]):
                return
            self._dx_pending[j] = float(value)
            self._set_dx(self._dx_pending.copy())

    def _set_dx(self, dx: np.ndarray) -> None:
        state = self._compute(self._x, dx)
        self._commit(state)
        self._dx, self._dx_pending = dx, dx.copy()

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
            self._set_dx(as_vector("dx", value, self._x.size, against=f"x has length {self._x.size}"))
        except (ValueError, TypeError) as exc:
            self._show_error(str(exc))
            raise
        finally:
            self._render_controls()


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
    shared_scale : bool
        One colour scale for the three matrices (default), or one each.
    theme : {"auto", "light", "dark"}
        ``"auto"`` follows JupyterLab's theme; the others force one.
    """

    def __init__(self, f: Callable, g: Callable, x0, *, jacobian_f: Callable | None = None,
                 jacobian_g: Callable | None = None, names: Sequence[str] | None = None,
                 closed_form: Callable | None = None, closed_form_text: str = "", heading: str = "",
                 shared_scale: bool = True, theme: str = "auto"):
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
        if not isinstance(shared_scale, (bool, np.bool_)):
            raise TypeError(f"shared_scale must be True or False, got {type(shared_scale).__name__}")
        self.f, self.g = f, g
        self.jacobian_f, self.jacobian_g, self.closed_form = jacobian_f, jacobian_g, closed_form
        self._closed_text, self._title_text = closed_form_text, heading
        self._shared = bool(shared_scale)
        x0 = as_vector("x0", x0)
        names = _check_names(names, x0.size)
        self._check_theme(theme)
        self._mp = (None, None)
        state = self._compute(x0)
        self._mp = (state.chain.fx.size, state.chain.hx.size)
        self._state = state
        self._start_point(x0, names)
        self._start_page()
        self._init_figure(self._figure(state))
        self._render_controls()
        self.widget = self._page(self.controls, self.figure, self.status)

    def _compute(self, x: np.ndarray) -> "_ChainState":
        m, p = self._mp
        chain = chain_at(self.f, self.g, x, self.jacobian_f, self.jacobian_g, m=m, p=p)
        closed = None
        if self.closed_form is not None:
            closed = call_jacobian(self.closed_form, chain.x, chain.hx.size, chain.x.size, name="closed_form")
        return _ChainState(chain, closed)

    def _figure(self, state: "_ChainState") -> dict:
        return composition_figure(state.chain, self._names, shared_scale=self._shared,
                                  closed_form=state.closed, closed_form_text=self._closed_text,
                                  heading=self._title_text, dark=self.dark)

    def _items(self) -> list[dict]:
        return super()._items() + C.scale_items(self._shared)

    def _other(self, key: str, value) -> None:
        if key == "shared_scale":
            self.shared_scale = bool(value)

    @property
    def shared_scale(self) -> bool:
        """One colour scale for all three matrices (True), or one each. Settable."""
        return self._shared

    @shared_scale.setter
    def shared_scale(self, value: bool) -> None:
        self._shared = bool(value)
        self._redraw()
        self._render_controls()

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
