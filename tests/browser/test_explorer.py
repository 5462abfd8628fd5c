"""The two-layer ChainRuleExplorer in JupyterLab, driven like a person does
(issue #6, tests 2-4): type a weight, type nonsense, step the backward sweep.

Expected numbers come from chainviz's core (``cv.two_layer`` ...), never from
the widget or view layer; what the page shows is read from plotly.js itself
(``gd.data``, ``gd.layout.shapes``) and from the label texts drawn in each
trace's own subplot.

One notebook and one page serve the three tests of this module (opening
JupyterLab and running the explorer cell costs most of the time); each test
first presses the explorer's Reset so it does not depend on the others.
"""

from __future__ import annotations

import json
import re
import statistics
import sys

import nbformat
import numpy as np
import pytest

from chainviz import examples

from .helpers import (
    assert_sig3,
    cell_error_outputs,
    count_heatmaps,
    count_panels,
    editor_cells,
    expected_chain,
    figure_shapes,
    figure_state,
    figure_traces,
    js_set_input,
    measure_edit_to_dom,
    next_frames,
    normalise_label,
    open_notebook,
    plotly_label,
    sent_value,
    run_all_cells,
    screenshot_element,
    shutdown_kernels,
    unexpected_console_errors,
    wait_for_heatmaps,
    wait_for_trace,
    JS_FIGURE,
    JS_ITEM,
    JS_ITEMS,
    MEDIUM,
)

NOTEBOOK = "explorer_default.ipynb"
EXPLORER_SOURCE = "import chainviz as cv\napp = cv.ChainRuleExplorer()\napp"
#: sigmoid/identity at (3, 4, 2): top band W2, D1, W1, J + 4 reverse rows + 4 forward carries
DEFAULT_PANELS = 12
#: ... all small enough to carry their numbers: one heatmap trace, drawn as one image
DEFAULT_HEATMAPS = 1
FIG = ".jp-Notebook"  # root for figure helpers: the one figure in the notebook
FIG_SELECTOR = ".jp-Notebook .js-plotly-plot"
HIGHLIGHT = "#ff9f00"
#: W1[0,0] values typed for the latency sample (each changes J's printed labels)
LATENCY_VALUES = [1.5, -1.0, 0.3, 2.0, -2.0, 0.9, -0.4, 1.2, -1.6, 0.6, 1.8, -0.8]


def explorer_notebook(path) -> None:
    """Write the explorer notebook: the explorer, and a cell that exposes nothing else."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# ChainRuleExplorer, default state"),
        nbformat.v4.new_code_cell(EXPLORER_SOURCE),
        nbformat.v4.new_code_cell("None"),
    ]
    nbformat.write(nb, path)


# -- page state ------------------------------------------------------------------------
def grid_values(page, name: str, root: str = "body") -> np.ndarray:
    first, r, k = editor_cells(page, name, root)
    vals = page.eval_on_selector_all(f"{root} .cv-cell input", "els => els.map(e => e.value)")
    return np.array([float(v) for v in vals[first : first + r * k]]).reshape(r, k)


def cell_input(page, name: str, i: int, j: int, root: str = "body"):
    first, _, k = editor_cells(page, name, root)
    return page.locator(f"{root} .cv-cell input").nth(first + i * k + j)


def type_into(locator, text: str) -> None:
    """What a person does: select the cell's text, type, press Enter."""
    locator.click()
    locator.fill(text)
    locator.press("Enter")


def expected_labels(page, name: str, Z, root: str = FIG) -> list[str]:
    """The label texts (sorted) plotly must print on trace ``name`` holding chainviz's ``Z``."""
    tmpl = next(t["texttemplate"] for t in figure_traces(page, root) if t["name"] == name)
    # plotly formats the value chainviz sent: rounded to 3 significant digits
    return sorted(plotly_label(sent_value(v), tmpl) for row in Z for v in row if v is not None)


def expected_j_labels(page, J_expected, root: str = FIG) -> list[str]:
    return expected_labels(page, "top:J", J_expected, root)


def js_labels_equal(name: str, labels: list[str]) -> str:
    """JS ``(z, labels) => bool``: the drawn labels of a trace are ``labels`` (as a multiset)."""
    return f"""(z, ls) => !!ls && JSON.stringify(ls.map(t => t.trim().replace('\\u2212', '-')
                     .replace(/^-(0\\.0*)$/, '$1')).sort()) === JSON.stringify({json.dumps(labels)})"""


