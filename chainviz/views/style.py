"""Shared look: one diverging, zero-centred, colour-blind-safe scale; number formats; fonts.

Colour: ColorBrewer RdBu (reversed, so negative is blue and positive red) is
safe for the common colour-vision deficiencies and has a neutral white at 0.
Limits are always symmetric (``zmin = -c``, ``zmax = c``) so white means zero.
"""

from __future__ import annotations

import numpy as np

# ColorBrewer RdBu, 11 classes, reversed: blue (negative) -> white (0) -> red (positive)
COLORSCALE = [
    [0.0, "#053061"], [0.1, "#2166ac"], [0.2, "#4393c3"], [0.3, "#92c5de"], [0.4, "#d1e5f0"],
    [0.5, "#f7f7f7"],
    [0.6, "#fddbc7"], [0.7, "#f4a582"], [0.8, "#d6604d"], [0.9, "#b2182b"], [1.0, "#67001f"],
]

#: Matrices up to this many rows and columns get their numbers printed on the cells.
MAX_LABELLED = 8
#: Significant digits sent to the browser and printed: enough to check a hand computation.
DIGITS = 3

FONT = dict(family="Helvetica, Arial, sans-serif", size=13, color="#222")
FONT_PRESENTATION = dict(family="Helvetica, Arial, sans-serif", size=18, color="#111")
HIGHLIGHT = "#ff9f00"  # orange: visible on both ends of the blue-red scale
MUTED_OPACITY = 0.15


def rounded(a: np.ndarray, digits: int = DIGITS) -> np.ndarray:
    """``a`` rounded to ``digits`` significant figures (NaN stays NaN).

    plotly would otherwise send every float at full precision (17 digits);
    rounding first keeps an edit's message small and the printed labels exact.
    """
    a = np.atleast_2d(np.asarray(a, dtype=float))
    out = a.copy()
    nz = np.isfinite(a) & (a != 0)
    if nz.any():
        mags = np.floor(np.log10(np.abs(a[nz])))
        scale = 10.0 ** (digits - 1 - mags)
        out[nz] = np.round(a[nz] * scale) / scale
    return out


def for_plotly(z: np.ndarray) -> np.ndarray:
    """A rounded matrix in the form plotly validates fastest: a float array, or an
    object array with ``None`` for blanks (NaN is not valid JSON; ``None`` is a gap)."""
    z = rounded(z)
    if np.isnan(z).any():
        z = np.where(np.isnan(z), None, z).astype(object)
    return z


def fmt(v: float, digits: int = DIGITS) -> str:
    """A number as printed on a cell: ``0.164``, ``-1.2``, ``3e-04``."""
    return f"{v:.{digits}g}".replace("-", "−")


def symmetric_limit(*arrays: np.ndarray, floor: float = 1e-12) -> float:
    """``c`` for colour limits ``[-c, c]``: the largest |entry| over all arrays."""
    c = max((float(np.nanmax(np.abs(a))) for a in arrays if np.size(a) and np.isfinite(a).any()), default=1.0)
    return max(c, floor)


def heatmap(z, *, labelled: bool, c: float, hovertemplate: str, name: str, xaxis: str, yaxis: str,
            showscale: bool = False, font_size: int = 13, number_format: str = "%{z:.3~g}") -> dict:
    """A heatmap trace dict for a matrix ``z`` ``(r, k)`` drawn with row 0 on top.

    ``c`` sets the symmetric colour limits; cells hold their numbers when ``labelled``.
    """
    z = np.atleast_2d(z)
    r, k = z.shape
    return dict(
        type="heatmap",
        name=name,
        z=for_plotly(z),
        x=list(range(k)),
        y=list(range(r)),
        xaxis=xaxis,
        yaxis=yaxis,
        colorscale=COLORSCALE,
        zmin=-c,
        zmax=c,
        showscale=showscale,
        xgap=1,
        ygap=1,
        texttemplate=number_format if labelled else "",
        textfont=dict(size=font_size),
        hovertemplate=hovertemplate + "<extra></extra>",
        hoverongaps=False,
    )
