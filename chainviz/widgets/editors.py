"""Grids of typed numeric cells: the editors for W1, W2, x and the target.

A cell reports ``(i, j, text)`` on Enter or when it loses focus; the explorer
decides whether the text is valid and tells the grid to mark or clear the cell.
The grid never changes a value by itself.
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as W
import numpy as np

from ..views.style import fmt


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
                 column: bool = False, cell_width: str = "64px"):
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
                t = W.Text(continuous_update=False, layout=W.Layout(width=self.cell_width))
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