def reset(page) -> None:
    """Press the explorer's Reset and wait until the default W1 is shown again."""
    page.locator(f"{FIG} button.widget-button", has_text="Reset").first.click()
    w = float(examples.W1_DEFAULT[0, 0])
    tmpl = next(t["texttemplate"] for t in figure_traces(page, FIG) if t["name"] == "top:W1")
    wait_for_trace(page, "top:W1", f"(z, ls) => z[0][0] === {w} && "
                   f"ls.map(t => t.replace('\\u2212', '-')).includes({json.dumps(plotly_label(w, tmpl))})", FIG)
    inp = cell_input(page, "W1", 0, 0, FIG)
    page.wait_for_function(f"(el) => parseFloat(el.value) === {w}", arg=inp.element_handle())
    next_frames(page)


def figure_locator(page):
    return page.locator(FIG_SELECTOR).first


# -- the shared page -------------------------------------------------------------------
@pytest.fixture(scope="module")
def explorer_page(lab_server, browser):
    explorer_notebook(lab_server.root / NOTEBOOK)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.console_errors = errors  # type: ignore[attr-defined]
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    try:
        open_notebook(page, lab_server.url, NOTEBOOK)
        run_all_cells(page)
        wait_for_heatmaps(page, DEFAULT_HEATMAPS, within=FIG)
        assert cell_error_outputs(page) == []
        yield page
    finally:
        context.close()
        try:
            shutdown_kernels(lab_server.url, NOTEBOOK)
        except OSError as exc:  # best effort: the server stops at session end anyway
            print(f"could not shut the kernel of {NOTEBOOK} down: {exc}", file=sys.stderr)


@pytest.fixture
def page(explorer_page, request, artifacts_dir):
    """The module's page; a screenshot of it when the test fails."""
    yield explorer_page
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            explorer_page.screenshot(path=str(artifacts_dir / f"{name}-failure.png"))
        except Exception as exc:  # noqa: BLE001 - best effort, keep the real failure
            print(f"could not save failure screenshot: {exc}", file=sys.stderr)


