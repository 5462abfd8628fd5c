"""What the explorer's controls say, as data: pure functions from a state to control items.

The control bars (``static/control_bar.js``) and the matrix grids draw whatever these
return; nothing here touches a widget, so every label, value text and message can
be tested without a browser.
"""

from __future__ import annotations

import html
import re

import numpy as np

from ..core import examples
from ..core.activations import ACTIVATIONS
from ..core.notation import fmt, sub
from ..core.schema import MAX_BYTES
from ..views.panels import panels, quiz_label, revealing
from . import quiz as Q
from .state import ChainRuleState
from .structure import MAX_DEPTH

LOSS_CHOICES = [["MSE  ½‖y − t‖²", "mse"], ["Sum  Σ yᵢ", "sum"], ["Softmax cross-entropy", "softmax_ce"]]
ACTIVATION_CHOICES = [[name, name] for name in ACTIVATIONS]
SWEEP_INTERVAL_MS = 1200


def cell_text(v: float) -> str:
    """A stored value as its cell shows it, in ASCII so it can be typed back (``-0.5``, not ``−0.5``)."""
    return fmt(v, 4).replace("−", "-")


def current_preset(state: ChainRuleState) -> str:
    """The preset the state is exactly at, or ``""``."""
    for name, p in examples.PRESETS.items():
        if p.net == state.net and np.array_equal(p.x, state.x) and p.loss == state.loss:
            return name
    return ""


def grid_spec(state: ChainRuleState, name: str) -> dict:
    """Traits of the grid editing ``name`` (``"W2"``, ``"x"``, ``"t"``)."""
    M = state.matrix(name)
    r, k = M.shape
    spec = dict(name=name, title=name, cells=[[cell_text(v) for v in row] for row in M], column=name in ("x", "t"),
                subtitle=f"length {r}" if name in ("x", "t") else f"{r}×{k}")
    if name.startswith("W"):
        layer = int(name[1:])
        role = "the output layer" if layer == state.net.depth else f"layer {layer}"
        spec["label"] = f"{name}, the {r} by {k} weights of {role}"
        spec["option"] = dict(label=f"σ{sub(layer)}", value=state.net.activations[layer - 1],
                              options=ACTIVATION_CHOICES, aria=f"activation of layer {layer}")
    else:
        spec["label"] = "x, the input" if name == "x" else "t, the target of the MSE loss"
        spec["option"] = {}
    pname, i, j = state.picked
    spec["selected"] = [i, j] if pname == name else []
    return spec


def toolbar_items(state: ChainRuleState) -> list[dict]:
    """The top bar: preset, sizes and depth, loss, randomize/reset, and the drawing options."""
    net, s = state.net, state.settings
    preset = current_preset(state)
    presets = [["Preset… (custom state)" if not preset else "Preset…", ""]] + [
        [p.title, key] for key, p in examples.PRESETS.items()]
    items = [
        dict(kind="select", id="preset", label="Preset", value=preset, options=presets),
        dict(kind="select", id="depth", label="Layers", value=str(net.depth),
             options=[[str(L), str(L)] for L in range(1, MAX_DEPTH + 1)]),
        dict(kind="text", id="sizes", label="Widths", value=", ".join(map(str, net.widths)), size=12,
             aria="widths: n, then one width per layer", title="type the widths, e.g. 3, 4, 2, and press Enter"),
        dict(kind="select", id="loss", label="Loss", value=state.loss.name, options=LOSS_CHOICES),
    ]
    if state.loss.name == "softmax_ce":
        items.append(dict(kind="select", id="label", label="class", value=str(state.loss.label),
                          options=[[str(c), str(c)] for c in range(net.m)]))
    items += [
        dict(kind="button", id="randomize", label="⟳ Randomize", title="new random weights, input and target"),
        dict(kind="button", id="reset", label="↺ Reset", title="back to the state this explorer started with"),
        dict(kind="group", id="share", label="Save & share", items=[
            dict(kind="button", id="save", label="⤓ Save state", title="download this state as a JSON file"),
            dict(kind="upload", id="load", label="Load state", accept=".json,application/json",
                 max_bytes=MAX_BYTES, aria="load a saved state (a JSON file)"),
            dict(kind="button", id="copy_code", label="Copy as code",
                 title="one line of Python that rebuilds this explorer, for a slide or a notebook"),
        ]),
        dict(kind="group", id="options", label="Options", items=[
            dict(kind="check", id="free_limits", label="own colour scale per panel", value=s.free_limits),
            dict(kind="check", id="show_weight_grads", label="show ∂L/∂W", value=s.show_weight_grads),
            dict(kind="check", id="show_forward", label="show forward mode", value=s.show_forward),
            dict(kind="button", id="fit_scale", label="fit colour scale", disabled=s.free_limits,
                 title="fit the shared colour scale to the numbers shown now"),
        ]),
    ]
    return items


