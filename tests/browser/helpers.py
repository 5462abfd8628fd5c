"""Helpers for real-browser tests against JupyterLab 4.6 and Voila 0.5.

All functions take a Playwright sync-API ``Page``. Selectors were checked
against JupyterLab 4.6.6, ipywidgets 8.1.9 and plotly 7.1.0 in Chromium.

Waits are condition based (``expect``/``wait_for_function``), never sleeps.
Timeouts are in milliseconds, like Playwright's.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Callable, Union

import nbformat
from playwright.sync_api import Page, expect

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "browser"

#: The status-bar item naming the kernel and its state, e.g.
#: "Python 3 (ipykernel) | Idle". It reads "No Kernel | Initializing" first.
#: (The toolbar's ``.jp-Notebook-ExecutionIndicator[data-status]`` says
#: "idle" *before* the kernel has even started, so it must not be used to
#: decide that the kernel is ready.)
KERNEL_STATUS = '#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]'
#: A rendered plotly heatmap (one <image> per heatmap trace).
HEATMAP_IMAGE = ".js-plotly-plot .heatmaplayer g.hm image"
#: The numbers printed on heatmap cells (``texttemplate``).
HEATMAP_LABEL = "g.heatmap-label text"
#: stderr and error (traceback) outputs both render with this mime type.
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'

LONG = 120_000  # ms; a cold kernel start + plotly import on 2 cores
MEDIUM = 30_000

JsSource = str
Edit = Union[JsSource, Callable[[], object]]


# Console errors that come from the test environment, not from chainviz.
# Each entry: (regex searched in the message, why it is benign). Keep them
# narrow; add one only with a reason.
BENIGN_CONSOLE_ERRORS: list[tuple[str, str]] = [
    (
        r"^console: Failed to load resource: net::ERR_NAME_NOT_RESOLVED "
        r"\(https://cdn\.jsdelivr\.net/npm/@fortawesome/fontawesome-free@",
        "Voila 0.5.13's lab template links Font Awesome CSS from a CDN; the test "
        "browser resolves no host but 127.0.0.1 (only icons are missing)",
    ),
    (
        r"^console: Error: Shared module @jupyterlab/\S+ doesn't exist in shared "
        r"scope default\n\s+at .*/voila/labextensions/jupyterlab-slideshow/",
        "Voila loads every installed labextension; jupyterlab-slideshow needs "
        "JupyterLab-only modules (docmanager) that Voila does not share",
    ),
    (
        r"^console: Error: The getter for the shared module is not a function\. [\s\S]*"
        r"/voila/labextensions/(jupyterlab-jupytext|@jupyter-notebook/lab-extension)/",
        "Voila loads every installed labextension; jupytext's and Notebook 7's Lab extension need "
        "JupyterLab-only shared modules that Voila does not share (nothing on the page uses them)",
    ),
    (
        r"^console: Plugin '@deathbeds/jupyterlab-font[^']*' failed to activate\. "
        r"TypeError: No provider for: @jupyterlab/mainmenu:IMainMenu",
        "jupyterlab-fonts (pulled in by jupyterlab-slideshow) needs JupyterLab's "
        "main menu, which Voila does not have",
    ),
]


def unexpected_console_errors(errors: list[str]) -> list[str]:
    """``errors`` (e.g. ``page.console_errors``) minus the known benign ones
    listed in :data:`BENIGN_CONSOLE_ERRORS`."""
    return [e for e in errors if not any(re.search(rx, e) for rx, _ in BENIGN_CONSOLE_ERRORS)]


# --------------------------------------------------------------------------
# JupyterLab


def wait_for_kernel_idle(page: Page, timeout: float = LONG) -> None:
    """Wait until the status bar shows a real kernel (not "No Kernel") as Idle."""
    expect(page.locator(KERNEL_STATUS)).to_have_text(
        re.compile(r"^(?!No Kernel).*\|\s*Idle\s*$"), timeout=timeout
    )


def dismiss_dialogs(page: Page) -> None:
    """Accept any modal dialog that is open (e.g. "Select Kernel" -> default).

    The accept button is the dialog's ``.jp-mod-accept`` button; for
    "Select Kernel" that keeps the preselected (default) kernel.
    """
    for _ in range(5):
        dialog = page.locator(".jp-Dialog")
        if dialog.count() == 0:
            return
        dialog.first.locator(".jp-Dialog-button.jp-mod-accept").first.click()
        expect(dialog).to_have_count(0, timeout=MEDIUM)


def open_notebook(page: Page, lab_url: str, nb_name: str, timeout: float = LONG) -> None:
    """Open ``nb_name`` (relative to the served root) in a fresh workspace.

    ``?reset`` stops JupyterLab from reopening tabs of a previous test.
    Returns when the notebook is shown and its kernel is Idle.
    """
    page.goto(f"{lab_url.rstrip('/')}/lab/tree/{nb_name}?reset")
    # Wait for the notebook panel or a dialog, whichever comes first.
    page.locator(".jp-NotebookPanel .jp-Notebook, .jp-Dialog").first.wait_for(timeout=timeout)
    dismiss_dialogs(page)
    expect(page.locator(".jp-NotebookPanel .jp-Notebook").first).to_be_visible(timeout=timeout)
    try:
        wait_for_kernel_idle(page, timeout=timeout)
    except AssertionError:
        # A late "Select Kernel" dialog (notebook without kernelspec).
        if page.locator(".jp-Dialog").count():
            dismiss_dialogs(page)
            wait_for_kernel_idle(page, timeout=timeout)
        else:
            raise


def run_menu_command(page: Page, menu: str, command: str) -> None:
    """Click main-menu ``menu`` (e.g. "Run"), then the item whose
    ``data-command`` is ``command`` (e.g. "runmenu:run-all")."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{re.escape(menu)}$")).first.click()
    item = page.locator(f'.lm-Menu-item[data-command="{command}"]')
    item.first.click()
    expect(page.locator(".lm-Menu")).to_have_count(0, timeout=MEDIUM)


# Installed before "Run All" is clicked: records each code cell that shows
# "[*]" at any moment, so that a fast cell that goes "[ ]" -> "[*]" -> "[1]"
# is still seen as executed, and stale "[n]" prompts from saved outputs are
# not mistaken for a finished run.
_JS_TRACK_EXECUTION = """
() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook')
          || document.querySelector('.jp-Notebook');
  const state = { started: false };
  window.__cvRunState = state;
  const check = () => {
    for (const p of nb.querySelectorAll('.jp-InputPrompt')) {
      if (p.textContent.includes('*')) { state.started = true; }
    }
  };
  const obs = new MutationObserver(check);
  obs.observe(nb, { subtree: true, childList: true, characterData: true });
  state.stop = () => obs.disconnect();
}
"""

