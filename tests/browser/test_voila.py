"""The explorer notebook served by Voilà (issues #6 and #13): at 1280×800 it shows every
panel with nothing cut off, W1's grid and J on screen together, follows a typed edit with
the core's numbers, and still fits after the window shrinks to 1024×700."""

from __future__ import annotations

import time

from chainviz import examples

from .helpers import (
    count_heatmaps,
    count_panels,
    grid_cell,
    grid_values,
    open_voila,
    screenshot,
    scroll_to_top,
    unexpected_console_errors,
    wait_for_layout,
    wait_for_panel_labels,
)
from .test_explorer import (
    DEFAULT_HEATMAPS,
    DEFAULT_PANELS,
    TARGET,
    check_explorer_on_screen,
    default_expected,
    explorer_notebook,
    type_into,
)

ROOT = "body"


def test_voila_explorer_fits_and_follows_an_edit(voila_server, sized_page, tmp_path_factory):
    page = sized_page(1280, 800)
    nb = tmp_path_factory.mktemp("voila-nb") / "explorer_voila.ipynb"
    explorer_notebook(nb)
    t0 = time.monotonic()
    url = voila_server(nb)
    open_voila(page, url, heatmaps=DEFAULT_HEATMAPS)
    wait_for_layout(page, ROOT)
    print(f"\nvoila start + render: {time.monotonic() - t0:.1f} s")
    assert count_heatmaps(page) == DEFAULT_HEATMAPS
    assert count_panels(page, ROOT) == DEFAULT_PANELS
    problems, _ = check_explorer_on_screen(page, ROOT, "Voilà 1280×800", must_fit=True, presentation=False,
                                           together=True)
    screenshot(page, "voila-1280x800")

    # the default net is shown, so the core's numbers for it are what J must print
    assert (grid_values(page, "W1", ROOT) == examples.W1_DEFAULT).all()
    assert (grid_values(page, "t", ROOT).ravel() == TARGET).all()
    wait_for_panel_labels(page, "top:J", default_expected()["top:J"], ROOT)
    W1 = examples.W1_DEFAULT.copy()
    W1[0, 0] = 2.0
    type_into(grid_cell(page, "W1", 0, 0, ROOT), "2")
    wait_for_panel_labels(page, "top:J", default_expected(W1)["top:J"], ROOT)
    screenshot(page, "voila-after-edit")

    # a smaller window: the figure is laid out again for the width it now has
    page.set_viewport_size({"width": 1024, "height": 700})
    scroll_to_top(page, ROOT)
    wait_for_layout(page, ROOT)
    found, _ = check_explorer_on_screen(page, ROOT, "Voilà 1024×700", must_fit=True, presentation=False,
                                        together=False)
    problems += found
    screenshot(page, "voila-1024x700")
    wait_for_panel_labels(page, "top:J", default_expected(W1)["top:J"], ROOT)
    assert not problems, "\n".join(problems)
    assert unexpected_console_errors(page.console_errors) == []
