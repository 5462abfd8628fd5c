"""Accessibility of the function explorers without a browser: every control named, value texts
as a person says them, the status line a live region, the theme followed or forced, and the
panels as tables kept in step with edits.

The control bars draw native inputs from these items (``static/control_bar.js``): an item's
``aria`` (or its ``label``) is the control's accessible name, a slider's ``valuetext`` its
``aria-valuetext``, a text field's ``invalid`` its ``aria-invalid``. Expected values come from
the section's closed forms (J_f(x₁, x₂) = [[2x₁, 1], [x₂, x₁]]) and mode_cost's formulas.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from chainviz.core.modes import mode_cost
from chainviz.views.style import COLORSCALE
from chainviz.views.theme import DARK, LIGHT
from chainviz.widgets import demos
from chainviz.widgets.controls import ControlBar
from chainviz.widgets.function_explorers import CompositionExplorer, JacobianExplorer, ModeCostExplorer

SEND = ("_send_update_msg", "_send_restyle_msg", "_send_relayout_msg")
NAMED = ("slider", "text", "check", "button", "select", "play", "upload")


def send(bar, **msg):
    bar._received(bar, msg, [])


def change(bar, key, value):
    send(bar, event="change", id=key, value=value)


def bars(explorer) -> list[ControlBar]:
    return [w for w in (explorer.controls, getattr(explorer, "steps", None)) if w is not None]


def controls(explorer) -> list[dict]:
    return [it for bar in bars(explorer) for it in bar.items if it["kind"] in NAMED]


def item(explorer, key) -> dict:
    return next(it for bar in bars(explorer) for it in bar.items if it.get("id") == key)


def name(it: dict) -> str:
    """The accessible name the control bar gives a control (aria-label, else its label text)."""
    return it.get("aria") or it.get("label") or ""


def sent(fig) -> list:
    log = []
    for method in SEND:
        original = getattr(fig, method)
        setattr(fig, method, lambda *a, _o=original, _m=method, **k: (log.append(_m), _o(*a, **k))[1])
    return log


EXPLORERS = {
    "jacobian": demos.jacobian_demo,
    "composition": demos.composition_demo,
    "scalar chain": demos.scalar_chain_demo,
    "mode cost": lambda **kw: ModeCostExplorer([1000, 10, 20], **kw),
    "jacobian, 3 named inputs": lambda **kw: JacobianExplorer(lambda x: x**2, [1.0, -2.0, 0.5],
                                                              names=["r", "θ", "φ"], **kw),
}


# -- names and value texts ---------------------------------------------------------------------
@pytest.mark.parametrize("which", list(EXPLORERS))
def test_every_control_has_a_name_of_its_own_and_every_slider_a_value_text(which):
    e = EXPLORERS[which]()
    items = controls(e)
    assert items, "the explorer has controls"
    names = [name(it) for it in items]
    assert all(n.strip() for n in names), items
    assert len(set(names)) == len(names), names  # two controls with one name cannot be told apart
    for it in items:
        if it["kind"] == "slider":
            assert it["valuetext"] and "e-" not in it["valuetext"] and not re.search(r"\d{7,}", it["valuetext"])
            assert it["min"] <= it["value"] <= it["max"] and it["step"] > 0
    live = [it for it in e.status.items if it.get("live")]
    assert [it["id"] for it in live] == ["status"] and live[0]["live"] == "polite"


def test_sliders_of_x_read_their_values_as_a_person_says_them():
    e = demos.jacobian_demo()
    e.x = [0.7999999999999998, 0.1 + 0.2]  # 0.30000000000000004
    assert item(e, "x0")["aria"] == "x₁" and item(e, "x0")["valuetext"] == "0.80"
    assert item(e, "x1")["valuetext"] == "0.30"
    assert item(e, "x0_text")["value"] == "0.8" and item(e, "x1_text")["value"] == "0.3"
    e.x = [-1.5, 25]
    assert item(e, "x0")["valuetext"] == "−1.50" and item(e, "x1")["valuetext"] == "25.00"
    assert item(e, "x1")["max"] >= 25  # a value beyond the slider widens it
    change(e.controls, "x0_text", "1.2345")  # typed digits are read back, not rounded away
    assert e.error == "" and item(e, "x0")["valuetext"] == "1.2345"
    change(e.steps, "dx0", 0.30000000000000004)
    assert item(e, "dx0")["valuetext"] == "0.30" and item(e, "dx0")["aria"] == "step Δx₁"
    assert item(e, "x0_text")["aria"] == "x₁, type a value and press Enter"


def test_the_width_sliders_say_counts_and_layers():
    m = ModeCostExplorer([1000, 10, 20])
    change(m.controls, "n", 5.0)  # the exponent of n
    assert m.widths[0] == 100_000 and item(m, "n")["valuetext"] == "100,000"
    change(m.controls, "depth", 1)
    assert m.widths == (100_000, 10) and item(m, "depth")["valuetext"] == "1 layer"
    change(m.controls, "depth", 4)
    assert item(m, "depth")["valuetext"] == "4 layers"
    change(m.controls, "width", 64)
    assert m.widths == (100_000, 64, 64, 64, 64) and item(m, "width")["valuetext"] == "64"
    m.widths = [1000, 10, 20]
    assert item(m, "width")["valuetext"].endswith("the layers now differ, 10 to 20")
    assert item(m, "measure")["label"] == "Measure" and item(m, "measure")["aria"].startswith("Measure")


def test_a_refused_field_is_marked_keeps_its_text_and_is_announced():
    e = demos.jacobian_demo()
    change(e.controls, "x1_text", "<b>2")
    assert item(e, "x1_text")["invalid"] and item(e, "x1_text")["value"] == "<b>2"
    said = e.status.items[0]["html"]
    assert said.startswith('<span class="cv-error">⚠ x₂') and "&lt;b&gt;2" in said and "<b>" not in said
    change(e.controls, "x1_text", "3")  # corrected: the mark and the message go
    assert not item(e, "x1_text")["invalid"] and e.error == "" and e.status.items[0]["html"] == ""
    np.testing.assert_array_equal(e.jacobian_matrix, [[2, 1], [3, 1]])


def test_a_message_the_explorer_does_not_know_changes_nothing_and_never_raises():
    e = demos.composition_demo()
    before, log = e.figure.to_dict()["data"], sent(e.figure)
    for msg in ({"event": "change", "id": "nonsense", "value": 1}, {"event": "click", "id": "x0"}, {}):
        send(e.controls, **msg)
    change(e.controls, "x0", "not a number")  # a broken page: said in the status line, not raised
    assert "could not convert" in e.error or "not a number" in e.error
    assert e.figure.to_dict()["data"] == before and log == []


# -- theme ------------------------------------------------------------------------------------
@pytest.mark.parametrize("which", list(EXPLORERS))
def test_auto_follows_the_page_in_one_update_and_forced_themes_ignore_it(which):
    e = EXPLORERS[which]()
    assert e.theme == "auto" and not e.dark and e.figure.layout.paper_bgcolor == LIGHT.paper
    heat = [t.z for t in e.figure.data if t.type == "heatmap"]
    log = sent(e.figure)
    e.controls.dark = True  # what the page reports when JupyterLab's theme is dark
    assert e.dark and e.figure.layout.paper_bgcolor == DARK.paper and log == ["_send_update_msg"]
    assert e.figure.layout.font.color == DARK.text and e.figure.layout.title.font.color == DARK.text
    assert [t.z for t in e.figure.data if t.type == "heatmap"] == heat  # the data keep their colours
    assert all(t.colorscale == tuple(tuple(s) for s in COLORSCALE) for t in e.figure.data if t.type == "heatmap")
    e.controls.dark = False
    assert e.figure.layout.paper_bgcolor == LIGHT.paper
    e.theme = "dark"
    assert e.figure.layout.paper_bgcolor == DARK.paper
    e.controls.dark = False  # a forced theme is kept whatever the page says
    assert e.figure.layout.paper_bgcolor == DARK.paper
    light = EXPLORERS[which](theme="light")
    light.controls.dark = True
    assert not light.dark and light.figure.layout.paper_bgcolor == LIGHT.paper


def test_a_bad_theme_is_refused_in_words_and_changes_nothing():
    e = demos.jacobian_demo(theme="dark")
    before = e.figure.to_dict()
    with pytest.raises(ValueError, match="JacobianExplorer: theme must be one of 'auto', 'light', 'dark', got 'blue'"):
        e.theme = "blue"
    with pytest.raises(TypeError, match="theme must be text"):
        e.theme = 3
    assert e.theme == "dark" and e.figure.to_dict() == before and "theme must be text" in e.error
    for make in (lambda: ModeCostExplorer(theme="night"), lambda: demos.scalar_chain_demo(theme="Dark"),
                 lambda: CompositionExplorer(np.sin, np.cos, [1.0], theme=None)):
        with pytest.raises((ValueError, TypeError), match="theme"):
            make()


def test_a_bad_theme_builds_no_widgets(widget_count):
    start = widget_count()
    with pytest.raises(ValueError):
        JacobianExplorer(lambda x: x, [1.0], theme="blue")
    assert widget_count() == start


# -- the panels as tables, in step with edits ---------------------------------------------------------
def test_tables_follow_every_edit():
    e = demos.jacobian_demo()
    change(e.controls, "x0", 3.0)
    J = e.tables()[1]
    assert J.name == "J_f(x), 2×2, at x = (3, 2)" and J.rows == ("f₁", "f₂") and J.columns == ("x₁", "x₂")
    np.testing.assert_array_equal(J.values, [[6, 1], [2, 3]])  # [[2x₁, 1], [x₂, x₁]] at (3, 2)
    assert J.text == (("6", "1"), ("2", "3"))
    np.testing.assert_allclose(e.tables()[0].values.ravel(), [9 + 2, 6])  # f(3, 2) = (x₁² + x₂, x₁x₂)
    c = demos.scalar_chain_demo("(3x+1)²", x0=2.0)
    change(c.controls, "x0_text", "-1")
    assert [t.values.item() for t in c.tables()] == [2 * (3 * -1 + 1), 3, 18 * -1 + 6]  # g′(f), f′, h′ = 18x + 6
    m = ModeCostExplorer([1000, 10, 20])
    change(m.controls, "widths", "5000, 30")
    stages, totals = m.tables()
    assert stages.rows == ("x", "a₁") and totals.values[0, 1] == mode_cost([5000, 30]).reverse_madds


def test_the_colour_scale_check_box_is_named_and_follows_the_property():
    c = CompositionExplorer(lambda x: np.array([x[0], 10 * x[0] ** 2]), lambda u: np.array([u[0] + u[1]]), [1.0])
    box = item(c, "shared_scale")
    assert box["kind"] == "check" and box["label"] == "one colour scale for all three" and box["value"] is True
    assert len({t.zmax for t in c.figure.data if t.type == "heatmap"}) == 1
    change(c.controls, "shared_scale", False)  # the box unticked on the page
    assert c.shared_scale is False and item(c, "shared_scale")["value"] is False
    # J_g = (1, 1), J_f = (1, 20)ᵀ, J_h = 21: each panel its own limit now
    assert sorted(t.zmax for t in c.figure.data if t.type == "heatmap") == [1, 20, 21]
    c.shared_scale = True
    assert item(c, "shared_scale")["value"] is True
    with pytest.raises(TypeError, match="shared_scale must be True or False"):
        CompositionExplorer(np.sin, np.cos, [1.0], shared_scale="yes")


def test_the_figure_as_tables_is_in_the_page_and_shown_on_request():
    from chainviz.widgets import demos

    e = demos.jacobian_demo()
    html_hidden = e._tables_bar.items[1]["html"]
    assert html_hidden.startswith('<div class="cv-sr-only">') and "<caption>J_f(x), 2×2" in html_hidden
    assert "<td>2</td><td>1</td>" in html_hidden  # J_f(1, 2) = [[2, 1], [2, 1]], the section's numbers
    e._tables_bar._received(e._tables_bar, {"event": "change", "id": "tables", "value": True}, [])
    shown = e._tables_bar.items[1]["html"]
    assert not shown.startswith('<div class="cv-sr-only">') and e._tables_bar.items[0]["value"] is True
    e.x = [2.0, 1.0]  # the tables follow an edit: J_f(2, 1) = [[4, 1], [1, 2]]
    assert "<td>4</td><td>1</td>" in e._tables_bar.items[1]["html"]
