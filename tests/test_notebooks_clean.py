"""The committed notebooks: built from their sources, clean, slide-ready, and openable unmodified.

Each ``notebooks/NAME.ipynb`` is written by ``tools/make_notebooks.py`` from the jupytext
percent script ``notebooks/src/NAME.py``; this file checks that the two agree (the drift
check), that nothing but sources was committed (no outputs, no widget state), and what
JupyterLab needs to open a notebook without marking it modified: the kernelspec and the
whole ``language_info`` its kernel reports. Running the notebooks is nbval's job; their
exercises are tests/test_lessons_exercises.py's. This file only reads, in about a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from notebook_tool import tool

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
# "" continues the slide (JupyterLab's "-" in its property inspector); a literal "-" puts the cell
# on no slide in jupyterlab-slideshow 0.3.4, so it is not allowed here.
SLIDE_TYPES = {"slide", "subslide", "fragment", "", "skip", "notes"}
LESSONS = ["01_jacobians", "02_vector_chain_rule", "03_two_layer_net", "04_reverse_mode", "05_training"]
APP = "explorer_app"
ALL = ["00_index", *LESSONS, APP]
DECKS = ["03_two_layer_net", "04_reverse_mode"]
MAX_BYTES = 100_000  # a notebook that grew past this has picked up outputs or widget state




def _read(name: str) -> nbformat.NotebookNode:
    path = NOTEBOOKS / f"{name}.ipynb"
    assert path.is_file(), f"{path} is missing; run: python tools/make_notebooks.py"
    return nbformat.read(path, as_version=4)


def _where(name: str, k: int, cell) -> str:
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else "(empty)"
    return f"{name}.ipynb cell {k} ({first[:60]!r})"


def _tags(cell) -> list[str]:
    return cell.metadata.get("tags", [])


# -- sources and drift -----------------------------------------------------------------------


def test_every_notebook_has_a_source_and_every_source_a_notebook():
    assert tool().names() == sorted(ALL)
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(ALL)


def test_notebooks_match_their_sources():
    stale = tool().stale()
    assert stale == [], (f"{', '.join(stale)} differ from notebooks/src/: edit the source, then run "
                         "python tools/make_notebooks.py")


def test_the_drift_check_sees_an_edit(tmp_path, monkeypatch):
    mk = tool()
    src = tmp_path / "src"
    src.mkdir()
    text = (mk.SOURCE_DIR / "01_jacobians.py").read_text(encoding="utf-8")
    (src / "01_jacobians.py").write_text(text.replace("# # 1. Jacobians", "# # 1. Jacobian matrices"), encoding="utf-8")
    monkeypatch.setattr(mk, "SOURCE_DIR", src)
    assert mk.stale() == ["01_jacobians.ipynb"]


def test_a_solution_without_an_exercise_is_refused(tmp_path, monkeypatch):
    mk = tool()
    (tmp_path / "x.py").write_text('# %% tags=["solution"]\nmy_x = 1\n', encoding="utf-8")
    monkeypatch.setattr(mk, "SOURCE_DIR", tmp_path)
    with pytest.raises(ValueError, match=r"notebooks/src/x\.py, cell 0 .*must follow an exercise"):
        mk.build("x")


def test_solutions_are_in_the_sources_and_not_in_the_notebooks():
    for name in LESSONS:
        src = tool().read_source(name)
        notebook = _read(name)
        solutions = [c.source for c in src.cells if "solution" in _tags(c)]
        exercises = [c for c in notebook.cells if "exercise" in _tags(c)]
        assert len(solutions) == len(exercises) >= 2, name
        assert not any("solution" in _tags(c) for c in notebook.cells), name
        assert all("..." in c.source for c in exercises), f"{name}: an exercise cell with nothing to fill in"


# -- clean -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_valid_and_small(name):
    nb = _read(name)
    nbformat.validate(nb)
    size = (NOTEBOOKS / f"{name}.ipynb").stat().st_size
    assert size < MAX_BYTES, f"{name}.ipynb is {size} bytes: outputs or widget state were committed"


@pytest.mark.parametrize("name", ALL)
def test_no_widget_state_no_outputs(name):
    nb = _read(name)
    assert "widgets" not in nb.metadata, f"{name}.ipynb stores widget state (metadata.widgets): strip it"
    for k, cell in enumerate(nb.cells):
        assert "widgets" not in cell.metadata, f"{_where(name, k, cell)} stores widget metadata"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{_where(name, k, cell)} has outputs: strip them"
            assert cell.execution_count is None, f"{_where(name, k, cell)} has an execution_count"


@pytest.mark.parametrize("name", ALL)
def test_metadata_is_what_the_kernel_reports(name):
    # JupyterLab and Notebook 7 replace kernelspec and language_info with the kernel's on open and
    # mark the notebook modified when anything differs (issue 15: language_info had only a name).
    from ipykernel.ipkernel import IPythonKernel

    meta = _read(name).metadata
    assert meta.kernelspec == {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    info = dict(IPythonKernel.language_info)
    assert set(meta.language_info) == set(info), f"{name}: language_info has {sorted(meta.language_info)}"
    assert {k: v for k, v in meta.language_info.items() if k != "version"} == {
        k: v for k, v in info.items() if k != "version"}
    assert set(meta) == {"kernelspec", "language_info"}, f"{name}: extra notebook metadata {sorted(meta)}"


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


# -- what the lessons hold ---------------------------------------------------------------------


def test_index_links_the_lessons_in_order():
    text = "\n".join(c.source for c in _read("00_index").cells if c.cell_type == "markdown")
    links = re.findall(r"\]\((0[1-9]_[a-z_]+\.ipynb)\)", text)
    assert links == [f"{n}.ipynb" for n in LESSONS], links
    for target in links:
        assert (NOTEBOOKS / target).is_file(), target


@pytest.mark.parametrize("name", LESSONS)
def test_lessons_import_their_helpers(name):
    code = [c.source for c in _read(name).cells if c.cell_type == "code"]
    assert re.search(r"^from chainviz\.lesson import ", code[0], re.M), f"{name}: first code cell: {code[0]!r}"
    pasted = [s for s in code if re.search(r"^def (fmt|vec|shape|show|check|check_quiz)\(", s, re.M)]
    assert pasted == [], f"{name} defines a helper chainviz.lesson has: {pasted[0][:80]!r}"


@pytest.mark.parametrize("name", LESSONS)
def test_lessons_end_with_checked_exercises(name):
    cells = _read(name).cells
    heads = [k for k, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## Exercises")]
    assert heads, f"{name}.ipynb has no '## Exercises' section"
    roles = [("exercise" if "exercise" in _tags(c) else "check") for c in cells[heads[-1]:]
             if {"exercise", "check"} & set(_tags(c))]
    assert 2 <= roles.count("check") <= 4, f"{name}.ipynb has {roles.count('check')} exercise check cells"
    assert roles == ["exercise", "check"] * roles.count("check"), f"{name}: exercises and checks {roles}"
    for c in cells:
        if "check" in _tags(c):
            assert re.search(r"\bcheck(_quiz|_choice)?\(", c.source), f"{name}: a check cell that checks nothing"


def test_an_exercise_uses_the_explorer_quiz():
    sources = [c.source for n in DECKS for c in _read(n).cells if c.cell_type == "code"]
    assert any(re.search(r"ChainRuleExplorer\(.*quiz=\[", s) for s in sources)


# -- the Voilà app page and the commands that open it ----------------------------------------------


def test_the_app_page_is_captions_and_explorers_only():
    cells = _read(APP).cells
    code = [c for c in cells if c.cell_type == "code"]
    assert [bool(re.search(r"ChainRuleExplorer\(|cv\.demos\.\w+_demo\(", c.source)) for c in code] == [True] * 4
    joined = "\n".join(c.source for c in code)
    for demo in ("ChainRuleExplorer(", "jacobian_demo(", "composition_demo(", "scale_demo("):
        assert demo in joined, demo
    assert "print(" not in joined and "quiz=" not in joined and "check" not in joined
    for k, cell in enumerate(cells):
        assert cell.metadata["slideshow"]["slide_type"] != "notes" and not _tags(cell), _where(APP, k, cell)
        if cell.cell_type == "code":  # every explorer has its caption right above it
            assert cells[k - 1].cell_type == "markdown" and cells[k - 1].source.startswith("## "), _where(APP, k, cell)
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, _where(APP, k, cell)


def _voila_commands() -> list[tuple[str, str]]:
    texts = [("README.md", (ROOT / "README.md").read_text(encoding="utf-8"))]
    texts += [(f"notebooks/{n}.ipynb", "\n".join(c.source for c in _read(n).cells)) for n in ALL]
    found = []
    for where, text in texts:
        for line in text.splitlines():
            found += [(where, m.strip()) for m in re.findall(r"`([^`]*\bvoila\b[^`]*\.ipynb[^`]*)`", line)]
            if re.match(r"\s*(\S*/)?voila\s", line):
                found.append((where, line.strip()))
    return sorted(set(found))


def test_every_voila_command_uses_the_venv_and_an_existing_notebook():
    commands = _voila_commands()
    assert {w for w, _ in commands} >= {"README.md", "notebooks/00_index.ipynb"}, commands
    for where, command in commands:
        program, *args = command.split()
        assert program == ".venv/bin/voila", f"{where}: {command!r} needs the venv's voila (.venv/bin/voila)"
        notebooks = [a for a in args if a.endswith(".ipynb")]
        assert notebooks and all((ROOT / a).is_file() for a in notebooks), f"{where}: {command!r}"
        assert notebooks == ["notebooks/explorer_app.ipynb"], f"{where}: {command!r} should open the app page"


def test_the_readme_install_puts_voila_in_the_venv():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'python3 -m venv .venv && .venv/bin/pip install -e ".[lab]"' in readme
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extras = {name: re.findall(r'^\s*"([^"]+)"', block, re.M)
              for name, block in re.findall(r"^(\w+) = \[(.*?)^\]", pyproject, re.M | re.S)}
    assert any(re.match(r"voila\b", d) for d in extras["lab"])
    assert any(re.match(r"jupytext\b", d) for d in extras["lab"]) and any(re.match(r"jupytext\b", d) for d in extras["test"])
    assert any(re.match(r"notebook\b", d) for d in extras["test"])


@pytest.mark.parametrize("name", ALL)
def test_a_source_opened_and_saved_in_jupyterlab_is_unchanged(name, tmp_path):
    # what JupyterLab does with jupytext installed: Open With → Notebook reads the .py through
    # jupytext's contents manager; saving writes it back (with the kernel's language_info added)
    from jupytext import TextFileContentsManager

    text = (tool().SOURCE_DIR / f"{name}.py").read_text(encoding="utf-8")
    (tmp_path / f"{name}.py").write_text(text, encoding="utf-8")
    cm = TextFileContentsManager(root_dir=str(tmp_path))
    model = cm.get(f"{name}.py", type="notebook")
    assert any(c.metadata.get("slideshow") for c in model["content"].cells) == ("slideshow=" in text)
    model["content"].metadata["language_info"] = tool().language_info()
    cm.save(model, f"{name}.py")
    assert (tmp_path / f"{name}.py").read_text(encoding="utf-8") == text
