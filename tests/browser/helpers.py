"""Helpers for real-browser tests against JupyterLab 4.6 and Voila 0.5.

All functions take a Playwright sync-API ``Page``. Selectors were checked
against JupyterLab 4.6.6, ipywidgets 8.1.9 and plotly 7.1.0 in Chromium.

Waits are condition based (``expect``/``wait_for_function``), never sleeps.
Timeouts are in milliseconds, like Playwright's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable, Union

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
