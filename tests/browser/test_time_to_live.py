"""Time to live (issue #11), in Chromium: plotly.js once per page, never a blank figure.

* Notebook 03, Run All ten times in a row, each in a fresh page and kernel (a cold
  browser cache, so the bundle is fetched and compiled every time): every figure the
  kernel made is drawn, every time.
* A reload with the kernel running brings every figure back as it is now, and the
  figures still take edits from the kernel.
* plotly's bundle taking longer than anywidget's 2 s to arrive loses nothing: the
  figure is drawn, with the edit the kernel sent while the bundle was on its way.
* JupyterLab, Notebook 7, Voilà, JupyterLab under a Binder-style base URL and the
  jupyterlab-slideshow deck: the bundle comes from the Jupyter server, once per page,
  and an edit in the page reaches the figure.

How many figures a notebook makes is asked of its kernel: the copies of the notebooks
run here end with one cell that counts the kernel's live FigureWidgets, marks each
(``legendgroup``) so a page that reconnects can be checked for current state, and
shows a text box whose value the kernel writes into the first figure's mark.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

from .helpers import (
    LONG,
    MEDIUM,
    cell_tracebacks,
    dismiss_dialogs,
    kernel_state,
    open_notebook,
    run_menu_command,
    screenshot,
    set_lab_setting,
    shutdown_kernels,
    unexpected_console_errors,
    wait_until,
    write_notebook,
)
from .servers import REPO_ROOT, JS_FIGURES, free_port, jupyter_command, jupyter_env, start_server, stop

NB03 = REPO_ROOT / "notebooks" / "03_two_layer_net.ipynb"
RUNS = 10
BUNDLE_PATH = "chainviz-plotly/static/plotly-widget-"
DRAW_TIMEOUT = 90_000  # ms after Run All has finished; the whole notebook on 2 busy cores

#: appended to every notebook copy (see the module doc)
COUNT_CELL = """# test_time_to_live: count and mark this kernel's figures; a text box that edits the first
import gc
import ipywidgets
from plotly.basewidget import BaseFigureWidget

cv_ttl_figures = [o for o in gc.get_objects() if isinstance(o, BaseFigureWidget) and o.comm is not None]
for k, f in enumerate(cv_ttl_figures):
    f.data[0].legendgroup = f"cv-ttl-{k}"
cv_ttl_driver = ipywidgets.Text(value="", continuous_update=False)
cv_ttl_driver.add_class("cv-ttl-driver")
cv_ttl_driver.observe(lambda ch: setattr(cv_ttl_figures[0].data[0], "legendgroup", ch["new"]), names="value")
display(cv_ttl_driver)
print(f"cv-ttl figures: {len(cv_ttl_figures)}")
"""

#: two small figures, a text box that edits the first, an edit of the second sent at once
TINY = [
    """import ipywidgets
from chainviz.widgets.figure import new_figure

figs = [new_figure([{"type": "heatmap", "z": [[1, 2], [3, 4]], "legendgroup": f"cv-ttl-{k}"}], {"height": 240},
                   {"displayModeBar": False}) for k in range(2)]
driver = ipywidgets.Text(value="", continuous_update=False)
driver.add_class("cv-ttl-driver")
driver.observe(lambda ch: setattr(figs[0].data[0], "legendgroup", ch["new"]), names="value")
display(driver, figs[0])""",
    "figs[1]",
    "figs[1].data[0].z = [[42, 0], [0, 1]]  # sent right away, while the page may still be loading plotly.js",
]

JS_MARKS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => JSON.stringify(
  (gd.data || []).map(t => [t.legendgroup, t.z])))"""
#: the second figure of TINY shows the edit of its third cell
JS_EDITED = """() => { const gd = document.querySelectorAll('.js-plotly-plot')[1];
  return !!gd && !!gd.data && JSON.stringify(gd.data[0].z) === '[[42,0],[0,1]]'; }"""
JS_SOURCE = """() => globalThis.__chainvizPlotly ? Array.from(globalThis.__chainvizPlotly.source.values()) : null"""


def _copy_with_count(root: Path, src: Path, name: str) -> str:
    nb = nbformat.read(src, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(COUNT_CELL))
    nbformat.write(nb, root / name)
    return name


def _kernel_count(page, timeout: float = MEDIUM) -> int:
    """The number the last cell printed (how many figures the kernel made)."""
    handle = page.wait_for_function(
        """() => { const m = document.body.innerText.match(/cv-ttl figures: (\\d+)/); return m ? +m[1] : null; }""",
        timeout=timeout, polling=200)
    return handle.json_value()


def _wait_drawn(page, n: int, timeout: float = DRAW_TIMEOUT) -> list[dict]:
    """Wait until ``n`` figures are drawn; return every figure's state either way."""
    try:
        page.wait_for_function(
            f"(n) => {{ const f = ({JS_FIGURES})('body'); return f.length >= n && f.every(x => x.drawn); }}",
            arg=n, timeout=timeout, polling=200)
    except Exception:  # noqa: BLE001 - the caller says what is missing
        pass
    return page.evaluate(JS_FIGURES, "body")


