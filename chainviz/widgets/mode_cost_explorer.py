""":class:`ModeCostExplorer`: what forward and reverse mode carry and cost for widths
``[n, d_1, ..., d_L]``, predicted by :func:`chainviz.mode_cost` and measured on real sweeps.

Numbers come from :mod:`chainviz.core.modes`, the figure from :mod:`chainviz.views.mode_cost`,
what the controls say from :mod:`.function_controls`; the page (controls, status line,
theme) is :class:`~.function_page.FunctionPage`.
"""

from __future__ import annotations

from typing import Sequence

from ..core.checks import parse_number_list
from ..core.examples import SCALE_WIDTHS
from ..core.modes import ModeCost, SweepTimes, check_widths, mode_cost, time_sweeps
from ..views.function_parts import count_text, ratio_text
from ..views.mode_cost import mode_cost_figure
from . import function_controls as C
from .function_page import FunctionPage

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


def _widths_string(w) -> str:
    return ", ".join(str(v) for v in w)


class ModeCostExplorer(FunctionPage):
    """Forward vs reverse mode for a scalar loss after widths ``[n, d_1, ..., d_L]``: predicted and measured.

    Parameters
    ----------
    widths : sequence of int, optional
        ``[n, d_1, ..., d_L]``; default :data:`DEFAULT_WIDTHS` (n = 10⁴, three layers of 100).
    theme : {"auto", "light", "dark"}
        ``"auto"`` follows JupyterLab's theme; the others force one.

    The figure shows what each mode carries after every stage
    (``mode_cost(widths).forward_carried`` and ``.reverse_carried``), the
    multiply-adds and peaks of both sweeps, and after :meth:`measure`, real
    timings over n next to the prediction.

    Raises
    ------
    ValueError, TypeError
        Widths that are not a net this view can draw, or an unknown ``theme``.
    """

    def __init__(self, widths: Sequence[int] | None = None, *, theme: str = "auto"):
        super().__init__()
        w = check_widths(DEFAULT_WIDTHS if widths is None else widths)
        _check_drawable(w)
        self._check_theme(theme)
        self._widths = w
        self._cost = mode_cost(w)
        self._measured: SweepTimes | None = None
        self._state = None  # the figure is drawn from the fields above
        self._typed: str | None = None  # refused text, kept in the field to be corrected
        self._width_choice = min(max(w[1:]), C.MAX_WIDTH_SLIDER)
        self._start_page()
        self._init_figure(self._figure(None))
        self._render_controls()
        self.widget = self._page(self.controls, self.figure, self.status)

    def _figure(self, _state=None) -> dict:
        return mode_cost_figure(self._cost, self._measured, dark=self.dark)

    def _items(self) -> list[dict]:
        text = self._typed if self._typed is not None else _widths_string(self._widths)
        return C.width_items(self._widths, text, self._typed is not None, self._width_choice)

    # -- events ------------------------------------------------------------------------------
    def _control(self, msg: dict) -> None:
        key, value, event = msg.get("id"), msg.get("value"), msg.get("event")
        if event == "click":
            if key == "section":
                self._set(SCALE_WIDTHS)
            elif key == "small":
                self._set(DEFAULT_WIDTHS)
            elif key == "measure":
                self.measure()
        elif event != "change":
            return
        elif key == "widths":
            self._on_field(value)
        elif key == "n":
            n = C.n_from_position(value)
            if n != self._widths[0]:  # the bar repeating its last value changes nothing
                self._set((n,) + self._widths[1:])
        elif key == "depth":
            depth = int(value)
            if depth != len(self._widths) - 1:
                hidden = list(self._widths[1:])[:depth]
                hidden += [self._width_choice] * (depth - len(hidden))
                self._set((self._widths[0], *hidden))
        elif key == "width":
            self._width_choice = int(value)
            self._set((self._widths[0],) + (self._width_choice,) * (len(self._widths) - 1))

    def _on_field(self, text) -> None:
        try:
            w = check_widths(parse_widths(text))
            _check_drawable(w)
        except (ValueError, TypeError):
            self._typed = str(text)
            raise
        self._set(w)

    def _set(self, widths) -> None:
        w = check_widths(widths)
        _check_drawable(w)
        cost = mode_cost(w)
        self._apply(mode_cost_figure(cost, None, dark=self.dark))
        self._widths, self._cost, self._measured, self._typed = w, cost, None, None
        if len(set(w[1:])) == 1 and w[1] <= C.MAX_WIDTH_SLIDER:
            self._width_choice = w[1]
        self._show_ok(f"forward mode: {count_text(cost.forward_madds)} multiply-adds, reverse mode: "
                      f"{count_text(cost.reverse_madds)} ({ratio_text(cost.madds_ratio)} fewer)")

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
        finally:
            self._render_controls()

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
        self._show_ok("measuring…")
        try:
            result = time_sweeps(self._widths, points=points, repeats=repeats)
        except (ValueError, TypeError) as exc:
            self._show_error(str(exc))
            raise
        self._apply(mode_cost_figure(self._cost, result, dark=self.dark))
        self._measured = result
        fwd, rev = result.forward_seconds[-1], result.reverse_seconds[-1]
        self._show_ok(
            f"measured {len(result.ns)} sizes in {result.wall_seconds:.1f} s; at n = {count_text(result.ns[-1])} "
            f"forward took {fwd * 1e3:.3g} ms, reverse {rev * 1e3:.3g} ms (reverse {ratio_text(fwd / rev)} faster)"
        )
        return result


__all__ = ["ModeCostExplorer", "DEFAULT_WIDTHS", "MAX_DEPTH", "MAX_WIDTH", "parse_widths"]
