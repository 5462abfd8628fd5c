"""The ChainRuleExplorer in JupyterLab, driven like a person does (issues #6 and #13):
type a weight, type nonsense, step the backward sweep, switch a preset, click a cell of
the figure and type, do it all from the keyboard; and at 1024×700 (file browser open)
and 1280×800, check from element boxes that nothing is cut off.

Expected numbers come from chainviz's core (``cv.two_layer`` ...), never from the
widget or view layer; what the page shows is read from plotly.js itself (``gd.data``,
``gd.layout.shapes``) and from the numbers drawn on the figure's cells.

One notebook and one page serve the editing tests (opening JupyterLab and running the
explorer cell costs most of the time); each test first presses the explorer's Reset so it
does not depend on the others. The size tests open their own pages, at their own sizes.
"""

from __future__ import annotations

import base64
import json
import re
import statistics
import sys
import time

import nbformat
import numpy as np
import pytest

from playwright.sync_api import expect

import chainviz as cv
from chainviz import examples

from .helpers import (
    JS_FIGURE,
    JS_ITEM,
    JS_ITEMS,
    MEDIUM,
    assert_labels,
    assert_sig3,
    cell_error_outputs,
    cell_selector,
    clipping_problems,
    count_heatmaps,
    count_panels,
    editor_cells,
    expected_chain,
    expected_panels,
    explorer_layout,
    figure_shapes,
    figure_state,
    figure_traces,
    grid_cell,
    grid_locator,
    grid_values,
    inside,
    js_set_input,
    measure_edit_to_dom,
    next_frames,
    open_notebook,
    run_all_cells,
    screenshot,
    screenshot_element,
    scroll_to_top,
    shutdown_kernels,
    unexpected_console_errors,
    wait_for_heatmaps,
    wait_for_layout,
    wait_for_panel_labels,
    wait_for_trace,
)

NOTEBOOK = "explorer_default.ipynb"
EXPLORER_SOURCE = "import chainviz as cv\napp = cv.ChainRuleExplorer()\napp"
#: sigmoid/identity at (3, 4, 2): top band W2, D1, W1, J + 4 reverse rows + 4 forward carries
DEFAULT_PANELS = 12
#: ... all packed into one heatmap trace, drawn as one image
DEFAULT_HEATMAPS = 1
#: the default explorer's loss: the section's sigmoid preset, MSE with this target
TARGET = examples.PRESETS["sigmoid"].loss.target
FIG = ".jp-Notebook"  # root for figure helpers: the one figure in the notebook
FIG_SELECTOR = ".jp-Notebook .js-plotly-plot"
#: panels that depend on W1 (the forward band carries ∂a/∂x, which W1 changes too)
DEPENDS_ON_W1 = ("top:W1", "top:D1", "top:J", "rev:loss", "rev:W2", "rev:D1", "rev:W1")
#: the reverse rows in the order computed, and what each is (the maths, for the step readout)
ROWS = ["rev:loss", "rev:W2", "rev:D1", "rev:W1"]
ROW_TEXT = ["∂L/∂y", "∂L/∂a₁", "∂L/∂z₁", "∂L/∂x"]
#: W1[0,0] values typed for the latency sample: each moves some entry of J by more than a
#: printed unit (checked below), so the drawn labels must change on every edit
LATENCY_VALUES = [1.5, -1.0, 0.3, 2.0, -2.0, 0.9, -0.4, 1.2, -1.6, 0.6, 1.8, -0.8]


def explorer_notebook(path, sources=(EXPLORER_SOURCE,), title="ChainRuleExplorer, default state") -> None:
    """Write a notebook: a heading, one code cell per source, and a cell that shows nothing."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = ([nbformat.v4.new_markdown_cell(f"# {title}")]
                + [nbformat.v4.new_code_cell(s) for s in sources] + [nbformat.v4.new_code_cell("None")])
    nbformat.write(nb, path)


def default_expected(W1=examples.W1_DEFAULT) -> dict:
    return expected_chain(W1, examples.W2_DEFAULT, examples.X_DEFAULT, TARGET)


# -- page state ------------------------------------------------------------------------
def type_into(locator, text: str) -> None:
    """What a person does: click the cell (its text is selected), type, press Enter."""
    locator.click()
    locator.fill(text)
    locator.press("Enter")


def button(page, aria_or_text: str, root: str = FIG):
    by_aria = page.locator(f'{root} .cv-bar button[aria-label="{aria_or_text}"]')
    return by_aria if by_aria.count() else page.locator(f"{root} .cv-bar button", has_text=aria_or_text).first


def step_slider(page, root: str = FIG):
    return page.locator(f'{root} .cv-bar input[type=range][aria-label="backward step"]').first


def status(page, root: str = FIG):
    """The explorer's message block: errors, notes, the explanation of a clicked cell."""
    return page.locator(f"{root} .cv-bar .cv-html.cv-wide").first


def colour_limits(page, root: str = FIG) -> list:
    return page.evaluate(f"(r) => {{ const t = ({JS_FIGURE})(r, 0).data[0]; return [t.zmin, t.zmax]; }}", root)


def named_shape(page, name: str, root: str = FIG) -> dict:
    return next(sh for sh in figure_shapes(page, root) if sh.get("name") == name)


def path_cells(path: str) -> set[tuple[int, int]]:
    """Grid cells ``(row, col)`` covered by an SVG path of axis-aligned rectangles
    ``M x0,y0 H x1 V y1 ...`` in grid coordinates (cell (r, c) centred at x = c, y = r)."""
    cells = set()
    for x0, y0, x1, y1 in re.findall(r"M([-\d.e]+),([-\d.e]+)H([-\d.e]+)V([-\d.e]+)", path):
        xs, ys = sorted((float(x0), float(x1))), sorted((float(y0), float(y1)))
        cells |= {(r, c) for r in range(round(ys[0] + 0.5), round(ys[1] + 0.5))
                  for c in range(round(xs[0] + 0.5), round(xs[1] + 0.5))}
    return cells