def _settled_marks(page, quiet: float = 2.0, timeout: float = 30.0) -> list[str]:
    """Every figure's traces (mark, z) once nothing has changed for ``quiet`` seconds: an
    explorer may still answer what its first drawing reported (sizes) after Run All."""
    marks, since, deadline = None, time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < deadline:
        now = sorted(page.evaluate(JS_MARKS))
        if now != marks:
            marks, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
        page.wait_for_timeout(250)
    return marks


def _anywidget_errors(errors: list[str]) -> list[str]:
    return [e for e in errors if re.search(r"anywidget|chainviz|plotly", e, re.I)]


def _console(page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return errors


# -- notebook 03, ten times --------------------------------------------------------------------
def test_notebook_03_run_all_ten_times_every_figure_drawn(lab_server, browser):
    name = _copy_with_count(lab_server.root, NB03, "ttl_03.ipynb")
    runs = []
    for k in range(RUNS):
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        errors = _console(page)
        step = "open"
        try:
            open_notebook(page, lab_server.url, name)
            step = "run all"
            run_menu_command(page, "Run", "runmenu:run-all")
            n = _kernel_count(page, timeout=LONG)  # the last cell's output: every cell has run
            assert cell_tracebacks(page) == [], f"run {k}: a cell failed"
            figures = _wait_drawn(page, n)
            runs.append((n, figures, _anywidget_errors(errors)))
            if len(figures) != n or not all(f["drawn"] for f in figures):
                screenshot(page, f"ttl-03-run{k}-blank", full_page=True)
        except Exception as exc:
            screenshot(page, f"ttl-03-run{k}-{step.replace(' ', '-')}", full_page=True)
            raise AssertionError(f"run {k}: {step} failed: {str(exc)[:300]}") from exc
        finally:
            ctx.close()
            shutdown_kernels(lab_server.url, name)
    bad = [(k, n, figs, errs) for k, (n, figs, errs) in enumerate(runs)
           if n < 1 or len(figs) != n or not all(f["drawn"] for f in figs) or errs]
    assert not bad, "runs with a missing or blank figure, or a loader error:\n" + "\n".join(
        f"run {k}: kernel made {n}, page {figs}, errors {errs}" for k, n, figs, errs in bad)
    assert len({n for n, _, _ in runs}) == 1


# -- a reload with the kernel running -------------------------------------------------------------
def test_reload_with_kernel_running_brings_every_figure_back_as_it_is(lab_server, page):
    name = _copy_with_count(lab_server.root, NB03, "ttl_03_reload.ipynb")
    try:
        open_notebook(page, lab_server.url, name)
        run_menu_command(page, "Run", "runmenu:run-all")
        n = _kernel_count(page, timeout=LONG)
        assert all(f["drawn"] for f in _wait_drawn(page, n)) and len(_wait_drawn(page, n)) == n
        before = _settled_marks(page)
        # saved, as autosave or the learner would: a reopened notebook shows its saved outputs,
        # and the widget views among them take their models from the running kernel
        run_menu_command(page, "File", "docmanager:save")
        page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
                               timeout=MEDIUM)

        page.reload()  # the same kernel: the widgets come from the kernel's state
        page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(timeout=LONG)
        dismiss_dialogs(page)
        figures = _wait_drawn(page, n)
        assert len(figures) == n and all(f["drawn"] for f in figures), figures
        after = _settled_marks(page)
        # the marks were set after every figure was made: a page that got the figures as they
        # were made (plotly's own FigureWidget) would show none of them
        assert after == before
        assert sorted(json.loads(m)[0][0] for m in after) == sorted(f"cv-ttl-{k}" for k in range(n))

        # the kernel still reaches the figures: anywidget drops every message to a model whose
        # module took over 2 s to load ("[anywidget] Failed to initialize model.")
        driver = page.locator(".cv-ttl-driver input").first
        driver.fill("after-reload")
        driver.press("Enter")
        page.wait_for_function(
            "() => Array.from(document.querySelectorAll('.js-plotly-plot')).some(gd => "
            "gd.data && gd.data[0].legendgroup === 'after-reload')", timeout=MEDIUM)
        assert _anywidget_errors(page.console_errors) == []
    finally:
        shutdown_kernels(lab_server.url, name)


