"""A widget model made while the page is busy still hears its kernel.

anywidget 0.11 gives a model 2 s from its creation to load its module; a model that misses
this never receives another message from the kernel (see ``chainviz/_static/deadline.js``).
Here the page is made busy on purpose: the first module a new explorer's model loads blocks
the main thread for 3 s (as a Run All of six explorers on 2 cores did by itself). The second
explorer must then follow an edit made from the kernel, and no model may fail to start.

The control case takes chainviz's longer deadline away before the second explorer is made, and
must show the failure: that is what makes the first case a test.
"""

from __future__ import annotations

import re

import pytest

from .helpers import LONG, MEDIUM, cell_selector, grid_values, open_notebook, run_cell, wait_for_heatmaps, write_notebook

NOTEBOOK = "busy_page.ipynb"
CELLS = [
    "import chainviz as cv\na = cv.ChainRuleExplorer()\na",
    "b = cv.ChainRuleExplorer(sizes=(2, 3, 2))\nb",
    "b.set_weight(1, 0, 0, '2.5')\nprint('edited')",
]
BLOCK_MS = 3000

#: Blocks the main thread once, for ``ms``, inside the next creation of a module's blob URL
#: (anywidget makes one per model right after starting the model's 2 s deadline). With
#: ``unpatch``, chainviz's longer deadline is taken away first.
JS_ARM = """([ms, unpatch]) => {
    if (unpatch) AbortSignal.timeout = window.__cvOriginalTimeout;
    const create = URL.createObjectURL;
    URL.createObjectURL = function (blob) {
        URL.createObjectURL = create;
        const end = performance.now() + ms;
        while (performance.now() < end) { /* the page is busy */ }
        return create.call(URL, blob);
    };
}"""


@pytest.mark.parametrize("deadline", ["chainviz", "anywidget"], ids=["chainviz-deadline", "control-2s-deadline"])
def test_a_model_made_on_a_busy_page_still_follows_the_kernel(deadline, lab_server, page):
    write_notebook(lab_server.root, NOTEBOOK, CELLS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script("window.__cvOriginalTimeout = AbortSignal.timeout;")
    open_notebook(page, lab_server.url, NOTEBOOK)

    run_cell(page, 0)  # explorer a: chainviz's modules run on the page
    wait_for_heatmaps(page, 1)
    page.wait_for_function("() => AbortSignal.timeout.chainviz === true", timeout=MEDIUM)

    page.evaluate(JS_ARM, [BLOCK_MS, deadline == "anywidget"])
    run_cell(page, 1)  # explorer b, made while the page is busy
    wait_for_heatmaps(page, 2, timeout=LONG)
    run_cell(page, 2)  # an edit from the kernel
    page.locator(".jp-OutputArea-output", has_text="edited").first.wait_for(timeout=LONG)

    failed = [e for e in errors if re.search(r"Failed to initialize model", e)]
    root = cell_selector(1)
    if deadline == "chainviz":
        assert failed == []
        page.wait_for_function(
            "(root) => Array.from(document.querySelectorAll(root + ' .cv-grid'))"
            ".some(g => g.querySelector('input.cv-cell') && g.querySelector('input.cv-cell').value === '2.5')",
            arg=root, timeout=MEDIUM)
        assert grid_values(page, "W1", root)[0, 0] == 2.5
    else:  # the failure this guards against, reproduced
        page.wait_for_timeout(1000)
        assert failed, "with anywidget's own 2 s deadline a model made on a busy page should fail to start"
