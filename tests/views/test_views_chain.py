"""The figure of the chain rule as a pure function: it fits the width it is given, scales down
to a readable minimum and no further, marks what changed, and prints legible numbers."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

import chainviz as cv
from chainviz.core import examples
from chainviz.core.snapshot import snapshot
from chainviz.views import theme
from chainviz.views.chain import MIN_LABEL_PX, Options, changed_cells, figure_spec, panel_at


def default_snapshot(**kw):
    p = examples.PRESETS["sigmoid"]
    return snapshot(p.net, p.x, p.loss)


@pytest.mark.parametrize("width", [585, 700, 848, 1100])
def test_the_default_net_fits_every_width_from_a_laptop_with_the_file_browser_open(width):
    """585 px is JupyterLab's output area at 1024 px with the file browser open."""
    spec = figure_spec(default_snapshot(), Options(width=width))
    assert spec["layout"]["width"] <= width
    labels = spec["traces"][1]
    assert labels["textfont"]["size"] >= MIN_LABEL_PX[False]  # numbers still printed, still legible
    assert len(labels["text"]) > 40


def test_too_wide_to_fit_keeps_the_readable_minimum_and_grows_past_the_box():
    p = examples.PRESETS["three_layers"]
    s = snapshot(p.net, p.x, p.loss)
    spec = figure_spec(s, Options(width=400))
    assert spec["layout"]["width"] > 400  # the box scrolls; the cells do not shrink to nothing
    assert spec["traces"][1]["textfont"]["size"] >= MIN_LABEL_PX[False] - 0.01


@pytest.mark.parametrize("preset", ["sigmoid", "two_sigmoids"])
def test_a_slide_fits_its_height_and_width(preset):
    p = examples.PRESETS[preset]
    s = snapshot(p.net, p.x, p.loss)
    spec = figure_spec(s, Options(width=950, presentation=True, max_height=560, show_forward=False))
    assert spec["layout"]["height"] <= 560
    assert spec["layout"]["width"] <= 950
    assert spec["traces"][1]["textfont"]["size"] >= MIN_LABEL_PX[True]


@pytest.mark.parametrize("presentation", [False, True])
@pytest.mark.parametrize("width", [400, 585, 700, 848, 950, 1100])
def test_no_number_is_dropped_from_a_cell_sized_to_hold_it(width, presentation):
    """The cell size is chosen to hold "−0.28" at the label size (Helvetica: minus 0.584 em,
    digits 0.556, point 0.278, so 2.53 em); a negative label must not then be judged too wide."""
    s = default_snapshot()
    spec = figure_spec(s, Options(width=width, presentation=presentation))
    labels = spec["traces"][1]
    blank = [(x, y) for x, y, t in zip(labels["x"], labels["y"], labels["text"]) if t == ""]
    assert blank == [], f"{len(blank)} of {len(labels['text'])} numbers dropped at {width} px"
    assert sum(t.startswith("−") for t in labels["text"]) >= 5  # the negatives are there


def test_every_label_contrasts_at_least_4_5_to_1_with_its_cell():
    """WCAG 2.1 AA for text, over the whole colour scale (both themes share the data colours)."""
    u = np.linspace(0, 1, 2001)
    values = 2 * u - 1
    colours = theme.label_colours(values, 1.0)
    bg = theme.relative_luminance(theme.scale_colour(u))
    fg = np.where(colours == "#000", 0.0, 1.0)
    ratio = theme.contrast(bg, fg)
    assert ratio.min() >= 4.5, (ratio.min(), values[ratio.argmin()])


def test_contrast_formula_against_known_pairs():
    """Reference values of the WCAG formula: black on white is 21:1, #777 on white about 4.48:1."""
    white, black = 1.0, 0.0
    assert theme.contrast(white, black) == pytest.approx(21.0)
    grey = theme.relative_luminance(np.array([0x77, 0x77, 0x77]) / 255)
    assert theme.contrast(white, grey) == pytest.approx(4.48, abs=0.01)


def test_changed_cells_between_two_specs():
    s = default_snapshot()
    before = figure_spec(s, Options())
    net = s.net.with_weight(1, 3, 2, 0.1)
    after = figure_spec(snapshot(net, s.x, s.loss), Options(), previous=before)
    cells = changed_cells(before, after)
    assert cells
    hit = {panel_at(after["traces"], r, c)[:2] for r, c in cells}
    assert ("top", "W1") in hit and ("top", "J") in hit
    assert ("top", "W2") not in hit  # W2 did not change
    [mark] = [sh for sh in after["layout"]["shapes"] if sh.get("name") == "changed"]
    assert mark["visible"] is True


def test_numbers_printed_agree_with_the_cells():
    s = default_snapshot()
    spec = figure_spec(s, Options())
    heat, labels = spec["traces"][:2]
    J = s.J
    r, c, _, _ = heat["meta"]["panels"]["top:J"]
    for x, y, t in zip(labels["x"], labels["y"], labels["text"]):
        if r <= y < r + 2 and c <= x < c + 3:
            v = J[y - r, x - c]
            assert abs(float(t.replace("−", "-")) - v) <= 0.005 + 1e-12, (t, v)