def panel_cells(box) -> set[tuple[int, int]]:
    r0, c0, rows, cols = box
    return {(r0 + i, c0 + j) for i in range(rows) for j in range(cols)}


def rect_of(box, i0=None, i1=None, j0=None, j1=None) -> set[tuple[int, int]]:
    r0, c0, rows, cols = box
    return {(r0 + i, c0 + j) for i in range(rows) for j in range(cols)
            if (i0 is None or i0 <= i <= i1) and (j0 is None or j0 <= j <= j1)}


def boxes(page, root: str = FIG) -> dict:
    return {t["name"]: t["box"] for t in figure_traces(page, root) if t.get("box")}


def wait_unmarked(page, root: str = FIG, timeout: float = 10_000) -> None:
    """Wait until no cell is outlined as just changed (the outline goes ~1.6 s after an edit)."""
    page.wait_for_function(
        f"""(r) => {{ const gd = ({JS_FIGURE})(r, 0);
            const sh = ((gd && gd.layout.shapes) || []).find(s => s.name === 'changed');
            return !!sh && sh.visible === false; }}""", arg=root, timeout=timeout, polling=50)


def reset(page, root: str = FIG) -> None:
    """Press the explorer's Reset; wait until the default W1 and the whole sweep are shown and
    no cell is outlined as changed."""
    button(page, "↺ Reset", root).click()
    w = float(examples.W1_DEFAULT[0, 0])
    wait_for_trace(page, "top:W1", f"(z, ls) => z[0][0] === {w}", root)
    page.wait_for_function(f"(el) => parseFloat(el.value) === {w}",
                           arg=grid_cell(page, "W1", 0, 0, root).element_handle())
    page.wait_for_function("(el) => el.value === el.max", arg=step_slider(page, root).element_handle())
    wait_unmarked(page, root)
    next_frames(page)


def figure_locator(page):
    return page.locator(FIG_SELECTOR).first


def cell_centre(page, name: str, i: int, j: int, root: str = FIG) -> tuple[float, float]:
    """Client pixels of the centre of entry ``[i, j]`` of figure panel ``name``."""
    return tuple(page.evaluate(
        f"""([root, name, i, j]) => {{
            const gd = ({JS_FIGURE})(root, 0), fl = gd._fullLayout, g = gd.getBoundingClientRect();
            const [r0, c0] = gd.data[0].meta.panels[name];
            return [g.left + fl.xaxis._offset + fl.xaxis.l2p(c0 + j), g.top + fl.yaxis._offset + fl.yaxis.l2p(r0 + i)];
        }}""", [root, name, i, j]))


def active_element(page) -> dict:
    return page.evaluate("""() => { const a = document.activeElement;
        return { tag: a.tagName, aria: a.getAttribute('aria-label') || '', text: (a.textContent || '').trim().slice(0, 40),
                 i: a.dataset ? a.dataset.i : undefined, j: a.dataset ? a.dataset.j : undefined,
                 grid: (a.closest('.cv-grid') && a.closest('.cv-grid').querySelector('.cv-grid-title').textContent) || '',
                 inExplorer: !!a.closest('.cv-root'), inFigure: !!a.closest('.js-plotly-plot'),
                 cls: (a.className || '').toString() }; }""")


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
        wait_for_layout(page, FIG)
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


