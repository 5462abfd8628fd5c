"""The explorer's own small widgets: a grid per matrix, and bars of labelled native controls.

Each is one anywidget (one widget model plus its layout), plain ES module, no build
step: an explorer opens a few dozen models instead of hundreds. They hold no state
of their own that matters: the explorer sets their traits from its state, and they
report what a person did as messages (``{"event": "edit", "i": 0, "j": 2, "text": "0.5"}``),
which the explorer turns into one transition.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import anywidget
import traitlets as t

from .esm import module_source

STATIC = Path(__file__).parent / "static"
_CSS = (STATIC / "explorer.css").read_text()


class _Reporting(anywidget.AnyWidget):
    """Sends each message from the page to ``handler(content)``; ``ack`` counts the answered ones."""

    ack = t.Int(0).tag(sync=True)

    def __init__(self, handler: Callable[[dict], None] | None = None, **kwargs):
        super().__init__(**kwargs)
        self._handler = handler
        self.on_msg(self._received)

    def _received(self, _widget, content, _buffers) -> None:
        try:
            if self._handler is not None and isinstance(content, dict):
                self._handler(content)
        finally:
            self.ack += 1  # the page may now send what it held back (a slider's latest value)


class MatrixGrid(_Reporting):
    """An editable grid of one matrix (``W1``, ``x``, an exercise answer).

    Traits: ``name`` (used in cell names, "W1 row 2 column 1"), ``title``/``subtitle``
    (the header), ``label`` (the grid's accessible name), ``cells`` (``(r, k)`` texts),
    ``errors`` (``{"i,j": message}``), ``marks`` (``(r, k)`` of 1 right, −1 wrong, 0 unmarked),
    ``selected`` (``[i, j]`` or ``[]``), ``focus_token`` (increment to focus the selected
    cell), ``column`` (a vector shown as one column), ``editable``, ``option`` (an optional
    select in the header: ``{"label", "value", "options": [[label, value], ...]}``).
    """

    _esm = module_source(STATIC / "matrix_grid.js")
    _css = _CSS
    name = t.Unicode("").tag(sync=True)
    title = t.Unicode("").tag(sync=True)
    subtitle = t.Unicode("").tag(sync=True)
    label = t.Unicode("").tag(sync=True)
    cells = t.List([]).tag(sync=True)
    errors = t.Dict({}).tag(sync=True)
    marks = t.List([]).tag(sync=True)
    selected = t.List([]).tag(sync=True)
    focus_token = t.Int(0).tag(sync=True)
    column = t.Bool(False).tag(sync=True)
    editable = t.Bool(True).tag(sync=True)
    option = t.Dict({}).tag(sync=True)


class ControlBar(_Reporting):
    """A wrapping row of labelled controls described by ``items`` (see ``static/control_bar.js``).

    With ``report=True`` the bar also reports ``width`` (px it is given, to lay the figure out
    for) and ``dark`` (JupyterLab's theme is dark).
    """

    _esm = module_source(STATIC / "control_bar.js")
    _css = _CSS
    items = t.List([]).tag(sync=True)
    report = t.Bool(False).tag(sync=True)
    width = t.Int(0).tag(sync=True)
    dark = t.Bool(False).tag(sync=True)

    def set_items(self, items: list[dict]) -> None:
        """Show ``items``. When only some items changed (a value, a message), only those travel, as a
        patch: a bar's whole list (menus and all) would cost kilobytes on every edit. The trait still
        holds the whole list, so a page that opens the widget later draws it as it is now."""
        new = json.loads(json.dumps(items))
        old = self.items
        if _structure(old) != _structure(new):
            self.items = new
            return
        changed = _changed(old, new)
        if not changed:
            return
        with self._lock_property(items=new):  # the kernel's copy is current; the page gets the patch
            self.items = new
        self.send({"patch": changed})


def _structure(items: list[dict]) -> list:
    """Ids and kinds in order, groups with their children: what a patch cannot change."""
    return [(it.get("id"), it.get("kind"), _structure(it.get("items", []))) for it in items]


def _changed(old: list[dict], new: list[dict]) -> list[dict]:
    """The items of ``new`` (at any depth) that differ from those of ``old``, without their children."""
    out = []
    for a, b in zip(old, new):
        if {k: v for k, v in a.items() if k != "items"} != {k: v for k, v in b.items() if k != "items"}:
            out.append({k: v for k, v in b.items() if k != "items"})
        out += _changed(a.get("items", []), b.get("items", []))
    return out


class PanelTables(_Reporting):
    """The figure's panels as tables (``static/panel_tables.js``): read in the page from the figure
    itself, so they say what is drawn. Traits: ``captions`` (``{"top:W1": "W1, 4×3, ∂z₁/∂x"}``),
    ``shown`` (visible; otherwise only for assistive technology), ``selected`` (``[panel, i, j]``).
    A cell chosen with Enter or a click is reported as ``{"event": "select", "panel", "i", "j"}``."""

    _esm = module_source(STATIC / "panel_tables.js")
    _css = _CSS
    captions = t.Dict({}).tag(sync=True)
    shown = t.Bool(False).tag(sync=True)
    selected = t.List([]).tag(sync=True)


_ROW = re.compile(r"\[([^\[\]]*)\]")


def parse_block(text: str) -> list[list[str]]:
    """A pasted block as rows of entry texts (each still to be read by ``parse_number``).

    Two spellings: numpy/Python style ``[[0.5, 1], [2, 3]]`` (entries split at commas), or
    lines of entries split by tabs, semicolons or spaces (a spreadsheet copy); there a comma
    stays inside an entry (``0,5`` is a decimal comma). Raises ``ValueError`` if the rows
    have different lengths or nothing is there.
    """
    text = str(text).strip()
    if text.startswith("["):
        rows = _ROW.findall(text) or [text.strip("[]")]
        block = [[e.strip() for e in r.split(",") if e.strip()] for r in rows]
    else:
        block = [[e for e in re.split(r"[\t; ]+", line.strip()) if e] for line in text.splitlines() if line.strip()]
    block = [r for r in block if r]
    if not block:
        raise ValueError("the pasted text holds no numbers")
    lengths = {len(r) for r in block}
    if len(lengths) > 1:
        raise ValueError(f"the pasted rows have different lengths ({', '.join(str(len(r)) for r in block)}): "
                         f"paste a rectangular block")
    return block