# -- 2. a typed weight reaches every panel that depends on it -----------------------------
def test_typed_weight_updates_dependent_panels(page, artifacts_dir):
    reset(page)
    assert count_heatmaps(page, FIG) == DEFAULT_HEATMAPS
    assert count_panels(page, FIG) == DEFAULT_PANELS
    np.testing.assert_allclose(grid_values(page, "W1", FIG), examples.W1_DEFAULT)
    np.testing.assert_allclose(grid_values(page, "W2", FIG), examples.W2_DEFAULT)
    np.testing.assert_allclose(grid_values(page, "x", FIG).ravel(), examples.X_DEFAULT)
    target = grid_values(page, "t", FIG).ravel()  # the MSE target shown in the page
    before = figure_state(page, FIG)
    exp0 = expected_chain(examples.W1_DEFAULT, examples.W2_DEFAULT, examples.X_DEFAULT, target)
    for name in ("top:W1", "top:D1", "top:J", "rev:W1", "top:W2"):
        assert_sig3(before["z"][name], exp0[name], f"before the edit, {name}")
    screenshot_element(figure_locator(page), "explorer-before-edit")

    new = -1.3
    W1 = examples.W1_DEFAULT.copy()
    W1[0, 0] = new
    exp = expected_chain(W1, examples.W2_DEFAULT, examples.X_DEFAULT, target)
    w1_tmpl = next(t["texttemplate"] for t in figure_traces(page, FIG) if t["name"] == "top:W1")
    type_into(cell_input(page, "W1", 0, 0, FIG), str(new))

    # the edited panel first: once it is drawn, the same one message carried the rest
    wait_for_trace(page, "top:W1", f"(z, ls) => z[0][0] === {new} && "
                   f"ls.map(t => t.replace('\\u2212', '-')).includes({json.dumps(plotly_label(new, w1_tmpl))})", FIG)
    next_frames(page)
    page.evaluate("(b) => { window.__cvBefore = b; }", before)
    stale = []
    for name in ("top:W1", "top:D1", "top:J", "rev:W1"):
        try:
            wait_for_trace(
                page, name, f"(z, ls) => JSON.stringify(z) !== JSON.stringify(window.__cvBefore.z[{name!r}])"
                f" && JSON.stringify(ls) !== JSON.stringify(window.__cvBefore.labels[{name!r}])", FIG,
                timeout=10_000,
            )
        except Exception:  # noqa: BLE001 - collect every panel that did not change
            stale.append(name)
    assert not stale, f"panels not updated in the page after typing W1[0,0] = {new}: {stale}"
    after = figure_state(page, FIG)
    screenshot_element(figure_locator(page), "explorer-after-edit")

    # the numbers behind the panels are chainviz's for the new state (3 significant digits)
    for name in ("top:W1", "top:D1", "top:J", "rev:W1"):
        assert_sig3(after["z"][name], exp[name], f"after W1[0,0] = {new}, {name}")
    # panels that do not depend on W1 stayed as they were
    assert after["z"]["top:W2"] == before["z"]["top:W2"]
    assert after["z"]["rev:loss"] != before["z"]["rev:loss"]  # ∂L/∂y moves with y = W2 σ(W1 x)
    # ... and so are the numbers printed on the cells (J above all)
    for name in ("top:J", "top:W1", "top:D1", "rev:W1"):
        shown = sorted(normalise_label(t) for t in after["labels"][name])
        assert shown == expected_labels(page, name, exp[name]), (
            f"{name} labels {shown} are not chainviz's values for W1[0,0] = {new}: {exp[name]}")
    # the typed cell shows the accepted value and is not marked
    assert float(cell_input(page, "W1", 0, 0, FIG).input_value()) == new
    assert "cv-bad" not in (page.locator(f"{FIG} .cv-cell").nth(editor_cells(page, "W1", FIG)[0])
                            .get_attribute("class") or "")

    # edit -> J's labels redrawn, timed in the page, for many typed edits
    first, _, _ = editor_cells(page, "W1", FIG)
    times = []
    for v in LATENCY_VALUES:
        W1[0, 0] = v
        want = expected_j_labels(page, expected_chain(W1, examples.W2_DEFAULT, examples.X_DEFAULT, target)["top:J"])
        until = f"gd => ({js_labels_equal('top:J', want)})(null, (({JS_ITEM})(gd, 'top:J') || {{}}).labels)"
        times.append(measure_edit_to_dom(page, js_set_input(f"{FIG} .cv-cell input", str(v), index=first),
                                         FIG_SELECTOR, until=until))
    med = statistics.median(times)
    (artifacts_dir / "latency.json").write_text(json.dumps(
        {"edit_to_dom_ms": [round(t, 1) for t in times], "median": round(med, 1), "size": [3, 4, 2],
         "what": "typed W1[0,0] + Enter dispatched in the page -> J's cell labels redrawn with the new values",
         "where": "JupyterLab, Chromium (Playwright)"}, indent=2))
    print(f"\nedit -> J labels in DOM: median {med:.0f} ms over {len(times)} edits: "
          + ", ".join(f"{t:.0f}" for t in times))
    assert unexpected_console_errors(page.console_errors) == []


# -- 3. bad input: a message naming the cell, the cell marked, the figure untouched ---------
@pytest.mark.parametrize("text, problem", [("abc", r"not a number"), ("inf", r"not a finite number")], ids=["abc", "inf"])
def test_rejected_input_is_named_and_changes_nothing(page, text, problem):
    reset(page)
    before = figure_state(page, FIG)
    cell = cell_input(page, "W1", 0, 0, FIG)
    wrapper = page.locator(f"{FIG} .cv-cell").nth(editor_cells(page, "W1", FIG)[0])
    type_into(cell, text)

    status = page.locator(f"{FIG} .cv-status").first
    page.wait_for_function("([el, t]) => el.textContent.includes(\"'\" + t + \"'\")",
                           arg=[status.element_handle(), text], timeout=MEDIUM)
    message = status.text_content() or ""
    assert status.is_visible()
    assert "W1[0,0]" in message, f"the message does not name the cell: {message!r}"
    assert re.search(problem, message), f"the message does not say what is wrong: {message!r}"
    assert "cv-bad" in (wrapper.get_attribute("class") or ""), "the rejected cell is not marked"
    next_frames(page)
    after = figure_state(page, FIG)
    assert after["z"] == before["z"], "a rejected edit changed the figure's data"
    assert after["labels"] == before["labels"], "a rejected edit changed the numbers in the figure"
    assert after["shapes"] == before["shapes"]
    # the whole explorer (editors, figure, status line) in one picture: a taller window for it
    page.set_viewport_size({"width": 1280, "height": 1900})
    try:
        screenshot_element(page.locator(f"{FIG} .jp-OutputArea-output").first, f"explorer-rejected-{text}")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})

    # a valid value afterwards is taken and clears the mark and the message
    type_into(cell, "0.5")
    wait_for_trace(page, "top:W1", "z => z[0][0] === 0.5", FIG)
    page.wait_for_function("(el) => !el.classList.contains('cv-bad')", arg=wrapper.element_handle())
    assert "⚠" not in (status.text_content() or "")
    assert unexpected_console_errors(page.console_errors) == []