# -- a typed weight reaches every panel that depends on it -------------------------------
def test_typed_weight_updates_dependent_panels(page, artifacts_dir):
    reset(page)
    assert count_heatmaps(page, FIG) == DEFAULT_HEATMAPS
    assert count_panels(page, FIG) == DEFAULT_PANELS
    np.testing.assert_allclose(grid_values(page, "W1", FIG), examples.W1_DEFAULT)
    np.testing.assert_allclose(grid_values(page, "W2", FIG), examples.W2_DEFAULT)
    np.testing.assert_allclose(grid_values(page, "x", FIG).ravel(), examples.X_DEFAULT)
    np.testing.assert_allclose(grid_values(page, "t", FIG).ravel(), TARGET)
    before = figure_state(page, FIG)
    limits = colour_limits(page)
    exp0 = default_expected()
    for name in DEPENDS_ON_W1 + ("top:W2",):
        assert_sig3(before["z"][name], exp0[name], f"before the edit, {name}")
        assert_labels(before["labels"][name], exp0[name], f"before the edit, {name}")
    screenshot_element(figure_locator(page), "explorer-before-edit")

    # record the "changed" outline as it is drawn: it is shown for a moment only
    page.evaluate(f"""(r) => {{
        const gd = ({JS_FIGURE})(r, 0);
        window.__cvMarks = [];
        const look = () => {{
            const sh = (gd.layout.shapes || []).find(s => s.name === 'changed');
            const last = window.__cvMarks[window.__cvMarks.length - 1];
            const now = sh && sh.visible !== false ? sh.path : null;
            if (now !== (last === undefined ? null : last)) window.__cvMarks.push(now);
            window.__cvMarkTimer = requestAnimationFrame(look);
        }};
        look();
    }}""", FIG)
    new = -0.7  # inside the colour scale (±1): nothing but what depends on W1[0,0] may change colour
    W1 = examples.W1_DEFAULT.copy()
    W1[0, 0] = new
    exp = default_expected(W1)
    type_into(grid_cell(page, "W1", 0, 0, FIG), str(new))
    for name in DEPENDS_ON_W1:
        wait_for_panel_labels(page, name, exp[name], FIG, timeout=10_000)
    after = figure_state(page, FIG)
    screenshot_element(figure_locator(page), "explorer-after-edit")

    # the numbers behind the panels and printed on them are chainviz's core's for the new state
    for name in DEPENDS_ON_W1:
        assert_sig3(after["z"][name], exp[name], f"after W1[0,0] = {new}, {name}")
        assert_labels(after["labels"][name], exp[name], f"after W1[0,0] = {new}, {name}")
    # W2 does not depend on W1: same numbers, and (limits kept) the same colours
    assert after["z"]["top:W2"] == before["z"]["top:W2"]
    assert after["labels"]["top:W2"] == before["labels"]["top:W2"]
    assert colour_limits(page) == limits, "the colour scale moved though every value stayed inside it"
    # the typed cell shows the accepted value and is not marked
    cell = grid_cell(page, "W1", 0, 0, FIG)
    assert float(cell.input_value()) == new
    assert "cv-bad" not in (cell.get_attribute("class") or "") and cell.get_attribute("aria-invalid") == "false"

    # what changed was outlined for a moment, and nothing that did not
    wait_unmarked(page)
    marks = page.evaluate("() => { cancelAnimationFrame(window.__cvMarkTimer); return window.__cvMarks; }")
    shown = [m for m in marks if m]
    assert shown, f"no cell was outlined as changed after the edit (outline paths seen: {marks})"
    outlined = path_cells(shown[0])
    b = boxes(page)
    moved = {(b[n][0] + i, b[n][1] + j) for n in DEPENDS_ON_W1 for i, row in enumerate(exp[n])
             for j, v in enumerate(row) if v is not None and before["labels"][n] != after["labels"][n]
             and abs(v - exp0[n][i][j]) > 0.011}  # moved by more than a printed unit: must be marked
    assert (b["top:W1"][0], b["top:W1"][1]) in outlined, "the edited cell W1[0,0] is not outlined"
    assert moved <= outlined, f"cells whose printed value changed are not outlined: {sorted(moved - outlined)}"
    assert not outlined & panel_cells(b["top:W2"]), "W2 did not change but is outlined"
    assert marks[-1] is None, "the outline of the changed cells did not go away"

    # edit -> J's labels redrawn with the core's values, timed in the page, for many typed edits
    # (the clock stops when J's drawn labels change; they are checked against the core after)
    first, _, _ = editor_cells(page, "W1", FIG)
    times, wrong = [], []
    previous = exp["top:J"]
    for v in LATENCY_VALUES:
        W1[0, 0] = v
        want = default_expected(W1)["top:J"]
        assert np.abs(np.subtract(want, previous)).max() > 0.011, f"W1[0,0] = {v} would not change J's labels"
        previous = want
        # cheap enough to run on every mutation: the drawn numbers, J's among them, in one redraw
        drawn = "gd => Array.from(gd.querySelectorAll('.textpoint text, g.cv-page-text > text'), e => e.textContent).join(' ')"
        page.evaluate(f"(r) => {{ window.__cvDrawn = ({drawn})(({JS_FIGURE})(r, 0)); }}", FIG)
        until = f"gd => ({drawn})(gd) !== window.__cvDrawn"
        times.append(measure_edit_to_dom(page, js_set_input(f"{FIG} input.cv-cell", str(v), index=first),
                                         FIG_SELECTOR, until=until))
        try:
            wait_for_panel_labels(page, "top:J", want, FIG, timeout=2_000)
        except AssertionError as exc:
            wrong.append(f"W1[0,0] = {v}: {exc}")
    med = statistics.median(times)
    (artifacts_dir / "latency.json").write_text(json.dumps(
        {"edit_to_dom_ms": [round(t, 1) for t in times], "median": round(med, 1), "size": [3, 4, 2],
         "what": "typed W1[0,0] + Enter dispatched in the page -> the figure's printed numbers (J's too) redrawn",
         "where": "JupyterLab, Chromium (Playwright)"}, indent=2))
    print(f"\nedit -> J labels in DOM: median {med:.0f} ms over {len(times)} edits: "
          + ", ".join(f"{t:.0f}" for t in times))
    assert not wrong, "J's printed numbers disagree with the core:\n" + "\n".join(wrong)
    assert unexpected_console_errors(page.console_errors) == []


# -- bad input: a message naming the cell, the cell marked, the figure untouched ---------
@pytest.mark.parametrize("text, problem", [("abc", r"not a number"), ("inf", r"not a finite number")], ids=["abc", "inf"])
def test_rejected_input_is_named_and_changes_nothing(page, text, problem):
    reset(page)
    before = figure_state(page, FIG)
    cell = grid_cell(page, "W1", 0, 0, FIG)
    type_into(cell, text)

    block = status(page)
    page.wait_for_function("([el, t]) => el.textContent.includes(\"'\" + t + \"'\")",
                           arg=[block.element_handle(), text], timeout=MEDIUM)
    message = block.text_content() or ""
    assert block.is_visible()
    assert message.lstrip().startswith("⚠"), f"the message does not read as an error: {message!r}"
    assert "W1[0,0]" in message, f"the message does not name the cell: {message!r}"
    assert re.search(problem, message), f"the message does not say what is wrong: {message!r}"
    # the cell itself: marked, invalid for a screen reader, and its grid says why next to it
    assert "cv-bad" in (cell.get_attribute("class") or ""), "the rejected cell is not marked"
    assert cell.get_attribute("aria-invalid") == "true"
    assert re.search(problem, cell.get_attribute("aria-label") or ""), cell.get_attribute("aria-label")
    grid_message = grid_locator(page, "W1", FIG).locator(".cv-grid-message")
    assert grid_message.is_visible() and re.search(problem, grid_message.text_content() or "")
    next_frames(page)
    after = figure_state(page, FIG)
    assert after["z"] == before["z"], "a rejected edit changed the figure's data"
    assert after["labels"] == before["labels"], "a rejected edit changed the numbers in the figure"
    # (Enter moved the focus on to W1[1,0], and the figure's selection outline follows the focus;
    # every other shape stays)
    outlines = lambda state: [sh for sh in state["shapes"] if sh.get("name") != "highlight"]  # noqa: E731
    assert outlines(after) == outlines(before)
    # the whole explorer (editors, bars, figure) in one picture: a taller window for it
    page.set_viewport_size({"width": 1280, "height": 1400})
    try:
        screenshot_element(page.locator(f"{FIG} .cv-root").first, f"explorer-rejected-{text}")
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})

    # a valid value afterwards is taken and clears the mark and the message
    type_into(cell, "0.5")
    wait_for_trace(page, "top:W1", "z => z[0][0] === 0.5", FIG)
    page.wait_for_function("(el) => !el.classList.contains('cv-bad')", arg=cell.element_handle())
    assert "⚠" not in (block.text_content() or "")
    assert not grid_message.is_visible()
    assert unexpected_console_errors(page.console_errors) == []


