"""ChainRuleExplorer: edit W1, W2 and x of a two-layer net and watch every factor,
their product and the backward rows change.

State lives here (net, x, loss and drawing options); the numbers come from
:func:`chainviz.snapshot.snapshot` and the figure from
:func:`chainviz.views.chain.figure_spec`. Every edit, from a cell, a control or
the API, takes one path: build the new state, compute its snapshot (which
raises on anything invalid, before anything changes), then send one batched
figure update.
"""

from __future__ import annotations

import html
import json
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import ipywidgets as W
import numpy as np

from ..core import examples
from ..core.checks import parse_number
from ..core.activations import ACTIVATIONS
from ..core.losses import MSE, Loss, SoftmaxCrossEntropy, Sum, as_loss, loss_from_dict
from ..core.net import Net, two_layer
from ..core.snapshot import Snapshot, snapshot
from ..views import chain as view
from ..views import export
from ..core.notation import fmt
from .base import CSS, Explorer, is_echo
from .editors import CellPicker, MatrixEditor

QUIZ_TOLERANCE = 0.01  # an answer within ±0.01 of the true value counts as right
MAX_GRID = 8  # sizes up to this are edited in grids; larger ones by scrubbing only
MAX_SIZE = 256
LOSS_CHOICES = [("MSE  ½‖y − t‖²", "mse"), ("Sum  Σ yᵢ", "sum"), ("Softmax cross-entropy", "softmax_ce")]


def random_state(sizes: Sequence[int], seed: int, activation: str = "sigmoid") -> tuple[Net, np.ndarray, Loss]:
    """A random net, input and MSE target of ``sizes = (n, h, m)``, rounded to one decimal
    so every number on screen can be checked by hand."""
    n, h, m = sizes
    rng = np.random.default_rng(seed)
    W1 = np.round(rng.normal(0, 1.2 / np.sqrt(n), (h, n)), 1)
    W2 = np.round(rng.normal(0, 1.2 / np.sqrt(h), (m, h)), 1)
    x = np.round(rng.uniform(-1, 1, n), 1)
    t = np.round(rng.uniform(-1, 1, m), 1)
    return two_layer(W1, W2, activation), x, MSE(t)


def _order_of(err: float) -> str:
    """``1.7e-10`` -> ``'≤ 1e-09'``: the check's size, steady while it stays small, so the
    badge does not flicker (or send a message) on every edit."""
    if err == 0:
        return "= 0"
    return f"≤ {10.0 ** np.ceil(np.log10(err)):.0e}" if err < 1e-6 else f"= {err:.1e}"


def _forward_fits(net: Net) -> bool:
    """Whether forward mode's d×n carries are worth drawing: above width 32 they are
    thousands of cells each (65,536 at 256), slow to send and impossible to read.
    The band can still be switched on."""
    return max(net.widths) <= 32


def _check_sizes(sizes) -> tuple[int, int, int]:
    try:
        n, h, m = (int(s) for s in sizes)
    except (TypeError, ValueError):
        raise ValueError(f"sizes must be three whole numbers (n, h, m), got {sizes!r}") from None
    for name, v in zip("nhm", (n, h, m)):
        if not 1 <= v <= MAX_SIZE:
            raise ValueError(f"size {name} is {v}: it must be between 1 and {MAX_SIZE}")
    return n, h, m


