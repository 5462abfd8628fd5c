"""Grids of typed numeric cells: the editors for W1, W2, x and the target.

A cell reports ``(i, j, text)`` on Enter or when it loses focus; the explorer
decides whether the text is valid and tells the grid to mark or clear the cell.
The grid never changes a value by itself.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as W
import numpy as np

from ..core.notation import fmt


def cell_text(v: float) -> str:
    """How a stored value is shown in its cell (ASCII minus, so it can be typed back)."""
    return fmt(v, 4).replace("−", "-")


class MatrixEditor:
    """An ``(r, k)`` grid of text cells with a title, e.g. ``W1  4×3``.

    Parameters
    ----------
    name : str
        Shown above the grid and used in cell descriptions (``W1[2,0]``).
    values : ndarray ``(r, k)``
    on_edit : callable ``(i, j, text) -> None``
    column : bool
        Show a vector as one column (``x``, ``t``) instead of one row.
    """

    def __init__(self, name: str, values: np.ndarray, on_edit: Callable[[int, int, str], None],
                 column: bool = False, cell_width: str = "62px"):
        self.name = name
        self.column = column
        self._on_edit = on_edit
        self._syncing = False
        self.cell_width = cell_width
        self.title = W.HTML()
        self.grid = W.GridBox(layout=W.Layout(grid_gap="2px"))
        self.widget = W.VBox([self.title, self.grid], layout=W.Layout(margin="0 12px 0 0"))
        self.cells: list[list[W.Text]] = []
        self.set_values(values)

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.cells), len(self.cells[0]) if self.cells else 0)

    def label(self, i: int, j: int) -> str:
        return f"{self.name}[{i}]" if self.column or self.shape[0] == 1 else f"{self.name}[{i},{j}]"

    def _build(self, r: int, k: int) -> None:
        self.cells = []
        for i in range(r):
            row = []
            for j in range(k):
                # no margin: the grid's gap spaces the cells, and the last column is not clipped
                t = W.Text(continuous_update=False, layout=W.Layout(width=self.cell_width, margin="0"))
                t.add_class("cv-cell")
                t.observe(self._handler(i, j), names=["value"])
                row.append(t)
            self.cells.append(row)
        self.grid.layout.grid_template_columns = f"repeat({k}, {self.cell_width})"
        self.grid.children = [t for row in self.cells for t in row]

    def _handler(self, i: int, j: int):
        def handle(change):
            if not self._syncing:
                self._on_edit(i, j, change["new"])

        return handle

    def set_values(self, values: np.ndarray) -> None:
        """Show ``values``; rebuilds the cells if the shape changed. Clears every mark."""
        M = np.atleast_2d(np.asarray(values, dtype=float))
        if self.column:
            M = M.reshape(-1, 1)
        if M.shape != self.shape:
            self._build(*M.shape)
        self._syncing = True
        try:
            for i, row in enumerate(self.cells):
                for j, t in enumerate(row):
                    t.value = cell_text(M[i, j])
                    t.tooltip = f"{self.label(i, j)}: type a number and press Enter"
                    t.remove_class("cv-bad")
        finally:
            self._syncing = False
        r, k = M.shape
        self.title.value = f"<b>{self.name}</b>&nbsp; {r}×{k}" if not self.column else f"<b>{self.name}</b>&nbsp; length {r}"

    def mark(self, i: int, j: int, message: str | None) -> None:
        """Mark cell ``(i, j)`` as rejected with ``message``, or clear it with ``None``."""
        t = self.cells[i][j]
        if message:
            t.add_class("cv-bad")
            t.tooltip = message
        else:
            t.remove_class("cv-bad")
            t.tooltip = f"{self.label(i, j)}: type a number and press Enter"

    def show_value(self, i: int, j: int, v: float) -> None:
        """Put the accepted value back in its cell, normalised (``.5`` -> ``0.5``)."""
        self._syncing = True
        try:
            self.cells[i][j].value = cell_text(v)
        finally:
            self._syncing = False
        self.mark(i, j, None)

    def set_enabled(self, enabled: bool) -> None:
        for row in self.cells:
            for t in row:
                t.disabled = not enabled


class CellPicker:
    """Which cell the scrub slider moves: a matrix name and a row and column index.

    Works at any size (a list of every cell would not, at 256×256). ``on_change``
    is called with ``(name, i, j)`` whenever the choice changes.
    """

    def __init__(self, on_change: Callable[[str, int, int], None]):
        self._on_change = on_change
        self._shapes: dict[str, tuple[int, int]] = {}
        self._syncing = False
        self.name = W.Dropdown(options=["W1"], description="scrub", layout=W.Layout(width="auto"))
        self.name.style.description_width = "initial"
        self.i = W.BoundedIntText(min=0, max=0, description="row", layout=W.Layout(width="auto"))
        self.j = W.BoundedIntText(min=0, max=0, description="col", layout=W.Layout(width="auto"))
        for wdg in (self.i, self.j):
            wdg.layout.max_width = "120px"
        for wdg in (self.i, self.j):
            wdg.style.description_width = "initial"
        self.widget = W.HBox([self.name, self.i, self.j])
        for wdg in (self.name, self.i, self.j):
            wdg.observe(self._changed, names=["value"])

    @property
    def value(self) -> tuple[str, int, int]:
        return self.name.value, self.i.value, self.j.value

    def set_shapes(self, shapes: dict[str, tuple[int, int]]) -> None:
        """The pickable matrices and their shapes; keeps the current cell where it still exists."""
        self._shapes = dict(shapes)
        self._syncing = True
        try:
            current = self.name.value
            self.name.options = list(shapes)
            self.name.value = current if current in shapes else next(iter(shapes))
            self._bound()
        finally:
            self._syncing = False

    def select(self, name: str, i: int, j: int) -> None:
        if name not in self._shapes:
            return
        self._syncing = True
        try:
            self.name.value = name
            self._bound()
            self.i.value, self.j.value = i, j
        finally:
            self._syncing = False
        self._on_change(*self.value)

    def _bound(self) -> None:
        r, k = self._shapes[self.name.value]
        self.i.max, self.j.max = r - 1, k - 1
        self.j.layout.display = "" if k > 1 else "none"

    def _changed(self, change) -> None:
        if self._syncing:
            return
        if change["owner"] is self.name:
            self._syncing = True
            try:
                self._bound()
            finally:
                self._syncing = False
        self._on_change(*self.value)
