"""The ES modules of chainviz's anywidgets, each sent with the prelude they all share
(``chainviz/_static/deadline.js``: a longer start-up deadline for widget models on a busy page)."""

from __future__ import annotations

import functools
from pathlib import Path

PRELUDE = Path(__file__).resolve().parents[1] / "_static" / "deadline.js"


@functools.cache
def prelude(comments: bool = True) -> str:
    """The shared prelude's source; without its comments when ``comments`` is False."""
    text = PRELUDE.read_text(encoding="utf-8")
    if comments:
        return text
    return "\n".join(line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("//"))


@functools.cache
def module_source(path: Path) -> str:
    """The module at ``path`` as anywidget's ``_esm``: the prelude, then the file."""
    return prelude(comments=False) + "\n" + path.read_text(encoding="utf-8")