# -- the backward sweep, one multiplication per step --------------------------------------
def _check_step(page, s: int, expected: dict, b: dict, selected: set | None = None) -> None:
    """After step ``s``: the slider says so, rows 0..s show the core's values, the rest are
    blank, row ``s`` is outlined and the factor just applied (``s`` ≥ 1) dotted; the whole
    sweep (``s`` = K) outlines nothing."""
    K = len(ROWS) - 1
    slider = step_slider(page)
    said = f"step {s} of {K}: {ROW_TEXT[s]}"
    try:  # a key moves the slider at once; what it says comes with the kernel's answer
        page.wait_for_function("([el, s, said]) => el.value === String(s) && el.getAttribute('aria-valuetext') === said",
                               arg=[slider.element_handle(), s, said], timeout=MEDIUM)
    except Exception:  # noqa: BLE001 - the assertion says what is shown
        pass
    assert (slider.input_value(), slider.get_attribute("aria-valuetext")) == (str(s), said)
    cols = [n.split(":")[1] for n in ROWS]
    want_solid = (set() if s >= K else rect_of(b[ROWS[s]])) | (selected or set())  # and a selected cell
    want_dotted = set() if s >= K or s == 0 else rect_of(b[f"top:{cols[s]}"])
    try:  # the slider can be answered before the figure: wait for the figure to show step s
        page.wait_for_function(
            f"""([root, names, s]) => {{
                const gd = ({JS_FIGURE})(root, 0);
                return names.every((name, k) => {{
                    const t = ({JS_ITEM})(gd, name);
                    const values = t ? t.z.flat() : [];
                    return t && (k <= s ? values.every(v => v !== null) && t.labels.length === values.length
                                        : values.every(v => v === null) && t.labels.length === 0);
                }});
            }}""", arg=[FIG, ROWS, s], timeout=MEDIUM, polling=50)
    except Exception:  # noqa: BLE001 - the assertions below say what is wrong
        pass
    next_frames(page)
    state = figure_state(page, FIG)
    for k, name in enumerate(ROWS):
        z = state["z"][name]
        if k <= s:
            assert_sig3(z, expected[name], f"step {s}: {name}")
            assert_labels(state["labels"][name], expected[name], f"step {s}: {name}")
        else:
            assert all(v is None for v in z[0]), f"step {s}: {name} should be blank, is {z}"
            assert state["labels"][name] == [], f"step {s}: {name} still shows numbers"
    for shape, want in (("highlight", want_solid), ("applied", want_dotted)):
        sh = named_shape(page, shape)
        got = path_cells(sh["path"]) if sh.get("visible") is not False else set()
        assert got == want, f"step {s}: the {shape} outline covers {sorted(got)}, expected {sorted(want)}"


def test_step_through_backward_sweep(page):
    reset(page)
    expected = default_expected()
    rows = [t["name"] for t in figure_traces(page, FIG) if (t["name"] or "").startswith("rev:")]
    assert rows == ROWS, "rows in the order computed"
    b = boxes(page)
    K = len(ROWS) - 1  # one multiplication per factor: W2, diag(σ'(z1)), W1
    _check_step(page, K, expected, b)

    back, fwd = button(page, "one multiplication back"), button(page, "one multiplication further")
    assert fwd.is_disabled(), "a step past the whole sweep is offered"
    for s in range(K - 1, -1, -1):
        back.click()
        _check_step(page, s, expected, b)
        screenshot_element(figure_locator(page), f"explorer-step-{s}")
    assert back.is_disabled(), "a step before the first row is offered"
    for s in range(1, K + 1):
        fwd.click()
        _check_step(page, s, expected, b)
    assert unexpected_console_errors(page.console_errors) == []


# -- a preset that changes the structure: a slope factor leaves, then comes back -------------
JS_ORPHAN_PANELS = f"""(gd) => {{
    // every grey panel background must belong to a panel shown: a leftover one would show
    // as an empty grey box where a panel used to be. Returns the backgrounds of no panel.
    const boxes = ({JS_ITEMS})(gd).filter(t => t.box && t.visible !== false).map(t => t.box);
    const bg = ((gd.layout.shapes || []).find(sh => sh.type === 'path' && !sh.name && sh.fillcolor) || {{}}).path || '';
    const rects = Array.from(bg.matchAll(/M([-\\d.e]+),([-\\d.e]+)H([-\\d.e]+)V([-\\d.e]+)/g))
        .map(m => m.slice(1).map(Number));
    return rects.filter(([x0, y0, x1, y1]) => !boxes.some(([r, c, nr, nc]) =>
        x0 === c - 0.5 && x1 === c + nc - 0.5 && y0 === r - 0.5 && y1 === r + nr - 0.5));
}}"""


def test_preset_switch_redraws_every_panel(page):
    reset(page)
    select = page.locator(f"{FIG} .cv-bar label", has_text="Preset").locator("select").first
    gd = figure_locator(page).element_handle()
    linear = examples.PRESETS["linear"]
    select.select_option(label=linear.title)
    page.wait_for_function(f"(gd) => ({JS_ITEMS})(gd).every(t => t.name !== 'top:D1')", arg=gd)
    expected = expected_panels(linear.net, linear.x, linear.loss)
    wait_for_panel_labels(page, "top:J", expected["top:J"], FIG)
    assert count_panels(page, FIG) == 9  # W2, W1, J; 3 rows; 3 forward carries
    assert page.evaluate(JS_ORPHAN_PANELS, gd) == []
    state = figure_state(page, FIG)
    for name in ("top:W2", "top:W1", "top:J", "rev:loss", "rev:W2", "rev:W1"):
        assert_sig3(state["z"][name], expected[name], f"{linear.title}: {name}")
        assert_labels(state["labels"][name], expected[name], f"{linear.title}: {name}")
    assert linear.note in (status(page).text_content() or ""), "the preset's note is not shown"
    assert select.input_value() == "linear", "the menu does not name the preset shown"

    sigmoid = examples.PRESETS["sigmoid"]
    select.select_option(label=sigmoid.title)
    page.wait_for_function(f"(gd) => ({JS_ITEMS})(gd).some(t => t.name === 'top:D1')", arg=gd)
    wait_for_panel_labels(page, "top:J", default_expected()["top:J"], FIG)
    assert count_panels(page, FIG) == DEFAULT_PANELS
    assert page.evaluate(JS_ORPHAN_PANELS, gd) == []
    assert unexpected_console_errors(page.console_errors) == []


