"""Light and dark: every colour of the figure that is not data, and legible labels on data.

The data scale itself (:data:`chainviz.views.style.COLORSCALE`, diverging and
zero-centred) is the same in both themes, so a colour means the same number
everywhere; what changes is the paper, the text and the marks around it.

Label colours follow WCAG 2.1's contrast ratio, (L₁ + 0.05)/(L₂ + 0.05) with L
the relative luminance of sRGB colours (WCAG 2.1, "contrast ratio" and "relative
luminance" definitions). Black or white, whichever contrasts more with the cell,
gives at least 4.58:1 on every colour there is, above the 4.5:1 that WCAG AA asks
for text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .style import COLORSCALE


@dataclass(frozen=True)
class Palette:
    """The non-data colours of one theme (CSS colour strings)."""

    name: str
    paper: str  # behind everything
    text: str  # titles, headings, tick labels
    blank: str  # behind blank cells and between cells
    highlight: str  # the walk-through's current factor and row, a clicked cell
    mark: str  # cells whose shown value just changed


LIGHT = Palette("light", paper="#ffffff", text="#1a1a1a", blank="#e4e4e4", highlight="#e07b00", mark="#7a3cc4")
DARK = Palette("dark", paper="#1e1e1e", text="#ececec", blank="#3c3c3c", highlight="#ffb020", mark="#c9a0ff")


def palette(dark: bool) -> Palette:
    return DARK if dark else LIGHT


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[k:k + 2], 16) for k in (0, 2, 4)], dtype=float) / 255.0


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2.1 relative luminance of sRGB colours in [0, 1], shape ``(..., 3)`` -> ``(...)``."""
    rgb = np.asarray(rgb, dtype=float)
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return lin @ np.array([0.2126, 0.7152, 0.0722])


def contrast(l1, l2):
    """WCAG contrast ratio of two relative luminances (order does not matter)."""
    hi, lo = np.maximum(l1, l2), np.minimum(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


_STOPS = np.array([p for p, _ in COLORSCALE])
_COLOURS = np.array([_rgb(c) for _, c in COLORSCALE])


def scale_colour(u) -> np.ndarray:
    """The colour scale at ``u`` in [0, 1] (0: most negative), linearly interpolated in sRGB as
    plotly.js does for heatmaps; shape ``(...)`` -> ``(..., 3)``."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    return np.stack([np.interp(u, _STOPS, _COLOURS[:, k]) for k in range(3)], axis=-1)


def label_colours(values: np.ndarray, limit: float) -> np.ndarray:
    """``"#000"`` or ``"#fff"`` for a label on each cell holding ``values`` with colour limits ±``limit``.

    Whichever of black and white contrasts more with the cell's colour; shape of ``values``.
    """
    # clipped first, as the colour scale clips: value/limit never overflows (1e300 / 1e-12), and a
    # cell beyond the limit takes the end colour it is drawn in
    v = np.asarray(values, dtype=float)
    u = (np.clip(v, -limit, limit) / limit + 1.0) / 2.0
    lum = relative_luminance(scale_colour(np.nan_to_num(u, nan=0.5)))
    black, white = contrast(lum, 0.0), contrast(lum, 1.0)
    return np.where(black >= white, "#000", "#fff")
