"""The committed notebooks are clean, slide-ready, and what tools/make_notebooks.py writes.

Clean means: no widget state, no outputs and no execution counts. Running the
notebooks is nbval's job (``pytest --nbval-lax notebooks/``; the cells that print
numbers assert their closed-form values); this file only reads them, in well
under a second.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GENERATOR = ROOT / "tools" / "make_notebooks.py"
# "" continues the slide (JupyterLab's "-" in its property inspector); a literal "-" puts the cell
# on no slide in jupyterlab-slideshow 0.3.4, so it is not allowed here.
SLIDE_TYPES = {"slide", "subslide", "fragment", "", "skip", "notes"}
LESSONS = ["01_jacobians", "02_vector_chain_rule", "03_two_layer_net", "04_reverse_mode"]
ALL = ["00_index", *LESSONS]
DECKS = ["03_two_layer_net", "04_reverse_mode"]
MAX_BYTES = 100_000  # a notebook that grew past this has picked up outputs or widget state


def _read(name: str) -> nbformat.NotebookNode:
    path = NOTEBOOKS / f"{name}.ipynb"
    assert path.is_file(), f"{path} is missing; run: python tools/make_notebooks.py"
    return nbformat.read(path, as_version=4)


@functools.cache
def _generator():
    """tools/make_notebooks.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("_chainviz_make_notebooks", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _where(name: str, k: int, cell) -> str:
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else "(empty)"
    return f"{name}.ipynb cell {k} ({first[:60]!r})"


@pytest.mark.parametrize("name", ALL)
def test_valid_and_small(name):
    nb = _read(name)
    nbformat.validate(nb)
    size = (NOTEBOOKS / f"{name}.ipynb").stat().st_size
    assert size < MAX_BYTES, f"{name}.ipynb is {size} bytes: outputs or widget state were committed"


@pytest.mark.parametrize("name", ALL)
def test_no_widget_state(name):
    nb = _read(name)
    assert "widgets" not in nb.metadata, f"{name}.ipynb stores widget state (metadata.widgets): strip it"
    for k, cell in enumerate(nb.cells):
        assert "widgets" not in cell.metadata, f"{_where(name, k, cell)} stores widget metadata"


@pytest.mark.parametrize("name", ALL)
def test_no_outputs(name):
    nb = _read(name)
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{_where(name, k, cell)} has outputs: strip them"
            assert cell.execution_count is None, f"{_where(name, k, cell)} has an execution_count"


@pytest.mark.parametrize("name", ALL)
def test_every_cell_has_a_slide_type(name):
    nb = _read(name)
    for k, cell in enumerate(nb.cells):
        slide = cell.metadata.get("slideshow", {}).get("slide_type")
        hint = ' (use "" to continue the slide: jupyterlab-slideshow shows "-" cells on no slide)' if slide == "-" else ""
        assert slide in SLIDE_TYPES, f"{_where(name, k, cell)} has slide_type {slide!r}{hint}"


@pytest.mark.parametrize("name", DECKS)
def test_decks_open_on_a_slide_with_a_big_screen_explorer(name):
    nb = _read(name)
    assert nb.cells[0].metadata["slideshow"]["slide_type"] == "slide"
    assert sum(c.metadata["slideshow"]["slide_type"] == "slide" for c in nb.cells) >= 5
    assert any("presentation=True" in c.source for c in nb.cells if c.cell_type == "code")


def test_index_links_the_four_in_order():
    text = "\n".join(c.source for c in _read("00_index").cells if c.cell_type == "markdown")
    links = re.findall(r"\]\((0[1-4]_[a-z_]+\.ipynb)\)", text)
    assert links == [f"{n}.ipynb" for n in LESSONS], links
    for target in links:
        assert (NOTEBOOKS / target).is_file(), target


@pytest.mark.parametrize("name", LESSONS)
def test_lessons_end_with_checked_exercises(name):
    cells = _read(name).cells
    heads = [k for k, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    assert heads, f"{name}.ipynb has no '## Exercises' section"
    checks = [c for c in cells[heads[-1]:] if c.cell_type == "code" and re.search(r"\bcheck(_quiz)?\(", c.source)]
    assert 2 <= len(checks) <= 4, f"{name}.ipynb has {len(checks)} exercise check cells"


def test_an_exercise_uses_the_explorer_quiz():
    sources = [c.source for n in DECKS for c in _read(n).cells if c.cell_type == "code"]
    assert any(re.search(r"ChainRuleExplorer\(.*quiz=\[", s) for s in sources)


def test_notebooks_match_the_generator():
    gen = _generator()
    assert list(gen.NOTEBOOKS) == ALL
    for name in ALL:
        assert gen.sources_of(_read(name)) == gen.sources_of(gen.build(name)), (
            f"{name}.ipynb differs from tools/make_notebooks.py: edit the generator, then run "
            "python tools/make_notebooks.py"
        )


# -- the exercise checkers every notebook defines -------------------------------------------


@pytest.fixture(scope="module")
def helpers():
    namespace: dict = {}
    for cell in _generator().setup_cells():
        exec(cell.source, namespace)  # noqa: S102 - our own generated source
    return namespace


WRONG_ANSWERS = [
    ..., [[..., ...], [..., ...]], [[1, 2], [3]], [[1, 2, 3]], "two", None, {"a": 1},
    [["x", 1], [2, 3]], [[float("nan"), 1], [2, 1]], [[2, 1], [2, 2]], 7, [[1e308, 1], [2, 1]],
]


@pytest.mark.parametrize("answer", WRONG_ANSWERS, ids=repr)
def test_check_says_not_yet_and_never_raises(helpers, capsys, answer):
    assert helpers["check"](answer, [[2, 1], [2, 1]], "my_J") is None  # nothing for the cell to echo
    out = capsys.readouterr().out
    assert out.startswith("not yet"), out
    assert "Traceback" not in out


@pytest.mark.parametrize("answer", [[[2, 1], [2, 1]], ((2.0004, 1), (2, 1)), [["2", "1"], ["2", 1]]])
def test_check_says_right(helpers, capsys, answer):
    helpers["check"](answer, [[2, 1], [2, 1]], "my_J")
    assert capsys.readouterr().out.startswith("right")


def test_check_accepts_rows_and_numbers_loosely(helpers, capsys):
    helpers["check"]([6, -2], [[6, -2]], "row")
    helpers["check"](12, 12.0, "slope")
    helpers["check"]((3, 5), (3, 5), "shape")
    assert capsys.readouterr().out.splitlines() == ["right: row", "right: slope", "right: shape"]


def test_check_quiz_never_raises(helpers, capsys):
    class Grumpy:  # an explorer whose answer() rejects everything, as a wrong shape does
        def answer(self, name, values):
            raise ValueError(f"quiz {name!r} expects 1×4 values, got 1×3")

    assert helpers["check_quiz"](Grumpy(), "D1", [..., ..., ..., ...]) is None
    assert helpers["check_quiz"](Grumpy(), "D1", [1, 2, 3]) is None
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("not yet: replace every ...") and out[1] == "not yet: quiz 'D1' expects 1×4 values, got 1×3"