# -- edit where you look: a click on W1[1,2] in the figure, then typing edits that weight -----
def test_click_in_figure_then_type_edits_that_weight(page):
    reset(page)
    figure_locator(page).scroll_into_view_if_needed()
    x, y = cell_centre(page, "top:W1", 1, 2)
    page.mouse.click(x, y)
    page.wait_for_function(
        """() => { const a = document.activeElement; return a && a.matches('input.cv-cell')
                   && a.dataset.i === '1' && a.dataset.j === '2'
                   && a.closest('.cv-grid').querySelector('.cv-grid-title').textContent === 'W1'; }""",
        timeout=MEDIUM)
    explanation = status(page).text_content() or ""
    assert "W1[1,2]" in explanation, f"the click is not explained: {explanation!r}"
    assert path_cells(named_shape(page, "highlight")["path"]) == rect_of(boxes(page)["top:W1"], 1, 1, 2, 2)
    screenshot_element(page.locator(f"{FIG} .cv-root").first, "explorer-clicked-W1-1-2")

    new = -0.4
    page.keyboard.type(str(new))  # the click selected the cell's text: typing replaces it
    page.keyboard.press("Enter")
    W1 = examples.W1_DEFAULT.copy()
    W1[1, 2] = new
    exp = default_expected(W1)
    for name in ("top:W1", "top:J", "rev:W1"):
        wait_for_panel_labels(page, name, exp[name], FIG)
    assert float(grid_cell(page, "W1", 1, 2, FIG).input_value()) == new
    # Enter moved the focus down, to W1[2,2]: the slider, like the figure's outline, follows the focus
    # (the focus is sent to the kernel, which answers with the slider: wait for that answer)
    expect(page.locator(f'{FIG} .cv-bar input[type=range][aria-label="scrub W1[2,2]"]'),
           "the scrub slider does not follow the focused weight").to_have_count(1, timeout=MEDIUM)
    assert unexpected_console_errors(page.console_errors) == []


# -- the keyboard alone ---------------------------------------------------------------------
def _focus_explorer_cell(page) -> None:
    """Where a keyboard user starts: the explorer's notebook cell selected in command mode."""
    page.locator(f"{cell_selector(1)}").evaluate("(c) => c.focus()")
    page.keyboard.press("Escape")
    assert not active_element(page)["inExplorer"]


def _tab_until(page, done, most: int = 30, back: bool = False) -> list[str]:
    """Press Tab (Shift+Tab) until ``done(active_element)``; the stops passed, in words."""
    stops = []
    for _ in range(most):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        a = active_element(page)
        stops.append(a["aria"] or a["text"] or a["tag"])
        if done(a):
            return stops
    raise AssertionError(f"not reached with {most} presses of Tab; stops: {stops}")


def test_keyboard_only_edit_and_step(page):
    reset(page)
    _focus_explorer_cell(page)
    stops = _tab_until(page, lambda a: a["grid"] == "W1" and a["tag"] == "INPUT")
    print(f"\nTab stops to W1's grid: {stops}")
    page.keyboard.press("Control+Home")  # the grid's first cell, wherever the grid was left
    for key in ("ArrowDown", "ArrowRight", "ArrowRight"):
        page.keyboard.press(key)
    a = active_element(page)
    assert (a["grid"], a["i"], a["j"]) == ("W1", "1", "2"), f"arrow keys led to {a}"
    assert a["aria"].startswith("W1 row 1 column 2, 0.5"), a["aria"]
    new = 0.25
    page.keyboard.type(str(new))
    page.keyboard.press("Enter")
    W1 = examples.W1_DEFAULT.copy()
    W1[1, 2] = new
    expected = default_expected(W1)
    wait_for_panel_labels(page, "top:J", expected["top:J"], FIG)
    assert float(grid_cell(page, "W1", 1, 2, FIG).input_value()) == new

    stops = _tab_until(page, lambda a: a["aria"] == "one multiplication back")
    print(f"Tab stops from the grid to ◀: {stops}")
    b = boxes(page)
    # Enter moved the focus on to W1[2,2]: the figure outlines that selected cell too
    sel = rect_of(b["top:W1"], 2, 2, 2, 2)
    page.keyboard.press("Enter")
    _check_step(page, 2, expected, b, sel)
    page.keyboard.press("Space")
    _check_step(page, 1, expected, b, sel)
    page.keyboard.press("Tab")
    assert active_element(page)["aria"] == "backward step", active_element(page)
    page.keyboard.press("ArrowRight")
    _check_step(page, 2, expected, b, sel)
    page.keyboard.press("Tab")
    assert active_element(page)["aria"] == "one multiplication further", active_element(page)
    page.keyboard.press("Enter")
    _check_step(page, 3, expected, b, sel)
    assert unexpected_console_errors(page.console_errors) == []


def test_keyboard_reads_a_cell_explanation(page):
    """Reach a cell of the figure with the keyboard alone and read its explanation (moving in a
    weight's grid selects that weight in the figure and explains it)."""
    reset(page)
    _focus_explorer_cell(page)
    hint = status(page).text_content() or ""
    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        a = active_element(page)
        stops.append(a["aria"] or a["text"] or a["tag"])
        if not a["inExplorer"] and len(stops) > 1:
            break
        if a["inFigure"] or (a["grid"] == "W1" and a["tag"] == "INPUT"):
            page.keyboard.press("Enter")
            try:  # the explanation comes with the kernel's answer
                page.wait_for_function("([el, hint]) => el.textContent !== hint && el.textContent.includes('W1[')",
                                       arg=[status(page).element_handle(), hint], timeout=5_000)
            except Exception:  # noqa: BLE001 - not this stop: go on tabbing
                pass
            text = status(page).text_content() or ""
            if text != hint and "=" in text and "W1[" in text:
                return
    raise AssertionError(f"no keyboard stop of the explorer explains a cell; stops: {stops}")


