"""ChainRuleExplorer: edit the weights and the input of a small net and watch every factor,
their product J and the backward rows change.

A thin widget over :class:`~chainviz.widgets.state.ChainRuleState`. Every edit — a typed
cell, a pasted block, a slider, a click, an API call — is one transition of the state;
the new state is then rendered in one pass (figure, grids, bars). A transition that fails
changes nothing: the API call raises with the message, the page shows the same message
next to what was edited.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..core.activations import get_activation
from ..core.losses import Loss
from ..core.net import Net
from ..core.snapshot import Snapshot
from ..views import export
from ..views.explain import explain
from . import layout as UI
from .base import Explorer
from .page import ExplorerPage
from .state import ChainRuleState
from .saved import state_from_dict, state_to_dict

class ChainRuleExplorer(ExplorerPage, Explorer):
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
        self._code = ""  # the "Copy as code" line, shown until the next edit
        self._playing = False  # the backward sweep's Play
        self._training = False  # Train: one gradient step per tick
        self._speed = 2  # training steps per second
        self._reach = (None, 3.0)  # (picked cell, its slider's reach)
        self._mark_token = 0
        self._marked = ()  # grid cells outlined as changed by the last edit
        self._tables_shown = False  # "numbers as tables": the text alternative shown to everyone
        self._build()
        self._render(None, figure=True)

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
        """Widths ``(n, d_1, ..., d_L)``, as ``set_sizes(3, 4, 2)``, ``set_sizes((3, 4, 4, 2))``, any
        vector (an ``np.matrix`` row or column too) or text ``"3, 4, 2"`` read as the Widths field reads
        it (:func:`chainviz.core.checks.width_entries`); entries that still fit are kept, new ones are
        random."""
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
        weight, make it the cell the grid and the slider edit. Returns the explanation (HTML).

        Raises ``ValueError`` (shown too) for a cell outside every panel.
        """
        text = self._select_cell(band, column, i, j, raises=True)
        grid = self._grids.get(column)
        if band == "top" and grid is not None:
            grid.focus_token += 1  # typing now goes into that cell
        return text

    def _select_cell(self, band: str, column: str, i: int, j: int, raises: bool = False, moving: bool = False) -> str:
        def pick(s):
            return s.with_selection(band, column, i, j)
        try:
            new = pick(self._state)
        except (ValueError, TypeError) as exc:
            self._reject(str(exc), None)
            if raises:
                raise
            return ""
        from ..views.panels import revealing
        secret = revealing(new.snap, new.hidden)
        text = ("That panel is part of the exercise: check your answer first."
                if (band, column) in secret else explain(new.snap, band, column, i, j, secret))
        self._do(pick, explanation=text if not (moving and self.error) else None, mark=False, raises=raises,
                 moving=moving)
        return text

    def _cell_source(self, name: str, i: int, j: int):
        grid = self._grids.get(name)
        if grid is None:
            return None
        r, k = np.shape(grid.cells)[:2] if grid.cells else (0, 0)
        return (grid, i, j) if isinstance(i, (int, np.integer)) and isinstance(j, (int, np.integer)) \
            and 0 <= i < r and 0 <= j < k else None

    # ------------------------------------------------------------------ gradient descent
    @property
    def eta(self) -> float:
        """The learning rate η of :meth:`step` and :meth:`train` (finite, 0 < η ≤ 10)."""
        return self._state.eta

    @eta.setter
    def eta(self, eta: float) -> None:
        self._do(lambda s: s.with_eta(eta), explanation=None)

    def step(self, eta: float | None = None) -> None:
        """One gradient step, as the Step button takes it: every ``W_l ← W_l − η·∂L/∂W_l`` at once.

        Raises ``ValueError`` (nothing changed) if η is out of range or the step would make
        anything non-finite.
        """
        self._do(lambda s: s.stepped(eta), explanation=None)

    def train(self, steps: int, eta: float | None = None) -> None:
        """Up to ``steps`` gradient steps; stops early, with a note, when the loss grows 3 steps in a
        row or a step would leave the finite numbers (the last finite state is kept)."""
        self._do(lambda s: s.trained(steps, eta), explanation=None)

    def undo(self) -> None:
        """Back one gradient step, to exactly the weights before it."""
        self._do(lambda s: s.undone(), explanation=None)

    @property
    def history(self) -> list[dict]:
        """The training so far, one dict per step and one for now: ``{"step", "loss", "net",
        "predicted"}`` (``predicted``: the first-order prediction of this loss made before the
        step, ``None`` for the start). Any change but a step starts a new history."""
        s = self._state
        nets = [h[0] for h in s.history] + [s.net]
        preds = (None,) + s.predictions()
        return [dict(step=k, loss=L, net=net, predicted=p) for k, (L, net, p) in enumerate(zip(s.losses(), nets, preds))]

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
                                 heading=f"J = ∂y/∂x = {chain}", note=UI.badge_html(self._state),
                                 plotlyjs=plotlyjs)

    def to_code(self, framework: str = "numpy") -> str:
        """A runnable snippet that rebuilds this net and input and computes J and ∂L/∂x
        (``framework``: ``"numpy"``, ``"torch"`` or ``"jax"``)."""
        return export.code_snippet(self.net, self.x, self.loss, framework)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


__all__ = ["ChainRuleExplorer"]
