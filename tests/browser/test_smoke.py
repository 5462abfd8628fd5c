"""Smoke tests proving the browser fixtures work: a FigureWidget heatmap
driven by an ipywidgets slider, in JupyterLab and in Voila."""

from __future__ import annotations

import time

import nbformat
import pytest

from .helpers import (
    HEATMAP_IMAGE,
    cell_error_outputs,
    count_heatmaps,
    heatmap_labels,
    js_set_slider_readout,
    measure_edit_to_dom,
    open_notebook,
    open_voila,
    run_all_cells,
    screenshot,
    unexpected_console_errors,
    wait_for_heatmaps,
    wait_for_labels,
)

SMOKE_SOURCE = """\
import plotly.graph_objects as go
import ipywidgets as w

fig = go.FigureWidget(go.Heatmap(z=[[1, 2], [3, 4]], texttemplate="%{z}"))
s = w.FloatSlider(description="v")

def upd(ch):
    fig.data[0].z = [[ch["new"], 2], [3, 4]]

s.observe(upd, names=["value"])
w.VBox([s, fig])
"""


@pytest.fixture(scope="module")
def smoke_notebook(lab_server):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Smoke test"),
        nbformat.v4.new_code_cell(SMOKE_SOURCE),
    ]
    path = lab_server.root / "smoke_heatmap.ipynb"
    nbformat.write(nb, path)
    return path


def test_lab_heatmap_follows_slider(lab_server, page, smoke_notebook):
    t0 = time.monotonic()
    open_notebook(page, lab_server.url, smoke_notebook.name)
    t_open = time.monotonic() - t0
    run_all_cells(page)
    wait_for_heatmaps(page, 1)
    t_run = time.monotonic() - t0 - t_open
    print(
        f"\nlab server start {lab_server.start_seconds:.1f} s, "
        f"notebook open {t_open:.1f} s, run all -> heatmap {t_run:.1f} s"
    )
    screenshot(page, "smoke-lab-rendered")

    assert count_heatmaps(page) == 1
    assert heatmap_labels(page) == ["1", "2", "3", "4"]

    # A person's edit: focus the slider handle, press ArrowRight (step 0.1).
    handle = page.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press("ArrowRight")
    labels = wait_for_labels(page, "ls => ls.length === 4 && ls[0] !== '1'")
    assert labels == ["0.1", "2", "3", "4"]
    screenshot(page, "smoke-lab-after-arrow")

    # A typed edit timed from the page side: readout -> first label changes.
    ms = measure_edit_to_dom(
        page,
        js_set_slider_readout(2.5),
        ".jp-OutputArea .js-plotly-plot",
        until="el => el.querySelector('g.heatmap-label text')?.textContent === '2.5'",
    )
    print(f"edit (readout 2.5) -> heatmap label in DOM: {ms:.1f} ms")
    assert heatmap_labels(page)[0] == "2.5"
    assert page.locator(".widget-slider .widget-readout").first.text_content() == "2.50"

    assert cell_error_outputs(page) == []
    assert unexpected_console_errors(page.console_errors) == []


def test_voila_renders_heatmap(voila_server, page, smoke_notebook):
    t0 = time.monotonic()
    url = voila_server(smoke_notebook)
    t_start = time.monotonic() - t0
    open_voila(page, url, heatmaps=1)
    t_render = time.monotonic() - t0 - t_start
    print(f"\nvoila server start {t_start:.1f} s, page -> heatmap {t_render:.1f} s")
    screenshot(page, "smoke-voila-rendered")

    assert page.locator(HEATMAP_IMAGE).count() == 1
    assert heatmap_labels(page) == ["1", "2", "3", "4"]

    handle = page.locator(".widget-slider .noUi-handle").first
    handle.focus()
    handle.press("ArrowRight")
    assert wait_for_labels(page, "ls => ls[0] === '0.1'")[0] == "0.1"

    assert unexpected_console_errors(page.console_errors) == []