class ChainRuleExplorer(Explorer):
    """Edit a two-layer net and see the chain rule: factors, J, reverse rows, forward carries.

    Parameters
    ----------
    net : Net, optional
        A two-layer net (``W1`` ``(h, n)``, ``W2`` ``(m, h)``); default: the section's
        example at ``sizes=(3, 4, 2)``, else a seeded random net.
    x : array_like ``(n,)``, optional
    loss : Loss, optional
        Default ``MSE`` with a fixed target.
    sizes : (n, h, m)
        Used when ``net`` is not given; 1–8 are edited in grids, up to 256 by scrubbing.
    activation : str
        Hidden activation when ``net`` is not given.
    seed : int
        For Randomize and for random defaults.
    presentation : bool
        Larger type and a fixed colour scale, for slides.
    color_limit : float, optional
        Fixed symmetric colour limit (default 2 in presentation mode, else from the data).
    quiz : list of str, optional
        Exercise mode: panels to hide and ask for, from ``"J"``, ``"D1"``, ``"D2"`` (a slope
        factor's diagonal) and rows ``"dL/dy"``, ``"dL/dz2"``, ``"dL/da1"``, ``"dL/dz1"``,
        ``"dL/dx"``. Each shows an empty grid of the right shape; Check marks every typed
        entry right or wrong (within ±``QUIZ_TOLERANCE``) and reveals the panel.

    Attributes
    ----------
    figure : plotly.graph_objects.FigureWidget
        The one figure holding every panel.
    error : str
        ``''`` or the message shown for the last rejected edit.
    """

    def __init__(self, net: Net | None = None, x=None, loss: Loss | None = None, *,
                 sizes: Sequence[int] = (3, 4, 2), activation: str = "sigmoid", seed: int = 0,
                 presentation: bool = False, color_limit: float | None = None,
                 quiz: Sequence[str] | None = None):
        super().__init__()
        self._seed = int(seed)
        if net is None:
            sizes = _check_sizes(sizes)
            if sizes == (3, 4, 2):
                net = two_layer(examples.W1_DEFAULT, examples.W2_DEFAULT, activation)
                x0, loss0 = examples.X_DEFAULT, MSE([0.5, -0.5])
            else:
                net, x0, loss0 = random_state(sizes, self._seed, activation)
            x = x0 if x is None else x
            loss = loss0 if loss is None else loss
        else:
            x = np.zeros(net.n) if x is None else x
            loss = Sum() if loss is None else loss
        snap = self._compute(net, x, as_loss(loss))  # raises here: a bad constructor argument is a bug to see
        self._initial = (snap.net, snap.x, snap.loss)
        self._snap = snap
        # slides: big type, a fixed scale (colours comparable across edits), forward band on demand
        self._opts = view.Options(presentation=presentation, show_forward=not presentation and _forward_fits(snap.net),
                                  width=1100 if presentation else 840,
                                  color_limit=color_limit if color_limit is not None else (2.0 if presentation else None))
        self._selected_cell = None  # ("W1", i, j) / ("x", j, 0) / ("t", i, 0): what the slider scrubs
        self._quiz = {}
        for name in quiz or []:
            slot = view.quiz_slot(snap, name)  # an unknown name is a bug in the notebook: raise now
            self._quiz[name] = dict(slot=slot, editor=None, checked=False)
        self._opts = replace(self._opts, hidden=frozenset(q["slot"] for q in self._quiz.values()))
        self._build_controls()
        self._init_figure(view.figure_spec(snap, self._opts))
        for trace in self.figure.data:
            trace.on_click(self.guarded(self._on_figure_click))
        self._sync_controls()
        self.widget = self._layout()
        if presentation:
            self.widget.add_class("cv-presentation")

    # ------------------------------------------------------------------ state
    @staticmethod
    def _compute(net: Net, x, loss: Loss) -> Snapshot:
        if not isinstance(net, Net):
            raise TypeError(f"net must be a chainviz Net, got {type(net).__name__}")
        if net.depth != 2:
            raise ValueError(f"ChainRuleExplorer shows two-layer nets; this net has {net.depth} layers")
        if max(net.widths) > MAX_SIZE:
            raise ValueError(f"sizes up to {MAX_SIZE} are supported; this net has widths {net.widths}")
        return snapshot(net, x, loss)

    @property
    def net(self) -> Net:
        return self._snap.net

    @net.setter
    def net(self, net: Net) -> None:
        def make():
            if not isinstance(net, Net):  # before net.n / net.m below
                raise TypeError(f"net must be a chainviz Net, got {type(net).__name__}")
            return self._compute(net, self._fit_x(net), self._fit_loss(net.m))

        self._edit(make, resized=True)

    @property
    def x(self) -> np.ndarray:
        return self._snap.x.copy()

    @x.setter
    def x(self, x) -> None:
        self._edit(lambda: self._compute(self.net, x, self.loss))

    @property
    def loss(self) -> Loss:
        return self._snap.loss

    @loss.setter
    def loss(self, loss) -> None:
        self._edit(lambda: self._compute(self.net, self.x, as_loss(loss)))

    @property
    def snapshot(self) -> Snapshot:
        """Every number currently shown (see :class:`chainviz.snapshot.Snapshot`)."""
        return self._snap

    def _fit_x(self, net: Net) -> np.ndarray:
        x = np.zeros(net.n)
        k = min(net.n, self._snap.x.size)
        x[:k] = self._snap.x[:k]
        return x

    def _fit_loss(self, m: int) -> Loss:
        loss = self.loss
        if isinstance(loss, MSE):
            t = np.zeros(m)
            k = min(m, loss.target.size)
            t[:k] = loss.target[:k]
            return MSE(t)
        if isinstance(loss, SoftmaxCrossEntropy):
            return SoftmaxCrossEntropy(min(loss.label, m - 1))
        return loss

    def _edit(self, make, *, resized: bool = False, cell=None) -> bool:
        """The one path of every edit: compute the new snapshot (may raise), then show it.

        On failure nothing changes but the status line (and the offending cell's mark).
        """
        try:
            snap = make()
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            self._show_error(str(exc))
            if cell is not None:
                editor, i, j = cell
                editor.mark(i, j, str(exc))
            return False
        except Exception as exc:  # our own bug: still on screen, never swallowed by the kernel
            self._show_error(f"internal error ({type(exc).__name__}): {exc}")
            return False
        shape_changed = snap.net.widths != self._snap.net.widths
        structure_changed = shape_changed or snap.net.activations != self._snap.net.activations
        last = (self._snap, self._opts, self._selected_cell)
        self._snap = snap
        if structure_changed and self._opts.step is not None:
            self._opts = replace(self._opts, step=None)
        if shape_changed:
            self._opts = replace(self._opts, selected=None)
            if not _forward_fits(snap.net):
                self._opts = replace(self._opts, show_forward=False)
            self._selected_cell = None
        try:
            self._redraw()
        except Exception as exc:  # a bug in the views: keep the state the figure still shows
            self._snap, self._opts, self._selected_cell = last
            try:
                self._redraw()
            except Exception:
                pass
            self._show_error(f"internal error ({type(exc).__name__}): {exc}")
            return False
        if cell is not None:
            editor, i, j = cell
            editor.show_value(i, j, self._cell_value(editor, i, j))
        if resized or structure_changed or cell is None:
            self._sync_controls()
        else:
            self._sync_scrub()
        self._show_ok()
        return True

    def _redraw(self) -> None:
        self._refresh_quiz()
        self._apply(view.figure_spec(self._snap, self._opts))
        self._update_equation()

    # ------------------------------------------------------------------ API edits
    def set_weight(self, layer: int, i: int, j: int, value) -> bool:
        """Set ``W_layer[i, j]`` exactly as typing into that cell does.

        ``value`` may be a number or the typed text. Returns whether it was
        accepted; if not, :attr:`error` says why and nothing else changes.
        """
        editor = {1: self._W1, 2: self._W2}.get(layer)
        where = f"W{layer}[{i},{j}]"

        def make():
            if editor is None:
                raise ValueError(f"layer must be 1 or 2, got {layer!r}")
            v = parse_number(value, where)
            return self._compute(self.net.with_weight(layer, i, j, v), self.x, self.loss)

        in_grid = editor is not None and i < editor.shape[0] and j < editor.shape[1] and editor.shape[0] > 0
        return self._edit(make, cell=(editor, i, j) if in_grid and self._grids_enabled() else None)

    def set_input(self, j: int, value) -> bool:
        """Set ``x[j]`` exactly as typing into that cell does (see :meth:`set_weight`)."""

        def make():
            if not 0 <= j < self.net.n:
                raise ValueError(f"x[{j}] is outside x, which has length {self.net.n}")
            x = self.x
            x[j] = parse_number(value, f"x[{j}]")
            return self._compute(self.net, x, self.loss)

        in_grid = 0 <= j < self.net.n and self._grids_enabled()
        return self._edit(make, cell=(self._x_editor, j, 0) if in_grid else None)

    def set_target(self, i: int, value) -> bool:
        """Set the MSE target ``t[i]`` (see :meth:`set_weight`)."""

        def make():
            if not isinstance(self.loss, MSE):
                raise ValueError("the target t belongs to the MSE loss; switch the loss to MSE first")
            if not 0 <= i < self.net.m:
                raise ValueError(f"t[{i}] is outside t, which has length {self.net.m}")
            t = self.loss.target.copy()
            t[i] = parse_number(value, f"t[{i}]")
            return self._compute(self.net, self.x, MSE(t))

        in_grid = isinstance(self.loss, MSE) and 0 <= i < self.net.m and self._grids_enabled()
        return self._edit(make, cell=(self._t_editor, i, 0) if in_grid else None)

    def set_sizes(self, n: int, h: int, m: int) -> bool:
        """Resize to ``(n, h, m)``, keeping the entries that still fit; new ones are random."""

        def make():
            sizes = _check_sizes((n, h, m))
            net0, x0, _ = random_state(sizes, self._seed, self.net.activations[0])
            Ws = [np.array(w) for w in net0.weights]
            for new, old in zip(Ws, self.net.weights):
                r, k = min(new.shape[0], old.shape[0]), min(new.shape[1], old.shape[1])
                new[:r, :k] = old[:r, :k]
            x = np.array(x0)
            k = min(sizes[0], self.net.n)
            x[:k] = self.x[:k]
            net = Net(Ws, self.net.activations)
            return self._compute(net, x, self._fit_loss(sizes[2]))

        return self._edit(make, resized=True)

    def set_activations(self, hidden: str | None = None, output: str | None = None) -> bool:
        """Switch the hidden and/or output activation (names from ``cv.ACTIVATIONS``)."""
        a1, a2 = self.net.activations
        acts = [hidden or a1, output or a2]
        return self._edit(lambda: self._compute(self.net.with_activations(acts), self.x, self.loss))

    def set_loss(self, name: str, label: int | None = None) -> bool:
        """Switch the loss: ``"mse"`` (keeps its target), ``"sum"`` or ``"softmax_ce"`` with ``label``."""

        def make():
            if name == "mse":
                loss = self.loss if isinstance(self.loss, MSE) else MSE(np.zeros(self.net.m))
            elif name == "sum":
                loss = Sum()
            elif name == "softmax_ce":
                lab = label if label is not None else getattr(self.loss, "label", 0)
                loss = SoftmaxCrossEntropy(lab)
            else:
                raise ValueError(f"loss {name!r} is not known; choose one of: mse, sum, softmax_ce")
            return self._compute(self.net, self.x, loss)

        return self._edit(make)

    def load_preset(self, name: str) -> bool:
        """Load one of :data:`chainviz.examples.PRESETS` (linear, sigmoid, relu, dead_relu, saturated, …)."""

        def make():
            if name not in examples.PRESETS:
                raise ValueError(f"preset {name!r} is not known; choose one of: {', '.join(examples.PRESETS)}")
            p = examples.PRESETS[name]
            return self._compute(p.net, p.x, p.loss)

        ok = self._edit(make, resized=True)
        if ok:
            self._show_ok(examples.PRESETS[name].note)
        return ok

    def randomize(self, seed: int | None = None) -> bool:
        """New random weights, input and target for the current sizes (seeded)."""
        if seed is not None:
            self._seed = int(seed)
        net, x, loss = random_state(self.net.widths, self._seed, self.net.activations[0])
        net = net.with_activations(self.net.activations)
        keep = loss if isinstance(self.loss, MSE) else self.loss
        return self._edit(lambda: self._compute(net, x, keep), resized=True)

    def reset(self) -> bool:
        """Back to the state the explorer was created with."""
        net, x, loss = self._initial
        return self._edit(lambda: self._compute(net, x, loss), resized=True)

    def set_step(self, step: int | None) -> None:
        """Show the backward sweep after ``step`` factors (``None`` or ``K``: all of it)."""
        K = len(self._snap.factors)
        step = None if step is None or step >= K else max(0, int(step))
        self._opts = replace(self._opts, step=step)
        self._redraw()
        if self._step.value != (K if step is None else step):
            self._syncing_step = True
            self._step.value = K if step is None else step
            self._syncing_step = False

    def set_options(self, *, free_limits: bool | None = None, show_weight_grads: bool | None = None,
                    show_forward: bool | None = None) -> None:
        """Free the colour limits per panel, show the ∂L/∂W band, show or hide the forward-mode band."""
        changes = {k: v for k, v in dict(free_limits=free_limits, show_weight_grads=show_weight_grads,
                                         show_forward=show_forward).items() if v is not None}
        self._opts = replace(self._opts, **changes)
        self._redraw()

    def select(self, band: str, column: str, i: int, j: int) -> None:
        """Select a cell as a click does: highlight what produces it and explain it.

        A cell outside every panel selects nothing: :attr:`error` says why.
        """
        panel = view.panels(self._snap).get((band, column))
        if panel is None:
            self._show_error(f"there is no panel {band}:{column} in this figure")
            return
        r, k = np.atleast_2d(panel["z"]).shape
        if not (0 <= i < r and 0 <= j < k):
            self._show_error(f"cell [{i},{j}] is outside {band}:{column}, which is {r}×{k}")
            return
        self._opts = replace(self._opts, selected=(band, column, i, j))
        self._redraw()
        hidden = view.revealing(self._snap, self._opts.hidden)
        self._explain.value = ("<i>That panel is part of the exercise: check your answer first.</i>"
                               if (band, column) in hidden else self._explanation(band, column, i, j))
        if (band, column) in (("top", "W1"), ("top", "W2")):
            self._picker.select(column, i, j)

    # ------------------------------------------------------------------ exercises
    def answer(self, name: str, values) -> None:
        """Type ``values`` into the exercise grid ``name`` (as a learner would)."""
        q = self._quiz_item(name)
        M = np.atleast_2d(np.asarray(values, dtype=object))
        ed = q["editor"]
        if M.shape != ed.shape:
            raise ValueError(f"quiz {name!r} expects {ed.shape[0]}×{ed.shape[1]} values, got {M.shape[0]}×{M.shape[1]}")
        for i, row in enumerate(ed.cells):
            for j, t in enumerate(row):
                t.value = str(M[i, j])

    def check(self, name: str | None = None) -> dict[str, np.ndarray]:
        """Mark every typed entry right or wrong and reveal the panel(s).

        Returns ``{name: (r, k) bool array}``; an empty or non-numeric entry is wrong.
        """
        names = [name] if name is not None else list(self._quiz)
        results = {}
        for nm in names:
            q = self._quiz_item(nm)
            truth = view.quiz_answer(self._snap, q["slot"])
            ed = q["editor"]
            ok = np.zeros(truth.shape, dtype=bool)
            for i, row in enumerate(ed.cells):
                for j, t in enumerate(row):
                    try:
                        v = parse_number(t.value, f"{nm}[{i},{j}]")
                        ok[i, j] = abs(v - truth[i, j]) <= QUIZ_TOLERANCE
                    except ValueError:
                        ok[i, j] = False
                    t.remove_class("cv-bad" if ok[i, j] else "cv-good")
                    t.add_class("cv-good" if ok[i, j] else "cv-bad")
                    t.tooltip = "right" if ok[i, j] else f"the value is {fmt(truth[i, j], 4)}"
            q["checked"] = True
            results[nm] = ok
            q["result"].value = (f"<b>{int(ok.sum())} of {ok.size} right</b> (within ±{QUIZ_TOLERANCE:g}); "
                                 "the panel is revealed above.")
        self._opts = replace(self._opts, hidden=frozenset(q["slot"] for q in self._quiz.values() if not q["checked"]))
        self._redraw()
        return results

    def _quiz_item(self, name: str) -> dict:
        if name not in self._quiz:
            raise ValueError(f"{name!r} is not in this exercise; it asks for: {', '.join(self._quiz) or 'nothing'}")
        return self._quiz[name]

    def _build_quiz(self) -> W.Widget:
        if not self._quiz:
            return W.VBox()
        boxes = []
        for name, q in self._quiz.items():
            truth = view.quiz_answer(self._snap, q["slot"])
            label = {"D1": "diagonal of D1 = diag(σ′(z₁))", "D2": "diagonal of D2 = diag(σ′(z₂))"}.get(name, name)
            q["editor"] = MatrixEditor(label, np.full(truth.shape, np.nan), lambda i, j, t: None)
            for row in q["editor"].cells:
                for t in row:
                    t.value = ""
            q["result"] = W.HTML()
            check = W.Button(description=f"Check {name}", button_style="info")
            check.on_click(self.guarded(lambda _, nm=name: self.check(nm)))
            boxes.append(W.VBox([q["editor"].widget, W.HBox([check, q["result"]])]))
        head = W.HTML(f"<b>Exercise.</b> Some panels are hidden. Compute them by hand and type them here; "
                      f"an entry within ±{QUIZ_TOLERANCE:g} counts as right.")
        return W.VBox([head, W.HBox(boxes, layout=W.Layout(flex_flow="row wrap"))],
                      layout=W.Layout(border="2px dashed #ff9f00", padding="6px", margin="6px 0"))

    def _refresh_quiz(self) -> None:
        # keep each exercise grid the shape of what it asks for, if an edit resized the net
        for name, q in self._quiz.items():
            ed = q.get("editor")
            if ed is None:
                continue
            try:
                q["slot"] = view.quiz_slot(self._snap, name)
                shape = view.quiz_answer(self._snap, q["slot"]).shape
            except ValueError as exc:
                q["result"].value = f"<i>{html.escape(str(exc))}</i>"
                continue
            if ed.shape != shape:
                ed.set_values(np.full(shape, np.nan))
                for row in ed.cells:
                    for t in row:
                        t.value = ""

    # ------------------------------------------------------------------ save, export
    def to_dict(self) -> dict:
        """JSON-safe state: net, x, loss and options."""
        return {
            "chainviz": "ChainRuleExplorer",
            "version": 1,
            "net": self.net.to_dict(),
            "x": self.x.tolist(),
            "loss": self.loss.to_dict(),
            "options": {"free_limits": self._opts.free_limits, "show_weight_grads": self._opts.show_weight_grads,
                        "show_forward": self._opts.show_forward,
                        "presentation": self._opts.presentation, "color_limit": self._opts.color_limit},
            "seed": self._seed,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "ChainRuleExplorer":
        """A new explorer from :meth:`to_dict` output; malformed state raises ``ValueError``."""
        if isinstance(d, str):
            try:
                d = json.loads(d)
            except json.JSONDecodeError as exc:
                raise ValueError(f"saved state is not valid JSON: {exc}") from None
        if not isinstance(d, dict):
            raise ValueError(f"saved state must be a dict, got {type(d).__name__}")
        for key in ("net", "x", "loss"):
            if key not in d:
                raise ValueError(f"saved state lacks {key!r}")
        net = Net.from_dict(d["net"])
        loss = loss_from_dict(d["loss"])
        opts = d.get("options") or {}
        if not isinstance(opts, dict):
            raise ValueError("saved 'options' must be a dict")
        limit = opts.get("color_limit")
        if limit is not None and not (isinstance(limit, (int, float)) and np.isfinite(limit) and limit > 0):
            raise ValueError(f"saved color_limit must be a positive number, got {limit!r}")
        seed = d.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise ValueError(f"saved seed must be an integer, got {seed!r}")
        cls._compute(net, d["x"], loss)  # validate before building any widget
        app = cls(net, d["x"], loss, seed=seed, presentation=bool(opts.get("presentation", False)),
                  color_limit=limit)
        app.set_options(free_limits=bool(opts.get("free_limits", False)),
                        show_weight_grads=bool(opts.get("show_weight_grads", False)),
                        show_forward=bool(opts.get("show_forward", True)))
        app._sync_controls()
        return app

    def to_html(self, path: str | Path, plotlyjs: str = "embed") -> Path:
        """Write a static snapshot (plotly.js embedded) that renders with no kernel and no internet."""
        return export.write_html(path, self.figure, title="chainviz — the chain rule, frozen",
                                 heading=self._equation_text(), note=self._badge_text(), plotlyjs=plotlyjs)

    def to_code(self, framework: str = "numpy") -> str:
        """A runnable snippet that rebuilds this net and input and computes J and ∂L/∂x.

        ``framework`` is ``"numpy"``, ``"torch"`` or ``"jax"``.
        """
        return export.code_snippet(self.net, self.x, self.loss, framework)

    # ------------------------------------------------------------------ controls
    def _grids_enabled(self) -> bool:
        return max(self.net.widths) <= MAX_GRID

    def _build_controls(self) -> None:
        g = self.guarded
        snap = self._snap
        n, h, m = snap.net.widths
        small = W.Layout(width="150px")
        self._preset = W.Dropdown(options=[("— preset —", "")] + [(p.title, k) for k, p in examples.PRESETS.items()],
                                  value="", description="Preset", layout=W.Layout(width="270px"))
        self._n = W.BoundedIntText(value=n, min=1, max=MAX_GRID, description="n", layout=W.Layout(width="110px"))
        self._h = W.BoundedIntText(value=h, min=1, max=MAX_GRID, description="h", layout=W.Layout(width="110px"))
        self._m = W.BoundedIntText(value=m, min=1, max=MAX_GRID, description="m", layout=W.Layout(width="110px"))
        for wdg in (self._n, self._h, self._m):
            wdg.style.description_width = "18px"
        acts = list(ACTIVATIONS)
        self._act1 = W.Dropdown(options=acts, description="σ₁", layout=small)
        self._act2 = W.Dropdown(options=acts, description="σ₂", layout=small)
        for wdg in (self._act1, self._act2):
            wdg.style.description_width = "24px"
        self._loss_kind = W.Dropdown(options=LOSS_CHOICES, description="Loss", layout=W.Layout(width="260px"))
        self._loss_kind.style.description_width = "40px"
        self._label = W.BoundedIntText(value=0, min=0, max=max(0, m - 1), description="label",
                                       layout=W.Layout(width="120px"))
        self._label.style.description_width = "40px"
        self._seed_box = W.IntText(value=self._seed, description="seed", layout=W.Layout(width="120px"))
        self._seed_box.style.description_width = "36px"
        # text, not icons: Voilà loads its icon font from a CDN, and lecture halls are offline
        self._randomize = W.Button(description="⟳ Randomize", layout=W.Layout(width="120px"))
        self._reset = W.Button(description="↺ Reset", layout=W.Layout(width="90px"))
        self._free = W.Checkbox(value=False, description="own colour scale per panel", indent=False)
        self._grads = W.Checkbox(value=False, description="show ∂L/∂W1, ∂L/∂W2", indent=False)
        self._forward = W.Checkbox(value=True, description="show forward mode", indent=False)

        # grids are built only for sizes a person can type into; larger nets are scrubbed
        grid = (lambda v: v) if self._grids_enabled() else (lambda v: np.zeros((1, 1)))
        self._W1 = MatrixEditor("W1", grid(snap.net.weights[0]), g(lambda i, j, t: self.set_weight(1, i, j, t)))
        self._W2 = MatrixEditor("W2", grid(snap.net.weights[1]), g(lambda i, j, t: self.set_weight(2, i, j, t)))
        self._x_editor = MatrixEditor("x", grid(snap.x), g(lambda i, j, t: self.set_input(i, t)), column=True)
        self._t_editor = MatrixEditor("t", grid(np.zeros(m)), g(lambda i, j, t: self.set_target(i, t)), column=True)
        self._too_big = W.HTML()

        self._picker = CellPicker(g(self._on_pick))
        self._scrub = W.FloatSlider(min=-3, max=3, step=0.01, continuous_update=True, readout_format=".2f",
                                    layout=W.Layout(width="300px"))

        K = len(snap.factors)
        # Play starts at K (everything shown) so linking it does not reset the view
        self._play = W.Play(min=0, max=K, value=K, step=1, interval=1200, description="play the backward sweep")
        self._step = W.IntSlider(min=0, max=K, value=K, description="backward step", readout=True,
                                 continuous_update=True, layout=W.Layout(width="340px"))
        self._step.style.description_width = "100px"
        W.jslink((self._play, "value"), (self._step, "value"))
        self._back = W.Button(description="◀", tooltip="one multiplication back", layout=W.Layout(width="44px"))
        self._fwd = W.Button(description="▶", tooltip="one multiplication further", layout=W.Layout(width="44px"))
        self._syncing_step = False
        self._syncing = False

        self._quiz_box = self._build_quiz()
        self._equation = W.HTMLMath()
        self._badge = W.HTML()
        self._explain = W.HTML(value="<i>Click any cell of the figure to see how it is computed.</i>")

        self._preset.observe(g(self._on_preset), names=["value"])
        for wdg in (self._n, self._h, self._m):
            wdg.observe(g(self._on_sizes), names=["value"])
        self._act1.observe(g(self._on_activation), names=["value"])
        self._act2.observe(g(self._on_activation), names=["value"])
        self._loss_kind.observe(g(self._on_loss), names=["value"])
        self._label.observe(g(self._on_loss), names=["value"])
        self._randomize.on_click(g(lambda _: self.randomize(self._seed_box.value)))
        self._reset.on_click(g(lambda _: self.reset()))
        self._free.observe(g(lambda ch: self.set_options(free_limits=ch["new"])), names=["value"])
        self._grads.observe(g(lambda ch: self.set_options(show_weight_grads=ch["new"])), names=["value"])
        self._forward.observe(g(lambda ch: self.set_options(show_forward=ch["new"])), names=["value"])
        self._scrub.observe(g(self._on_scrub), names=["value"])
        self._step.observe(g(self._on_step), names=["value"])
        self._play.observe(g(self._on_play), names=["playing"])
        self._back.on_click(g(lambda _: setattr(self._step, "value", max(0, self._step.value - 1))))
        self._fwd.on_click(g(lambda _: setattr(self._step, "value", min(self._step.max, self._step.value + 1))))

    def _layout(self) -> W.VBox:
        row = dict(flex_flow="row wrap", align_items="center")
        stepper = W.HBox([self._play, self._back, self._step, self._fwd], layout=W.Layout(align_items="center"))
        scrub = W.VBox([W.HTML("<b>scrub a cell</b> (or click it in the figure)"), self._picker.widget, self._scrub,
                        self._too_big])
        self._editors = W.HBox([self._W1.widget, self._W2.widget, self._x_editor.widget, self._t_editor.widget, scrub],
                               layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))
        equation = W.HBox([self._equation, self._badge], layout=W.Layout(align_items="center"))
        if self._opts.presentation:
            # one 1280×720 slide: two control rows and the figure; click a cell, drag the slider.
            # The typed editors and the rarer controls fold away under "more".
            self._step.description = "step"
            self._step.style.description_width = "40px"
            self._step.layout.width = "240px"
            self._scrub.layout.width = "260px"
            row1 = W.HBox([self._preset, self._act1, self._act2, self._picker.widget, self._scrub],
                          layout=W.Layout(**row))
            row2 = W.HBox([stepper, self._forward, self._free], layout=W.Layout(**row))
            more = W.Accordion([W.VBox([
                W.HBox([self._n, self._h, self._m, self._loss_kind, self._label], layout=W.Layout(**row)),
                W.HBox([self._randomize, self._seed_box, self._reset, self._grads], layout=W.Layout(**row)),
                self._editors, equation, self._explain])])
            more.set_title(0, "more: type values, sizes, loss, equation")
            more.selected_index = None
            return W.VBox([W.HTML(CSS), row1, row2, self.figure, self._quiz_box, self.status, more])
        header = W.HBox([self._preset, self._n, self._h, self._m, self._act1, self._act2, self._loss_kind,
                         self._label], layout=W.Layout(**row))
        header2 = W.HBox([self._randomize, self._seed_box, self._reset, self._free, self._grads, self._forward],
                         layout=W.Layout(**row))
        # the status line twice: under the grids, next to a rejected cell, and under the figure
        return W.VBox([W.HTML(CSS), header, header2, self._editors, self.status, equation, stepper, self.figure,
                       self._quiz_box, self._explain, self.status])

    def _sync_controls(self) -> None:
        """Make every control show the current state without firing edits."""
        self._syncing = True
        try:
            snap = self._snap
            n, h, m = snap.net.widths
            grids = self._grids_enabled()
            for wdg, v in ((self._n, n), (self._h, h), (self._m, m)):
                wdg.max = max(MAX_GRID, v)
                wdg.value = v
            self._act1.value, self._act2.value = snap.net.activations
            self._loss_kind.value = snap.loss.name
            self._label.max = max(0, m - 1)
            self._label.value = getattr(snap.loss, "label", 0)
            self._label.layout.display = "" if snap.loss.name == "softmax_ce" else "none"
            if grids:
                self._W1.set_values(snap.net.weights[0])
                self._W2.set_values(snap.net.weights[1])
                self._x_editor.set_values(snap.x)
                self._t_editor.set_values(snap.loss.target if isinstance(snap.loss, MSE) else np.zeros(m))
            self._t_editor.widget.layout.display = "" if isinstance(snap.loss, MSE) and grids else "none"
            for ed in (self._W1, self._W2, self._x_editor):
                ed.widget.layout.display = "" if grids else "none"
            self._too_big.value = "" if grids else (
                f"<i>Sizes above {MAX_GRID} are edited by scrubbing one cell at a time.</i>")
            shapes = {"W1": (h, n), "W2": (m, h), "x": (n, 1)}
            if isinstance(snap.loss, MSE):
                shapes["t"] = (m, 1)
            self._picker.set_shapes(shapes)
            self._scrub.value = self._cell_number(*self._picker.value)
            K = len(snap.factors)
            self._syncing_step = True
            self._step.max = K
            self._play.max = K
            self._step.value = K if self._opts.step is None else self._opts.step
            self._play.value = self._step.value
            self._syncing_step = False
            self._free.value = self._opts.free_limits
            self._grads.value = self._opts.show_weight_grads
            self._forward.value = self._opts.show_forward
        finally:
            self._syncing = False
        self._update_equation()

    # ------------------------------------------------------------------ handlers
    def _on_preset(self, change) -> None:
        if self._syncing or not change["new"]:
            return
        self.load_preset(change["new"])
        self._syncing = True
        self._preset.value = ""
        self._syncing = False

    def _on_sizes(self, change) -> None:
        if not self._syncing:
            self.set_sizes(self._n.value, self._h.value, self._m.value)

    def _on_activation(self, change) -> None:
        if not self._syncing:
            self.set_activations(self._act1.value, self._act2.value)

    def _on_loss(self, change) -> None:
        if not self._syncing:
            self.set_loss(self._loss_kind.value, self._label.value)

    def _on_play(self, change) -> None:
        # pressing play on a finished sweep starts it again from ∂L/∂y
        if change["new"] and self._step.value >= self._step.max:
            self._step.value = 0

    def _on_step(self, change) -> None:
        if not self._syncing_step:
            self.set_step(change["new"])

    def _sync_scrub(self) -> None:
        """Keep the slider on the picked cell's value, whatever changed it."""
        self._syncing = True
        try:
            self._scrub.value = self._cell_number(*self._picker.value)
        finally:
            self._syncing = False

    def _on_pick(self, name: str, i: int, j: int) -> None:
        self._syncing = True
        try:
            self._scrub.value = self._cell_number(name, i, j)
        finally:
            self._syncing = False

    def _on_scrub(self, change) -> None:
        if self._syncing or is_echo(change):
            return
        name, i, j = self._picker.value
        v = change["new"]
        if name in ("W1", "W2"):
            self.set_weight(int(name[1]), i, j, v)
        elif name == "x":
            self.set_input(i, v)
        elif name == "t":
            self.set_target(i, v)

    def _on_figure_click(self, trace, points, state) -> None:
        if not points.point_inds:
            return
        hit = view.panel_at(self._spec["traces"], int(round(points.ys[0])), int(round(points.xs[0])))
        if hit is not None:
            self.select(*hit)

    def _cell_number(self, name: str, i: int, j: int) -> float:
        if name in ("W1", "W2"):
            return float(self.net.weights[int(name[1]) - 1][i, j])
        if name == "x":
            return float(self.x[i])
        return float(self.loss.target[i]) if isinstance(self.loss, MSE) else 0.0

    def _cell_value(self, editor: MatrixEditor, i: int, j: int) -> float:
        if editor is self._W1:
            return float(self.net.weights[0][i, j])
        if editor is self._W2:
            return float(self.net.weights[1][i, j])
        if editor is self._x_editor:
            return float(self.x[i])
        return float(self.loss.target[i])

    # ------------------------------------------------------------------ text
    def _equation_text(self) -> str:
        s = self._snap
        tex = {f.text: f.label for f in s.factors}
        chain = r"\,".join(tex[f.text] for f in s.factors)
        shapes = "".join(rf"({f.matrix.shape[0]}\times{f.matrix.shape[1]})" for f in s.factors)
        m, n = s.J.shape
        return rf"$J = \dfrac{{\partial y}}{{\partial x}} = {chain} \qquad {shapes} = {m}\times{n}$"

    def _badge_text(self) -> str:
        err = self._snap.J_check
        ok = err < 1e-6
        colour = "#1b5e20" if ok else "#b00020"
        return (f'<span style="border:1px solid {colour};color:{colour};border-radius:4px;padding:2px 6px;'
                f'margin-left:16px" title="largest difference between J and a central-difference Jacobian">'
                f'{"✓" if ok else "✗"} max |J − J<sub>numerical</sub>| {_order_of(err)}</span>')

    def _update_equation(self) -> None:
        self._equation.value = self._equation_text()
        self._badge.value = self._badge_text()

    def _explanation(self, band: str, column: str, i: int, j: int) -> str:
        """The clicked cell, with the numbers plugged in."""
        s = self._snap
        if (band, column) == ("top", "J"):
            terms = s.J_terms(i, j)
            a1, a2 = s.net.activations
            W1, W2 = s.net.weights
            s1, s2 = s.trace.slopes
            parts = []
            for k in range(terms.size):
                f = [fmt(W2[i, k])]
                if a1 != "identity":
                    f.append(fmt(s1[k]))
                f.append(fmt(W1[k, j]))
                parts.append("·".join(f"({v})" if v.startswith("−") else v for v in f))
            sym = view.SYMBOL
            lead = "" if a2 == "identity" else f"{sym[a2]}′(z₂[{i}])·"
            pre = "" if a2 == "identity" else f"{fmt(s2[i])} · "
            sl = "" if a1 == "identity" else f"·{sym[a1]}′(z₁[k])"
            return (f"<b>J[{i},{j}]</b> = ∂y[{i}]/∂x[{j}] = {lead}Σₖ W2[{i},k]{sl}·W1[k,{j}] = {pre}("
                    + " + ".join(parts) + f") = <b>{fmt(s.J[i, j], 4)}</b>. "
                    f"Highlighted: row {i} of the left factor and column {j} of W1.")
        if band == "rev":
            cols = ["loss"] + [view.factor_column(f) for f in s.factors]
            r = cols.index(column)
            row = s.rows[r]
            if r == 0:
                return f"<b>{row.text}[{j}]</b> = {fmt(row.values[j], 4)}: the loss gradient that starts the sweep."
            prev, f = s.rows[r - 1], s.factors[r - 1]
            if f.kind == "slope":
                return (f"<b>{row.text}[{j}]</b> = {prev.text}[{j}] · {f.text}[{j},{j}] = "
                        f"{fmt(prev.values[j])} · {fmt(f.matrix[j, j])} = <b>{fmt(row.values[j], 4)}</b>")
            terms = " + ".join(f"{fmt(prev.values[k])}·{fmt(f.matrix[k, j])}" for k in range(prev.values.size))
            return (f"<b>{row.text}[{j}]</b> = Σₖ {prev.text}[k] · {f.text}[k,{j}] = {terms} = "
                    f"<b>{fmt(row.values[j], 4)}</b>")
        P = view.panels(s)
        if (band, column) in P:
            v = P[(band, column)]["z"][i, j]
            name = P[(band, column)]["title"].split("</b>")[0].replace("<b>", "")
            return f"<b>{html.escape(name)}[{i},{j}]</b> = {fmt(v, 4)}"
        return ""
