"""The lecture deck: notebook 03 presented with jupyterlab-slideshow shows its
presentation-mode explorer on a slide, live (issue #6, test 6).

Deck mode is remembered in JupyterLab's user settings; the test switches it
off again at the end, through the page and, whatever happened, through the
settings API, so later tests find the ordinary notebook UI.
"""

from __future__ import annotations

import json
import re
import sys

import nbformat
import pytest
from playwright.sync_api import expect

from .helpers import (
    MEDIUM,
    cell_error_outputs,
    cell_selector,
    normalise_label,
    open_notebook,
    run_all_cells,
    screenshot,
    set_lab_setting,
    shutdown_kernels,
    trace_labels,
    unexpected_console_errors,
    wait_for_heatmaps,
    wait_for_trace,
)

NOTEBOOK = "03_two_layer_net.ipynb"
SLIDE_STARTS = ("slide", "subslide")
DECK_SETTINGS = "jupyterlab-slideshow:plugin"
#: slide types jupyterlab-slideshow 0.3.4 places on slides (its own list); anything else,
#: e.g. the "-" that JupyterLab's property inspector and nbconvert use for "continue
#: the slide", is shown on no slide at all.
DECK_SLIDE_TYPES = ("slide", "subslide", None, "fragment", "notes", "skip")


def _slide_type(cell) -> str | None:
    return (cell.metadata.get("slideshow") or {}).get("slide_type")


def presentation_cell(path) -> tuple[int, int, str | None]:
    """``(k, start, slide_type)``: the code cell showing ``presentation=True``, the
    first cell of its slide, and the explorer cell's own slide type."""
    cells = nbformat.read(path, as_version=4).cells
    k = next((i for i, c in enumerate(cells) if c.cell_type == "code" and "presentation=True" in c.source), None)
    if k is None:
        pytest.fail(f"{path.name} has no cell with a ChainRuleExplorer(presentation=True)")
    start = next((j for j in range(k, -1, -1) if _slide_type(cells[j]) in SLIDE_STARTS), 0)
    return k, start, _slide_type(cells[k])


def _scrub_readout_index(page, root: str) -> int:
    """Index, among all ``.widget-slider`` of the page, of the explorer's scrub slider
    (the slider without a description; the other one is "step")."""
    idx = page.evaluate(
        """(root) => {
            const all = Array.from(document.querySelectorAll('.widget-slider'));
            const mine = Array.from(document.querySelectorAll(root + ' .widget-slider'));
            const scrub = mine.find(s => !(s.querySelector('.widget-label')?.textContent || '').trim());
            return scrub ? all.indexOf(scrub) : -1;
        }""",
        root,
    )
    assert idx >= 0, "no scrub slider in the presentation explorer"
    return idx


def test_deck_shows_live_presentation_explorer(lab_server, page):
    check_deck(lab_server, page, NOTEBOOK)


def check_deck(lab_server, page, nb_name: str) -> None:
    """Open ``nb_name``, run it, present the slide of its presentation explorer,
    check the explorer is on screen and follows an edit, leave deck mode."""
    k, start, slide_type = presentation_cell(lab_server.root / nb_name)
    root = cell_selector(k)
    page.set_viewport_size({"width": 1280, "height": 720})
    try:
        open_notebook(page, lab_server.url, nb_name)
        run_all_cells(page)
        assert cell_error_outputs(page) == []
        wait_for_heatmaps(page, 1, within=root)
        wait_for_trace(page, "top:J", "(z, ls) => ls.length === z.flat().length", root)

        # the deck starts at the active cell: select the first cell of the explorer's slide
        page.locator(f"{cell_selector(start)} .jp-InputPrompt").first.click()
        expect(page.locator(cell_selector(start))).to_have_class(
            re.compile(r"\bjp-mod-active\b"), timeout=MEDIUM)
        page.locator('.jp-NotebookPanel-toolbar [data-command="deck:toggle"]').first.click()
        page.wait_for_function("() => document.body.dataset.jpDeckMode === 'presenting'", timeout=MEDIUM)

        figure = page.locator(f"{root} .js-plotly-plot").first
        try:
            expect(figure).to_be_visible(timeout=10_000)
        except AssertionError:
            screenshot(page, "deck-explorer-missing")
            raise AssertionError(
                f"{nb_name}: the presentation explorer (cell {k}, slide_type {slide_type!r}) is not shown on "
                f"its slide in deck mode"
                + (f"; jupyterlab-slideshow 0.3.4 shows only slide types {DECK_SLIDE_TYPES} (no "
                   f"'slideshow' metadata continues the slide), {slide_type!r} puts the cell on no slide"
                   if slide_type not in DECK_SLIDE_TYPES else "")
            ) from None
        box = figure.bounding_box()
        assert box and box["y"] < 720 and box["x"] >= 0 and box["x"] + box["width"] <= 1280 + 1, (
            f"the explorer's figure is not on the 1280×720 slide: {box}")
        screenshot(page, "deck-explorer")

        # live: type a value into the scrub slider's readout (W1[0,0] by default)
        before = [normalise_label(t) for t in trace_labels(page, "top:J", root)]
        idx = _scrub_readout_index(page, root)
        page.evaluate(
            """(i) => {
                const r = document.querySelectorAll('.widget-slider')[i].querySelector('.widget-readout');
                r.textContent = '2.5';
                r.dispatchEvent(new KeyboardEvent('keydown',
                    {key: 'Enter', code: 'Enter', keyCode: 13, which: 13, bubbles: true}));
            }""",
            idx,
        )
        wait_for_trace(
            page, "top:J",
            "(z, ls) => JSON.stringify(ls.map(t => t.trim().replace('\\u2212', '-'))) !== "
            f"JSON.stringify({json.dumps(before)})", root)
        after = [normalise_label(t) for t in trace_labels(page, "top:J", root)]
        assert after != before
        assert page.locator("body").get_attribute("data-jp-deck-mode") == "presenting", "the edit left the deck"
        expect(figure).to_be_visible()
        screenshot(page, "deck-explorer-after-edit")
        assert unexpected_console_errors(page.console_errors) == []
    finally:
        try:
            toggle = page.locator('.jp-NotebookPanel-toolbar [data-command="deck:toggle"]').first
            if page.evaluate("() => document.body.dataset.jpDeckMode === 'presenting'") and toggle.is_visible():
                toggle.click()
                page.wait_for_function("() => document.body.dataset.jpDeckMode !== 'presenting'", timeout=MEDIUM)
        except Exception as exc:  # noqa: BLE001 - the settings API below is the safety net
            print(f"could not leave deck mode in the page: {exc}", file=sys.stderr)
        set_lab_setting(lab_server.url, DECK_SETTINGS, {"active": False})
        try:
            shutdown_kernels(lab_server.url, nb_name)
        except OSError as exc:
            print(f"could not shut the kernel of {nb_name} down: {exc}", file=sys.stderr)
