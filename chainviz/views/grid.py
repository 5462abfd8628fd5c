"""Many matrices in one heatmap: panels packed on one uniform grid of cells.

Why one heatmap: a change of any heatmap's ``z`` makes plotly.js redraw the
whole figure (every trace, every subplot, every annotation), so what an edit
costs in the browser grows with the number of traces and subplots, not with
what changed. One trace on one pair of axes is the cheapest redraw there is.
With evenly spaced cells and no gaps, plotly draws a heatmap as an image of
one pixel per cell, scaled up: grid lines and the grey behind blank cells are
therefore two SVG paths (:func:`cell_borders`, :func:`panel_backgrounds`),
drawn once per redraw however many cells there are.

Coordinates are cells: cell ``(r, c)`` of the grid is centred on ``x = c``,
``y = r`` (the y axis points down), so a panel's entry ``[i, j]`` sits at
``(box.col + j, box.row + i)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class Box:
    """Where a ``(rows, cols)`` panel sits: its top-left cell is ``(row, col)``."""

    row: int
    col: int
    rows: int
    cols: int

    @property
    def left(self) -> float:
        return self.col - 0.5

    @property
    def right(self) -> float:
        return self.col + self.cols - 0.5

    @property
    def top(self) -> float:
        return self.row - 0.5

    @property
    def bottom(self) -> float:
        return self.row + self.rows - 0.5

    def entry(self, r: int, c: int) -> tuple[int, int] | None:
        """The panel entry ``(i, j)`` at grid cell ``(r, c)``, or ``None`` outside the panel."""
        i, j = r - self.row, c - self.col
        return (i, j) if 0 <= i < self.rows and 0 <= j < self.cols else None


def pack(shape: tuple[int, int], panels: dict[str, tuple[Box, np.ndarray]]) -> np.ndarray:
    """A ``shape`` grid holding each panel's matrix in its box; NaN everywhere else."""
    Z = np.full(shape, np.nan)
    for box, z in panels.values():
        Z[box.row:box.row + box.rows, box.col:box.col + box.cols] = z
    return Z


def rect_path(x0: float, x1: float, y0: float, y1: float) -> str:
    """An SVG path of the rectangle ``[x0, x1] × [y0, y1]`` (grid coordinates)."""
    return f"M{x0:g},{y0:g}H{x1:g}V{y1:g}H{x0:g}Z"



def panel_backgrounds(boxes) -> str:
    """One SVG path of every panel's rectangle: filled grey, it shows through blank cells."""
    return "".join(rect_path(b.left, b.right, b.top, b.bottom) for b in boxes)


def cell_borders(boxes) -> str:
    """One SVG path of every panel's outline and the borders between its cells."""
    out = []
    for b in boxes:
        out.append(rect_path(b.left, b.right, b.top, b.bottom))
        out.extend(f"M{x:g},{b.top:g}V{b.bottom:g}" for x in np.arange(1, b.cols) + b.left)
        out.extend(f"M{b.left:g},{y:g}H{b.right:g}" for y in np.arange(1, b.rows) + b.top)
    return "".join(out)


def runs_path(cells) -> str:
    """One SVG path outlining grid cells ``(row, col)``: each run of neighbours in a row is one
    rectangle, so a changed row of a panel costs one ``M…Z``, not one per cell."""
    out = []
    for r in sorted({r for r, _ in cells}):
        cols = sorted(c for rr, c in cells if rr == r)
        start = prev = cols[0]
        for c in cols[1:] + [None]:
            if c is not None and c == prev + 1:
                prev = c
                continue
            out.append(rect_path(start - 0.5, prev + 0.5, r - 0.5, r + 0.5))
            if c is not None:
                start = prev = c
    return "".join(out)


@lru_cache(maxsize=16)
def hover_cells(shape: tuple[int, int], panels: tuple[tuple, ...]) -> np.ndarray:
    """What hovering each cell says, ``(R, C)`` strings; ``""`` outside every panel.

    ``panels`` pairs each box with a template in which ``%{y}`` and ``%{x}`` stand for
    the row and column *inside the panel* (the grid's own coordinates would mean
    nothing to a reader); a third and fourth item, tuples of texts per row and per
    column, fill ``%{row}`` and ``%{col}`` (numbers plugged in, e.g. the two factors of an
    outer product). Cached: the text depends on the layout (and those texts), not on the
    cells' numbers, so an edit mostly reuses the very same array and sends nothing for it.
    """
    H = np.full(shape, "", dtype=object)
    for box, template, *values in panels:
        rows, cols = values if values else ((), ())
        for i in range(box.rows):
            row = template.replace("%{y}", str(i))
            if rows:
                row = row.replace("%{row}", rows[i])
            H[box.row + i, box.col:box.col + box.cols] = [
                (row.replace("%{col}", cols[j]) if cols else row).replace("%{x}", str(j)) for j in range(box.cols)]
    H.flags.writeable = False
    return H


def colour_bar_image(colorscale) -> str:
    """The colour scale as an SVG gradient (a data URI), bottom = first colour.

    Drawn as a layout image beside the panels with three tick labels as
    annotations: a plotly colour bar would be one more component to lay out on
    every redraw.
    """
    stops = "".join(f"<stop offset='{p:g}' stop-color='{c}'/>" for p, c in colorscale)
    svg = ("<svg xmlns='http://www.w3.org/2000/svg' width='10' height='100' preserveAspectRatio='none'>"
           f"<defs><linearGradient id='g' x1='0' y1='1' x2='0' y2='0'>{stops}</linearGradient></defs>"
           "<rect width='10' height='100' fill='url(#g)'/></svg>")
    return "data:image/svg+xml;utf8," + svg.replace("#", "%23").replace("<", "%3C").replace(">", "%3E")