# -- 4. the backward sweep, one multiplication per step --------------------------------------
def _step_readout(page):
    return page.locator(f"{FIG} .widget-slider", has_text="backward step").locator(".widget-readout").first


def _check_step(page, s: int, K: int, rows: list[dict], expected: dict) -> None:
    """After step ``s``: rows 0..s shown with chainviz's values, the rest blank,
    the highlight (solid) on row ``s`` (none when the sweep is complete)."""
    readout = _step_readout(page)
    page.wait_for_function("([el, s]) => el.textContent.trim() === String(s)",
                           arg=[readout.element_handle(), s], timeout=MEDIUM)
    # wait until the figure shows step s: rows filled up to s, blank after it, and the
    # highlight on row s (the slider's readout can arrive before the figure's update)
    try:
        page.wait_for_function(
            f"""([root, names, s, box, colour]) => {{
                const gd = ({JS_FIGURE})(root, 0);
                if (!gd || !gd.data) return false;
                const rowsOk = names.every((name, k) => {{
                    const t = ({JS_ITEM})(gd, name);
                    const ls = t ? t.labels : [];
                    return t && (k <= s ? t.z.flat().every(v => v !== null) && ls.length === t.z.flat().length
                                        : t.z.flat().every(v => v === null) && ls.length === 0);
                }});
                const solid = ((gd.layout && gd.layout.shapes) || []).filter(sh => sh.line
                    && String(sh.line.color).toLowerCase() === colour && (sh.line.dash || 'solid') === 'solid');
                const on = (sh) => sh.x0 === box[1] - 0.5 && sh.x1 === box[1] + box[3] - 0.5
                                   && sh.y0 === box[0] - 0.5 && sh.y1 === box[0] + box[2] - 0.5;
                return rowsOk && (box === null ? solid.length === 0 : solid.length === 1 && on(solid[0]));
            }}""",
            arg=[FIG, [r["name"] for r in rows], s, None if s >= K else rows[s]["box"], HIGHLIGHT],
            timeout=MEDIUM,
            polling=50,
        )
    except Exception:  # noqa: BLE001 - the assertions below say what is wrong
        pass
    next_frames(page)
    state = figure_state(page, FIG)
    for k, row in enumerate(rows):
        z = state["z"][row["name"]]
        if k <= s:
            assert_sig3(z, expected[row["name"]], f"step {s}: {row['name']}")
            assert len(state["labels"][row["name"]]) == len(z[0]), f"step {s}: {row['name']} has no numbers"
        else:
            assert all(v is None for v in z[0]), f"step {s}: {row['name']} should be blank, is {z}"
            assert state["labels"][row["name"]] == [], f"step {s}: {row['name']} still shows numbers"
    solid = [sh for sh in figure_shapes(page, FIG)
             if sh.get("line", {}).get("color", "").lower() == HIGHLIGHT and sh["line"].get("dash", "solid") == "solid"]
    if s >= K:
        assert solid == [], f"the complete sweep still highlights {solid}"
    else:
        r0, c0, nr, nc = rows[s]["box"]
        assert [(sh["x0"], sh["x1"], sh["y0"], sh["y1"]) for sh in solid] == [
            (c0 - 0.5, c0 + nc - 0.5, r0 - 0.5, r0 + nr - 0.5)], (
            f"step {s}: the highlight should outline {rows[s]['name']} (cells {rows[s]['box']}), outlines {solid}")


