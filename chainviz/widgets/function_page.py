"""The page every function explorer shares: native labelled controls, a status line screen
readers hear, and a figure that follows the theme.

- Controls are :class:`~chainviz.widgets.controls.ControlBar` items (a few widget models, native
  inputs with names and value texts); a message from a bar is one edit, and the bars are
  drawn again from the explorer's values after it, refused or not.
- The status line is a live region (``aria-live="polite"``): a refused edit is announced.
- ``theme="auto"`` follows JupyterLab (the first bar reports whether the page is dark, also
  when that changes); ``"light"``/``"dark"`` force one. The figure is redrawn as one update.
"""

from __future__ import annotations

import ipywidgets as W

from ..core.schema import check_option
from .base import Explorer
from .controls import ControlBar
from ..views.function_parts import tables_html
from .function_controls import status_items


class FunctionPage(Explorer):
    """Base of the function explorers (see the module docstring).

    Subclasses call :meth:`_check_theme` with their arguments, and :meth:`_start_page` once
    their first state is computed, before drawing their first figure; they implement
    ``_figure(state)`` (the spec, drawn in :attr:`dark` or light), ``_items()`` (the items of
    :attr:`controls`) and ``_control(msg)`` (one message from a bar; it raises on a refused
    edit), and keep ``self._state``.
    """

    def _check_theme(self, theme: str) -> None:
        self._theme = check_option("theme", theme, type(self).__name__)

    def _start_page(self) -> None:
        """The bars (made once the first state is computed: a failed start builds no widgets)."""
        self._message = ""
        self.controls = ControlBar(handler=self._from_page, report=True)
        self.controls.observe(self.guarded(self._on_dark), names=["dark"])
        self._status_bar = ControlBar(items=status_items("", ""))
        self._tables_shown = False
        self._tables_bar = ControlBar(handler=self._from_tables)

    def _page(self, *parts) -> W.VBox:
        """The whole explorer: ``parts`` (controls, the figure, the status line) in one box, and the
        figure's panels as tables under them (for screen readers; shown on request)."""
        box = W.VBox(list(parts) + [self._tables_bar])
        box.add_class("cv-root")
        return box

    # -- theme -------------------------------------------------------------------------------
    @property
    def theme(self) -> str:
        """``"auto"`` (follow JupyterLab), ``"light"`` or ``"dark"``. Setting it redraws the figure;
        a value that is none of these raises ``ValueError`` (``TypeError`` if not text) and changes nothing."""
        return self._theme

    @theme.setter
    def theme(self, value: str) -> None:
        try:
            theme = check_option("theme", value, type(self).__name__)
        except (ValueError, TypeError) as exc:
            self._show_error(str(exc))
            raise
        self._theme = theme
        self._redraw()

    @property
    def dark(self) -> bool:
        """Whether the figure is drawn in the dark theme now."""
        return self._theme == "dark" or (self._theme == "auto" and bool(self.controls.dark))

    def _on_dark(self, change) -> None:
        if self._theme == "auto":
            self._redraw()

    def _redraw(self) -> None:
        self._apply(self._figure(self._state))

    # -- tables ------------------------------------------------------------------------------
    def _apply(self, spec: dict) -> None:
        super()._apply(spec)
        self._render_tables()

    def _init_figure(self, spec: dict):
        fig = super()._init_figure(spec)
        self._render_tables()
        return fig

    def _render_tables(self) -> None:
        html = tables_html(self._spec["tables"])
        if not self._tables_shown:
            html = f'<div class="cv-sr-only">{html}</div>'  # still read by assistive technology
        self._tables_bar.items = [
            dict(kind="check", id="tables", label="numbers as tables", value=self._tables_shown,
                 title="every panel of the figure as a table of numbers"),
            dict(kind="html", id="tables_html", html=html, wide=True)]

    def _from_tables(self, msg: dict) -> None:
        if msg.get("id") == "tables":
            self._tables_shown = bool(msg.get("value"))
            self._render_tables()

    def tables(self) -> list:
        """Each panel of the figure as a :class:`~chainviz.views.function_parts.PanelTable` (plain
        name, row and column headers, the values as shown and as printed), in the figure's order:
        what a "numbers as a table" view or a screen reader reads instead of the colours."""
        return list(self._spec["tables"])

    # -- messages from the page ----------------------------------------------------------------
    def _from_page(self, msg: dict) -> None:
        """One message from a control bar: one edit, then the bars drawn again. Never raises:
        a refused edit, or a bug of ours, is shown in the status line."""
        self.guarded(self._control)(msg)
        self._render_controls()

    def _render_controls(self) -> None:
        self.controls.items = self._items()

    # -- status line ---------------------------------------------------------------------------
    @property
    def status(self) -> ControlBar:
        """The status line (a control bar holding one live region)."""
        return self._status_bar

    def _show_error(self, message: str) -> None:
        self.error = message
        self._status_bar.items = status_items(message, self._message)

    def _show_ok(self, message: str = "") -> None:
        self.error, self._message = "", message
        self._status_bar.items = status_items("", message)