_JS_RUN_FINISHED = """
() => {
  const state = window.__cvRunState;
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook')
          || document.querySelector('.jp-Notebook');
  const prompts = Array.from(nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
                       .map(p => p.textContent);
  if (prompts.some(t => t.includes('*'))) return false;
  // Nothing to run (no non-empty code cell) also counts as finished.
  const sources = Array.from(nb.querySelectorAll('.jp-CodeCell .cm-content'))
                       .map(e => e.textContent.trim());
  if (!state.started && sources.some(s => s.length > 0)) return false;
  const status = document.querySelector(
    '#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]');
  return !!status && /\\|\\s*Idle\\s*$/.test(status.textContent);
}
"""


def run_all_cells(page: Page, timeout: float = LONG) -> None:
    """Run → Run All Cells, then wait until no cell is queued or running
    ("[*]") and the kernel is Idle. Stops early (like JupyterLab) on an
    error; check :func:`cell_error_outputs` afterwards."""
    page.evaluate(_JS_TRACK_EXECUTION)
    run_menu_command(page, "Run", "runmenu:run-all")
    page.wait_for_function(_JS_RUN_FINISHED, timeout=timeout, polling=100)
    page.evaluate("() => window.__cvRunState && window.__cvRunState.stop()")


def cell_prompts(page: Page) -> list[str]:
    """Input prompts of all code cells, e.g. ["[1]:", "[ ]:"]."""
    return page.eval_on_selector_all(
        ".jp-Notebook .jp-CodeCell .jp-InputPrompt", "els => els.map(e => e.textContent.trim())"
    )


def cell_error_outputs(page: Page) -> list[str]:
    """Texts of every stderr output and traceback shown in the notebook
    (JupyterLab renders both with mime type application/vnd.jupyter.stderr)."""
    return page.eval_on_selector_all(ERROR_OUTPUT, "els => els.map(e => e.textContent)")


def cell_tracebacks(page: Page) -> list[str]:
    """Only the error outputs that are Python tracebacks (not plain stderr)."""
    return [t for t in cell_error_outputs(page) if re.search(r"Traceback|^\w+Error\b", t, re.M)]


# --------------------------------------------------------------------------
# plotly


def count_heatmaps(page: Page, within: str = "body") -> int:
    """Number of rendered plotly heatmap traces (``g.hm image`` elements)."""
    return page.locator(f"{within} {HEATMAP_IMAGE}").count()


def heatmap_labels(page: Page, within: str = "body") -> list[str]:
    """Texts printed on heatmap cells, in DOM order."""
    return page.eval_on_selector_all(
        f"{within} {HEATMAP_LABEL}", "els => els.map(e => e.textContent)"
    )


def wait_for_heatmaps(page: Page, n: int = 1, within: str = "body", timeout: float = LONG) -> None:
    """Wait until at least ``n`` heatmaps are rendered."""
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length >= n",
        arg=[f"{within} {HEATMAP_IMAGE}", n],
        timeout=timeout,
    )


def wait_for_labels(
    page: Page, predicate_js: str, within: str = "body", timeout: float = MEDIUM
) -> list[str]:
    """Wait until ``predicate_js`` (a JS function ``labels => bool`` over the
    list of heatmap label texts) is true; return the labels."""
    page.wait_for_function(
        f"""([sel]) => {{
            const labels = Array.from(document.querySelectorAll(sel)).map(e => e.textContent);
            return ({predicate_js})(labels);
        }}""",
        arg=[f"{within} {HEATMAP_LABEL}"],
        timeout=timeout,
    )
    return heatmap_labels(page, within)


# --------------------------------------------------------------------------
# generic waits, artifacts