@pytest.mark.parametrize("widths", [(32, 32, 32), (64, 32, 8), (9, 9, 9)])
def test_nets_too_large_to_print_numbers_on_shrink_to_fit(widths):
    """No numbers are printed on matrices above 8×8, so nothing holds the cells at a label's size:
    the figure fits the width (at (32, 32, 32) plotly refused a label size of 0.9 px before)."""
    rng = np.random.default_rng(1)
    Ws = [rng.normal(size=(m, n)) for n, m in zip(widths, widths[1:])]
    net = cv.Net(Ws, ["sigmoid"] * (len(Ws) - 1) + ["identity"])
    s = snapshot(net, rng.normal(size=widths[0]), cv.Sum())
    spec = figure_spec(s, Options(width=840, show_forward=False))
    assert spec["layout"]["width"] <= 840
    assert spec["traces"][1]["textfont"]["size"] >= 1
    go.Figure(data=spec["traces"], layout=spec["layout"])  # plotly validates every property


@pytest.mark.parametrize("limit", [1.0, 5000.0, 123456.0, 1e6])
def test_the_colour_scale_ticks_fit_in_the_right_margin(limit):
    """After training on the linear net at η = 1 the scale reached ±5000: its "−5000" was cut to
    "−500" by a fixed 46 px margin. Helvetica: minus 0.584 em, digits 0.556, "e" 0.556."""
    spec = figure_spec(default_snapshot(), Options(color_limit=limit))
    lay = spec["layout"]
    ticks = [a for a in lay["annotations"] if a.get("xref") == "paper" and a["text"] in ("0",) or
             (a.get("xref") == "paper" and a["text"].lstrip("−").replace(".", "").replace("e", "").isdigit())]
    assert len(ticks) == 3
    plot_w = lay["width"] - lay["margin"]["l"] - lay["margin"]["r"]
    for a in ticks:
        em = sum(0.584 if c == "−" else 0.278 if c == "." else 0.556 for c in a["text"])
        right = lay["margin"]["l"] + a["x"] * plot_w + em * a["font"]["size"]
        assert right <= lay["width"], (a["text"], right, lay["width"])


@pytest.mark.parametrize("preset", ["sigmoid", "three_layers"])
def test_a_weight_edit_changes_only_the_live_words(preset):
    """Titles and headings are two text traces (chainviz.views.words): an edit re-sends only the
    words that quote numbers (each slope factor's z, J's x, the loss), never the static ones."""
    p = examples.PRESETS[preset]
    W = [w.copy() for w in p.net.weights]
    W[0][0, 0] += 0.5
    edited = cv.Net(W, p.net.activations, p.net.biases)
    before = figure_spec(snapshot(p.net, p.x, p.loss))
    after = figure_spec(snapshot(edited, p.x, p.loss))
    words = {t["name"]: t for t in before["traces"] if t["name"] in ("words", "live words")}
    words_after = {t["name"]: t for t in after["traces"] if t["name"] in ("words", "live words")}
    assert words["words"] == words_after["words"]
    assert words["live words"]["text"] != words_after["live words"]["text"]
    live = words["live words"]["text"]
    slopes = [a for a in p.net.activations if a != "identity"]
    assert sum("at z" in t for t in live) == len(slopes)
    assert sum("at x = " in t for t in live) == 1 and sum("L = " in t for t in live) == 1
    assert len(live) == len(slopes) + 2
    assert not any("at z" in t or "at x = " in t or "L = " in t for t in words["words"]["text"])
    # annotations left: the scale's three ticks, in the right margin where a trace's text is not drawn
    shown = [a for a in before["layout"]["annotations"] if a.get("visible", True)]
    assert len(shown) == 3 and all(a["xref"] == "paper" and a["x"] > 1 for a in shown)


def test_the_loss_chart_has_axes_from_the_first_step_on():
    # before any step the two (hidden) history traces sit on the panels' axes and there are no
    # chart axes: plotly.js redraws every pair of axes on every edit, empty or not
    s = default_snapshot()
    untrained = figure_spec(s, Options())
    assert not {"xaxis2", "yaxis2"} & set(untrained["layout"])
    hist = [t for t in untrained["traces"] if t["name"] in ("loss history", "first-order prediction")]
    assert [(t["xaxis"], t["yaxis"], t["visible"]) for t in hist] == [("x", "y", False)] * 2
    # once charted the axes stay, hidden while the history is empty (an update cannot remove them)
    parked = figure_spec(s, Options(charted=True))
    assert parked["layout"]["xaxis2"]["visible"] is False and parked["layout"]["yaxis2"]["visible"] is False
    trained = figure_spec(s, Options(history=(0.5, 0.3), predicted=(0.31,)))
    assert trained["layout"]["xaxis2"]["visible"] is True
    assert [t["xaxis"] for t in trained["traces"] if t["name"] == "loss history"] == ["x2"]
