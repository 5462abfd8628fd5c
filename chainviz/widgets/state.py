"""The chain-rule explorer's state: a frozen value changed only by pure transitions.

No ipywidgets here: a :class:`ChainRuleState` is the whole truth of an explorer
(net, input, loss, drawing settings, walk-through step, selection, exercises,
colour scale), and every edit — typed, scrubbed, clicked or called — is one
transition that returns a new state or raises ``ValueError``/``TypeError`` with
the message the widget shows, changing nothing. The widget then renders the new
state in one pass. Testable without a browser, a kernel or a widget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..core import examples
from ..core.checks import parse_number
from ..core.losses import MSE, Loss, Sum, as_loss
from ..core.net import Net
from ..core.schema import check_option
from ..core.snapshot import Snapshot
from ..views.chain import Options
from ..views.panels import panels, revealing
from . import quiz as Q
from .quiz import QuizTransitions
from .settings import Settings, check_settings
from .structure import DEFAULT_SIZES, FORWARD_MAX_WIDTH, MAX_GRID, StructureTransitions, \
    check_widths, compute
from .training import TrainingTransitions

def nice_limit(v: float) -> float:
    """The smallest of 1, 2, 5 × 10ᵏ that is at least ``v`` (a colour limit a person can read)."""
    if not (v > 0 and math.isfinite(v)):
        return 1.0
    k = math.floor(math.log10(v))
    for m in (1, 2, 5, 10):
        if m * 10.0**k >= v * (1 - 1e-12):
            return float(m * 10.0**k)
    return float(10.0 ** (k + 1))  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class ChainRuleState(StructureTransitions, QuizTransitions, TrainingTransitions):
    """Everything one explorer shows; see the module docstring. Build with :meth:`create`.

    Attributes
    ----------
    snap : Snapshot
        The core's numbers for ``(net, x, loss)``.
    settings : Settings
    seed : int
    step : int or None
        Factors applied so far in the backward walk-through (``None``: all).
    selection : (band, column, i, j) or None
        The clicked figure cell.
    picked : (name, i, j)
        The cell the scrub slider moves: ``("W1", i, j)``, ``("x", j, 0)`` or ``("t", i, 0)``.
    quiz : tuple of QuizItem
    scale : float
        The shared colour limit in use. It stays put while edits stay inside it (so an
        unchanged cell keeps its colour) and widens, with a note, when a value leaves it.
    note : str
        A sentence about the last transition ('' if none): a preset's point, a scale change.
    initial : (Net, ndarray, Loss)
        What :meth:`reset` returns to.
    width : int
        Pixels the figure may take (measured in the browser).
    page_dark : bool
        Whether the page (JupyterLab) is in a dark theme; :attr:`dark` says what is drawn.
    eta : float
        The learning rate of a gradient step.
    history : tuple of (Net, float)
        The net and its loss before each gradient step taken since the last other change, oldest
        first: what :meth:`undone` goes back to, and the loss curve.
    moved : tuple of (layer, i, j)
        The weights the last step moved most (outlined in the figure).
    trained_from : Net or None
        The net before the first step of this training (what *Reset training* returns to, also
        when the history has forgotten its oldest steps); ``None`` before any step.
    forgotten : int
        How many of this training's oldest steps the history no longer keeps.
    charted : bool
        Whether a gradient step has been taken since the explorer was made: the figure then
        has the loss chart's axes, and keeps them (hidden while the history is empty).
    """

    snap: Snapshot
    settings: Settings
    seed: int = 0
    step: int | None = None
    selection: tuple | None = None
    picked: tuple = ("W1", 0, 0)
    quiz: tuple = ()
    scale: float = 1.0
    note: str = ""
    initial: tuple | None = None
    width: int = 840
    page_dark: bool = False
    eta: float = 0.1
    history: tuple = ()
    moved: tuple = ()
    trained_from: object = None
    forgotten: int = 0
    charted: bool = False

    # -- creation -----------------------------------------------------------------------------
    @classmethod
    def create(cls, net=None, x=None, loss=None, *, sizes=DEFAULT_SIZES, activation: str = "sigmoid",
               seed: int = 0, quiz=None, eta: float = 0.1, **settings) -> "ChainRuleState":
        """A new state: ``net`` (or a net of ``sizes``, the section's example at (3, 4, 2)), ``x``,
        ``loss``, drawing ``settings`` (see :class:`Settings`) and exercises ``quiz``."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be a whole number, got {seed!r}")
        if net is None:
            widths = check_widths(sizes)
            if widths == DEFAULT_SIZES:
                net0 = Net([examples.W1_DEFAULT, examples.W2_DEFAULT], [activation, "identity"])
                x0, loss0 = examples.X_DEFAULT, MSE([0.5, -0.5])
            else:
                net0, x0, loss0 = examples.random_state(widths, int(seed), activation)
            net, x, loss = net0, x0 if x is None else x, loss0 if loss is None else loss
        else:
            x = np.zeros(net.n) if x is None and isinstance(net, Net) else x
            loss = Sum() if loss is None else loss
        snap = compute(net, x, as_loss(loss))
        opts = check_settings(settings, show_forward_default=max(snap.net.widths) <= FORWARD_MAX_WIDTH)
        items = []
        for name in quiz or []:
            items.append(Q.new_item(snap, name))  # an unknown name is a bug in the notebook: raise now
        if len({q.name for q in items}) != len(items):
            raise ValueError(f"quiz names a panel twice: {list(quiz)}")
        width = 1100 if opts.presentation else 840
        state = cls(snap, opts, seed=int(seed), quiz=tuple(items), initial=(snap.net, snap.x, snap.loss), width=width,
                    eta=check_option("eta", eta, "options"))
        return state._rescaled(None)

    # -- what the net is -------------------------------------------------------------------------
    @property
    def net(self) -> Net:
        return self.snap.net

    @property
    def x(self) -> np.ndarray:
        return self.snap.x

    @property
    def loss(self) -> Loss:
        return self.snap.loss

    @property
    def hidden(self) -> frozenset:
        """Slots still hidden by an open exercise."""
        from ..views.panels import quiz_slot

        return frozenset(quiz_slot(self.snap, q.name) for q in self.quiz if q.hidden)

    @property
    def dark(self) -> bool:
        """Whether the figure is drawn dark: the ``theme`` setting, or the page's theme for ``"auto"``."""
        theme = self.settings.theme
        return theme == "dark" or (theme == "auto" and self.page_dark)

    @property
    def grids(self) -> bool:
        """Whether every matrix is small enough to be typed into a grid."""
        return max(self.net.widths) <= MAX_GRID

    def view_options(self, marked: tuple = ()) -> Options:
        """How the views draw this state."""
        s = self.settings
        return Options(free_limits=s.free_limits, color_limit=s.color_limit or self.scale,
                       show_weight_grads=s.show_weight_grads, show_forward=s.show_forward, step=self.step,
                       selected=self.selection, presentation=s.presentation, width=self.width,
                       max_height=560 if s.presentation else None, hidden=self.hidden, marked=marked,
                       dark=self.dark, history=self.losses() if self.history else (),
                       predicted=self.predictions(), charted=self.charted,
                       emphasis=tuple(("top", f"W{l}", i, j) for l, i, j in self.moved))

    # -- the one place a new snapshot comes in ---------------------------------------------------
    def _with_snap(self, snap: Snapshot, *, fresh: bool = False, training: bool = False) -> "ChainRuleState":
        """This state at new numbers. The walk-through step restarts when the factors change (a new
        shape or activation), the selection when the shape changes; the colour scale is fitted
        anew when the shape changes or ``fresh`` (a preset, a reset, new random numbers), and
        otherwise only widens. Any change but a gradient step (``training``) starts the training
        history anew: its losses belong to this net, input and loss."""
        structure = snap.net.widths != self.net.widths or snap.net.activations != self.net.activations
        new = replace(self, snap=snap, note="", moved=(),
                      quiz=tuple(Q.fitted(q, snap) for q in self.quiz))
        if not training:
            new = replace(new, history=(), trained_from=None, forgotten=0)
        if structure:
            new = replace(new, step=None)
        if snap.net.widths != self.net.widths:
            new = replace(new, selection=None, picked=("W1", 0, 0))
            if max(snap.net.widths) > FORWARD_MAX_WIDTH and self.settings.show_forward:
                new = replace(new, settings=replace(new.settings, show_forward=False))
        return new._rescaled(None if fresh or snap.net.widths != self.net.widths else self)

    def _largest_shown(self) -> tuple[float, str]:
        """The largest |value| drawn with the shared scale, and where it is (``"W1[0,0]"``)."""
        P = panels(self.snap)
        hide = revealing(self.snap, self.hidden)
        bands = {"top", "rev"} | ({"fwd"} if self.settings.show_forward else set()) | (
            {"grad"} if self.settings.show_weight_grads else set())
        best, where = 0.0, ""
        for (band, col), p in P.items():
            if band not in bands or (band, col) in hide:
                continue
            z = np.abs(np.atleast_2d(p["z"]))  # a new array: blanks (NaN) may be zeroed in it
            z[np.isnan(z)] = 0.0
            if z.size and z.max() > best:
                i, j = np.unravel_index(int(np.argmax(z)), z.shape)
                best = float(z.max())
                name = p["title"].split("</b>")[0].replace("<b>", "").split(" = ")[0].strip()
                where = f"{name}[{i},{j}]" if z.shape[0] > 1 else f"{name}[{j}]"
        return best, where

    def _rescaled(self, before: "ChainRuleState | None") -> "ChainRuleState":
        if self.settings.color_limit is not None:
            return replace(self, scale=self.settings.color_limit)
        big, where = self._largest_shown()
        if before is None:
            return replace(self, scale=nice_limit(big))
        if big <= before.scale:
            return replace(self, scale=before.scale)
        scale = nice_limit(big)
        note = (f"Colour scale widened from ±{before.scale:g} to ±{scale:g}: {where} is "
                f"{big:.3g} in size. (Reset or 'fit colour scale' narrows it again.)")
        return replace(self, scale=scale, note=note)

    # -- edits of numbers ----------------------------------------------------------------------------
    def with_weight(self, layer: int, i: int, j: int, value) -> "ChainRuleState":
        """``W_layer[i, j] = value``; ``value`` a number or the typed text."""
        if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)) or not 1 <= layer <= self.net.depth:
            raise ValueError(f"layer must be 1 to {self.net.depth}, got {layer!r}")
        v = parse_number(value, f"W{layer}[{i},{j}]")
        return self._with_snap(compute(self.net.with_weight(layer, i, j, v), self.x, self.loss))

    def with_input(self, j: int, value) -> "ChainRuleState":
        """``x[j] = value`` (a number or the typed text)."""
        if not (isinstance(j, (int, np.integer)) and 0 <= j < self.net.n):
            raise ValueError(f"x[{j}] is outside x, which has length {self.net.n}")
        x = self.x.copy()
        x[j] = parse_number(value, f"x[{j}]")
        return self._with_snap(compute(self.net, x, self.loss))

    def with_target(self, i: int, value) -> "ChainRuleState":
        """The MSE target ``t[i] = value``."""
        if not isinstance(self.loss, MSE):
            raise ValueError("the target t belongs to the MSE loss; switch the loss to MSE first")
        if not (isinstance(i, (int, np.integer)) and 0 <= i < self.net.m):
            raise ValueError(f"t[{i}] is outside t, which has length {self.net.m}")
        t = self.loss.target.copy()
        t[i] = parse_number(value, f"t[{i}]")
        return self._with_snap(compute(self.net, self.x, MSE(t)))

    def with_matrix(self, name: str, values, at: tuple[int, int] = (0, 0)) -> "ChainRuleState":
        """A block of ``values`` (numbers or typed text, e.g. a pasted block) written into
        ``name`` (``"W1"``…, ``"x"``, ``"t"``) from cell ``at`` on, all at once."""
        current = self.matrix(name)
        block = np.atleast_2d(np.asarray(values, dtype=object))
        if name in ("x", "t") and block.shape[0] == 1 and block.shape[1] > 1:
            block = block.T  # a vector pasted as one line fills the column
        r0, c0 = at
        if r0 + block.shape[0] > current.shape[0] or c0 + block.shape[1] > current.shape[1]:
            raise ValueError(f"the pasted block is {block.shape[0]}×{block.shape[1]} but {name} is "
                             f"{current.shape[0]}×{current.shape[1]} (from [{r0},{c0}] there is room for "
                             f"{current.shape[0] - r0}×{current.shape[1] - c0})")
        M = current.copy()
        for (i, j), v in np.ndenumerate(block):
            M[r0 + i, c0 + j] = parse_number(v, f"{name}[{r0 + i},{c0 + j}]")
        if name == "x":
            return self._with_snap(compute(self.net, M[:, 0], self.loss))
        if name == "t":
            if not isinstance(self.loss, MSE):
                raise ValueError("the target t belongs to the MSE loss; switch the loss to MSE first")
            return self._with_snap(compute(self.net, self.x, MSE(M[:, 0])))
        layer = int(name[1:])
        Ws = self.net.weights
        Ws[layer - 1] = M
        return self._with_snap(compute(Net(Ws, self.net.activations, self.net._given_biases()), self.x, self.loss))

    def matrix(self, name: str) -> np.ndarray:
        """The editable matrix ``name`` as a 2-D array: ``"W1"``…, or ``"x"``/``"t"`` as one column."""
        if name == "x":
            return self.x[:, None].copy()
        if name == "t":
            if not isinstance(self.loss, MSE):
                raise ValueError("there is no target t: the loss is not MSE")
            return self.loss.target[:, None].copy()
        if name[:1] == "W" and name[1:].isdigit() and 1 <= int(name[1:]) <= self.net.depth:
            return np.array(self.net.weights[int(name[1:]) - 1])
        raise ValueError(f"{name!r} is not an editable matrix here; choose one of "
                         f"{', '.join(self.editable())}")

    def editable(self) -> list[str]:
        """Names of the editable matrices, in written order: ``W_L … W1``, then ``x`` and ``t``."""
        return [f"W{l}" for l in range(self.net.depth, 0, -1)] + ["x"] + (["t"] if isinstance(self.loss, MSE) else [])

    def with_value(self, name: str, i: int, j: int, value) -> "ChainRuleState":
        """One cell of an editable matrix (the scrub slider's path)."""
        if name == "x":
            return self.with_input(i, value)
        if name == "t":
            return self.with_target(i, value)
        self.matrix(name)  # a clear message for an unknown name
        return self.with_weight(int(name[1:]), i, j, value)

    def refit_scale(self) -> "ChainRuleState":
        """The shared colour limit fitted to what is shown now (it may shrink)."""
        return self._rescaled(None)

    # -- how it is drawn -------------------------------------------------------------------------------
    def with_step(self, step) -> "ChainRuleState":
        """The walk-through after ``step`` factors (``None`` or ≥ K: the whole sweep)."""
        K = len(self.snap.factors)
        if step is not None and (isinstance(step, bool) or not isinstance(step, (int, np.integer))):
            raise TypeError(f"step must be a whole number or None, got {step!r}")
        return replace(self, step=None if step is None or step >= K else max(0, int(step)), note="")

    def with_selection(self, band: str, column: str, i: int, j: int) -> "ChainRuleState":
        """Select a figure cell, as a click does; raises if there is no such cell."""
        P = panels(self.snap)
        if (band, column) not in P:
            raise ValueError(f"there is no panel {band}:{column} in this figure")
        r, k = np.atleast_2d(P[(band, column)]["z"]).shape
        if not (0 <= i < r and 0 <= j < k):
            raise ValueError(f"cell [{i},{j}] is outside {band}:{column}, which is {r}×{k}")
        new = replace(self, selection=(band, column, int(i), int(j)), note="")
        if band == "top" and column.startswith("W"):
            new = replace(new, picked=(column, int(i), int(j)))
        return new

    def with_pick(self, name: str, i: int, j: int) -> "ChainRuleState":
        """The cell the scrub slider moves (``"W1"``…, ``"x"``, ``"t"``)."""
        M = self.matrix(name)
        if not (0 <= i < M.shape[0] and 0 <= j < M.shape[1]):
            raise ValueError(f"cell [{i},{j}] is outside {name}, which is {M.shape[0]}×{M.shape[1]}")
        return replace(self, picked=(name, int(i), int(j)))

    def with_settings(self, **changes) -> "ChainRuleState":
        """Drawing settings (see :class:`Settings`), checked exactly as the constructor checks them."""
        merged = check_settings({**self.settings.to_dict(), **changes})
        new = replace(self, settings=merged, note="")
        return new._rescaled(None if merged != self.settings else self)

    def with_width(self, width) -> "ChainRuleState":
        """The pixels the figure may take (from the browser); kept between 320 and 4000."""
        if isinstance(width, bool) or not isinstance(width, (int, float, np.integer, np.floating)) or not math.isfinite(width):
            raise TypeError(f"width must be a number of pixels, got {width!r}")
        return replace(self, width=int(min(max(width, 320), 4000)))

    def with_page_dark(self, dark: bool) -> "ChainRuleState":
        """What the page reports about its theme (it is followed when the ``theme`` setting is ``"auto"``)."""
        return replace(self, page_dark=bool(dark))