def screenshot(page: Page, name: str, full_page: bool = False) -> Path:
    """Save ``test-artifacts/browser/NAME.png`` and return its path."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = ARTIFACTS_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def text_of(page: Page, selector: str) -> str:
    """``textContent`` of the first element matching ``selector``."""
    return page.locator(selector).first.text_content() or ""


def wait_for_text_change(page: Page, selector: str, old: str, timeout: float = MEDIUM) -> str:
    """Wait until the first element matching ``selector`` exists and its
    ``textContent`` differs from ``old``; return the new text."""
    handle = page.wait_for_function(
        """([sel, old]) => {
            const el = document.querySelector(sel);
            return el && el.textContent !== old ? el.textContent : null;
        }""",
        arg=[selector, old],
        timeout=timeout,
    )
    return handle.json_value()


def wait_for_text(page: Page, selector: str, text: str, timeout: float = MEDIUM) -> None:
    """Wait until some element matching ``selector`` has exactly ``text``."""
    page.wait_for_function(
        """([sel, text]) => Array.from(document.querySelectorAll(sel))
                                .some(e => e.textContent === text)""",
        arg=[selector, text],
        timeout=timeout,
    )


# --------------------------------------------------------------------------
# edits done from the page side (no Playwright round trip in the timing)


def js_set_slider_readout(value: float, slider: str = ".widget-slider", index: int = 0) -> JsSource:
    """JS edit: type ``value`` into the ``index``-th ipywidgets slider's
    readout and press Enter (what a person does to type a number)."""
    return f"""() => {{
        const s = document.querySelectorAll({json.dumps(slider)})[{index}];
        const r = s.querySelector('.widget-readout');
        r.textContent = {json.dumps(str(value))};
        r.dispatchEvent(new KeyboardEvent('keydown',
            {{key: 'Enter', code: 'Enter', keyCode: 13, which: 13, bubbles: true}}));
    }}"""


def js_set_input(selector: str, value: str, index: int = 0, enter: bool = True) -> JsSource:
    """JS edit for an ``<input>``/``<textarea>`` (e.g. ipywidgets Text,
    FloatText): set value, fire ``input`` and ``change`` and, if ``enter``,
    a keydown Enter (``continuous_update=False`` widgets submit on it)."""
    return f"""() => {{
        const el = document.querySelectorAll({json.dumps(selector)})[{index}];
        el.focus();
        el.value = {json.dumps(str(value))};
        el.dispatchEvent(new Event('input', {{bubbles: true}}));
        el.dispatchEvent(new Event('change', {{bubbles: true}}));
        if ({'true' if enter else 'false'}) {{
          el.dispatchEvent(new KeyboardEvent('keydown',
              {{key: 'Enter', code: 'Enter', keyCode: 13, which: 13, bubbles: true}}));
        }}
    }}"""


def measure_edit_to_dom(
    page: Page,
    do_edit: Edit,
    selector: str,
    *,
    until: str | None = None,
    timeout: float = MEDIUM,
) -> float:
    """Milliseconds from an edit to the first DOM mutation inside ``selector``.

    ``do_edit`` is either JS source of a zero-argument function (e.g. from
    :func:`js_set_slider_readout`), which is run in the page right after
    ``performance.now()`` is read, so the time excludes Playwright round
    trips; or a Python callable (e.g. ``lambda: handle.press("ArrowRight")``),
    in which case the clock starts in the page just before the callable runs
    and the time includes one round trip (a few ms).

    ``until`` is optional JS source of ``el => bool`` evaluated on the
    element matching ``selector`` after each mutation batch; the clock stops
    at the first batch for which it is true (e.g. "every label updated").
    Choose ``selector`` so that the edited control itself is outside it.
    """
    install = f"""([sel, timeout]) => {{
        const target = document.querySelector(sel);
        if (!target) throw new Error('measure_edit_to_dom: nothing matches ' + sel);
        const until = {until or 'null'};
        const m = {{ t0: null, dt: null, error: null }};
        window.__cvMeasure = m;
        const obs = new MutationObserver(() => {{
            if (m.t0 === null || m.dt !== null) return;
            if (until && !until(target)) return;
            m.dt = performance.now() - m.t0;
            obs.disconnect();
        }});
        obs.observe(target, {{subtree: true, childList: true, attributes: true,
                              characterData: true}});
        m.stop = () => obs.disconnect();
        setTimeout(() => {{ if (m.dt === null) {{ m.error = 'timeout'; obs.disconnect(); }} }},
                   timeout);
    }}"""
    page.evaluate(install, [selector, timeout])
    if callable(do_edit):
        page.evaluate("() => { window.__cvMeasure.t0 = performance.now(); }")
        do_edit()
    else:
        page.evaluate(
            f"""() => {{
                const edit = ({do_edit});
                window.__cvMeasure.t0 = performance.now();
                edit();
            }}"""
        )
    handle = page.wait_for_function(
        "() => { const m = window.__cvMeasure; return (m.dt !== null || m.error) ? m : null; }",
        timeout=timeout + 5_000,
        polling=50,
    )
    result = handle.json_value()
    if result.get("error"):
        raise TimeoutError(
            f"no DOM mutation inside {selector!r}"
            + (" satisfying `until`" if until else "")
            + f" within {timeout} ms of the edit"
        )
    return float(result["dt"])


# --------------------------------------------------------------------------
# Voila


def open_voila(page: Page, url: str, heatmaps: int = 1, timeout: float = LONG) -> None:
    """Open a Voila page and wait until ``heatmaps`` plotly heatmaps render."""
    page.goto(url)
    if heatmaps:
        wait_for_heatmaps(page, heatmaps, timeout=timeout)


# --------------------------------------------------------------------------
# plotly figures read as data (gd.data / gd.layout) and per-subplot labels
#
# ``root`` is a CSS selector scoping the search (e.g. "body", ".jp-Notebook",
# or a cell from :func:`cell_selector`); ``index`` picks the n-th plotly graph
# div (``.js-plotly-plot``) inside it, in DOM order.

#: JS source of ``(root, index) => graphDiv | null``.
JS_FIGURE = "(root, index) => document.querySelectorAll(root + ' .js-plotly-plot')[index] || null"

#: JS source of ``(gd) => item[]``: what a figure shows, one item per trace, except that a
#: trace packing several matrices (chainviz's explorer: ``meta.panels`` maps a panel name to
#: ``[row, col, rows, cols]`` of its block of cells) gives one item per panel. An item is
#: ``{name, type, visible, xaxis, yaxis, texttemplate, z, labels}``: ``z`` with ``null`` for
#: blanks, ``labels`` the numbers drawn on it in reading order. A plain heatmap's labels are
#: its own ``texttemplate`` texts; a packed trace's are the texts plotly drew for the figure's
#: text-only scatter traces (chainviz's "labels" trace: ``mode: "text"`` on the same axes;
#: not its "words" traces, the titles and ticks: :mod:`chainviz.views.words`), whether plotly.js
#: drew them or the figure's front end did (``g.cv-page-text``, see
#: ``chainviz/_static/figure_loader.js``; its ``<text>`` x/y are the text point, as plotly's),
#: plus any heatmap label texts, each mapped back to its grid cell through the axes and so
#: to the panel it is drawn on.
JS_ITEMS = """(gd) => {
    const TEXT_POINT = '.textpoint text, g.cv-page-text > text';
    const out = [];
    const fl = gd._fullLayout || {};
    const axis = (id) => fl[id.charAt(0) + 'axis' + id.slice(1)];
    const blank = (v) => v === null || v === undefined || Number.isNaN(v);
    const drawn = (layer, k) => Array.from(gd.querySelectorAll(layer))
        .find(g => g.__data__ && g.__data__[0] && g.__data__[0].trace && g.__data__[0].trace.index === k);
    // the text drawn at grid cell (r, c) of axes (xa, ya), from SVG <text> x/y (px in the plot area)
    const cellTexts = (els, xa, ya) => els.map(e => ({
        r: Math.round(ya.p2c(+e.getAttribute('y'))), c: Math.round(xa.p2c(+e.getAttribute('x'))),
        s: e.textContent })).filter(l => l.s !== '');
    (gd.data || []).forEach((t, k) => {
        const base = { type: t.type || 'scatter', visible: t.visible === undefined ? true : t.visible,
                       xaxis: t.xaxis || 'x', yaxis: t.yaxis || 'y',
                       texttemplate: t.texttemplate === undefined ? null : t.texttemplate };
        const panels = t.meta && t.meta.panels;
        if (!panels) {
            const g = gd.querySelector('.overplot > g.' + base.xaxis + base.yaxis);
            out.push(Object.assign(base, { name: t.name === undefined ? null : t.name,
                z: t.z === undefined ? null : t.z,
                labels: g ? Array.from(g.querySelectorAll('g.heatmap-label text')).map(e => e.textContent) : [] }));
            return;
        }
        if (base.visible === false) return;
        const xa = axis(base.xaxis), ya = axis(base.yaxis);
        const hm = drawn('.heatmaplayer g.hm', k);
        let texts = hm ? cellTexts(Array.from(hm.querySelectorAll('g.heatmap-label text')), xa, ya) : [];
        (gd.data || []).forEach((s, j) => {
            const here = gd.querySelector(`g.cv-page-text[data-trace="${j}"]`);
            if ((s.type || 'scatter') !== 'scatter' || s.mode !== 'text' || (s.visible === false && !here)
                || s.name === 'words' || s.name === 'live words'  // titles and ticks, not cells' numbers
                || (s.xaxis || 'x') !== base.xaxis || (s.yaxis || 'y') !== base.yaxis) return;
            const g = here || drawn('.scatterlayer g.trace', j);
            if (g) texts = texts.concat(cellTexts(Array.from(g.querySelectorAll(TEXT_POINT)), xa, ya));
        });
        // a typed array (float32, see chainviz.views.style.typed_array) as plotly decoded it;
        // 6 significant digits give back the decimals chainviz sent (it rounds to 3)
        const typed = t.z && t.z.bdata !== undefined;
        const Z = typed ? t.z._inputArray : t.z;
        const value = (v) => blank(v) ? null : typed ? parseFloat(v.toPrecision(6)) : v;
        for (const [name, [r0, c0, rows, cols]] of Object.entries(panels)) {
            const z = [];
            for (let i = 0; i < rows; i++)
                z.push(Array.from(Z[r0 + i]).slice(c0, c0 + cols).map(value));
            const labels = texts.filter(l => l.r >= r0 && l.r < r0 + rows && l.c >= c0 && l.c < c0 + cols)
                                .sort((a, b) => a.r - b.r || a.c - b.c).map(l => l.s);
            out.push(Object.assign({}, base, { name, z, labels, box: [r0, c0, rows, cols], trace: k }));
        }
    });
    return out;
}"""

#: JS source of ``(gd, name) => item | null``: the visible item (trace or panel) ``name``.
JS_ITEM = f"""(gd, name) => ({JS_ITEMS})(gd).find(t => t.name === name && t.visible !== false) || null"""


def cell_selector(index: int) -> str:
    """CSS selector of the notebook cell at ``index`` (0-based, as in the file)."""
    return f'.jp-Notebook .jp-Cell[data-windowed-list-index="{index}"]'


def write_notebook(root: Path, name: str, cells: list[str]) -> str:
    """Write a notebook of code ``cells`` (sources) for the Python 3 kernel as ``root/name``;
    returns ``name``."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, root / name)
    return name


