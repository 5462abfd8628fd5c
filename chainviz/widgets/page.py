"""The page of a :class:`~chainviz.widgets.chain_rule.ChainRuleExplorer`: its widgets, the one
path every edit takes, rendering a state in one pass, and the events the page sends.

A mixin: the explorer class adds the public API on top. Nothing here computes a number
or words a message; states come from :mod:`.state`, words from :mod:`.layout`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Callable

import ipywidgets as W

from ..core.checks import parse_number
from ..core.schema import MAX_BYTES
from ..views.chain import figure_spec, panel_at
from . import layout as UI
from .controls import ControlBar, MatrixGrid, PanelTables, parse_block
from .saved import state_from_dict, state_to_dict
from .state import ChainRuleState

MARK_SECONDS = 1.6  # how long changed cells stay outlined after an edit


class ExplorerPage:
    """Widgets, rendering and page events of the chain-rule explorer (see the module docstring)."""

    # ------------------------------------------------------------------ the one path of every edit
    def _do(self, transition: Callable[[ChainRuleState], ChainRuleState], *, source=None, raises: bool = True,
            mark: bool = True, explanation: str | None = "", moving: bool = False) -> bool:
        """Apply ``transition`` to the state and render the result.

        On ``ValueError``/``TypeError`` nothing changes but the message (shown in the page, and
        next to ``source``, a ``(grid, i, j)`` cell); it is raised again when ``raises``.
        ``moving``: the focus moving on in a grid (after Enter, or an arrow key) selects the next
        cell; that keeps a message about the cell just rejected on screen.
        """
        try:
            new = transition(self._state)
        except (ValueError, TypeError, ArithmeticError) as exc:
            self._reject(str(exc), source)
            if raises:
                raise
            return False
        except Exception as exc:  # a bug of ours: on the page in words, and raised to a caller who asked
            self._reject(f"internal error ({type(exc).__name__}): {exc}", None)
            if raises:
                raise
            return False
        old = self._state
        self._state = new
        numbers = new.snap is not old.snap  # a new net, x or loss: not just a selection, a step, a setting
        if not moving:
            self.error = ""
            self._code = ""
        if explanation is not None:
            self._explanation = explanation
        try:
            self._render(old, figure=True, mark=mark and numbers)
        except Exception as exc:  # a bug in the views: keep showing the state the figure still shows
            self._state = old
            self._render(None, figure=True)
            self._reject(f"internal error ({type(exc).__name__}): {exc}", None)
            if raises:
                raise
            return False
        return True

    def _reject(self, message: str, source) -> None:
        self.error = message
        if source is not None:
            grid, i, j = source
            grid.errors = {f"{i},{j}": message}
        self._render_info()

    def _ui(self, transition, source=None, explanation: str | None = "") -> None:
        """A UI edit: the same path, but it never raises (the page shows the message)."""
        try:
            self._do(transition, source=source, raises=False, explanation=explanation)
        except Exception as exc:  # our own bug: still on screen, never a lost traceback
            self._reject(f"internal error ({type(exc).__name__}): {exc}", None)

    # ------------------------------------------------------------------ rendering
    def _render(self, old: ChainRuleState | None, *, figure: bool, mark: bool = False) -> None:
        s = self._state
        if figure:
            # after a gradient step every number moves: outline the weights it moved most, not all
            previous = self._spec if (mark and old is not None and self._spec is not None and not s.moved) else None
            # outlines of an earlier edit stay through renders that change no number (a selection,
            # the focus moving on after Enter) until their time is up or numbers change again
            keep = self._marked if (not mark and old is not None and old.snap is s.snap) else ()
            spec = figure_spec(s.snap, s.view_options(marked=keep), previous=previous)
            self._marked = spec["marked"]
            if self.figure is None:
                self._init_figure(spec)
                for trace in self.figure.data:
                    trace.on_click(self.guarded(self._on_figure_click))
            else:
                self._apply(spec)
            if previous is not None and any(sh.get("name") == "changed" for sh in spec["layout"]["shapes"]):
                self._unmark_later()
        theme_class = {"dark": "cv-dark", "light": "cv-light"}.get(s.settings.theme, "")
        if theme_class != self._theme_class:  # a forced theme dresses the controls too, not only the figure
            if self._theme_class:
                self.widget.remove_class(self._theme_class)
            if theme_class:
                self.widget.add_class(theme_class)
            self._theme_class = theme_class
        self._render_grids()
        self._render_info()
        self._render_tables()
        self.toolbar.set_items(UI.toolbar_items(s))
        if self._reach[0] != s.picked:  # a newly picked cell: its slider's range, kept while it scrubs
            self._reach = (s.picked, UI.scrub_reach(s))
        self.scrub.set_items(UI.scrub_items(s, self._reach[1]))
        if s.quiz:
            self._render_quiz()

    def _render_info(self) -> None:
        s = self._state
        items = UI.sweep_items(s, self._playing) + [
            UI.training_group(s, self._training, self._speed),
            dict(kind="check", id="tables", label="numbers as tables", value=self._tables_shown,
                 title="every panel as a table of numbers, below the figure (Tab into a table, arrows, Enter)"),
            dict(kind="html", id="status", html=UI.status_html(s, self.error, self._explanation,
                                                               self._spec["layout"]["width"] if self._spec else 0), wide=True,
                 live="polite"),
        ]
        if self._code:
            items.append(dict(kind="code", id="code", text=self._code, aria="code that rebuilds this explorer"))
        self.info.set_items(items)

    def _render_tables(self) -> None:
        s = self._state
        with self.tables.hold_sync():
            self.tables.captions = UI.panel_captions(s)
            self.tables.shown = self._tables_shown
            band, column, i, j = s.selection if s.selection else (None, None, None, None)
            self.tables.selected = [f"{band}:{column}", i, j] if s.selection else []

    def _on_table(self, msg: dict) -> None:
        if msg.get("event") == "select":
            band, _, column = str(msg.get("panel", "")).partition(":")
            self._select_cell(band, column, int(msg.get("i", 0)), int(msg.get("j", 0)))

    def _render_grids(self) -> None:
        s = self._state
        names = s.editable() if s.grids else []
        if [g.name for g in self._grids.values()] != names:
            self._grids = {name: self._new_grid() for name in names}
            self.editors.children = list(self._grids.values()) + [self.scrub]
        for name, grid in self._grids.items():
            spec = UI.grid_spec(s, name)
            with grid.hold_sync():
                for key, value in spec.items():
                    setattr(grid, key, value)
                if not (self.error and grid.errors):
                    grid.errors = {}

    def _render_quiz(self) -> None:
        s = self._state
        for item in s.quiz:
            grid = self._quiz_grids[item.name]
            with grid.hold_sync():
                for key, value in UI.quiz_grid_spec(s, item).items():
                    setattr(grid, key, value)
        self.quiz_bar.set_items(UI.quiz_items(s))

    def _unmark_later(self) -> None:
        """Take the changed-cell outlines away after :data:`MARK_SECONDS`, if nothing else happened."""
        self._mark_token += 1
        token = self._mark_token
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a script, a test): the outlines go with the next edit
        loop.call_later(MARK_SECONDS, lambda: self._unmark(token))

    def _unmark(self, token: int) -> None:
        if token == self._mark_token:
            self._marked = ()
            self._render(None, figure=True)

    # ------------------------------------------------------------------ building the widgets
    def _new_grid(self) -> MatrixGrid:
        grid = MatrixGrid(handler=None)
        grid._handler = lambda msg, g=grid: self._on_grid(g, msg)
        return grid

    def _build(self) -> None:
        s = self._state
        self.toolbar = ControlBar(handler=self._on_toolbar)
        # the bar right above the figure is as wide as the figure's box, on a slide too (where the
        # editors take the left of the page): it reports that width, and the page's theme
        self.info = ControlBar(handler=self._on_info, report=True)
        self.info.observe(self.guarded(self._on_width), names=["width"])
        self.info.observe(self.guarded(self._on_dark), names=["dark"])
        self.scrub = ControlBar(handler=self._on_scrub)
        self._grids: dict[str, MatrixGrid] = {}
        self.editors = W.Box(layout=W.Layout(display="flex", flex_flow="row wrap", align_items="flex-start"))
        self.figure_box = W.Box(layout=W.Layout(overflow="auto hidden", width="100%"))
        self.figure_box.add_class("cv-figure-box")  # found by the info bar (keyboard scrolling)
        self.tables = PanelTables(handler=self._on_table)  # the figure's text alternative
        parts = [self.toolbar]
        if s.settings.presentation:
            # a column as wide as the widest grid; the narrow ones (x, t) share a line in it
            self.editors.layout.flex_flow = "row wrap"
            self.editors.layout.flex = "0 0 auto"
            self.editors.layout.max_width = f"{max(300, 70 * self._widest_grid() + 40)}px"
            # the figure's column takes the width left beside the editors: its basis and min_width
            # are 480 px, not its content (else it would be as wide as the figure, and be cut by
            # the page or wrap on a slide too); where less than 480 px is left (a laptop with the
            # file browser open) it wraps below the editors and gets the whole width
            body = W.Box([self.editors, W.VBox([self.info, self.figure_box, self.tables],
                                               layout=W.Layout(flex="1 1 480px", min_width="min(480px, 100%)"))],
                         layout=W.Layout(display="flex", flex_flow="row wrap", align_items="flex-start"))
            parts.append(body)
        else:
            parts += [self.editors, self.info, self.figure_box, self.tables]
        self._quiz_grids: dict[str, MatrixGrid] = {}
        if s.quiz:
            self.quiz_bar = ControlBar(handler=self._on_quiz)
            for item in s.quiz:
                g = MatrixGrid(handler=None)
                g._handler = lambda msg, name=item.name: self._on_quiz_grid(name, msg)
                self._quiz_grids[item.name] = g
            quiz_grids = W.Box(list(self._quiz_grids.values()),
                               layout=W.Layout(display="flex", flex_flow="row wrap", align_items="flex-start"))
            parts.append(W.VBox([quiz_grids, self.quiz_bar],
                                layout=W.Layout(border="2px dashed #e07b00", padding="6px", margin="6px 0")))
        self.widget = W.VBox(parts)
        self.widget.add_class("cv-root")
        self._theme_class = ""
        if s.settings.presentation:
            self.widget.add_class("cv-presentation")

    def _widest_grid(self) -> int:
        s = self._state
        return max([s.matrix(n).shape[1] for n in s.editable()] + [3]) if s.grids else 3

    def _init_figure(self, spec: dict):
        fig = super()._init_figure(spec)
        self.figure_box.children = [fig]
        return fig

    # ------------------------------------------------------------------ events from the page
    def _on_grid(self, grid: MatrixGrid, msg: dict) -> None:
        name, event = grid.name, msg.get("event")
        i, j = int(msg.get("i", 0)), int(msg.get("j", 0))
        if event == "edit":
            grid.errors = {}
            self._ui(lambda s: s.with_value(name, i, j, msg.get("text", "")), source=(grid, i, j))
        elif event == "paste":
            def paste(s):
                block = parse_block(msg.get("text", ""))
                whole = (len(block), len(block[0])) == s.matrix(name).shape
                return s.with_matrix(name, block, at=(0, 0) if whole else (i, j))
            grid.errors = {}
            self._ui(paste, source=(grid, i, j))
        elif event == "select":  # a cell clicked, or reached with the arrow keys
            if name.startswith("W"):  # the same cell in the figure: outlined, explained, scrubbed
                self._select_cell("top", name, i, j, moving=True)
            else:
                self._do(lambda s: s.with_pick(name, i, j), raises=False, explanation=None, moving=True)
        elif event == "option" and name.startswith("W"):
            self._ui(lambda s: s.with_activation(int(name[1:]), msg.get("value")))

    def _on_toolbar(self, msg: dict) -> None:
        key, value = msg.get("id"), msg.get("value")
        event = msg.get("event")
        if event == "click":
            actions = {"randomize": lambda s: s.randomized(), "reset": lambda s: s.reset(),
                       "fit_scale": lambda s: s.refit_scale()}
            if key in actions:
                self._ui(actions[key])
            elif key == "save":
                text = json.dumps(state_to_dict(self._state), indent=1)
                self.toolbar.send({"download": {"filename": "chainviz-state.json", "text": text,
                                                "type": "application/json"}})
            elif key == "copy_code":
                # a Python literal (True, None), not JSON: the line must run as it is pasted
                self._code = "cv.ChainRuleExplorer.from_dict(" + repr(state_to_dict(self._state)) + ")"
                self._render_info()
            return
        if event == "upload_refused":
            self._reject(f"{msg.get('name', 'the file')} is {int(msg.get('size', 0)):,} bytes; a saved state "
                         f"is read up to {MAX_BYTES:,} bytes", None)
            return
        if event == "upload":
            self._ui(lambda s: self._loaded(s, msg.get("text", "")))
            return
        if key == "preset" and value:
            self._ui(lambda s: s.with_preset(value))
        elif key == "depth":
            self._ui(lambda s: s.with_depth(int(value)))
        elif key == "sizes":
            self._ui(lambda s: s.resized(str(value)))  # text: read by the one rule for widths
        elif key == "loss":
            self._ui(lambda s: s.with_loss_named(value))
        elif key == "label":
            self._ui(lambda s: s.with_loss_named("softmax_ce", int(value)))
        elif key in ("free_limits", "show_weight_grads", "show_forward"):
            self._ui(lambda s: s.with_settings(**{key: bool(value)}))
        elif key == "options":
            pass  # the options group opened or closed: nothing to compute

    @staticmethod
    def _loaded(s: ChainRuleState, text: str) -> ChainRuleState:
        """A saved state read exactly as ``from_dict`` reads it, shown on this page: its width, theme,
        presentation and exercises stay this page's."""
        from dataclasses import replace

        from . import quiz as Q

        new = state_from_dict(text)
        settings = replace(new.settings, presentation=s.settings.presentation)
        quiz = tuple(Q.fitted(q, new.snap) for q in s.quiz)
        return replace(new, settings=settings, quiz=quiz, width=s.width, page_dark=s.page_dark,
                       note="Loaded a saved state.")._rescaled(None)

    def _on_train(self, msg: dict) -> None:
        key, event = msg.get("id"), msg.get("event")
        if key == "eta" and event == "change":
            self._ui(lambda s: s.with_eta(parse_number(msg.get("value", ""), "η")), explanation=None)
        elif key == "step_once" and event == "click":
            self._ui(lambda s: s.stepped(), explanation=None)
        elif key == "train" and event == "change":
            self._training = bool(msg.get("value"))
            if self._training:
                self._train_tick()
            else:
                self._render_info()
        elif key == "train" and event == "tick":
            if self._training:
                self._train_tick()
        elif key == "speed":
            self._speed = int(msg.get("value", 2))
            self._render_info()
        elif key == "undo" and event == "click":
            self._ui(lambda s: s.undone(), explanation=None)
        elif key == "reset_training" and event == "click":
            self._ui(lambda s: s.training_reset(), explanation=None)

    def _train_tick(self) -> None:
        """One step of Train; it stops on a failed step or a loss that keeps growing."""
        ok = self._do(lambda s: s.stepped(), raises=False, explanation=None)
        if not ok or self._state.growing():
            self._training = False
            self._render_info()

    def _on_info(self, msg: dict) -> None:
        if msg.get("id") in UI.TRAINING_IDS:
            self._on_train(msg)
            return
        if msg.get("id") == "tables":
            self._tables_shown = bool(msg.get("value"))
            self._render_info()
            self._render_tables()
            return
        s = self._state
        K = len(s.snap.factors)
        step = K if s.step is None else s.step
        key, event = msg.get("id"), msg.get("event")
        if key == "play" and event == "change":
            self._playing = bool(msg.get("value"))
            if self._playing and step >= K:
                self._ui(lambda s: s.with_step(0), explanation=None)
            else:
                self._render_info()
        elif key == "play" and event == "tick":
            if step >= K - 1:
                self._playing = False
            self._ui(lambda s: s.with_step(step + 1), explanation=None)
        elif key == "step":
            self._ui(lambda s: s.with_step(int(msg.get("value"))), explanation=None)
        elif key in ("back", "forward"):
            self._ui(lambda s: s.with_step(max(0, step - 1) if key == "back" else step + 1), explanation=None)

    def _on_scrub(self, msg: dict) -> None:
        name, i, j = self._state.picked
        value = msg.get("value")
        grid = self._grids.get(name)
        self._ui(lambda s: s.with_value(name, i, j, float(value)),
                 source=(grid, i, j) if grid is not None else None, explanation=None)

    def _on_quiz(self, msg: dict) -> None:
        key = str(msg.get("id", ""))
        if key.startswith("check:"):
            self._ui(lambda s: s.checked(key[6:]), explanation=None)
        elif key.startswith("show:"):
            self._ui(lambda s: s.answer_shown(key[5:]), explanation=None)

    def _on_quiz_grid(self, name: str, msg: dict) -> None:
        if msg.get("event") == "edit":
            self._ui(lambda s: s.with_answer_cell(name, int(msg["i"]), int(msg["j"]), msg.get("text", "")),
                     explanation=None)

    def _on_width(self, change) -> None:
        width = change["new"]
        self._do(lambda s: s.with_width(width), raises=False, mark=False, explanation=None)

    def _on_dark(self, change) -> None:
        self._do(lambda s: s.with_page_dark(change["new"]), raises=False, mark=False, explanation=None)

    def _on_figure_click(self, trace, points, state) -> None:
        if not points.point_inds:
            return
        hit = panel_at(self._spec["traces"], int(round(points.ys[0])), int(round(points.xs[0])))
        if hit is not None:
            self.select(*hit)