# -- fit: 1024×700 with the file browser open, 1280×800 --------------------------------------
SIZES_NOTEBOOK = "explorer_sizes.ipynb"
#: (what, source, must fit without scrolling); the large net may scroll, visibly
SIZE_EXPLORERS = [
    ("default", "import chainviz as cv\ncv.ChainRuleExplorer()", True),
    ("presentation", "cv.ChainRuleExplorer(presentation=True)", False),
    ("widths8-depth3", "cv.ChainRuleExplorer(sizes=(8, 8, 8, 8))", False),
]
#: the smallest printed number chainviz allows itself (px): on a laptop, and on a slide
MIN_LABEL_PX = {False: 9.0, True: 12.0}


def check_explorer_on_screen(page, root: str, what: str, must_fit: bool, presentation: bool,
                             together: bool) -> tuple[list[str], dict]:
    """Scroll the explorer in ``root`` to the top, screenshot it, and say what is wrong:
    clipped controls or panels (:func:`clipping_problems`), numbers below the readable minimum,
    and (``together``) W1's grid and J not both on screen. Returns the problems and the report."""
    scroll_to_top(page, root)
    wait_for_layout(page, root)
    report = explorer_layout(page, root)
    problems = [f"{what}: {p}" for p in clipping_problems(report, must_fit)]
    small = [px for px in report["label_px"] if px < MIN_LABEL_PX[presentation] - 0.05]
    if small:
        problems.append(f"{what}: {len(small)} numbers drawn at {min(small)} px, below {MIN_LABEL_PX[presentation]}")
    w1 = grid_locator(page, "W1", root).evaluate(
        "(g) => { const b = g.getBoundingClientRect(); return {l: b.left, t: b.top, r: b.right, b: b.bottom}; }")
    w1_clip = next(c["clip"] for c in report["controls"] if c["what"] == "grid W1")
    j = report["panels"]["top:J"]
    report["together"] = inside(w1, w1_clip) and inside(j, report["clip"])
    if together and not report["together"]:
        problems.append(f"{what}: W1's grid {_px(w1)} and J {_px(j)} are not on screen together "
                        f"(visible: grid {_px(w1_clip)}, figure {_px(report['clip'])})")
    return problems, report


def _px(b: dict) -> str:
    return f"[{b['l']:.0f}..{b['r']:.0f} × {b['t']:.0f}..{b['b']:.0f}]"


@pytest.mark.parametrize("width, height", [(1024, 700), (1280, 800)], ids=["1024x700", "1280x800"])
def test_explorers_fit(lab_server, sized_page, width, height):
    """Default, presentation and large explorers at a laptop size in JupyterLab with the file
    browser open: nothing clipped; the default one fits whole, the others scroll visibly;
    at 1280×800 W1's grid and J are on screen together."""
    page = sized_page(width, height)
    explorer_notebook(lab_server.root / SIZES_NOTEBOOK, [src for _, src, _ in SIZE_EXPLORERS],
                      "Explorers at a laptop's size")
    try:
        open_notebook(page, lab_server.url, SIZES_NOTEBOOK)
        run_all_cells(page)
        assert cell_error_outputs(page) == []
        assert page.locator(".jp-FileBrowser").first.is_visible(), "the file browser is not open"
        problems, seen = [], {}
        for k, (what, _, must_fit) in enumerate(SIZE_EXPLORERS):
            root = cell_selector(k + 1)
            wait_for_heatmaps(page, 1, within=root)
            found, report = check_explorer_on_screen(
                page, root, what, must_fit, presentation=what == "presentation",
                together=(what == "default" and width >= 1280))
            screenshot(page, f"explorer-{width}x{height}-{what}")
            if report["panels"]["top:J"]["t"] > report["viewport"]["h"]:  # the figure too, as one scrolls to it
                page.locator(f"{root} .js-plotly-plot").first.evaluate("(gd) => gd.scrollIntoView({block: 'start'})")
                next_frames(page, 3)
                screenshot(page, f"explorer-{width}x{height}-{what}-figure")
            problems += found
            sc = report["scroller"]
            seen[what] = {"figure_px": round(report["figure"]["r"] - report["figure"]["l"]),
                          "box_px": sc and sc["clientWidth"],
                          "scrolls": bool(sc and sc["scrollWidth"] > sc["clientWidth"]),
                          "label_px": min(report["label_px"], default=None), "together": report["together"]}
        print(f"\n{width}×{height}: " + json.dumps(seen))
        assert not problems, "\n".join(problems)
        assert unexpected_console_errors(page.console_errors) == []
    finally:
        try:
            shutdown_kernels(lab_server.url, SIZES_NOTEBOOK)
        except OSError as exc:
            print(f"could not shut the kernel of {SIZES_NOTEBOOK} down: {exc}", file=sys.stderr)


# -- gradient descent: Step and Train change the panels and draw the loss ---------------------------
def _loss_points(page) -> int:
    return page.evaluate(f"""() => {{ const gd = ({JS_FIGURE})({json.dumps(FIG)}, 0);
        const t = (gd.data || []).find(t => t.name === 'loss history');
        return t && t.visible ? t.y.length : 0; }}""")


JS_CHART = f"""() => {{ const gd = ({JS_FIGURE})({json.dumps(FIG)}, 0);
    const line = gd.querySelector('.cartesianlayer .subplot.x2y2 .scatterlayer path.js-line');
    const box = line && line.getBoundingClientRect();
    return {{ subplots: gd._fullLayout._subplots.cartesian, line: box ? [box.width, box.height] : null }}; }}"""


