"""Shared look: one diverging, zero-centred, colour-blind-safe scale; number formats; fonts.

Colour: ColorBrewer RdBu (reversed, so negative is blue and positive red) is
safe for the common colour-vision deficiencies and has a neutral white at 0.
Limits are always symmetric (``zmin = -c``, ``zmax = c``) so white means zero.
"""

from __future__ import annotations

import base64
import functools
import re

import numpy as np

from ..core.notation import DIGITS, fmt, fmt_fixed
from ..core.schema import MIN_COLOR_LIMIT

# ColorBrewer RdBu, 11 classes, reversed: blue (negative) -> white (0) -> red (positive)
COLORSCALE = [
    [0.0, "#053061"], [0.1, "#2166ac"], [0.2, "#4393c3"], [0.3, "#92c5de"], [0.4, "#d1e5f0"],
    [0.5, "#f7f7f7"],
    [0.6, "#fddbc7"], [0.7, "#f4a582"], [0.8, "#d6604d"], [0.9, "#b2182b"], [1.0, "#67001f"],
]

#: Matrices up to this many rows and columns get their numbers printed on the cells.
MAX_LABELLED = 8

FONT = dict(family="Helvetica, Arial, sans-serif", size=13, color="#222")
FONT_PRESENTATION = dict(family="Helvetica, Arial, sans-serif", size=18, color="#111")
HIGHLIGHT = "#ff9f00"  # orange: visible on both ends of the blue-red scale
MUTED_OPACITY = 0.15

# Advance widths in Helvetica (em), from its AFM metrics: every digit is 0.556 em, the minus
# sign (U+2212) 0.584, the point 0.278. Letters are taken at 0.6 (bold titles run wider than
# the regular 0.5-0.56), subscripts and primes at 0.3.
_EM = {**dict.fromkeys("0123456789", 0.556), "−": 0.584, "-": 0.333, "+": 0.584, "=": 0.584,
       **dict.fromkeys(".,: ", 0.278), **dict.fromkeys("()[]|'", 0.333),
       **dict.fromkeys("′ᵀ;₀₁₂₃₄₅₆₇₈₉", 0.3)}


@functools.lru_cache(maxsize=4096)  # the same titles and labels are measured at every edit
def text_px(text: str, size: float) -> float:
    """Rendered width (px) of ``text`` (HTML tags ignored) in Helvetica/Arial at ``size`` px.

    One estimate for every fit the views make without a browser, so that a cell sized to
    hold "−0.28" (2.53 em) is judged by the same widths when its label is placed.
    """
    plain = re.sub(r"<[^>]+>", "", text)
    return size * sum(_EM.get(c, 0.6) for c in plain)


def rounded(a: np.ndarray, digits: int = DIGITS) -> np.ndarray:
    """``a`` rounded to ``digits`` significant figures (NaN stays NaN; ``-0`` becomes ``0``).

    plotly would otherwise send every float at full precision (17 digits);
    rounding first keeps an edit's message small and the printed labels exact.
    Every finite value keeps a finite rounding, down to the smallest subnormal
    (5e-324) and up to the largest float, without a floating-point warning.
    """
    a = np.atleast_2d(np.asarray(a, dtype=float))
    out = a + 0.0  # a copy in which -0.0 is 0.0: plotly would print "−0"
    nz = np.isfinite(a) & (a != 0)
    if nz.any():
        v = a[nz]
        k = digits - 1 - np.floor(np.log10(np.abs(v)))
        r = v.copy()
        # v·10^k then /10^k gives the shortest floats ("0.123", not "0.12300000000000001");
        # 10^k is exact enough and finite for |k| ≤ 300, i.e. 1e-298 ≲ |v| ≲ 1e300
        ok = np.abs(k) <= 300
        with np.errstate(over="ignore"):
            r[ok] = np.round(v[ok] * 10.0 ** k[ok]) / 10.0 ** k[ok]
        # the rest (subnormals, and rounding up past the largest float): the nearest float
        # to the printed digits, or the value itself where that would be inf
        for i in np.flatnonzero(~ok | ~np.isfinite(r)):
            t = float(f"{v[i]:.{digits}g}")
            r[i] = t if np.isfinite(t) else v[i]
        out[nz] = r
    return out


def for_plotly(z: np.ndarray) -> np.ndarray:
    """A rounded matrix in the form plotly validates fastest: a float array, or an
    object array with ``None`` for blanks (NaN is not valid JSON; ``None`` is a gap)."""
    return _with_gaps(rounded(z))


def _with_gaps(r: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(r), None, r).astype(object) if np.isnan(r).any() else r


def typed_array(r: np.ndarray) -> dict:
    """An already rounded matrix as plotly.js's typed-array form: float32, base64, with its shape.

    A 2-D list would cost the kernel a walk over every entry (validation, JSON, the
    widget's search for binary buffers) and the browser a JSON parse; this is one
    string. float32 keeps 7 significant digits, more than the 3 shown; NaN stays a blank.
    """
    a = np.ascontiguousarray(r, dtype="<f4")
    return {"dtype": "f4", "bdata": base64.b64encode(a.tobytes()).decode("ascii"), "shape": f"{a.shape[0]},{a.shape[1]}"}


#: Grids up to this many cells travel as one typed array (:func:`typed_array`), bigger
#: ones as nested lists (:func:`for_plotly`). After every update plotly's widget sends each
#: trace's data back to the kernel where it differs from what it was given, and a typed
#: array always does (it is decoded): free for a small grid, but at widths 32 (20k cells)
#: it took 28 ms of the browser's time per edit, against 5 ms of the kernel's for lists.
TYPED_MAX_CELLS = 4096


_F32 = np.finfo(np.float32)


def cell_values(z: np.ndarray):
    """``z`` rounded, in the form that costs an edit least (see :data:`TYPED_MAX_CELLS`),
    as nested lists also whenever float32 could not carry a value (below 1.2e-38 it would
    lose digits or become 0)."""
    r = rounded(z)
    a = np.abs(r)
    fits = bool(np.all(~np.isfinite(a) | (a == 0) | ((a >= _F32.tiny) & (a <= _F32.max))))
    return typed_array(r) if r.size <= TYPED_MAX_CELLS and fits else _with_gaps(r)


def labels(z: np.ndarray, decimals: int | None = None) -> np.ndarray:
    """Each entry of ``z`` as printed on its cell: :func:`fmt`, or with ``decimals`` fixed
    decimals where cells are narrow (:func:`fmt_fixed`); ``""`` for a blank (NaN). Zero,
    and what rounds to it, never carries a sign."""
    z = np.atleast_2d(z)
    out = np.full(z.shape, "", dtype=object)
    ok = np.isfinite(z)
    out[ok] = [fmt(v) if decimals is None else fmt_fixed(v, decimals) for v in z[ok]]
    return out


def symmetric_limit(*arrays: np.ndarray, floor: float = MIN_COLOR_LIMIT) -> float:
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
