"""The explorer notebook served by Voilà: it renders every panel and follows a
typed edit (issue #6, test 5)."""

from __future__ import annotations

import json
import time

import numpy as np

from chainviz import examples

from .helpers import (
    count_heatmaps,
    count_panels,
    editor_cells,
    expected_chain,
    figure_traces,
    normalise_label,
    open_voila,
    plotly_label,
    sent_value,
    screenshot,
    trace_labels,
    unexpected_console_errors,
    wait_for_trace,
)
from .test_explorer import DEFAULT_HEATMAPS, DEFAULT_PANELS, explorer_notebook

ROOT = "body"


def test_voila_explorer_renders_and_follows_an_edit(voila_server, page, tmp_path_factory):
    nb = tmp_path_factory.mktemp("voila-nb") / "explorer_voila.ipynb"
    explorer_notebook(nb)
    t0 = time.monotonic()
    url = voila_server(nb)
    open_voila(page, url, heatmaps=DEFAULT_HEATMAPS)
    print(f"\nvoila start + render: {time.monotonic() - t0:.1f} s")
    assert count_heatmaps(page) == DEFAULT_HEATMAPS
    assert count_panels(page, ROOT) == DEFAULT_PANELS
    screenshot(page, "voila-rendered", full_page=True)

    J0 = [normalise_label(t) for t in trace_labels(page, "top:J", ROOT)]
    assert len(J0) == 6, f"J (2×3) should print 6 numbers, shows {J0}"

    first, _, _ = editor_cells(page, "W1", ROOT)
    t_values = page.eval_on_selector_all(f"{ROOT} .cv-cell input", "els => els.map(e => e.value)")
    first_t, m, _ = editor_cells(page, "t", ROOT)
    target = np.array([float(v) for v in t_values[first_t : first_t + m]])
    new = 2.0
    W1 = examples.W1_DEFAULT.copy()
    W1[0, 0] = new
    J = expected_chain(W1, examples.W2_DEFAULT, examples.X_DEFAULT, target)["top:J"]
    tmpl = next(t["texttemplate"] for t in figure_traces(page, ROOT) if t["name"] == "top:J")
    want = sorted(plotly_label(sent_value(v), tmpl) for row in J for v in row)

    cell = page.locator(f"{ROOT} .cv-cell input").nth(first)
    cell.click()
    cell.fill(str(new))
    cell.press("Enter")
    wait_for_trace(page, "top:J", "(z, ls) => JSON.stringify(ls.map(t => t.trim().replace('\\u2212', '-')"
                   ".replace(/^-(0\\.0*)$/, '$1')).sort()) === JSON.stringify(" + json.dumps(want) + ")",
                   ROOT)
    J1 = [normalise_label(t) for t in trace_labels(page, "top:J", ROOT)]
    assert J1 != J0 and sorted(J1) == want
    screenshot(page, "voila-after-edit", full_page=True)
    assert unexpected_console_errors(page.console_errors) == []