SPEEDS = (1, 2, 5, 10)
TRAINING_IDS = ("eta", "step_once", "train", "speed", "undo", "reset_training", "training")


def eta_text(eta: float) -> str:
    """η as its field shows it (ASCII, can be typed back)."""
    return f"{eta:g}"


def training_group(state: ChainRuleState, training: bool, speed: int) -> dict:
    """Gradient descent, folded under its name until opened (or until steps were taken): η, one
    step, many steps (play/stop, steps per second), undo, reset."""
    group = dict(kind="group", id="training", label="Gradient descent", items=training_items(state, training, speed))
    if state.history:
        group["open"] = True
    return group


def training_items(state: ChainRuleState, training: bool, speed: int) -> list[dict]:
    """Gradient descent: η, one step, many steps (play/stop, steps per second), undo, reset."""
    has = bool(state.history)
    return [
        dict(kind="text", id="eta", label="Learning rate η", value=eta_text(state.eta), size=6,
             aria="learning rate eta", title="0 < η ≤ 10; press Enter"),
        dict(kind="button", id="step_once", label="Step", title="one gradient step: every W ← W − η·∂L/∂W at once"),
        dict(kind="play", id="train", label="▶ Train", stop_label="■ Stop", aria="Train: one step after another", stop_aria="Stop training",
             playing=training, interval=int(1000 / speed)),
        dict(kind="select", id="speed", label="steps/s", value=str(speed), options=[[str(v), str(v)] for v in SPEEDS]),
        dict(kind="button", id="undo", label="↶ Undo step", disabled=not has, title="back to the weights before the last step"),
        dict(kind="button", id="reset_training", label="Reset training", disabled=state.trained_from is None,
             title="back to the weights before the first step"),
    ]


def step_text(state: ChainRuleState, step: int) -> str:
    """``"step 2 of 5: ∂L/∂z₁"``: where the walk-through is, as a person says it."""
    K = len(state.snap.factors)
    return f"step {step} of {K}: {state.snap.rows[step].text}"


def sweep_items(state: ChainRuleState, playing: bool) -> list[dict]:
    """Play, step back and forth through the backward sweep."""
    K = len(state.snap.factors)
    step = K if state.step is None else state.step
    return [
        dict(kind="play", id="play", label="▶ Play sweep", aria="Play sweep: the backward sweep, one multiplication after another",
             stop_aria="Stop the sweep", playing=playing,
             interval=SWEEP_INTERVAL_MS),
        dict(kind="button", id="back", label="◀", aria="one multiplication back", disabled=step == 0),
        dict(kind="slider", id="step", label="Backward step", value=step, min=0, max=K, step=1,
             valuetext=step_text(state, step), aria="backward step"),
        dict(kind="button", id="forward", label="▶", aria="one multiplication further", disabled=step >= K),
    ]


def badge_html(state: ChainRuleState) -> str:
    """The independent check of J against central differences, as a badge (its text from the core)."""
    check = state.snap.check
    cls = "cv-error" if check.status == "mismatch" else "cv-ok"
    text = check.text if check.status != "kink" else "⚠ " + check.text
    return f'<span class="cv-badge {cls}" title="J against a central-difference Jacobian">{html.escape(text)}</span>'