def test_step_and_train_change_the_panels_and_draw_the_loss(page):
    reset(page)
    before = figure_state(page, FIG)
    # no chart axes before the first step: plotly.js would redraw them, empty, on every edit
    assert page.evaluate(JS_CHART)["subplots"] == ["xy"]
    page.locator(f"{FIG} .cv-bar summary", has_text="Gradient descent").first.click()
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(f"() => ({JS_FIGURE})({json.dumps(FIG)}, 0).data.some(t => t.name === 'loss history' "
                           f"&& t.visible && t.y.length === 2)", timeout=MEDIUM)
    after = figure_state(page, FIG)
    assert after["z"]["top:W1"] != before["z"]["top:W1"] and after["z"]["top:J"] != before["z"]["top:J"]
    assert "grad:W1" in after["z"], "the gradient a step uses is drawn"
    chart = page.evaluate(JS_CHART)  # the step added the chart's axes, and its two points are joined
    assert chart["subplots"] == ["xy", "x2y2"] and chart["line"] and chart["line"][0] > 20, chart
    said = status(page).text_content() or ""
    assert "Step 1" in said and "first order predicted" in said, said
    # the button is named for what it shows: "Train: …" while stopped, "Stop training" while it runs
    train = page.get_by_role("button", name="Train: one step after another").element_handle()
    train.click()
    page.wait_for_function("(el) => el.getAttribute('aria-label') === 'Stop training'", arg=train, timeout=MEDIUM)
    page.wait_for_function(f"() => ({JS_FIGURE})({json.dumps(FIG)}, 0).data.some(t => t.name === 'loss history' "
                           f"&& t.y.length >= 5)", timeout=MEDIUM)
    train.click()  # stop
    n = _loss_points(page)
    losses = page.evaluate(f"() => ({JS_FIGURE})({json.dumps(FIG)}, 0).data.find(t => t.name === 'loss history').y")
    assert n >= 5 and all(b < a for a, b in zip(losses, losses[1:])), losses  # η = 0.1: downhill here
    figure_locator(page).evaluate("el => el.scrollIntoView({block: 'end'})")
    next_frames(page)
    screenshot_element(page.locator(f"{FIG} .cv-root").first, "training-eta-0.1")

    # too large a step: the loss grows, training stops by itself and says why
    page.locator(f"{FIG} .cv-bar select").first.select_option("linear")
    eta = page.get_by_role("textbox", name="learning rate eta")
    eta.fill("1")
    eta.press("Enter")
    train.click()
    page.wait_for_function("(el) => el.getAttribute('aria-pressed') === 'false' && "
                           "document.querySelector('.jp-Notebook .cv-html.cv-wide').textContent.includes('smaller η')",
                           arg=train, timeout=MEDIUM)
    said = status(page).text_content() or ""
    assert "grown 3 steps in a row" in said, said
    figure_locator(page).evaluate("el => el.scrollIntoView({block: 'end'})")
    next_frames(page)
    screenshot_element(page.locator(f"{FIG} .cv-root").first, "training-eta-1-too-large")
    assert unexpected_console_errors(page.console_errors) == []


# -- the text alternative: the panels as tables, kept in sync with edits ----------------------
JS_TABLE = """([root, caption]) => {
    const t = Array.from(document.querySelectorAll(root + ' table.cv-table'))
        .find(t => t.caption && t.caption.textContent.startsWith(caption));
    return t ? Array.from(t.tBodies[0].rows).map(r => Array.from(r.cells).slice(1).map(c => c.textContent)) : null;
}"""


def _table_numbers(rows) -> np.ndarray:
    return np.array([[float(v.replace("−", "-")) for v in r] for r in rows])


def test_the_panels_as_tables_follow_an_edit(page):
    reset(page)
    toggle = page.locator(f"{FIG} .cv-bar label", has_text="numbers as tables").locator("input")
    toggle.check()
    page.wait_for_function(f"([r, c]) => ({JS_TABLE})([r, c]) !== null", arg=[FIG, "J = ∂y/∂x"], timeout=MEDIUM)
    expect(page.locator(f"{FIG} table.cv-table").first).to_be_visible(timeout=MEDIUM)
    J0 = np.array(default_expected()["top:J"])
    np.testing.assert_allclose(_table_numbers(page.evaluate(JS_TABLE, [FIG, "J = ∂y/∂x"])), J0, rtol=5e-3, atol=5e-4)
    try:
        type_into(grid_cell(page, "W1", 0, 0, FIG), "2")
        W1 = examples.W1_DEFAULT.copy()
        W1[0, 0] = 2.0
        J1 = np.array(default_expected(W1)["top:J"])
        deadline = time.monotonic() + MEDIUM / 1000
        while _table_numbers(page.evaluate(JS_TABLE, [FIG, "J = ∂y/∂x"]))[0, 0] == float(f"{J0[0, 0]:.3g}"):
            assert time.monotonic() < deadline, "the J table did not follow the edit"
            page.wait_for_timeout(100)
        np.testing.assert_allclose(_table_numbers(page.evaluate(JS_TABLE, [FIG, "J = ∂y/∂x"])), J1, rtol=5e-3, atol=5e-4)
        W1_table = _table_numbers(page.evaluate(JS_TABLE, [FIG, "W1"]))
        np.testing.assert_allclose(W1_table, W1, rtol=5e-3)
    finally:
        toggle.uncheck()


# -- who draws the words and numbers --------------------------------------------------------------
JS_TEXTS = """(gd) => ({
    plotly: gd.querySelectorAll('.scatterlayer .textpoint text').length,
    plotly_notes: Array.from(gd.querySelectorAll('g.annotation'), a => a.textContent),
    notes: gd.layout.annotations.filter(a => a.name === 'drawn by page').map(a => a.text),
    page: Object.fromEntries(Array.from(gd.querySelectorAll('g.cv-page-text'),
                                        g => [g.dataset.name, Array.from(g.children, t => t.textContent)])),
    data: Object.fromEntries(gd.data.filter(t => (t.type || 'scatter') === 'scatter' && t.mode === 'text')
                                    .map(t => [t.name, t.text.map(String)])),
})"""


