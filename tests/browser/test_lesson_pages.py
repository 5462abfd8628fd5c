"""The lessons as a learner meets them (issue 15), in Chromium.

* Every notebook opens unmodified, in JupyterLab (no ● on its tab) and in Notebook 7 (no
  "unsaved changes" prompt armed), once its kernel has started and reported itself; a copy
  whose ``language_info`` has only a name (the issue's cause) is seen as modified, so the
  check can fail.
* The Voilà command the README gives, run as written from the repository's root, serves the
  app page: four explorers, captions, no code, no exercises; a typed weight changes the figure.
* Notebook 3's first exercise, at 1280×800: a Check with one entry off keeps the panel hidden
  and the grids where they were; the right answer reveals it; *Show answer* reveals the other
  and says so. Screenshots of each step go to test-artifacts/browser/lesson-03-*.png.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest
from answer_search import grid_shows
from playwright.sync_api import expect

from .conftest import _start, _wait_ready
from .helpers import (
    JS_ITEMS,
    LONG,
    MEDIUM,
    _lab_opener,
    cell_selector,
    figure_traces,
    open_notebook,
    open_voila,
    run_all_cells,
    screenshot,
    shutdown_kernels,
    unexpected_console_errors,
)
from .servers import REPO_ROOT, free_port, jupyter_env, stop

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb"))
SETTLE = 3.0  # s to watch a freshly opened notebook after its kernel is idle
# Voilà loads every installed labextension; these two (installed by the test extra's jupytext and
# notebook) need JupyterLab-only shared modules and fail to load there, harmlessly. They belong in
# helpers.BENIGN_CONSOLE_ERRORS (tests/browser/test_voila.py meets them too).
VOILA_SKIPS_LAB_ONLY_EXTENSIONS = [
    r"^console: Error: The getter for the shared module is not a function\. [\s\S]*"
    r"/voila/labextensions/(jupyterlab-jupytext|@jupyter-notebook/lab-extension)/",
]
# True when the page would ask "leave with unsaved changes?": JupyterLab and Notebook 7 arm
# their beforeunload handler exactly when a document is dirty.
JS_UNSAVED = """() => { const e = document.createEvent('BeforeUnloadEvent');
    e.initEvent('beforeunload', false, true); window.dispatchEvent(e); return !!e.returnValue; }"""


def _kernel_idle(base_url: str, nb_name: str) -> bool:
    opener, _ = _lab_opener(base_url)
    with opener.open(f"{base_url}/api/sessions", timeout=30) as r:
        sessions = [s for s in json.loads(r.read()) if str(s.get("path", "")).endswith(nb_name)]
    return bool(sessions) and all(s["kernel"]["execution_state"] == "idle" for s in sessions)


def _watch_unmodified(page, tab_dirty: str | None) -> list[str]:
    """What marks the document modified during :data:`SETTLE` seconds (empty when nothing does)."""
    seen: list[str] = []
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline and not seen:
        if tab_dirty and page.locator(tab_dirty).count():
            seen.append(f"{tab_dirty} is shown")
        if page.evaluate(JS_UNSAVED):
            seen.append("leaving the page would ask about unsaved changes")
        time.sleep(0.25)
    return seen


def _name_only_copy(root: Path, nb_name: str) -> str:
    """A copy of ``nb_name`` in ``root`` whose language_info has only a name, as before issue 15."""
    nb = nbformat.read(NOTEBOOKS_DIR / nb_name, as_version=4)
    nb.metadata["language_info"] = {"name": "python"}
    name = "name_only_" + nb_name
    nbformat.write(nb, root / name)
    return name


def _opens_unmodified_in_lab(page, lab_server, nb_name: str) -> list[str]:
    try:
        open_notebook(page, lab_server.url, nb_name)  # returns when the kernel is Idle
        return _watch_unmodified(page, ".lm-TabBar-tab.jp-mod-dirty")
    finally:
        shutdown_kernels(lab_server.url, nb_name)


@pytest.mark.parametrize("nb_name", NOTEBOOKS)
def test_opens_unmodified_in_jupyterlab(nb_name, lab_server, page):
    assert _opens_unmodified_in_lab(page, lab_server, nb_name) == []


def test_a_notebook_with_a_bare_language_info_opens_modified_in_jupyterlab(lab_server, page):
    name = _name_only_copy(lab_server.root, "00_index.ipynb")
    assert _opens_unmodified_in_lab(page, lab_server, name) != []


def _opens_unmodified_in_notebook7(page, url: str, nb_name: str) -> list[str]:
    try:
        page.goto(f"{url}/notebooks/{nb_name}")
        expect(page.locator(".jp-Notebook").first).to_be_visible(timeout=LONG)
        page.wait_for_function("() => document.querySelector('.jp-Notebook .jp-Cell') !== null", timeout=LONG)
        deadline = time.monotonic() + LONG / 1000
        while not _kernel_idle(url, nb_name):
            assert time.monotonic() < deadline, f"{nb_name}: the kernel never became idle"
            time.sleep(0.25)
        return _watch_unmodified(page, None)
    finally:
        shutdown_kernels(url, nb_name)


@pytest.mark.parametrize("nb_name", NOTEBOOKS)
def test_opens_unmodified_in_notebook7(nb_name, notebook7_server, page):
    url, _ = notebook7_server
    assert _opens_unmodified_in_notebook7(page, url, nb_name) == []


def test_a_notebook_with_a_bare_language_info_opens_modified_in_notebook7(notebook7_server, page):
    url, root = notebook7_server
    assert _opens_unmodified_in_notebook7(page, url, _name_only_copy(root, "00_index.ipynb")) != []


# -- the Voilà app page, from the README's command ----------------------------------------------


def _readme_voila_command() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"^(\S*voila\s+\S+\.ipynb)\s*$", readme, re.M)
    assert len(commands) == 1, f"the README should give one Voilà command, it gives {commands}"
    return commands[0]


def test_the_readme_voila_command_serves_the_app_page_and_it_follows_an_edit(page, tmp_path, artifacts_dir):
    program, *args = _readme_voila_command().split()
    if not (REPO_ROOT / program).is_file():
        pytest.skip(f"{program} is made by the README's install command; this checkout has none")
    port = free_port()
    log = artifacts_dir / "voila-readme-command.log"
    # exactly as written, from the repository's root; a port of our own and no browser
    proc = _start([program, *args, f"--port={port}", "--Voila.ip=127.0.0.1", "--no-browser"],
                  jupyter_env(tmp_path / "home"), REPO_ROOT, log)
    try:
        _wait_ready(proc, port, log, None)  # every GET of the page starts a kernel: probe the port only
        open_voila(page, f"http://127.0.0.1:{port}/", heatmaps=1)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 4", timeout=LONG)
        screenshot(page, "lesson-voila-app", full_page=True)
        text = page.locator("body").inner_text()
        headings = page.locator("h2").all_inner_texts()
        assert len(headings) == 4, headings
        for code in ("ChainRuleExplorer(", "cv.demos", "import chainviz", "check(", "Exercise", "Ask the room"):
            assert code not in text, f"the app page shows {code!r}"

        # the numbers the first figure prints (its text trace, read back per panel)
        printed = f"() => JSON.stringify(({JS_ITEMS})(document.querySelector('.js-plotly-plot')).map(t => t.labels))"
        before = page.evaluate(printed)
        assert '"0.' in before or '"−0.' in before, "the first figure prints no numbers"
        cell = page.locator("input.cv-cell").first
        cell.click()
        cell.fill("2")
        cell.press("Enter")
        page.wait_for_function(f"([old]) => ({printed})() !== old", arg=[before], timeout=MEDIUM)
        screenshot(page, "lesson-voila-app-after-edit", full_page=True)
        errors = [e for e in unexpected_console_errors(page.console_errors)
                  if not any(re.search(rx, e) for rx in VOILA_SKIPS_LAB_ONLY_EXTENSIONS)]
        assert errors == []
    finally:
        stop(proc)


# -- an exercise, as a learner does it ------------------------------------------------------------


def _quiz_cell_index() -> int:
    cells = nbformat.read(NOTEBOOKS_DIR / "03_two_layer_net.ipynb", as_version=4).cells
    return next(k for k, c in enumerate(cells) if c.cell_type == "code" and 'quiz=["D1", "J"]' in c.source)


def _quiz_truths() -> dict:
    import chainviz as cv

    relu = cv.examples.PRESETS["relu"]
    x = np.array([0.5, 1.0, -0.8])  # the exercise's input (notebooks/src/03_two_layer_net.py)
    return {"D1": relu.net.forward(x).slopes[0], "J": relu.net.jacobian(x)}


def _drawn(page, root: str, answer) -> bool:
    return any(t.get("z") is not None and grid_shows(np.array(t["z"], dtype=float), answer)
               for t in figure_traces(page, root) if t["type"] == "heatmap")


def _grid_inputs(page, root: str) -> list[dict]:
    """The exercise grids' inputs (they start empty): where each sits relative to the cell."""
    return page.evaluate(
        """(root) => { const cell = document.querySelector(root).getBoundingClientRect();
            return Array.from(document.querySelectorAll(root + ' input.cv-cell'))
              .filter(e => e.dataset.cvQuiz === '1' || (e.value === '' && (e.dataset.cvQuiz = '1')))
              .map(e => { const r = e.getBoundingClientRect();
                          return {x: Math.round(r.x - cell.x), y: Math.round(r.y - cell.y), value: e.value}; }); }""",
        root)


