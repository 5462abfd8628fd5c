"""The lecture deck: notebook 03 presented with jupyterlab-slideshow at 1280×720 shows its
presentation-mode explorer on a slide, whole and live (issues #6 and #13): nothing cut off,
the editable W1 and J on screen together, and an edit by the scrub slider (keyboard) and
by a click on W1 in the figure followed by typing updates J with the core's numbers.

Deck mode is remembered in JupyterLab's user settings; the test switches it off again at
the end, through the page and, whatever happened, through the settings API, so later
tests find the ordinary notebook UI.
"""

from __future__ import annotations

import re
import sys

import nbformat
import numpy as np
import pytest
from playwright.sync_api import expect

from chainviz import examples

from .helpers import (
    MEDIUM,
    cell_error_outputs,
    cell_selector,
    clipping_problems,
    explorer_layout,
    grid_cell,
    grid_locator,
    grid_values,
    inside,
    next_frames,
    open_notebook,
    run_all_cells,
    screenshot,
    set_lab_setting,
    shutdown_kernels,
    unexpected_console_errors,
    wait_for_heatmaps,
    wait_for_layout,
    wait_for_panel_labels,
    wait_for_trace,
)
from .test_explorer import MIN_LABEL_PX, TARGET, cell_centre, default_expected

NOTEBOOK = "03_two_layer_net.ipynb"
SLIDE_STARTS = ("slide", "subslide")
DECK_SETTINGS = "jupyterlab-slideshow:plugin"
#: slide types jupyterlab-slideshow 0.3.4 places on slides (its own list); anything else,
#: e.g. the "-" that JupyterLab's property inspector and nbconvert use for "continue
#: the slide", is shown on no slide at all.
DECK_SLIDE_TYPES = ("slide", "subslide", None, "", "fragment", "notes", "skip")


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


def _box(locator) -> dict:
    return locator.evaluate("(e) => { const b = e.getBoundingClientRect(); "
                            "return {l: b.left, t: b.top, r: b.right, b: b.bottom}; }")


def test_deck_shows_live_presentation_explorer(lab_server, sized_page):
    check_deck(lab_server, sized_page(1280, 720), NOTEBOOK)


def check_deck(lab_server, page, nb_name: str) -> None:
    """Open ``nb_name``, run it, present the slide of its presentation explorer, check the
    explorer fits the slide and follows edits, leave deck mode."""
    k, start, slide_type = presentation_cell(lab_server.root / nb_name)
    root = cell_selector(k)
    try:
        open_notebook(page, lab_server.url, nb_name)
        run_all_cells(page)
        assert cell_error_outputs(page) == []
        wait_for_heatmaps(page, 1, within=root)
        wait_for_trace(page, "top:J", "(z, ls) => ls.length === z.flat().length", root)
        # the explorer shows the section's default net: the expected numbers below are the core's for it
        np.testing.assert_allclose(grid_values(page, "W1", root), examples.W1_DEFAULT)
        np.testing.assert_allclose(grid_values(page, "t", root).ravel(), TARGET)

        # the deck starts at the active cell: select the first cell of the explorer's slide
        page.locator(f"{cell_selector(start)} .jp-InputPrompt").first.click()
        expect(page.locator(cell_selector(start))).to_have_class(re.compile(r"\bjp-mod-active\b"), timeout=MEDIUM)
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
                + (f"; jupyterlab-slideshow 0.3.4 shows only slide types {DECK_SLIDE_TYPES}, "
                   f"{slide_type!r} puts the cell on no slide" if slide_type not in DECK_SLIDE_TYPES else "")
            ) from None
        wait_for_layout(page, root)
        next_frames(page, 3)
        screenshot(page, "deck-explorer")

        # what the room sees: nothing cut off, W1 and J on the slide together, readable numbers
        report = explorer_layout(page, root)
        problems = clipping_problems(report, must_fit=True)
        w1 = _box(grid_locator(page, "W1", root))
        w1_clip = next(c["clip"] for c in report["controls"] if c["what"] == "grid W1")
        j = report["panels"]["top:J"]
        if not (inside(w1, w1_clip) and inside(j, report["clip"])):
            problems.append(f"W1's grid {w1} and J {j} are not on the slide together "
                            f"(visible: grid {w1_clip}, figure {report['clip']})")
        small = [px for px in report["label_px"] if px < MIN_LABEL_PX[True] - 0.05]
        if small:
            problems.append(f"{len(small)} numbers drawn at {min(small)} px, below {MIN_LABEL_PX[True]} px")
        print(f"\ndeck: figure {report['figure']['r'] - report['figure']['l']:.0f} px wide, its box "
              f"{report['scroller'] and report['scroller']['clientWidth']} px; numbers at {min(report['label_px'])} px")

        # live, 1: the scrub slider (W1[0,0] by default), from the keyboard: End = its largest value
        slider = page.locator(f'{root} .cv-bar input[type=range][aria-label="scrub W1[0,0]"]')
        top = float(slider.get_attribute("max"))
        assert top != examples.W1_DEFAULT[0, 0]
        slider.focus()
        page.keyboard.press("End")
        assert float(slider.input_value()) == top
        W1 = examples.W1_DEFAULT.copy()
        W1[0, 0] = top
        wait_for_panel_labels(page, "top:J", default_expected(W1)["top:J"], root)
        assert page.locator("body").get_attribute("data-jp-deck-mode") == "presenting", "the edit left the deck"
        screenshot(page, "deck-explorer-after-scrub")

        # live, 2: click W1[1,2] in the figure on the slide, type a number, Enter
        before = figure.bounding_box()
        x, y = cell_centre(page, "top:W1", 1, 2, root)
        page.mouse.click(x, y)
        page.wait_for_function(
            """() => { const a = document.activeElement; return !!a && a.matches('input.cv-cell')
                       && a.dataset.i === '1' && a.dataset.j === '2'; }""", timeout=MEDIUM)
        after = figure.bounding_box()
        assert after is not None and (after["width"], after["height"]) == (before["width"], before["height"]), (
            f"the click on the slide resized the figure: {before} -> {after}")
        expect(figure).to_be_visible()
        if abs(after["y"] - before["y"]) > 1:  # the message above it changed its number of lines
            print(f"the click moved the figure on the slide by {after['y'] - before['y']:+.0f} px")
        assert "jp-mod-outputsScrolled" not in (page.locator(root).get_attribute("class") or ""), (
            "the click collapsed the output into a scroll box")
        page.keyboard.type("-0.4")
        page.keyboard.press("Enter")
        W1[1, 2] = -0.4
        wait_for_panel_labels(page, "top:J", default_expected(W1)["top:J"], root)
        assert float(grid_cell(page, "W1", 1, 2, root).input_value()) == -0.4
        assert page.locator("body").get_attribute("data-jp-deck-mode") == "presenting", "the edit left the deck"
        expect(figure).to_be_visible()
        screenshot(page, "deck-explorer-after-edit")

        assert not problems, "on the 1280×720 slide:\n" + "\n".join(problems)
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