def status_html(state: ChainRuleState, error: str, explanation: str, figure_width: int = 0) -> str:
    """The message block: a rejected edit first, then the check of J, a note about the last change,
    and a clicked cell."""
    parts = []
    if error:
        parts.append(f'<span class="cv-error" role="alert">⚠ {html.escape(error)}</span>')
    check = badge_html(state)
    if not (error or state.note or explanation):
        check += (' <span class="cv-hint">Click a cell of the figure to see how it is computed; '
                  'click a weight to edit it.</span>')
    parts.append(check)
    if state.note:
        parts.append(f"<span>{html.escape(state.note)}</span>")
    if explanation:
        parts.append(f"<span>{explanation}</span>")
    if figure_width > state.width + 2:
        parts.append(f"<span>The figure is {figure_width:,} px wide in {state.width:,}: scroll it sideways"
                     f"{' (or close the file browser)' if state.width < 1000 else ''}. →</span>")
    return "<br>".join(parts)


def scrub_reach(state: ChainRuleState) -> float:
    """How far the slider of the picked cell reaches either side of 0: ±3, or twice the value
    when it is larger (taken when the cell is picked, so the range does not jump while scrubbing)."""
    name, i, j = state.picked
    try:
        v = float(state.matrix(name)[i, j])
    except (ValueError, IndexError):
        v = 0.0
    return max(3.0, 2 * abs(v))


def scrub_items(state: ChainRuleState, reach: float) -> list[dict]:
    """A slider for the picked cell (clicked in the figure or its grid), over ±``reach``."""
    name, i, j = state.picked
    try:
        v = float(state.matrix(name)[i, j])
    except (ValueError, IndexError):
        name, i, j = "W1", 0, 0
        v = float(state.net.weights[0][0, 0])
    where = f"{name}[{i}]" if name in ("x", "t") else f"{name}[{i},{j}]"
    reach = max(reach, abs(v))
    return [dict(kind="slider", id="scrub", label=f"scrub {where}", value=round(v, 2), min=-reach, max=reach,
                 step=0.01, valuetext=f"{v:.2f}", aria=f"scrub {where}")]


def quiz_items(state: ChainRuleState) -> list[dict]:
    """Per exercise: Check, Show answer, and what the last check said."""
    if not state.quiz:
        return []
    items = [dict(kind="html", id="quiz_head", wide=True,
                  html=f"<b>Exercise.</b> Some panels are hidden. Compute them by hand and type them into the "
                       f"grids; an entry within ±{Q.QUIZ_TOLERANCE:g} counts as right. A panel appears once "
                       f"all its entries are right, or when you ask to see the answer.")]
    for q in state.quiz:
        label = quiz_label(state.snap, q.name)
        items += [
            dict(kind="button", id=f"check:{q.name}", label=f"Check {q.name}", aria=f"Check {q.name}: {label}"),
            dict(kind="button", id=f"show:{q.name}", label="Show answer", aria=f"Show answer of {q.name}: {label}",
                 disabled=not q.hidden),
            dict(kind="html", id=f"result:{q.name}", html=html.escape(Q.result_text(q, state.snap)), live="polite"),
            dict(kind="break", id=f"break:{q.name}"),
        ]
    return items


def panel_captions(state: ChainRuleState) -> dict[str, str]:
    """Each panel's table caption: its name, shape and meaning (``"W1  4×3, = ∂z₁/∂x"``), in plain
    text; no numbers, so a caption changes with the layout, not with every edit."""
    out = {}
    hidden = revealing(state.snap, state.hidden)
    for (band, column), p in panels(state.snap, state.step).items():
        if band == "fwd" and not state.settings.show_forward or band == "grad" and not state.settings.show_weight_grads:
            continue
        head, _, detail = p["title"].partition("<br>")
        text = re.sub(r"<[^>]+>", "", head).strip()
        if detail.startswith("="):
            text += ", " + re.sub(r"<[^>]+>", "", detail)
        out[f"{band}:{column}"] = text + (" (hidden: part of the exercise)" if (band, column) in hidden else "")
    return out


def quiz_grid_spec(state: ChainRuleState, item: Q.QuizItem) -> dict:
    label = quiz_label(state.snap, item.name)
    r, k = item.shape
    marks = [[0] * k for _ in range(r)] if item.marks is None else [[1 if m else -1 for m in row] for row in item.marks]
    return dict(name=item.name, title=label, subtitle=f"{r}×{k}", cells=[list(row) for row in item.typed],
                marks=marks, label=f"your answer for {label}, {r} by {k}", editable=item.hidden, column=False,
                option={}, selected=[])
