"""The lessons in Jupyter Notebook 7 (issue 14): every notebook in notebooks/ runs from top
to bottom (Run → Run All Cells) with no error output, every figure it shows is drawn, the
browser's console stays free of errors, and in the app notebook a weight typed into the
chain-rule explorer reaches the figure (the printed J equals the core's J for the new weight).

Notebook 7 is JupyterLab's notebook in a page of its own: the same cells, outputs and menus,
but no status bar: whether the kernel has started is read from the server (``/api/sessions``),
whether Run All has finished from the toolbar's execution indicator.
"""

from __future__ import annotations

import re
import sys
import time

import nbformat
import pytest
from playwright.sync_api import expect

from chainviz import examples

from .helpers import (
    LONG,
    cell_error_outputs,
    expected_chain,
    grid_cell,
    kernel_state,
    rendered_panels,
    run_menu_command,
    screenshot,
    shutdown_kernels,
    unexpected_console_errors,
    wait_for_panel_labels,
    wait_until,
)
from .servers import REPO_ROOT
from .test_notebooks import expected_panels

#: Notebook 7.6.5's own error on every page it opens, chainviz or not: JupyterLab's shortcuts
#: extension (bundled in notebook_core.js) handles a settings change of
#: '@jupyterlab/docmanager-extension:plugin' by reading
#: ``registry.plugins['@jupyterlab/shortcuts-extension:shortcuts'].schema`` before Notebook 7 has
#: loaded that plugin's settings. Seen on a notebook of one markdown cell with every third-party
#: labextension disabled (page_config disabledExtensions); the page works on regardless.
NOTEBOOK7_OWN_ERROR = r"^pageerror: Cannot read properties of undefined \(reading 'schema'\)$"
NOTEBOOKS = sorted(p.name for p in (REPO_ROOT / "notebooks").glob("*.ipynb"))
#: the notebook whose first figure is a default ChainRuleExplorer, edited below
EDITED = "explorer_app.ipynb"

# Notebook 7 has no status bar; its toolbar's execution indicator says "busy" from Run All until
# the last scheduled cell has run (the kernel itself goes idle between cells), then blinks busy for
# the widgets' own messages. Run All is done when it has been busy and then idle for QUIET_MS.
QUIET_MS = 1000
PANEL_KINDS = ("heatmap", "bar", "scatter", "labels")

JS_WATCH_RUN = """() => {
    const ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
    const run = window.__cvRun = { busy: false, last: performance.now() };
    new MutationObserver(() => { run.last = performance.now(); if (ind.dataset.status === 'busy') run.busy = true; })
        .observe(ind, { attributes: true, attributeFilter: ['data-status'] });
}"""
JS_RUN_DONE = """(quiet) => { const run = window.__cvRun, ind = document.querySelector('.jp-Notebook-ExecutionIndicator');
    return run.busy && ind.dataset.status === 'idle' && performance.now() - run.last > quiet; }"""


def run_all_in_notebook7(page, url: str, root, nb_name: str) -> float:
    """Open ``nb_name`` in Notebook 7, wait for its kernel, Run All, and wait until every cell has
    run (see :data:`JS_WATCH_RUN`). Returns the seconds from Run All to done."""
    code = [c for c in nbformat.read(root / nb_name, as_version=4).cells if c.cell_type == "code" and c.source.strip()]
    page.goto(f"{url}/notebooks/{nb_name}")
    expect(page.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=LONG)
    wait_until(f"{nb_name}: the kernel never became idle", lambda: kernel_state(url, nb_name) == "idle")
    page.evaluate(JS_WATCH_RUN)
    t0 = time.monotonic()
    run_menu_command(page, "Run", "runmenu:run-all")
    if code:
        page.wait_for_function(JS_RUN_DONE, arg=QUIET_MS, timeout=LONG, polling=100)
    return time.monotonic() - t0


def drawn(page) -> list[dict]:
    """Per figure in the notebook: how many heatmap images, bar and scatter traces, cell labels."""
    return [{k: d[k] for k in PANEL_KINDS} for d in rendered_panels(page)]


def edit_updates_the_figure(page) -> None:
    """Type W1[1,2] = 0.25 into the first explorer's grid and wait for the J it prints to be the
    core's J of the edited net."""
    W1 = examples.W1_DEFAULT.copy()
    W1[1, 2] = 0.25
    expected = expected_chain(W1, examples.W2_DEFAULT, examples.X_DEFAULT, examples.PRESETS["sigmoid"].loss.target)
    cell = grid_cell(page, "W1", 1, 2, ".jp-Notebook")
    cell.click()
    cell.fill("0.25")
    cell.press("Enter")
    wait_for_panel_labels(page, "top:J", expected["top:J"], ".jp-Notebook", 0)


@pytest.mark.parametrize("nb_name", NOTEBOOKS)
def test_notebook_runs_in_notebook7(nb_name, notebook7_server, page):
    url, root = notebook7_server
    expected = expected_panels(root / nb_name)
    try:
        seconds = run_all_in_notebook7(page, url, root, nb_name)
        errors = cell_error_outputs(page)
        assert errors == [], f"{nb_name}: error output in Notebook 7:\n" + "\n---\n".join(errors)
        # every figure drawn with all its panels, as the notebook's code displays them (counted
        # in-process by test_notebooks.expected_panels); plotly draws after the kernel is idle
        try:
            wait_until("", lambda: drawn(page) == expected)
        except AssertionError:  # say what is drawn instead of a bare timeout
            pass
        figures = drawn(page)
        assert figures == expected, f"{nb_name}: figures drawn {figures} != displayed by its code {expected}"
        if nb_name == EDITED:
            edit_updates_the_figure(page)
        screenshot(page, f"notebook7-{nb_name.removesuffix('.ipynb')}")
        print(f"\n{nb_name}: Run All {seconds:.1f} s, {len(figures)} figures drawn")
        errors = [e for e in unexpected_console_errors(page.console_errors) if not re.search(NOTEBOOK7_OWN_ERROR, e)]
        assert errors == [], f"{nb_name}: errors in the browser's console:\n" + "\n".join(errors)
    finally:
        try:
            shutdown_kernels(url, nb_name)
        except OSError as exc:
            print(f"could not shut the kernel of {nb_name} down: {exc}", file=sys.stderr)