def run_cell(page: Page, index: int) -> None:
    """Run the cell at ``index`` as a person does: select it (command mode), Shift+Enter."""
    page.locator(f"{cell_selector(index)} .jp-InputPrompt").first.click()
    page.keyboard.press("Shift+Enter")


def figure_traces(page: Page, root: str = "body", index: int = 0) -> list[dict]:
    """Every trace of a plotly figure in the page, as plotly.js holds it, and every panel of
    a trace that packs several (see :data:`JS_ITEMS`): ``{"name", "type", "visible",
    "xaxis", "yaxis", "z", "texttemplate", "labels"}`` (``z`` with ``None`` for blanks;
    a panel also has ``"box"``: ``[row, col, rows, cols]`` of its cells in the trace)."""
    return page.evaluate(
        f"""([root, index]) => {{
            const gd = ({JS_FIGURE})(root, index);
            if (!gd) throw new Error('no plotly figure #' + index + ' in ' + root);
            return ({JS_ITEMS})(gd);
        }}""",
        [root, index],
    )


def count_panels(page: Page, root: str = "body", index: int = 0) -> int:
    """How many heatmap panels (visible heatmap traces, or panels of packed ones) a figure shows."""
    return sum(1 for t in figure_traces(page, root, index) if t["type"] == "heatmap" and t["visible"] is not False)


def trace_z(page: Page, name: str, root: str = "body", index: int = 0):
    """``z`` of the visible trace or panel called ``name`` (KeyError if there is none)."""
    for t in figure_traces(page, root, index):
        if t["name"] == name and t["visible"] is not False:
            return t["z"]
    raise KeyError(f"no visible trace {name!r} in figure #{index} of {root}")


def trace_labels(page: Page, name: str, root: str = "body", index: int = 0) -> list[str]:
    """Heatmap label texts drawn on the visible trace or panel ``name``."""
    for t in figure_traces(page, root, index):
        if t["name"] == name and t["visible"] is not False:
            return t["labels"]
    raise KeyError(f"no visible trace {name!r} in figure #{index} of {root}")


def figure_shapes(page: Page, root: str = "body", index: int = 0) -> list[dict]:
    """``layout.shapes`` of a plotly figure in the page (``[]`` if none)."""
    return page.evaluate(
        f"""([root, index]) => {{
            const gd = ({JS_FIGURE})(root, index);
            return JSON.parse(JSON.stringify((gd.layout && gd.layout.shapes) || []));
        }}""",
        [root, index],
    )


def figure_state(page: Page, root: str = "body", index: int = 0) -> dict:
    """What a figure shows, to compare before/after: ``{"z": {name: z},
    "labels": {name: [label texts]}, "shapes": [...]}`` over visible traces and panels."""
    return page.evaluate(
        f"""([root, index]) => {{
            const gd = ({JS_FIGURE})(root, index);
            const out = {{ z: {{}}, labels: {{}},
                          shapes: JSON.parse(JSON.stringify((gd.layout && gd.layout.shapes) || [])) }};
            ({JS_ITEMS})(gd).forEach((t, i) => {{
                if (t.visible === false) return;
                const key = t.name === null ? String(i) : t.name;
                out.z[key] = t.z;
                out.labels[key] = t.labels;
            }});
            return out;
        }}""",
        [root, index],
    )


def wait_for_trace(
    page: Page, name: str, predicate_js: str, root: str = "body", index: int = 0, timeout: float = MEDIUM
) -> None:
    """Wait until ``predicate_js`` (JS ``(z, labels) => bool``) holds for the
    visible trace or panel ``name``: its ``z`` in plotly.js and its drawn label texts."""
    page.wait_for_function(
        f"""([root, index, name]) => {{
            const gd = ({JS_FIGURE})(root, index);
            if (!gd || !gd.data) return false;
            const t = ({JS_ITEM})(gd, name);
            if (!t) return false;
            return ({predicate_js})(t.z, t.labels);
        }}""",
        arg=[root, index, name],
        timeout=timeout,
        polling=50,
    )


def next_frames(page: Page, n: int = 2) -> None:
    """Let the page paint ``n`` frames (whatever was queued has been drawn)."""
    page.evaluate(
        """(n) => new Promise(done => {
            const step = k => k <= 0 ? done() : requestAnimationFrame(() => step(k - 1));
            step(n);
        })""",
        n,
    )


