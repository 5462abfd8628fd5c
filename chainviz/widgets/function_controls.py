"""What the function explorers' controls say, as data: pure functions to control items.

The control bars (:class:`~chainviz.widgets.controls.ControlBar`, ``static/control_bar.js``)
draw whatever these return: native, labelled controls. Every slider has a name and a value
text read as a person says it (``"0.80"``, ``"10,000"``, ``"3 layers"``), never a float's
noise (``0.7999999999999998``). Nothing here touches a widget, so every label and value
text is testable without a browser.
"""

from __future__ import annotations

import html
from typing import Mapping, Sequence

import numpy as np

from ..core.notation import fmt
from ..views.function_parts import count_text

#: Slider steps: a coordinate of x (and Δx) moves by this much per arrow key.
POINT_STEP = 0.01
#: The n slider moves the exponent of n (log scale) by this much per arrow key.
LOG_STEP = 0.05
MAX_N_SLIDER, MAX_DEPTH_SLIDER, MAX_WIDTH_SLIDER = 10**6, 20, 2000


def number_text(v: float) -> str:
    """A coordinate as a slider reads it out: two decimals (``0.80``, ``−1.50``, ``25.00``), more
    only when the value has them (``1.2345``); six significant digits at most; Unicode minus."""
    v = float(f"{float(v):.6g}") + 0.0  # + 0.0: never "−0.00"
    text = f"{v:.2f}" if round(v, 2) == v and abs(v) < 1e6 else f"{v:.6g}"
    return text.replace("-", "−")


def typed_text(v: float) -> str:
    """A coordinate as its text field shows it: up to 6 significant digits, in ASCII so it can
    be typed back (``-0.5``, not ``−0.5``)."""
    return fmt(float(v), 6).replace("−", "-")


def slider_reach(values) -> float:
    """Half-width of the x sliders: room around every starting value, at least ±3."""
    return float(np.ceil(max(3.0, 2 * float(np.max(np.abs(values))))))


def status_html(error: str, message: str) -> str:
    """The status line: a rejected edit (⚠, error colour), or a plain note."""
    if error:
        return f'<span class="cv-error">⚠ {html.escape(error)}</span>'
    return html.escape(message)


def status_items(error: str, message: str) -> list[dict]:
    """The status bar: one line that screen readers announce when it changes (``aria-live``)."""
    return [dict(kind="html", id="status", html=status_html(error, message), live="polite", wide=True)]


# -- a point x ---------------------------------------------------------------------------------
def point_items(names: Sequence[str], values: np.ndarray, reach: Sequence[float], typed: Mapping[int, str],
                invalid: set, *, heading: bool = True) -> list[dict]:
    """A slider and a text field per coordinate of x, each row named by the coordinate.

    ``values``: what the controls ask for; ``reach``: each slider's half-width; ``typed``: text
    kept in a field whose value was refused; ``invalid``: ids of the controls marked refused.
    Ids: ``x0``, ``x1``… (sliders), ``x0_text``… (fields).
    """
    items = []
    if heading:
        items += [dict(kind="html", id="point_head",
                       html="<b>Point x</b>: drag a slider or use its arrow keys, or type a value and press Enter"),
                  dict(kind="break", id="point_head_break")]
    for j, (name, v) in enumerate(zip(names, values)):
        v, lim = float(v), float(reach[j])
        items += [
            dict(kind="slider", id=f"x{j}", label=name, value=v, min=-lim, max=lim, step=POINT_STEP,
                 valuetext=number_text(v), aria=name),
            dict(kind="text", id=f"x{j}_text", label="", value=typed.get(j, typed_text(v)), size=8,
                 aria=f"{name}, type a value and press Enter", invalid=f"x{j}" in invalid,
                 title=f"type a value for {name}, then press Enter"),
            dict(kind="break", id=f"x{j}_break"),
        ]
    return items


def step_items(names: Sequence[str], dx: np.ndarray) -> list[dict]:
    """The step Δx of the linear approximation: a slider per coordinate (ids ``dx0``, ``dx1``…)."""
    items = [dict(kind="html", id="step_head", html="<b>Step Δx</b> for f(x+Δx) − f(x) ≈ J·Δx"),
             dict(kind="break", id="step_head_break")]
    for j, (name, v) in enumerate(zip(names, dx)):
        v = float(v)
        lim = max(1.0, abs(v))
        items += [dict(kind="slider", id=f"dx{j}", label=f"Δ{name}", value=v, min=-lim, max=lim, step=POINT_STEP,
                       valuetext=number_text(v), aria=f"step Δ{name}"),
                  dict(kind="break", id=f"dx{j}_break")]
    return items


def scale_items(shared: bool) -> list[dict]:
    return [dict(kind="check", id="shared_scale", label="one colour scale for all three", value=shared)]


# -- widths of a net (ModeCostExplorer) ---------------------------------------------------------
def n_position(n: int) -> float:
    """Where the n slider (the exponent of n, 0 to 6) stands for ``n``."""
    return float(np.log10(min(max(n, 1), MAX_N_SLIDER)))


def n_from_position(e: float) -> int:
    return int(round(10 ** float(e)))


def layers_text(L: int) -> str:
    return f"{L} layer" + ("s" if L != 1 else "")


def width_items(widths: tuple, text: str, invalid: bool, width_choice: int) -> list[dict]:
    """The widths field, the presets, sliders for n, the depth and every layer's width, and Measure.

    ``text``: what the field shows (the widths, or refused text kept to be corrected);
    ``width_choice``: where the width slider stands while the layers differ.
    """
    n, hidden = widths[0], widths[1:]
    uniform = len(set(hidden)) == 1
    width = hidden[0] if uniform and hidden[0] <= MAX_WIDTH_SLIDER else width_choice
    width_said = count_text(hidden[0]) if uniform else (
        f"{count_text(width_choice)}; the layers now differ, {count_text(min(hidden))} to {count_text(max(hidden))}")
    return [
        dict(kind="text", id="widths", label="widths n, d₁, …, d_L", value=text, size=min(max(len(text) + 2, 24), 72),
             invalid=invalid,
             aria="widths: n, then one width per layer, separated by commas; press Enter",
             title="comma-separated, e.g. 1000000, 1000, 1000; press Enter"),
        dict(kind="button", id="section", label="Section example: n = 10⁶, ten layers of 10³",
             title="the section's example: a million inputs, ten layers of a thousand"),
        dict(kind="button", id="small", label="Small net (measurable)",
             title="n = 10⁴ and three layers of 100: small enough to time"),
        dict(kind="break", id="widths_break"),
        dict(kind="slider", id="n", label="input size n", value=n_position(n), min=0, max=6, step=LOG_STEP,
             valuetext=count_text(n, plain_below=10**7), aria="input size n"),
        dict(kind="slider", id="depth", label="layers L", value=min(len(hidden), MAX_DEPTH_SLIDER), min=1,
             max=MAX_DEPTH_SLIDER, step=1, valuetext=layers_text(len(hidden)), aria="layers L"),
        dict(kind="slider", id="width", label="every layer's width", value=min(width, MAX_WIDTH_SLIDER), min=1,
             max=MAX_WIDTH_SLIDER, step=1, valuetext=width_said, aria="every layer's width"),
        dict(kind="break", id="sliders_break"),
        dict(kind="button", id="measure", label="Measure", aria="Measure: time real forward and reverse sweeps",
             title="time real forward and reverse sweeps over a range of n"),
    ]
