#!/usr/bin/env python3
"""Write ``notebooks/*.ipynb`` from their editable sources in ``notebooks/src/*.py``.

The sources are jupytext "percent" scripts: a lecturer edits them in any editor, or in
JupyterLab (with jupytext installed, right-click the file, *Open With → Notebook*). Each
``# %%`` line starts a cell and carries its metadata::

    # %% [markdown] slideshow={"slide_type": "slide"}    a markdown cell that starts a slide
    # %% tags=["exercise"]                               the learner fills in the ...
    # %% tags=["solution"]                               replaces the exercise cell above it
                                                         in the solutions run; not in the notebook
    # %% tags=["check"]                                  prints "right" or "not yet: ..."
    # %% jupyter={"source_hidden": true}                 shown collapsed

A cell without a slide type continues the current slide (``""``, jupyterlab-slideshow's
"continue"). The written notebook has no outputs, no widget state, ids ``c00``, ``c01``, ...,
and the kernelspec and full ``language_info`` that ipykernel reports, so JupyterLab and
Notebook 7 open it without marking it modified.

    python tools/make_notebooks.py              # write every notebook from its source
    python tools/make_notebooks.py 03           # only those whose names start with 03
    python tools/make_notebooks.py --check      # exit 1 if a notebook differs from its source
    python tools/make_notebooks.py --solutions  # run each with its solutions: every check says "right"

``pytest`` runs the same drift check (tests/test_notebooks_clean.py), the solutions run
and the answer-leak check (tests/test_lessons_exercises.py), and the notebooks as the
learner gets them (nbval).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SOURCE_DIR = NOTEBOOK_DIR / "src"
# "" continues the slide: JupyterLab's property inspector writes "" for its "-" choice, and
# jupyterlab-slideshow 0.3.4 reads "" as "continue" but puts a "-" cell on no slide at all.
SLIDE_TYPES = ("slide", "subslide", "fragment", "", "skip", "notes")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
ROLES = ("exercise", "solution", "check")


def names() -> list[str]:
    """Every notebook that has a source, in order."""
    return sorted(p.stem for p in SOURCE_DIR.glob("*.py"))


def language_info() -> dict:
    """What ipykernel in this environment reports; JupyterLab rewrites anything else on open."""
    from ipykernel.ipkernel import IPythonKernel

    return dict(IPythonKernel.language_info)


def _role(cell) -> str | None:
    roles = [t for t in cell.metadata.get("tags", []) if t in ROLES]
    return roles[0] if roles else None


def read_source(name: str) -> nbformat.NotebookNode:
    import jupytext

    return jupytext.read(SOURCE_DIR / f"{name}.py", fmt="py:percent")


def build(name: str, solutions: bool = False) -> nbformat.NotebookNode:
    """The notebook ``name`` as written (or, with ``solutions``, each exercise cell replaced).

    Raises ``ValueError`` naming the source cell when a slide type is unknown or a
    solution does not follow an exercise.
    """
    src = read_source(name)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": language_info()}
    where = f"notebooks/src/{name}.py"
    last_exercise = None
    for k, cell in enumerate(src.cells):
        first = cell.source.strip().splitlines()[0][:50] if cell.source.strip() else "(empty)"
        meta = {key: v for key, v in cell.metadata.items() if key in ("slideshow", "tags", "jupyter")}
        meta.setdefault("slideshow", {"slide_type": ""})
        if meta["slideshow"].get("slide_type") not in SLIDE_TYPES:
            raise ValueError(f"{where}, cell {k} ({first!r}): slide_type {meta['slideshow'].get('slide_type')!r} "
                             f"is not one of {SLIDE_TYPES}")
        role = _role(cell)
        if role == "solution":
            if last_exercise is None:
                raise ValueError(f"{where}, cell {k} ({first!r}): a solution must follow an exercise cell")
            if solutions:
                last_exercise.source = cell.source
                last_exercise.metadata["tags"] = ["solution"]
            last_exercise = None
            continue
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(cell.source, metadata=meta)
        else:
            new = nbformat.v4.new_code_cell(cell.source, metadata=meta)
        if last_exercise is not None:
            raise ValueError(f"{where}: the exercise cell before cell {k} ({first!r}) has no solution cell after it")
        last_exercise = new if role == "exercise" else None
        new.id = f"c{len(nb.cells):02d}"
        nb.cells.append(new)
    if last_exercise is not None:
        raise ValueError(f"{where}: its last exercise cell has no solution cell after it")
    nbformat.validate(nb)
    return nb


def text_of(nb: nbformat.NotebookNode) -> str:
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def comparable(nb: nbformat.NotebookNode) -> dict:
    """What the drift check compares: the whole notebook but the Python version in language_info."""
    d = json.loads(nbformat.writes(nb))
    d["metadata"].get("language_info", {}).pop("version", None)
    return d


def stale() -> list[str]:
    """Notebooks whose committed ``.ipynb`` differs from what their source builds."""
    out = []
    for name in names():
        path = NOTEBOOK_DIR / f"{name}.ipynb"
        if not path.is_file() or comparable(nbformat.read(path, as_version=4)) != comparable(build(name)):
            out.append(path.name)
    return out


# -- the solutions run: in this process, so the tests can read what every cell shows ---------


@dataclass
class CellRun:
    """One code cell run in process: what it printed and what it displayed (its last value)."""

    index: int
    cell: nbformat.NotebookNode
    stdout: str = ""
    shown: list = field(default_factory=list)


class InProcess:
    """Run a notebook's code cells one at a time in one namespace, as a kernel would.

    ``run(k)`` runs cell ``k`` (in ``notebooks/`` as working directory) and returns its
    :class:`CellRun`; an exception in the cell propagates with the cell named.
    """

    def __init__(self, nb: nbformat.NotebookNode, label: str):
        self.nb, self.label = nb, label
        self.namespace: dict = {"__name__": "__main__"}
        self.runs: list[CellRun] = []

    def run(self, k: int) -> CellRun:
        cell = self.nb.cells[k]
        out = CellRun(k, cell)
        if cell.cell_type != "code" or not cell.source.strip():
            return out
        filename = f"{self.label}[cell {k}]"
        tree = ast.parse(cell.source, filename=filename)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        buffer = io.StringIO()
        cwd = os.getcwd()
        try:
            os.chdir(NOTEBOOK_DIR)
            with contextlib.redirect_stdout(buffer):
                exec(compile(tree, filename, "exec"), self.namespace)  # noqa: S102 - our own notebooks
                if last is not None:
                    value = eval(compile(ast.Expression(last.value), filename, "eval"), self.namespace)  # noqa: S307
                    if value is not None:
                        out.shown.append(value)
        finally:
            os.chdir(cwd)
        out.stdout = buffer.getvalue()
        self.runs.append(out)
        return out

    def run_all(self) -> list[CellRun]:
        return [self.run(k) for k in range(len(self.nb.cells))]


def check_solutions(name: str) -> int:
    """Run ``name`` with its solutions; every check cell must print only lines starting "right".

    Returns the number of check cells; raises ``AssertionError`` naming the first that did not.
    """
    runner = InProcess(build(name, solutions=True), f"{name} (solutions)")
    checks = 0
    for run in runner.run_all():
        if _role(run.cell) == "check":
            checks += 1
            lines = [line for line in run.stdout.splitlines() if line.strip()]
            assert lines and all(line.startswith("right") for line in lines), (
                f"{name} with its solutions: check cell {run.index} printed:\n{run.stdout}")
    return checks


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", help="notebook name prefixes (default: all)")
    p.add_argument("--check", action="store_true", help="only compare the notebooks with their sources")
    p.add_argument("--solutions", action="store_true", help="run each with its solutions filled in")
    args = p.parse_args(argv)
    chosen = [n for n in names() if not args.names or any(n.startswith(a) for a in args.names)]
    if not chosen:
        p.error(f"no notebook matches {args.names}; known: {', '.join(names())}")
    if args.check:
        bad = [n for n in stale() if Path(n).stem in chosen]
        if bad:
            print(f"out of date with notebooks/src/: {', '.join(bad)}; run python tools/make_notebooks.py")
            return 1
        print(f"{len(chosen)} notebooks match their sources in notebooks/src/")
        return 0
    if args.solutions:
        for name in chosen:
            print(f"{name}: {check_solutions(name)} check cells say right with the solutions")
        return 0
    for name in chosen:
        nb = build(name)
        (NOTEBOOK_DIR / f"{name}.ipynb").write_text(text_of(nb), encoding="utf-8")
        print(f"wrote notebooks/{name}.ipynb ({len(nb.cells)} cells) from notebooks/src/{name}.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