# -- plotly.js slower than anywidget's timeout -----------------------------------------------------
def test_bundle_slower_than_anywidget_timeout_loses_nothing(lab_server, browser):
    """The bundle is held back 3 s (anywidget gives a module 2 s to initialise); the edit of
    the third cell reaches the kernel's figure while the page is still waiting for it."""
    name = write_notebook(lab_server.root, "ttl_slow_bundle.ipynb", TINY)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    held = []

    def hold(route):
        held.append(route.request.url)
        time.sleep(3)  # blocks only this test's Playwright driver; the page and the kernel go on
        route.continue_()

    ctx.route(f"**/{BUNDLE_PATH}*", hold)
    page = ctx.new_page()
    errors = _console(page)
    try:
        open_notebook(page, lab_server.url, name)
        run_menu_command(page, "Run", "runmenu:run-all")
        page.wait_for_function(JS_EDITED, timeout=LONG)
        figures = _wait_drawn(page, 2, timeout=MEDIUM)
        assert len(figures) == 2 and all(f["drawn"] for f in figures), figures
        assert len(held) == 1, held  # two figures, one bundle
        shown = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd =>
            [gd.data[0].z, gd._context.displayModeBar])""")
        assert shown == [[[[1, 2], [3, 4]], False], [[[42, 0], [0, 1]], False]]
        assert _anywidget_errors(errors) == []
    finally:
        ctx.close()
        shutdown_kernels(lab_server.url, name)


# -- every front end --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def servers(tmp_path_factory, artifacts_dir, lab_server, voila_server):
    """``servers(kind) -> (page url or None, server url or None)``, started on first use: the
    page of the tiny notebook (Notebook 7, Voilà), the server's root (JupyterLab kinds)."""
    base = tmp_path_factory.mktemp("ttl-servers")
    root = base / "root"
    root.mkdir()
    name = write_notebook(root, "ttl_tiny.ipynb", TINY)
    shutil.copy(root / name, lab_server.root / name)
    procs, urls = [], {}

    def get(kind: str) -> tuple[str, str | None]:
        if kind in urls:
            return urls[kind]
        if kind in ("lab", "deck"):
            urls[kind] = (None, lab_server.url)
        elif kind == "voila":
            urls[kind] = (voila_server(root / name), None)
        else:
            app, prefix = {"notebook7": ("notebook", "/"), "lab-base-url": ("lab", "/user/learner/")}[kind]
            port = free_port()
            proc = start_server(jupyter_command(app, port, root, prefix), jupyter_env(base / f"home-{kind}"), root,
                                artifacts_dir / f"ttl-{kind}.log", port, f"http://127.0.0.1:{port}{prefix}api/status")
            procs.append(proc)
            urls[kind] = (f"http://127.0.0.1:{port}{prefix}notebooks/{name}", f"http://127.0.0.1:{port}{prefix}")
        return urls[kind]

    try:
        yield get
    finally:
        for proc in procs:
            stop(proc)
        shutdown_kernels(lab_server.url, name)


def _run_all(page) -> None:
    """Run → Run All Cells in JupyterLab or Notebook 7 (whichever command the menu has)."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).first.click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"], '
                 '.lm-Menu-item[data-command="notebook:run-all-cells"]').first.click()


@pytest.mark.parametrize("kind", ["lab", "notebook7", "voila", "lab-base-url", "deck"])
def test_bundle_from_the_server_once_per_page_and_edits_arrive(kind, servers, page):
    url, server = servers(kind)
    bundles = []
    page.on("response", lambda r: bundles.append((r.url, r.status, r.headers.get("cache-control") or ""))
            if BUNDLE_PATH in r.url else None)
    try:
        if kind in ("lab", "lab-base-url", "deck"):
            open_notebook(page, server, "ttl_tiny.ipynb")
            run_menu_command(page, "Run", "runmenu:run-all")
        else:
            page.goto(url)
        if kind == "notebook7":
            # Run All before the kernel is connected can be lost: wait for it as the server sees it
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=LONG)
            wait_until("ttl_tiny.ipynb: the kernel never became idle",
                       lambda: kernel_state(server.rstrip("/"), "ttl_tiny.ipynb") == "idle")
            _run_all(page)
        figures = _wait_drawn(page, 2, timeout=LONG)
        assert len(figures) == 2 and all(f["drawn"] for f in figures), figures
        if kind == "deck":
            page.locator(".jp-Notebook .jp-Cell .jp-InputPrompt").first.click()
            page.locator('.jp-NotebookPanel-toolbar [data-command="deck:toggle"]').first.click()
            page.wait_for_function("() => document.body.dataset.jpDeckMode === 'presenting'", timeout=MEDIUM)
            expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=MEDIUM)

        assert page.evaluate(JS_SOURCE) == ["server"]
        where = page.evaluate("""() => {
            const base = JSON.parse(document.getElementById('jupyter-config-data').textContent).fullLabextensionsUrl;
            return new URL((base.endsWith('/') ? base : base + '/') + 'chainviz-plotly/static/', location.href).href;
        }""")
        assert len(bundles) == 1 and bundles[0][0].startswith(where) and bundles[0][1] == 200, (where, bundles)
        if kind in ("lab", "notebook7"):  # Voilà, and JupyterLab under a base URL, revalidate every extension file
            assert "immutable" in bundles[0][2], bundles

        driver = page.locator(".cv-ttl-driver input").first
        driver.fill("edited")
        driver.press("Enter")
        page.wait_for_function("() => document.querySelector('.js-plotly-plot').data[0].legendgroup === 'edited'",
                               timeout=MEDIUM)
        page.wait_for_function(JS_EDITED, timeout=MEDIUM)
        assert unexpected_console_errors(_anywidget_errors(page.console_errors)) == []
    finally:
        if kind == "deck":
            set_lab_setting(server, "jupyterlab-slideshow:plugin", {"active": False})
        if server is not None:
            shutdown_kernels(server, "ttl_tiny.ipynb")