def test_the_words_and_numbers_are_drawn_by_the_front_end_and_by_plotly_in_an_export(page, tmp_path):
    """plotly.js restyles every text point and draws every annotation twice on every full
    redraw, and every edit is one (18 of its 22 ms per edit were the text points). In the notebook
    the figure's front end draws the explorer's words, numbers and colour-scale ticks, and
    plotly.js draws none of them; a static export has no such front end, and there plotly.js
    draws the same texts."""
    reset(page)
    drawn = figure_locator(page).evaluate(JS_TEXTS)
    assert drawn["plotly"] == 0, f"plotly.js drew {drawn['plotly']} text points"
    assert drawn["plotly_notes"] == [], f"plotly.js drew the annotations {drawn['plotly_notes']}"
    assert len(drawn["notes"]) == 3 and drawn["page"].get("annotations") == drawn["notes"]  # the scale's ticks
    assert set(drawn["data"]) == {"labels", "words", "live words"}
    for name, texts in drawn["data"].items():
        plain = [re.sub(r"<br>|</?b>", "", s) for s in texts]  # as read: the lines and runs joined
        assert drawn["page"].get(name) == plain, f"{name}: drawn {drawn['page'].get(name)}, sent {plain}"

    path = cv.ChainRuleExplorer().to_html(tmp_path / "frozen.html")
    frozen = page.context.new_page()
    try:
        frozen.goto(path.as_uri())
        frozen.wait_for_selector(".js-plotly-plot .heatmaplayer g.hm image", timeout=MEDIUM)
        exported = frozen.locator(".js-plotly-plot").first.evaluate(JS_TEXTS)
    finally:
        frozen.close()
    assert exported["page"] == {}
    assert exported["plotly"] == sum(len(v) for v in exported["data"].values()) > 80, exported
    assert exported["plotly_notes"] == exported["notes"] and len(exported["notes"]) == 3, exported


def test_the_hidden_tables_hold_an_edits_numbers_as_the_figure_draws_them(page):
    """The tables are in the page for screen readers even when hidden. An edit's new numbers are
    written into them right after the figure's redraw, before the page paints it, so that what a
    screen reader reads never lags what the figure shows (they used to wait for the page to be
    idle, after that paint: 25-40 ms later, and a reader could meet the old numbers)."""
    reset(page)
    wait_unmarked(page)
    page.wait_for_function(f"([r, c]) => ({JS_TABLE})([r, c]) !== null", arg=[FIG, "J = ∂y/∂x"], timeout=MEDIUM)
    page.evaluate(f"""([root, caption]) => {{
        const gd = document.querySelector(root + ' .js-plotly-plot');
        const cells = () => gd.querySelector('.heatmaplayer g.hm image').getAttribute('href');
        const before = cells();
        window.__cvSeen = null;
        const obs = new MutationObserver(() => {{
            // plotly drew new cell colours: read the tables as the page paints them (an animation
            // frame runs before that paint; an idle callback only after it)
            if (cells() === before) return;
            obs.disconnect();
            requestAnimationFrame(() => {{ window.__cvSeen = ({JS_TABLE})([root, caption]); }});
        }});
        obs.observe(gd, {{ subtree: true, attributes: true }});
    }}""", [FIG, "J = ∂y/∂x"])
    type_into(grid_cell(page, "W1", 0, 0, FIG), "2")
    page.wait_for_function("() => window.__cvSeen !== null", timeout=MEDIUM)
    W1 = examples.W1_DEFAULT.copy()
    W1[0, 0] = 2.0
    J1 = np.array(default_expected(W1)["top:J"])
    seen = _table_numbers(page.evaluate("() => window.__cvSeen"))
    np.testing.assert_allclose(seen, J1, rtol=5e-3, atol=5e-4,
                               err_msg="when the figure drew the edit, the J table still held other numbers")


# -- what an edit sends over the kernel's WebSocket ----------------------------------------------
def test_an_edit_sends_no_figure_echo(page):
    """plotly's view answers every figure update with the whole figure as plotly.js filled it
    in (``_js2py_traceDeltas`` and a layout delta: ~20 KB here), which the kernel then echoes
    back (~34 KB): 54 KB per update of 3 KB, seconds for a learner on a slow link. chainviz's
    copy of plotly's view does not compute them (chainviz/_static/figure_loader.js); a click
    in the figure still reaches the kernel (test_click_in_figure_then_type_edits_that_weight)."""
    reset(page)
    wait_unmarked(page)
    page.wait_for_timeout(500)  # the reset's own messages are over
    cdp = page.context.new_cdp_session(page)
    frames = []

    def record(direction):  # the kernel protocol's binary frames come base64-encoded
        def on(e):
            r = e["response"]
            data = base64.b64decode(r["payloadData"]) if r["opcode"] == 2 else r["payloadData"].encode()
            frames.append((direction, data))
        return on

    cdp.on("Network.webSocketFrameSent", record("sent"))
    cdp.on("Network.webSocketFrameReceived", record("received"))
    cdp.send("Network.enable")
    try:
        type_into(grid_cell(page, "W1", 0, 0, FIG), "1.5")
        W1 = examples.W1_DEFAULT.copy()
        W1[0, 0] = 1.5
        wait_for_panel_labels(page, "top:J", default_expected(W1)["top:J"], FIG)
        page.wait_for_timeout(1500)  # plotly's answer came ~40 ms after the update, the echo ~100 ms later
    finally:
        cdp.send("Network.disable")
        cdp.detach()
    sent = [p for d, p in frames if d == "sent"]
    received = sum(len(p) for d, p in frames if d == "received")
    assert sent, "the edit sent nothing to the kernel"
    assert not [p for p in sent if b"Delta" in p], "the page sent plotly's figure deltas to the kernel"
    assert not [p for d, p in frames if d == "received" and b"Delta" in p], "the kernel echoed figure deltas"
    # a click (the cell is selected), the edit, the focus moving on: three figure updates and the
    # controls' own, 25 to 40 KB with ~0.6 KB of message envelope each; plotly's deltas and their
    # echo added ~34 KB per figure update, ~100 KB here
    assert received < 60_000, f"{received} bytes came back for one edit"