#: JS source of ``(gd) => counts``: what one plotly figure draws, ``{"heatmap": images, "bar": bar
#: traces, "scatter": scatter traces (drawn by plotly.js, or text traces drawn by chainviz's figure
#: front end), "labels": heatmap label texts, "width", "height"}``.
JS_DRAWN = """(gd) => {
    const r = gd.getBoundingClientRect();
    return {
        heatmap: gd.querySelectorAll('.heatmaplayer g.hm image').length,
        bar: gd.querySelectorAll('.barlayer g.trace').length,
        scatter: gd.querySelectorAll('.scatterlayer g.trace').length
            + Array.from(gd.querySelectorAll('g.cv-page-text[data-trace]')).filter(g => g.childElementCount).length,
        labels: gd.querySelectorAll('g.heatmap-label text').length,
        width: r.width, height: r.height,
    };
}"""


def rendered_panels(page: Page, root: str = ".jp-Notebook") -> list[dict]:
    """Per plotly figure inside ``root`` (DOM order), what is drawn (see :data:`JS_DRAWN`)."""
    return page.evaluate(f"(root) => Array.from(document.querySelectorAll(root + ' .js-plotly-plot')).map({JS_DRAWN})",
                         root)


def screenshot_element(locator, name: str) -> Path:
    """Save a screenshot of one element (e.g. a figure that is scrolled out of
    the viewport of JupyterLab's notebook panel) as ``NAME.png``."""
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    path = ARTIFACTS_DIR / f"{safe}.png"
    locator.scroll_into_view_if_needed()
    locator.screenshot(path=str(path))
    return path


# --------------------------------------------------------------------------
# JupyterLab server-side state (REST, outside any page)


def _lab_opener(base_url: str):
    """An opener with the server's ``_xsrf`` cookie, and that cookie's value."""
    import http.cookiejar
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar)
    )
    with opener.open(f"{base_url.rstrip('/')}/lab", timeout=30) as r:
        r.read()
    xsrf = next((c.value for c in jar if c.name == "_xsrf"), "")
    return opener, xsrf


def set_lab_setting(base_url: str, plugin: str, values: dict) -> None:
    """Overwrite the user settings of ``plugin`` (e.g. ``"jupyterlab-slideshow:plugin"``)
    through the server's settings API, e.g. to switch deck mode off after a test."""
    import urllib.request

    opener, xsrf = _lab_opener(base_url)
    req = urllib.request.Request(
        f"{base_url.rstrip('/')}/lab/api/settings/{plugin}",
        method="PUT",
        data=json.dumps({"raw": json.dumps(values)}).encode(),
        headers={"Content-Type": "application/json", "X-XSRFToken": xsrf},
    )
    with opener.open(req, timeout=30) as r:
        r.read()


def shutdown_kernels(base_url: str, path_suffix: str | None = None) -> int:
    """Shut down the kernels of the server's sessions (only those whose notebook
    path ends with ``path_suffix`` if given); returns how many. Keeps a 2-core
    machine free of idle kernels holding whole notebooks' explorers."""
    import urllib.request

    opener, xsrf = _lab_opener(base_url)
    with opener.open(f"{base_url.rstrip('/')}/api/sessions", timeout=30) as r:
        sessions = json.loads(r.read())
    n = 0
    for s in sessions:
        if path_suffix is not None and not str(s.get("path", "")).endswith(path_suffix):
            continue
        req = urllib.request.Request(
            f"{base_url.rstrip('/')}/api/sessions/{s['id']}", method="DELETE",
            headers={"X-XSRFToken": xsrf},
        )
        with opener.open(req, timeout=60) as r:
            r.read()
        n += 1
    return n


# --------------------------------------------------------------------------
# chainviz widgets in the page


#: A chainviz matrix grid (one anywidget per matrix): ``.cv-grid`` with a ``.cv-grid-title``
#: ("W1"), a ``role=grid`` table and one ``input.cv-cell`` per entry (``data-i``, ``data-j``).
GRID = ".cv-grid"
CELL = "input.cv-cell"


def kernel_state(url: str, nb_name: str) -> str | None:
    """The execution state the server reports for the notebook's kernel (None: no session yet)."""
    opener, _ = _lab_opener(url)
    with opener.open(f"{url}/api/sessions", timeout=30) as r:
        states = [s["kernel"]["execution_state"] for s in json.loads(r.read())
                  if str(s.get("path", "")).endswith(nb_name)]
    return states[0] if states else None