def _type(page, root: str, first: int, values) -> None:
    inputs = page.locator(f"{root} input[data-cv-quiz='1']")
    for k, v in enumerate(np.ravel(values)):
        box = inputs.nth(first + k)
        box.fill(f"{v:g}")
        box.press("Tab")


def test_an_exercise_keeps_its_answer_hidden_and_its_grids_in_place(lab_server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(60_000)
    page = context.new_page()
    k = _quiz_cell_index()
    root = cell_selector(k)
    truths = _quiz_truths()
    d1 = truths["D1"]
    try:
        open_notebook(page, lab_server.url, "03_two_layer_net.ipynb")
        run_all_cells(page)
        page.wait_for_function("(root) => document.querySelector(root + ' .js-plotly-plot .heatmaplayer')",
                               arg=root, timeout=LONG)
        check_d1 = page.locator(f"{root} button", has_text=re.compile(r"^\s*Check\b")).first
        # the grids at the bottom of the window, the panels they hide above them
        check_d1.evaluate("b => b.scrollIntoView({block: 'end'})")
        grids = _grid_inputs(page, root)
        assert len(grids) == d1.size + truths["J"].size, f"exercise grids: {grids}"
        screenshot(page, "lesson-03-1-exercise")
        assert not _drawn(page, root, d1) and not _drawn(page, root, truths["J"])

        wrong = d1.copy()
        wrong[2] = 1 - wrong[2]
        _type(page, root, 0, wrong)
        check_d1.evaluate("b => b.scrollIntoView({block: 'end'})")
        before = page.locator(root).inner_text()
        check_d1.click()
        page.wait_for_function("([root, old]) => document.querySelector(root).innerText !== old",
                               arg=[root, before], timeout=MEDIUM)
        screenshot(page, "lesson-03-2-one-entry-off")
        assert not _drawn(page, root, d1), "3 of 4 right revealed D1"
        assert [(g["x"], g["y"]) for g in _grid_inputs(page, root)] == [(g["x"], g["y"]) for g in grids], (
            "the exercise grids moved after Check")

        _type(page, root, 0, d1)
        check_d1.click()
        deadline = time.monotonic() + MEDIUM / 1000
        while not _drawn(page, root, d1):
            assert time.monotonic() < deadline, "all of D1 right, and its panel is still hidden"
            time.sleep(0.2)
        check_d1.evaluate("b => b.scrollIntoView({block: 'end'})")
        screenshot(page, "lesson-03-3-right")
        assert [(g["x"], g["y"]) for g in _grid_inputs(page, root)] == [(g["x"], g["y"]) for g in grids]

        show = page.locator(f"{root} button", has_text=re.compile(r"Show answer", re.I)).last
        show.click()
        deadline = time.monotonic() + MEDIUM / 1000
        while not _drawn(page, root, truths["J"]):
            assert time.monotonic() < deadline, "Show answer did not reveal J"
            time.sleep(0.2)
        assert re.search(r"\bshown\b", page.locator(root).inner_text(), re.I)
        screenshot(page, "lesson-03-4-answer-shown")
    finally:
        shutdown_kernels(lab_server.url, "03_two_layer_net.ipynb")
        context.close()
