"""The ES modules of chainviz's anywidgets, each sent with the prelude they all share
(``chainviz/_static/deadline.js``: a longer start-up deadline for widget models on a busy page)."""

from __future__ import annotations

import functools
from pathlib import Path

PRELUDE = Path(__file__).resolve().parents[1] / "_static" / "deadline.js"


def strip_comments(text: str) -> str:
    """``text`` without its blank lines and ``//`` comment lines: a module's comments explain the
    file, the page needs none of them."""
    return "\n".join(line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("//"))


@functools.cache
def prelude() -> str:
    """The shared prelude's code, without its comments."""
    return strip_comments(PRELUDE.read_text(encoding="utf-8"))


@functools.cache
def module_source(path: Path) -> str:
    """The module at ``path`` as anywidget's ``_esm``: the prelude, then the file."""
    return prelude() + "\n" + path.read_text(encoding="utf-8")