def wait_until(what: str, done, timeout: float = LONG / 1000, every: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{what} after {timeout:.0f} s"
        time.sleep(every)


def grid_locator(page: Page, name: str, root: str = "body", nth: int = 0):
    """The ``nth`` chainviz grid titled ``name`` (``"W1"``, ``"x"``, ``"t"``) inside ``root``."""
    title = re.compile(rf"^\s*{re.escape(name)}\s*$")
    return page.locator(f"{root} {GRID}").filter(has=page.locator(".cv-grid-title", has_text=title)).nth(nth)


def grid_cell(page: Page, name: str, i: int, j: int = 0, root: str = "body", nth: int = 0):
    """The ``<input>`` of entry ``[i, j]`` of grid ``name`` (a vector's entry ``i`` is ``[i, 0]``)."""
    return grid_locator(page, name, root, nth).locator(f'{CELL}[data-i="{i}"][data-j="{j}"]')


def grid_values(page: Page, name: str, root: str = "body", nth: int = 0):
    """The numbers grid ``name`` shows, as an ``(r, k)`` float array (a vector: ``(n, 1)``)."""
    import numpy as np

    cells = grid_locator(page, name, root, nth).evaluate(
        """(g) => Array.from(g.querySelectorAll('input.cv-cell'))
                       .map(e => [+e.dataset.i, +e.dataset.j, e.value])"""
    )
    if not cells:
        raise KeyError(f"grid {name!r} in {root} has no cells")
    r, k = max(c[0] for c in cells) + 1, max(c[1] for c in cells) + 1
    out = np.full((r, k), np.nan)
    for i, j, v in cells:
        out[i, j] = float(v)
    return out


def editor_cells(page: Page, name: str, root: str = "body") -> tuple[int, int, int]:
    """Locate chainviz's grid titled ``name`` (e.g. "W1").

    Returns ``(first, rows, cols)``: ``first`` is the index of the grid's cell
    [0,0] among ``root``'s ``input.cv-cell`` elements, so cell [i,j] is
    ``page.locator(root + " input.cv-cell").nth(first + i * cols + j)``
    (see also :func:`grid_cell`).
    """
    found = page.evaluate(
        """([root, name]) => {
            const inputs = Array.from(document.querySelectorAll(root + ' input.cv-cell'));
            for (const [k, inp] of inputs.entries()) {
                const grid = inp.closest('.cv-grid');
                const title = grid && grid.querySelector('.cv-grid-title');
                if (!title || title.textContent.trim() !== name || grid.querySelector('input.cv-cell') !== inp) continue;
                const table = grid.querySelector('[role=grid]');
                return [k, +table.getAttribute('aria-rowcount'), +table.getAttribute('aria-colcount')];
            }
            return null;
        }""",
        [root, name],
    )
    if found is None:
        raise KeyError(f"no chainviz grid titled {name!r} in {root}")
    return tuple(found)  # type: ignore[return-value]


def normalise_label(text: str) -> str:
    """A printed number with an ASCII minus and without a negative zero."""
    t = text.strip().replace("\u2212", "-")
    return t[1:] if re.fullmatch(r"-0(\.0*)?", t) else t


def sent_value(v: float) -> float:
    """The number chainviz sends for ``v``: 3 significant digits, carried as float32
    (plotly prints labels from that binary value)."""
    import numpy as np

    return float(np.float32(float(f"{v:.3g}")))


def plotly_label(value: float | None, texttemplate: str) -> str | None:
    """The text plotly prints on a heatmap cell holding ``value`` for
    ``texttemplate`` ``"%{z:.Nf}"`` or ``"%{z:.N~g}"`` (d3-format; the value is
    what was sent, i.e. already rounded by chainviz). ``None`` for a blank."""
    from decimal import ROUND_HALF_UP, Decimal

    if value is None:
        return None
    m = re.fullmatch(r"%\{z:\.(\d+)(~?)([fg])\}", texttemplate)
    if not m:
        raise ValueError(f"texttemplate {texttemplate!r} is not %{{z:.Nf}} or %{{z:.N~g}}")
    digits, trim, kind = int(m.group(1)), m.group(2), m.group(3)
    if kind == "f":
        # JS toFixed: the exact binary value, ties away from zero
        q = Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
        text = f"{q:.{digits}f}"
    else:
        text = f"{value:.{digits}g}" if trim else f"{value:#.{digits}g}"
    return normalise_label(text)


def expected_panels(net, x, loss) -> dict:
    """What the ChainRuleExplorer must show for ``net`` at ``x`` with ``loss``, from chainviz's
    core API only: ``{"top:W2", "top:D1", ..., "top:J", "rev:<col>"...}`` -> 2-D lists
    (``None`` off a slope diagonal), with reverse rows keyed like the figure's panels
    ("rev:loss" = ∂L/∂y, ..., "rev:W1" = ∂L/∂x)."""
    import numpy as np

    x = np.asarray(x, float)
    out: dict = {}
    cols = ["loss"]
    for f in net.jacobian_factors(x):
        col = ("D" if f.kind == "slope" else "W") + str(f.layer)
        M = np.asarray(f.matrix, float)
        if f.kind == "slope":
            M = np.where(np.eye(M.shape[0], dtype=bool), M, np.nan)
        out[f"top:{col}"] = M
        cols.append(col)
    out["top:J"] = net.jacobian(x)
    for col, row in zip(cols, net.reverse_sweep(x, loss)):
        out[f"rev:{col}"] = np.asarray(row.values, float)[None, :]
    return {k: [[None if np.isnan(v) else float(v) for v in r] for r in np.atleast_2d(M)] for k, M in out.items()}


def expected_chain(W1, W2, x, target, activation: str = "sigmoid") -> dict:
    """:func:`expected_panels` of ``cv.two_layer(W1, W2, activation)`` with an MSE loss."""
    import numpy as np

    import chainviz as cv

    net = cv.two_layer(np.asarray(W1, float), np.asarray(W2, float), activation)
    return expected_panels(net, x, cv.MSE(np.asarray(target, float)))


def assert_sig3(shown, expected, what: str) -> None:
    """``shown`` (a 2-D list from the page) equals ``expected`` to the 3
    significant digits chainviz sends; blanks (``None``) exactly where expected."""
    import math

    assert shown is not None, f"{what}: nothing shown"
    assert len(shown) == len(expected) and all(
        len(a) == len(b) for a, b in zip(shown, expected)
    ), f"{what}: shape {[len(r) for r in shown]} != {[len(r) for r in expected]}"
    for i, (ra, rb) in enumerate(zip(shown, expected)):
        for j, (a, b) in enumerate(zip(ra, rb)):
            if b is None:
                assert a is None, f"{what}[{i},{j}] = {a}, expected a blank"
                continue
            assert a is not None, f"{what}[{i},{j}] is blank, expected {b:.4g}"
            tol = 0.5 * 10 ** (math.floor(math.log10(abs(b))) - 2) * 1.001 if b else 1e-12
            assert abs(a - b) <= tol, f"{what}[{i},{j}] = {a}, expected {b:.6g} (to 3 significant digits)"


# --------------------------------------------------------------------------
# the numbers printed on the explorer's cells
#
# chainviz prints each value with 3 significant digits where cells are wide, else with 2
# decimals below 10 in magnitude (trailing zeros dropped either way, Unicode minus), "0.00"
# or "−0.00" for a nonzero value that rounds to zero, "0" only for zero. So a label is right
# when it is within half a unit of its last printed digit of the true value; since trailing
# zeros are dropped, never coarser than the 2 decimals (|v| < 10) or 3 significant digits
# (|v| >= 10) that every mode promises.

_LABEL = re.compile(r"^([+-]?)(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$")


def label_value(text: str) -> tuple[float, float]:
    """``(value, half_unit)`` of a printed label: its number, and half a unit of its last
    printed digit (at most half of 0.01 below 10, of the 3rd significant digit above).
    Raises ``ValueError`` for text that is not a number as chainviz prints them."""
    import math

    t = text.strip().replace("\u2212", "-")
    m = _LABEL.match(t)
    if not m:
        raise ValueError(f"{text!r} is not a printed number")
    value = float(t)
    decimals = len(m.group(3) or "")
    unit = 10.0 ** (int(m.group(4) or 0) - decimals)
    promised = 0.01 if abs(value) < 10 else 10.0 ** (math.floor(math.log10(abs(value))) - 2)
    return value, 0.5 * min(unit, promised)


def label_agrees(text: str, v: float) -> bool:
    """Whether label ``text`` is a right printing of the true value ``v`` (see above)."""
    value, half = label_value(text)
    t = text.strip().replace("\u2212", "-")
    if t.lstrip("+-") == "0":  # only a true zero prints as "0"
        return abs(v) < 1e-12
    if value == 0:  # "0.00" / "−0.00": a nonzero value that rounds to zero, with its sign
        return v != 0 and abs(v) <= half * (1 + 1e-9) and (v < 0) == t.startswith("-")
    return abs(value - v) <= half * (1 + 1e-9) + 1e-15


def assert_labels(labels: list[str], expected, what: str) -> None:
    """The labels drawn on a panel (reading order, blanks carry none) print ``expected``
    (a 2-D list from :func:`expected_panels`, ``None`` for a blank)."""
    want = [v for row in expected for v in row if v is not None]
    assert len(labels) == len(want), f"{what}: {len(labels)} numbers drawn {labels}, expected {len(want)}: {want}"
    wrong = [(t, v) for t, v in zip(labels, want) if not label_agrees(t, v)]
    assert not wrong, f"{what}: labels that do not print the core's value (label, value): {wrong}"


#: JS source of ``(labels, expected) => bool``, :func:`label_agrees` over a whole panel:
#: ``expected`` is a 2-D list with ``null`` for blanks.
JS_LABELS_AGREE = r"""(labels, expected) => {
    const want = expected.flat().filter(v => v !== null);
    if (!labels || labels.length !== want.length) return false;
    return labels.every((text, k) => {
        const v = want[k];
        const t = text.trim().replace(/\u2212/g, '-');
        const m = t.match(/^([+-]?)(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/);
        if (!m) return false;
        const value = Number(t);
        const unit = Math.pow(10, Number(m[4] || 0) - (m[3] || '').length);
        const promised = Math.abs(value) < 10 ? 0.01 : Math.pow(10, Math.floor(Math.log10(Math.abs(value))) - 2);
        const half = 0.5 * Math.min(unit, promised);
        if (t.replace(/^[+-]/, '') === '0') return Math.abs(v) < 1e-12;
        if (value === 0) return v !== 0 && Math.abs(v) <= half * (1 + 1e-9) && (v < 0) === t.startsWith('-');
        return Math.abs(value - v) <= half * (1 + 1e-9) + 1e-15;
    });
}"""


def wait_for_panel_labels(page: Page, name: str, expected, root: str = "body", index: int = 0,
                          timeout: float = MEDIUM) -> None:
    """Wait until panel ``name`` prints ``expected`` (see :func:`assert_labels`); on a timeout the
    assertion says which labels are wrong."""
    try:
        wait_for_trace(page, name, f"(z, ls) => ({JS_LABELS_AGREE})(ls, {json.dumps(expected)})",
                       root, index, timeout)
    except Exception:  # say what is shown instead
        assert_labels(trace_labels(page, name, root, index), expected, f"{name} (after {timeout:.0f} ms)")
        raise


# --------------------------------------------------------------------------
# where the explorer is on screen: element boxes in page (client) pixels

#: JS source of ``(root) => report``: for the explorer ``root`` (its ``.cv-root`` element),
#: every box that matters, in client pixels ``{l, t, r, b}``, and ``clip`` boxes: the part of
#: the page an element can be seen in (the viewport, cut by every ancestor that clips its
#: overflow, inside that ancestor's borders and scrollbars). ``panels``: every panel's block of
#: cells (from ``meta.panels`` through the axes); ``colorbar``: the colour scale image;
#: ``annotations``: titles, headings, scale ticks (annotations, or the "words" text traces);
#: ``scroller``: the nearest ancestor of the
#: figure that scrolls horizontally, with its scroll sizes and the height of its horizontal
#: scrollbar; ``controls``: each control of the bars and each grid; ``label_px``: the font
#: sizes of the drawn numbers.
JS_LAYOUT = r"""(root) => {
    const box = (b) => ({ l: b.left, t: b.top, r: b.right, b: b.bottom });
    const clipOf = (el) => {
        const v = { l: 0, t: 0, r: window.innerWidth, b: window.innerHeight };
        for (let a = el.parentElement; a; a = a.parentElement) {
            const cs = getComputedStyle(a);
            if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
            // the viewport stands for <html> and <body> (a body's overflow is the viewport's)
            if (a === document.documentElement || a === document.body) continue;
            const b = a.getBoundingClientRect();
            const l = b.left + a.clientLeft, t = b.top + a.clientTop;
            if (cs.overflowX !== 'visible') { v.l = Math.max(v.l, l); v.r = Math.min(v.r, l + a.clientWidth); }
            if (cs.overflowY !== 'visible') { v.t = Math.max(v.t, t); v.b = Math.min(v.b, t + a.clientHeight); }
        }
        return v;
    };
    const gd = root.querySelector('.js-plotly-plot');
    const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis, g = gd.getBoundingClientRect();
    const X = (c) => g.left + xa._offset + xa.l2p(c), Y = (r) => g.top + ya._offset + ya.l2p(r);
    const panels = {};
    for (const [name, [r0, c0, rows, cols]] of Object.entries(gd.data[0].meta.panels)) {
        const xs = [X(c0 - 0.5), X(c0 + cols - 0.5)], ys = [Y(r0 - 0.5), Y(r0 + rows - 0.5)];
        panels[name] = { l: Math.min(...xs), r: Math.max(...xs), t: Math.min(...ys), b: Math.max(...ys) };
    }
    let scroller = null;
    for (let a = gd.parentElement; a && a !== root.parentElement; a = a.parentElement) {
        const ox = getComputedStyle(a).overflowX;
        if (ox === 'auto' || ox === 'scroll') {
            const cs = getComputedStyle(a);
            const borders = parseFloat(cs.borderTopWidth) + parseFloat(cs.borderBottomWidth);
            scroller = Object.assign(box(a.getBoundingClientRect()), {
                scrollWidth: a.scrollWidth, clientWidth: a.clientWidth, scrollLeft: a.scrollLeft,
                scrollbar: a.offsetHeight - a.clientHeight - borders, clip: clipOf(a) });
            break;
        }
    }
    const controls = [];
    root.querySelectorAll('.cv-grid, .cv-bar > *').forEach(el => {
        if (el.closest('details:not([open]) > .cv-bar') || el.offsetParent === null) return;
        const title = el.querySelector('.cv-grid-title');
        controls.push(Object.assign(box(el.getBoundingClientRect()), {
            what: title ? 'grid ' + title.textContent : (el.getAttribute('aria-label') || el.textContent || el.tagName).trim().slice(0, 40),
            clip: clipOf(el) }));
    });
    const img = gd.querySelector('.imagelayer image, g.layer-above image');
    // titles, headings and ticks drawn as the "words" text traces (chainviz.views.words), by plotly.js
    // or by the figure's front end
    const words = Array.from(gd.querySelectorAll('.scatterlayer g.trace'))
        .filter(t => t.__data__ && t.__data__[0] && ['words', 'live words'].includes(t.__data__[0].trace.name))
        .flatMap(t => Array.from(t.querySelectorAll('.textpoint text')))
        .concat(Array.from(gd.querySelectorAll('g.cv-page-text[data-name="words"] > text, g.cv-page-text[data-name="live words"] > text')))
        // and the colour scale's ticks: annotations, by plotly.js (g.annotation) or by the front end
        .concat(Array.from(gd.querySelectorAll('g.cv-page-text[data-name="annotations"] > text')));
    return {
        root: box(root.getBoundingClientRect()), figure: box(g), clip: clipOf(gd), panels,
        colorbar: img ? box(img.getBoundingClientRect()) : null,
        annotations: Array.from(gd.querySelectorAll('g.annotation')).concat(words)
            .map(a => Object.assign(box(a.getBoundingClientRect()), { text: a.textContent })).filter(a => a.r > a.l),
        scroller, controls,
        label_px: Array.from(gd.querySelectorAll('.textpoint text, g.heatmap-label text, g.cv-page-text > text'))
            .filter(e => !words.includes(e)).map(e => parseFloat(getComputedStyle(e).fontSize)),
        viewport: { w: window.innerWidth, h: window.innerHeight },
    };
}"""

#: px of slack for sub-pixel rounding when comparing boxes
SLACK = 0.5


def explorer_layout(page: Page, root: str, nth: int = 0) -> dict:
    """:data:`JS_LAYOUT` of the ``nth`` ``.cv-root`` inside ``root``."""
    return page.locator(f"{root} .cv-root").nth(nth).evaluate(JS_LAYOUT)


def inside_x(b: dict, clip: dict) -> bool:
    return b["l"] >= clip["l"] - SLACK and b["r"] <= clip["r"] + SLACK


def inside(b: dict, clip: dict) -> bool:
    return inside_x(b, clip) and b["t"] >= clip["t"] - SLACK and b["b"] <= clip["b"] + SLACK


def clipping_problems(report: dict, must_fit: bool) -> list[str]:
    """What is cut off horizontally in an :func:`explorer_layout` report, in words.

    Every control and grid must lie inside the part of the page it can be seen in. The figure
    either lies wholly inside it (panels, titles, colour scale), or, if ``must_fit`` is false,
    may be wider than its box when that box scrolls and shows a scrollbar: then every panel
    must be reachable by scrolling (inside the box's scroll width) and the box itself visible.
    """
    out = [f"{c['what']!r} [{c['l']:.0f}, {c['r']:.0f}] px is cut off (visible [{c['clip']['l']:.0f}, "
           f"{c['clip']['r']:.0f}])" for c in report["controls"] if not inside_x(c, c["clip"])]
    clip, sc = report["clip"], report["scroller"]
    cut = {n: p for n, p in report["panels"].items() if not inside_x(p, clip)}
    extras = [("the colour scale", report["colorbar"])] if report["colorbar"] else []
    extras += [(f"annotation {a['text']!r}", a) for a in report["annotations"]]
    cut_extras = [(w, b) for w, b in extras if not inside_x(b, clip)]
    scrolls = sc is not None and sc["scrollWidth"] > sc["clientWidth"]
    if must_fit or not scrolls:
        out += [f"panel {n} [{p['l']:.0f}, {p['r']:.0f}] px is cut off (visible [{clip['l']:.0f}, {clip['r']:.0f}])"
                for n, p in cut.items()]
        out += [f"{w} [{b['l']:.0f}, {b['r']:.0f}] px is cut off (visible [{clip['l']:.0f}, {clip['r']:.0f}])"
                for w, b in cut_extras]
        if must_fit and scrolls:
            out.append(f"the figure ({sc['scrollWidth']} px) is wider than its box ({sc['clientWidth']} px) and scrolls")
    else:
        if sc["scrollbar"] <= 0:
            out.append(f"the figure ({sc['scrollWidth']} px) is wider than its box ({sc['clientWidth']} px) "
                       f"but the box shows no scrollbar")
        if not inside_x(sc, sc["clip"]):
            out.append(f"the figure's scrolling box [{sc['l']:.0f}, {sc['r']:.0f}] px is itself cut off")
        left = sc["l"] - sc["scrollLeft"]
        out += [f"panel {n} cannot be scrolled to" for n, p in report["panels"].items()
                if p["l"] < left - SLACK or p["r"] > left + sc["scrollWidth"] + SLACK]
    return out


def scroll_to_top(page: Page, root: str, nth: int = 0) -> None:
    """Scroll the notebook cell (or, outside JupyterLab, the explorer) holding the ``nth``
    explorer in ``root`` to the top of its scrolling area, as a lecturer does before an edit."""
    page.locator(f"{root} .cv-root").nth(nth).evaluate(
        "(r) => (r.closest('.jp-Cell') || r).scrollIntoView({block: 'start', inline: 'nearest'})")
    next_frames(page, 3)


def wait_for_layout(page: Page, root: str, nth: int = 0, timeout: float = MEDIUM, quiet_ms: int = 800) -> None:
    """Wait until the explorer's figure is drawn for the width it has: the width its toolbar
    reports (after a 120 ms debounce) has reached the kernel and come back as a figure whose
    size and panels have not changed for ``quiet_ms``, with JupyterLab's kernel (if any) idle."""
    page.locator(f"{root} .cv-root").nth(nth).evaluate(
        """(root, [timeout, quiet, status]) => new Promise((done, fail) => {
            const gd = root.querySelector('.js-plotly-plot');
            let last = '', since = performance.now();
            const t0 = performance.now();
            const idle = () => { const s = document.querySelector(status); return !s || /\\|\\s*Idle\\s*$/.test(s.textContent); };
            const tick = () => {
                const now = JSON.stringify([gd._fullLayout && gd._fullLayout.width, root.getBoundingClientRect().width,
                                            gd.data && gd.data[0] && gd.data[0].meta && gd.data[0].meta.panels]);
                if (now !== last || !idle()) { last = now; since = performance.now(); }
                if (performance.now() - since > quiet) return done();
                if (performance.now() - t0 > timeout) return fail(new Error('the figure kept changing size'));
                setTimeout(tick, 50);
            };
            tick();
        })""",
        [timeout, quiet_ms, KERNEL_STATUS],
    )
