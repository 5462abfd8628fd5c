"""ChainRuleExplorer: edit the weights and the input of a small net and watch every factor,
their product J and the backward rows change.

A thin widget over :class:`~chainviz.widgets.state.ChainRuleState`. Every edit — a typed
cell, a pasted block, a slider, a click, an API call — is one transition of the state;
the new state is then rendered in one pass (figure, grids, bars). A transition that fails
changes nothing: the API call raises with the message, the page shows the same message
next to what was edited.
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from typing import Callable, Sequence

import ipywidgets as W
import numpy as np

from ..core.activations import get_activation
from ..core.losses import Loss
from ..core.net import Net
from ..core.snapshot import Snapshot
from ..views import export
from ..views.chain import figure_spec, panel_at
from ..views.explain import explain
from . import layout as UI
from .base import Explorer
from .controls import ControlBar, MatrixGrid, parse_block
from .state import ChainRuleState
from .saved import state_from_dict, state_to_dict

MARK_SECONDS = 1.6  # how long changed cells stay outlined after an edit


class ChainRuleExplorer(Explorer):
    """Edit a net of 1–4 layers and see the chain rule: factors, J, reverse rows, forward carries.

    Parameters
    ----------
    net : Net, optional
        Default: the section's two-layer example at ``sizes=(3, 4, 2)``, else a seeded random net.
    x : array_like ``(n,)``, optional
    loss : Loss, optional
        Default ``MSE`` with a fixed target (``Sum`` when ``net`` is given).
    sizes : (n, d_1, ..., d_L)
        Used when ``net`` is not given, ``L`` from 1 to 4; widths up to 8 are typed into
        grids, up to 256 scrubbed one cell at a time.
    activation : str
        Hidden activation when ``net`` is not given (the output layer is linear).
    seed : int
        For Randomize and for random defaults.
    presentation : bool
        Large type, editors beside the figure: fits a 1280×720 slide.
    color_limit : float, optional
        A fixed shared colour limit; by default the limit follows the data, and stays put
        until a value leaves it.
    quiz : list of str, optional
        Exercise mode: panels to hide and ask for: ``"J"``, a slope factor ``"D1"``…, or a
        row ``"dL/dy"``, ``"dL/dz2"``, ``"dL/da1"``, ``"dL/dx"``… Each shows an empty grid;
        Check marks every entry; the panel is revealed when all are right, or on
        :meth:`show_answer`.
    theme : {"auto", "light", "dark"}
        ``"auto"`` follows JupyterLab's theme.
    **options
        ``free_limits``, ``show_weight_grads``, ``show_forward`` (see :meth:`set_options`).

    Raises
    ------
    ValueError, TypeError
        On any argument the explorer cannot show, with a message naming it.
    """

    def __init__(self, net: Net | None = None, x=None, loss: Loss | None = None, *,
                 sizes: Sequence[int] = (3, 4, 2), activation: str = "sigmoid", seed: int = 0,
                 presentation: bool = False, color_limit: float | None = None,
                 quiz: Sequence[str] | None = None, theme: str = "auto", **options):
        super().__init__()
        state = ChainRuleState.create(net, x, loss, sizes=sizes, activation=activation, seed=seed, quiz=quiz,
                                      presentation=presentation, color_limit=color_limit, theme=theme, **options)
        self._start(state)

    @classmethod
    def _from_state(cls, state: ChainRuleState) -> "ChainRuleExplorer":
        app = cls.__new__(cls)
        Explorer.__init__(app)
        app._start(state)
        return app

    def _start(self, state: ChainRuleState) -> None:
        self._state = state
        self._explanation = ""
        self._playing = False
        self._mark_token = 0
        self._build()
        self._render(None, figure=True)

    # ------------------------------------------------------------------ the one path of every edit
    def _do(self, transition: Callable[[ChainRuleState], ChainRuleState], *, source=None, raises: bool = True,
            mark: bool = True, explanation: str | None = "") -> bool:
        """Apply ``transition`` to the state and render the result.

        On ``ValueError``/``TypeError`` nothing changes but the message (shown in the page, and
        next to ``source``, a ``(grid, i, j)`` cell); it is raised again when ``raises``.
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
        self.error = ""
        if explanation is not None:
            self._explanation = explanation
        try:
            self._render(old, figure=True, mark=mark)
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
            previous = self._spec if (mark and old is not None and self._spec is not None) else None
            spec = figure_spec(s.snap, s.view_options(), previous=previous)
            if self.figure is None:
                self._init_figure(spec)
                for trace in self.figure.data:
                    trace.on_click(self.guarded(self._on_figure_click))
            else:
                self._apply(spec)
            if previous is not None and any(sh.get("name") == "changed" for sh in spec["layout"]["shapes"]):
                self._unmark_later()
        self._render_grids()
        self._render_info()
        with self.toolbar.hold_sync():
            self.toolbar.items = UI.toolbar_items(s)
        self.scrub.items = UI.scrub_items(s)
        if s.quiz:
            self._render_quiz()

    def _render_info(self) -> None:
        s = self._state
        items = UI.sweep_items(s, self._playing) + [
            dict(kind="html", id="badge", html=UI.badge_html(s)),
            dict(kind="html", id="status", html=UI.status_html(s, self.error, self._explanation), wide=True,
                 live="polite"),
        ]
        self.info.items = items

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
        self.quiz_bar.items = UI.quiz_items(s)

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
            self._render(None, figure=True)

    # ------------------------------------------------------------------ building the widgets
    def _new_grid(self) -> MatrixGrid:
        grid = MatrixGrid(handler=None)
        grid._handler = lambda msg, g=grid: self._on_grid(g, msg)
        return grid

    def _build(self) -> None:
        s = self._state
        self.toolbar = ControlBar(handler=self._on_toolbar, report=True)
        self.toolbar.observe(self.guarded(self._on_width), names=["width"])
        self.toolbar.observe(self.guarded(self._on_dark), names=["dark"])
        self.info = ControlBar(handler=self._on_info)
        self.scrub = ControlBar(handler=self._on_scrub)
        self._grids: dict[str, MatrixGrid] = {}
        self.editors = W.Box(layout=W.Layout(display="flex", flex_flow="row wrap", align_items="flex-start"))
        self.figure_box = W.Box(layout=W.Layout(overflow="auto hidden", width="100%"))
        parts = [self.toolbar]
        if s.settings.presentation:
            self.editors.layout.flex_flow = "column nowrap"
            self.editors.layout.flex = "0 0 auto"
            body = W.Box([self.editors, W.VBox([self.info, self.figure_box], layout=W.Layout(flex="1 1 auto"))],
                         layout=W.Layout(display="flex", flex_flow="row nowrap", align_items="flex-start"))
            parts.append(body)
        else:
            parts += [self.editors, self.info, self.figure_box]
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
        if s.settings.presentation:
            self.widget.add_class("cv-presentation")

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
        elif event == "select":
            self._ui(lambda s: s.with_pick(name, i, j), explanation=None)
        elif event == "option" and name.startswith("W"):
            self._ui(lambda s: s.with_activation(int(name[1:]), msg.get("value")))

    def _on_toolbar(self, msg: dict) -> None:
        key, value = msg.get("id"), msg.get("value")
        if msg.get("event") == "click":
            actions = {"randomize": lambda s: s.randomized(), "reset": lambda s: s.reset(),
                       "fit_scale": lambda s: s.refit_scale()}
            if key in actions:
                self._ui(actions[key])
            return
        if key == "preset" and value:
            self._ui(lambda s: s.with_preset(value))
        elif key == "depth":
            self._ui(lambda s: s.with_depth(int(value)))
        elif key == "sizes":
            self._ui(lambda s: s.resized(_widths_from_text(value)))
        elif key == "loss":
            self._ui(lambda s: s.with_loss_named(value))
        elif key == "label":
            self._ui(lambda s: s.with_loss_named("softmax_ce", int(value)))
        elif key in ("free_limits", "show_weight_grads", "show_forward"):
            self._ui(lambda s: s.with_settings(**{key: bool(value)}))
        elif key == "options":
            pass  # the options group opened or closed: nothing to compute

    def _on_info(self, msg: dict) -> None:
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
        if self._state.settings.presentation:
            width -= self.editors_width()
        self._do(lambda s: s.with_width(width), raises=False, mark=False, explanation=None)

    def _on_dark(self, change) -> None:
        theme = self._state.settings.theme
        dark = theme == "dark" or (theme == "auto" and bool(change["new"]))
        self._do(lambda s: s.with_dark(dark), raises=False, mark=False, explanation=None)

    def editors_width(self) -> int:
        """Pixels the editors take beside the figure on a slide (the widest grid, 68 px a cell)."""
        widest = max([self._state.matrix(n).shape[1] for n in self._state.editable()] + [1]) if self._state.grids else 3
        return 68 * widest + 40

    def _on_figure_click(self, trace, points, state) -> None:
        if not points.point_inds:
            return
        hit = panel_at(self._spec["traces"], int(round(points.ys[0])), int(round(points.xs[0])))
        if hit is not None:
            self.select(*hit)

    # ------------------------------------------------------------------ the state, as the API sees it
    @property
    def state(self) -> ChainRuleState:
        """The whole state (a frozen value)."""
        return self._state

    @property
    def snapshot(self) -> Snapshot:
        """Every number currently shown (see :class:`chainviz.core.snapshot.Snapshot`)."""
        return self._state.snap

    @property
    def net(self) -> Net:
        return self._state.net

    @net.setter
    def net(self, net: Net) -> None:
        self._do(lambda s: s.with_net(net))

    @property
    def x(self) -> np.ndarray:
        return self._state.x.copy()

    @x.setter
    def x(self, x) -> None:
        self._do(lambda s: s.with_x(x))

    @property
    def loss(self) -> Loss:
        return self._state.loss

    @loss.setter
    def loss(self, loss) -> None:
        self._do(lambda s: s.with_loss(loss))

    # ------------------------------------------------------------------ API edits (the UI's path)
    def set_weight(self, layer: int, i: int, j: int, value) -> None:
        """``W_layer[i, j] = value`` exactly as typing into that cell does (``value``: a number or text).

        Raises ``ValueError``/``TypeError`` on bad input, with the message the page shows; nothing changes.
        """
        self._do(lambda s: s.with_weight(layer, i, j, value), source=self._cell_source(f"W{layer}", i, j))

    def set_input(self, j: int, value) -> None:
        """``x[j] = value`` exactly as typing into that cell does (see :meth:`set_weight`)."""
        self._do(lambda s: s.with_input(j, value), source=self._cell_source("x", j, 0))

    def set_target(self, i: int, value) -> None:
        """The MSE target ``t[i] = value`` (see :meth:`set_weight`)."""
        self._do(lambda s: s.with_target(i, value), source=self._cell_source("t", i, 0))

    def set_sizes(self, *widths) -> None:
        """Widths ``(n, d_1, ..., d_L)``, as ``set_sizes(3, 4, 2)`` or ``set_sizes((3, 4, 4, 2))``;
        entries that still fit are kept, new ones are random."""
        ws = widths[0] if len(widths) == 1 and not isinstance(widths[0], (int, np.integer)) else widths
        self._do(lambda s: s.resized(ws))

    def set_depth(self, depth: int) -> None:
        """``depth`` layers (1 to 4), keeping n and m."""
        self._do(lambda s: s.with_depth(depth))

    def set_activation(self, layer: int, name: str) -> None:
        """Layer ``layer``'s activation (a name from ``cv.ACTIVATIONS``)."""
        self._do(lambda s: s.with_activation(layer, name))

    def set_activations(self, hidden: str | None = None, output: str | None = None) -> None:
        """Every hidden layer's activation and/or the output layer's."""
        def change(s):
            for where, name in (("hidden activation", hidden), ("output activation", output)):
                if name is not None:
                    get_activation(name, where)  # a wrong name is wrong even where no layer takes it
            L = s.net.depth
            for layer in range(1, L + 1):
                name = output if layer == L else hidden
                if name is not None:
                    s = s.with_activation(layer, name)
            return s
        self._do(change)

    def set_loss(self, name: str, label: int | None = None) -> None:
        """``"mse"`` (keeps its target), ``"sum"`` or ``"softmax_ce"`` with class ``label``."""
        self._do(lambda s: s.with_loss_named(name, label))

    def load_preset(self, name: str) -> None:
        """One of ``cv.examples.PRESETS`` (linear, sigmoid, relu, dead_relu, saturated, …)."""
        self._do(lambda s: s.with_preset(name))

    def randomize(self, seed: int | None = None) -> None:
        """New random weights, input and target (seeded; the next seed when none is given)."""
        self._do(lambda s: s.randomized(seed))

    def reset(self) -> None:
        """Back to the state the explorer was created with."""
        self._do(lambda s: s.reset())

    def set_step(self, step: int | None) -> None:
        """Show the backward sweep after ``step`` factors (``None``: all of it)."""
        self._do(lambda s: s.with_step(step), explanation=None)

    def set_options(self, **options) -> None:
        """``free_limits``, ``show_weight_grads``, ``show_forward``, ``color_limit``, ``theme``."""
        self._do(lambda s: s.with_settings(**options))

    def select(self, band: str, column: str, i: int, j: int) -> str:
        """Select a figure cell as a click does: outline what produces it, explain it, and, for a
        weight, make it the cell the grid and the slider edit. Returns the explanation (HTML)."""
        def pick(s):
            return s.with_selection(band, column, i, j)
        new = self._preview(pick)
        hidden_slots = new.view_options().hidden
        from ..views.panels import revealing
        text = ("That panel is part of the exercise: check your answer first."
                if (band, column) in revealing(new.snap, hidden_slots) else explain(new.snap, band, column, i, j))
        self._do(pick, explanation=text, mark=False)
        grid = self._grids.get(column)
        if band == "top" and grid is not None:
            grid.focus_token += 1  # typing now goes into that cell
        return text

    def _preview(self, transition) -> ChainRuleState:
        try:
            return transition(self._state)
        except (ValueError, TypeError) as exc:
            self._reject(str(exc), None)
            raise

    def _cell_source(self, name: str, i: int, j: int):
        grid = self._grids.get(name)
        if grid is None:
            return None
        r, k = np.shape(grid.cells)[:2] if grid.cells else (0, 0)
        return (grid, i, j) if isinstance(i, (int, np.integer)) and isinstance(j, (int, np.integer)) \
            and 0 <= i < r and 0 <= j < k else None

    # ------------------------------------------------------------------ exercises
    def answer(self, name: str, values) -> None:
        """Type ``values`` into the exercise grid ``name`` (as a learner would)."""
        self._do(lambda s: s.with_answer(name, values), explanation=None)

    def check(self, name: str | None = None) -> dict[str, np.ndarray]:
        """Mark every typed entry right or wrong; a panel is revealed only when all its entries are right.

        Returns ``{name: (r, k) bool array}``; an empty or non-numeric entry is wrong.
        """
        self._do(lambda s: s.checked(name), explanation=None)
        return {q.name: np.array(q.marks, dtype=bool) for q in self._state.quiz if name in (None, q.name)}

    def show_answer(self, name: str) -> None:
        """Reveal the panel of exercise ``name`` on request (it counts as shown, not solved)."""
        self._do(lambda s: s.answer_shown(name), explanation=None)

    # ------------------------------------------------------------------ save, export
    def to_dict(self) -> dict:
        """JSON-safe state (net, x, loss, options, seed); :meth:`from_dict` rebuilds it."""
        return state_to_dict(self._state)

    @classmethod
    def from_dict(cls, d) -> "ChainRuleExplorer":
        """A new explorer from :meth:`to_dict` output (a dict or its JSON text); malformed state
        raises ``ValueError``/``TypeError`` naming the key, before any widget is built."""
        return cls._from_state(state_from_dict(d))

    def to_html(self, path: str | Path, plotlyjs: str = "embed") -> Path:
        """Write a static snapshot (plotly.js embedded) that renders with no kernel and no internet."""
        s = self._state.snap
        chain = " · ".join(f.text for f in s.factors)
        return export.write_html(path, self.figure, title="chainviz — the chain rule, frozen",
                                 heading=html.escape(f"J = ∂y/∂x = {chain}"), note=UI.badge_html(self._state),
                                 plotlyjs=plotlyjs)

    def to_code(self, framework: str = "numpy") -> str:
        """A runnable snippet that rebuilds this net and input and computes J and ∂L/∂x
        (``framework``: ``"numpy"``, ``"torch"`` or ``"jax"``)."""
        return export.code_snippet(self.net, self.x, self.loss, framework)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def _widths_from_text(text: str) -> list[int]:
    """``"3, 4, 2"`` → ``[3, 4, 2]``; a message that says how to type it otherwise."""
    parts = [p for p in str(text).replace(";", ",").replace(" ", ",").split(",") if p]
    out = []
    for p in parts:
        try:
            out.append(int(p))
        except ValueError:
            raise ValueError(f"widths: {p!r} is not a whole number; type them like 3, 4, 2") from None
    return out


__all__ = ["ChainRuleExplorer"]