def test_step_through_backward_sweep(page):
    reset(page)
    target = grid_values(page, "t", FIG).ravel()
    expected = expected_chain(examples.W1_DEFAULT, examples.W2_DEFAULT, examples.X_DEFAULT, target)
    rows = [t for t in figure_traces(page, FIG) if (t["name"] or "").startswith("rev:") and t["visible"] is not False]
    assert [r["name"] for r in rows] == ["rev:loss", "rev:W2", "rev:D1", "rev:W1"], "rows in the order computed"
    K = len(rows) - 1  # one multiplication per factor: W2, diag(σ'(z1)), W1
    assert _step_readout(page).text_content().strip() == str(K), "the explorer starts with the whole sweep"
    _check_step(page, K, K, rows, expected)

    back = page.locator(f"{FIG} button.widget-button", has_text="◀").first
    fwd = page.locator(f"{FIG} button.widget-button", has_text="▶").first
    where = []
    for s in range(K - 1, -1, -1):
        back.click()
        _check_step(page, s, K, rows, expected)
        where.append(next((sh["x0"], sh["y0"]) for sh in figure_shapes(page, FIG)
                          if sh.get("line", {}).get("color", "").lower() == HIGHLIGHT
                          and sh["line"].get("dash", "solid") == "solid"))
        screenshot_element(figure_locator(page), f"explorer-step-{s}")
    assert len(set(where)) == K, f"the highlight did not move to a new row on every step: {where}"
    back.click()  # at 0 already: stays at 0
    _check_step(page, 0, K, rows, expected)
    for s in range(1, K + 1):
        fwd.click()
        _check_step(page, s, K, rows, expected)
    assert unexpected_console_errors(page.console_errors) == []


# -- a preset that changes the structure: a slope factor leaves, then comes back -------------
JS_ORPHAN_PANELS = f"""(gd) => {{
    // every grey panel background must belong to a panel shown: a leftover one would show
    // as an empty grey box where a panel used to be. Returns the backgrounds of no panel.
    const boxes = ({JS_ITEMS})(gd).filter(t => t.box && t.visible !== false).map(t => t.box);
    const bg = ((gd.layout.shapes || []).find(sh => sh.type === 'path' && sh.fillcolor) || {{}}).path || '';
    const rects = Array.from(bg.matchAll(/M([-\\d.e]+),([-\\d.e]+)H([-\\d.e]+)V([-\\d.e]+)/g))
        .map(m => m.slice(1).map(Number));
    return rects.filter(([x0, y0, x1, y1]) => !boxes.some(([r, c, nr, nc]) =>
        x0 === c - 0.5 && x1 === c + nc - 0.5 && y0 === r - 0.5 && y1 === r + nr - 0.5));
}}"""


def test_preset_switch_redraws_every_panel(page):
    reset(page)
    select = page.locator(f"{FIG} .widget-dropdown select").first  # the Preset menu
    gd = page.locator(FIG_SELECTOR).first.element_handle()
    select.select_option(label="Two linear layers")
    page.wait_for_function(f"(gd) => ({JS_ITEMS})(gd).every(t => t.name !== 'top:D1')", arg=gd)
    next_frames(page)
    assert count_panels(page, FIG) == 9  # W2, W1, J; 3 rows; 3 forward carries
    assert page.evaluate(JS_ORPHAN_PANELS, gd) == []
    expected = expected_chain(examples.W1_DEFAULT, examples.W2_DEFAULT, examples.X_DEFAULT, [0.5, -0.5], "identity")
    assert_sig3(figure_traces_z(page, "top:J"), expected["top:J"], "J after the linear preset")

    select.select_option(label="With a sigmoid")
    page.wait_for_function(f"(gd) => ({JS_ITEMS})(gd).some(t => t.name === 'top:D1')", arg=gd)
    next_frames(page)
    assert count_panels(page, FIG) == DEFAULT_PANELS
    assert page.evaluate(JS_ORPHAN_PANELS, gd) == []
    assert unexpected_console_errors(page.console_errors) == []


def figure_traces_z(page, name: str):
    return next(t["z"] for t in figure_traces(page, FIG) if t["name"] == name and t["visible"] is not False)
