"""Time to live: what a learner waits for — whole lesson notebooks, Run All, in JupyterLab.

Two JupyterLab servers run side by side, identical but for one environment variable
their kernels inherit:

  chainviz               the default: each figure sends a 4 KB loader, the page imports
                         plotly's widget bundle once from the Jupyter server
  plotly-FigureWidget    ``CHAINVIZ_PLOTLYJS=plotly``: plotly's own FigureWidget, the
                         5 MB bundle inside every figure's widget state (the stock way)

Each run opens a copy of a notebook in a fresh browser context (empty cache, as a
learner's first visit), waits for the kernel, clicks Run → Run All Cells and records,
in the page, when the first and when the last figure is drawn. The copy ends with one
cell that prints how many FigureWidgets the kernel made: "every figure drawn" means
that many plotly figures with drawn traces. Runs go round robin over notebooks and
variants so that load changes hit both alike. Measured per run (CDP):

* bytes received over the kernel's WebSocket (``Network.webSocketFrameReceived``, the
  ``/api/kernels/<id>/channels`` socket) from the click until every figure is drawn;
  the bundle's HTTP bytes (cacheable) are counted apart;
* Run All → every figure drawn (and → the first one);
* the JS heap after a forced garbage collection (``Runtime.getHeapUsage``);
* notebook 03: its size once saved with widget state (ipywidgets' ``saveState`` on);
* notebook 03 through a local link shaped to 2 MiB/s (:mod:`shaper`), cold cache.

And, without a browser, the kernel time of the first explorer in a fresh kernel
(``import chainviz``, ``ChainRuleExplorer()``, its display), timed inside the kernel.
"""

from __future__ import annotations

import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import REPO, failed_row, ratio_row, row
from lab import CHROMIUM, CHROMIUM_ARGS, Lab
from servers import JS_FIGURES, jupyter_env
from shaper import Shaper

SECTION = "5. Time to live (whole notebooks, Run All)"
NOTEBOOKS = ("01_jacobians", "02_vector_chain_rule", "03_two_layer_net", "04_reverse_mode")
BUDGET_NB = "03_two_layer_net"
VARIANTS = {"chainviz": {}, "plotly-FigureWidget": {"CHAINVIZ_PLOTLYJS": "plotly"}}
LINK_RATE = 2 * 2**20  # bytes/s: 2 MiB/s
LONG = 240_000  # ms; the stock way through the shaped link takes minutes
KERNEL_STATUS = '#jp-main-statusbar .jp-StatusBar-TextItem[title^="Change kernel"]'
COUNT_CELL = """# benchmark: how many figures this kernel made (the page must draw them all)
import gc
from plotly.basewidget import BaseFigureWidget
print("cvb figures:", sum(isinstance(o, BaseFigureWidget) and o.comm is not None for o in gc.get_objects()))"""
SAVE_STATE = {"@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True}}

# Installed before Run All: every 50 ms, how many figures are drawn; when the count cell
# has printed, how many there must be.
ARM = f"""() => {{
  const figures = {JS_FIGURES};
  const rec = {{ t0: null, first: null, all: null, n: null }};
  window.__ttl = rec;
  rec.timer = setInterval(() => {{
    if (rec.t0 === null) return;
    const t = performance.now() - rec.t0;
    const drawn = figures('.jp-Notebook').filter(f => f.drawn).length;
    if (drawn > 0 && rec.first === null) rec.first = t;
    if (rec.n === null) {{
      for (const o of document.querySelectorAll('.jp-OutputArea-output')) {{
        const m = o.textContent.match(/cvb figures: (\\d+)/);
        if (m) rec.n = +m[1];
      }}
    }}
    if (rec.n !== null && drawn >= rec.n && rec.all === null) {{ rec.all = t; clearInterval(rec.timer); }}
  }}, 50);
}}"""


def _copy(root: Path, nb: str, name: str) -> str:
    import nbformat

    book = nbformat.read(REPO / "notebooks" / f"{nb}.ipynb", as_version=4)
    book.cells.append(nbformat.v4.new_code_cell(COUNT_CELL))
    nbformat.write(book, root / name)
    return name


class _Traffic:
    """Bytes a page receives, from CDP Network events: kernel WebSocket frames, HTTP bodies."""

    def __init__(self, cdp):
        self.sockets: dict[str, str] = {}
        self.urls: dict[str, str] = {}
        self.ws = 0
        self.bundle_http = 0
        self.counting = False
        cdp.on("Network.webSocketCreated", lambda e: self.sockets.__setitem__(e["requestId"], e["url"]))
        cdp.on("Network.webSocketFrameReceived", self._frame)
        cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        cdp.on("Network.loadingFinished", self._loaded)
        cdp.send("Network.enable", {"maxTotalBufferSize": 1_000_000, "maxResourceBufferSize": 1_000_000})

    def _frame(self, e) -> None:
        if not self.counting or "/channels" not in self.sockets.get(e["requestId"], ""):
            return
        r = e["response"]
        data = r.get("payloadData", "")
        if r.get("opcode") == 2:  # binary frames arrive base64-encoded
            self.ws += len(data) * 3 // 4 - data[-2:].count("=")
        else:
            self.ws += len(data.encode())

    def _loaded(self, e) -> None:
        if self.counting and "chainviz-plotly/static" in self.urls.get(e["requestId"], ""):
            self.bundle_http += int(e.get("encodedDataLength", 0))


def run_notebook(browser, base_url: str, root: Path, name: str, save: bool = False, log=print) -> dict:
    """One Run All of ``root/name`` in a fresh browser context; see the module doc."""
    from playwright.sync_api import expect

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = ctx.new_page()
        page.set_default_timeout(LONG)
        cdp = ctx.new_cdp_session(page)
        traffic = _Traffic(cdp)
        page.goto(f"{base_url}/lab/tree/{name}?reset")
        expect(page.locator(KERNEL_STATUS)).to_have_text(re.compile(r"^(?!No Kernel).*\|\s*Idle\s*$"), timeout=LONG)
        page.evaluate(ARM)
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).first.click()
        traffic.counting = True
        page.evaluate("() => { window.__ttl.t0 = performance.now(); }")
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').first.click()
        out: dict = {}
        try:
            page.wait_for_function("() => window.__ttl.all !== null", timeout=LONG, polling=100)
        except Exception as exc:  # noqa: BLE001 - a figure never drawn is a result, not a crash
            out["error"] = f"{type(exc).__name__}: not every figure drawn within {LONG / 1000:.0f} s"
        traffic.counting = False
        rec = page.evaluate("() => window.__ttl")
        drawn = page.evaluate(JS_FIGURES, ".jp-Notebook")
        out.update(seconds=None if rec["all"] is None else rec["all"] / 1e3,
                   first=None if rec["first"] is None else rec["first"] / 1e3,
                   figures=rec["n"], drawn=sum(f["drawn"] for f in drawn), ws_bytes=traffic.ws,
                   bundle_http_bytes=traffic.bundle_http)
        cdp.send("HeapProfiler.collectGarbage")
        out["heap_bytes"] = cdp.send("Runtime.getHeapUsage")["usedSize"]
        if save:
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^File$")).first.click()
            page.locator('.lm-Menu-item[data-command="docmanager:save"]').first.click()
            page.wait_for_function("() => !document.querySelector('.lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
                                   timeout=60_000)
            page.wait_for_timeout(500)
            out["saved_bytes"] = (root / name).stat().st_size
        return out
    finally:
        ctx.close()


def kernel_first_explorer(env_extra: dict, runs: int, stock: bool, log=print) -> list[float]:
    """Kernel time (s) of ``import chainviz``, the first ``ChainRuleExplorer()`` and its display,
    each in a fresh kernel. ``stock`` adds ``import nbformat`` to the timed cell: plotly's own
    ``plotly.basewidget`` imports it (via ``plotly.io._renderers``); chainviz defers it."""
    import os

    from jupyter_client.manager import start_new_kernel

    code = ("__t0 = time.perf_counter()\n" + ("import nbformat\n" if stock else "") +
            "import chainviz as cv\napp = cv.ChainRuleExplorer()\ndisplay(app)\n"
            "__kt = time.perf_counter() - __t0\n")
    home = Path(tempfile.mkdtemp(prefix="cvb-kernel-"))
    env = {**jupyter_env(home), **env_extra, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    out = []
    try:
        for k in range(runs):
            km, kc = start_new_kernel(kernel_name="python3", env=env)
            try:
                kc.execute_interactive("import time", timeout=60)
                reply = kc.execute_interactive(code, user_expressions={"kt": "__kt"}, timeout=120,
                                               output_hook=lambda m: None)
                kt = float(reply["content"]["user_expressions"]["kt"]["data"]["text/plain"])
                out.append(kt)
            finally:
                kc.stop_channels()
                km.shutdown_kernel(now=True)
        log(f"    first explorer in a fresh kernel{' (stock)' if stock else ''}: "
            f"{' '.join(f'{v:.2f}' for v in out)} s")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return out


def run(runs: int = 3, shaped_runs: int = 2, kernel_runs: int = 10, log=print) -> tuple[list[dict], dict]:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="cvb-ttl-"))
    results: dict = {v: {nb: [] for nb in NOTEBOOKS} for v in VARIANTS}
    shaped: dict = {v: [] for v in VARIANTS}
    labs: dict = {}
    try:
        for v, env in VARIANTS.items():
            (tmp / v / "root").mkdir(parents=True)
            labs[v] = Lab(tmp / v / "root", tmp / v / "home", env=env, settings=SAVE_STATE).start()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                order = list(VARIANTS)
                for rep in range(runs):
                    for nb in NOTEBOOKS:
                        for v in order[rep % 2:] + order[:rep % 2]:
                            lab = labs[v]
                            name = _copy(lab.root, nb, f"{nb}-{rep}.ipynb")
                            try:
                                r = run_notebook(browser, lab.url, lab.root, name, save=nb == BUDGET_NB, log=log)
                            except Exception as exc:  # noqa: BLE001 - one failed run must not lose the rest
                                r = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                            finally:
                                lab.stop_all_kernels()
                            results[v][nb].append(r)
                            log(f"    {v} {nb} run {rep}: " + ", ".join(
                                f"{k} {r[k]:.2f}" if isinstance(r.get(k), float) else f"{k} {r.get(k)}"
                                for k in ("seconds", "first", "figures", "drawn", "ws_bytes", "heap_bytes",
                                          "saved_bytes", "error") if k in r))
                for rep in range(shaped_runs):
                    for v in order[rep % 2:] + order[:rep % 2]:
                        lab = labs[v]
                        name = _copy(lab.root, BUDGET_NB, f"{BUDGET_NB}-shaped-{rep}.ipynb")
                        with Shaper(lab.port, LINK_RATE) as link:
                            try:
                                r = run_notebook(browser, f"http://127.0.0.1:{link.port}", lab.root, name, log=log)
                            except Exception as exc:  # noqa: BLE001
                                r = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                            finally:
                                lab.stop_all_kernels()
                        shaped[v].append(r)
                        log(f"    {v} 2 MiB/s run {rep}: {r.get('seconds')} s, ws {r.get('ws_bytes')} B"
                            f"{' ' + r['error'] if 'error' in r else ''}")
            finally:
                browser.close()
    finally:
        for lab in labs.values():
            lab.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    kernel = {"chainviz": kernel_first_explorer({}, kernel_runs, stock=False, log=log),
              "plotly-FigureWidget": kernel_first_explorer(VARIANTS["plotly-FigureWidget"], kernel_runs, stock=True,
                                                           log=log)}
    return rows(results, shaped, kernel), {"runs": results, "shaped": shaped, "kernel_seconds": kernel}


def _vals(runs: list[dict], key: str) -> list[float]:
    return [r[key] for r in runs if r.get(key) is not None and "error" not in r]


def rows(results: dict, shaped: dict, kernel: dict) -> list[dict]:
    out = []
    stock = "plotly-FigureWidget"
    for nb in NOTEBOOKS:
        budget_nb = nb == BUDGET_NB
        short = nb.split("_")[0]
        for v in VARIANTS:
            ours = v == "chainviz" and budget_nb
            runs = results[v][nb]
            bad = [r for r in runs if "error" in r]
            figs = sorted({r.get("figures") for r in runs if r.get("figures") is not None})
            note = f"{v}; {figs[0] if len(figs) == 1 else figs} figures"
            if bad:
                note += f"; {len(bad)} of {len(runs)} runs FAILED: {bad[0]['error']}"
            http = _vals(runs, "bundle_http_bytes")
            out.append(row(f"received over the kernel WebSocket, Run All, {short}, {v}", _vals(runs, "ws_bytes"),
                           "MB", "≤ 4 MB" if ours else "—", 4.0 if ours else None, scale=1e-6, section=SECTION,
                           note=note + (f"; + {statistics.median(http) / 1e6:.2f} MB of cacheable HTTP (the bundle)"
                                        if http and max(http) else "")))
            firsts = _vals(runs, "first")
            out.append(row(f"Run All → every figure drawn, {short}, {v}", _vals(runs, "seconds"), "s",
                           "≤ 6 s" if ours else "—", 6.0 if ours else None, section=SECTION,
                           note=note + (f"; first figure after {statistics.median(firsts):.1f} s (median)"
                                        if firsts else "")))
            out.append(row(f"JS heap after Run All, {short}, {v}", _vals(runs, "heap_bytes"), "MB",
                           "≤ 80 MB" if ours else "—", 80.0 if ours else None, scale=1e-6, section=SECTION,
                           note="used JS heap after a forced GC"))
            if budget_nb:
                out.append(row(f"{short} saved with widget state, {v}", _vals(runs, "saved_bytes"), "MB",
                               "≤ 3 MB" if v == "chainviz" else "—", 3.0 if v == "chainviz" else None, scale=1e-6,
                               section=SECTION, note="file size after File → Save with ipywidgets' saveState on"))
        out.append(ratio_row(f"Run All → every figure drawn, {short}, {stock} / chainviz",
                             _vals(results[stock][nb], "seconds"), _vals(results["chainviz"][nb], "seconds"),
                             "≥ 3×" if budget_nb else "—", 3.0 if budget_nb else None, section=SECTION,
                             note="how many times sooner a learner has every figure"))
    short = BUDGET_NB.split("_")[0]
    for v in VARIANTS:
        ours = v == "chainviz"
        bad = [r for r in shaped[v] if "error" in r]
        out.append(row(f"Run All → every figure drawn through a 2 MiB/s link, {short}, {v}", _vals(shaped[v], "seconds"),
                       "s", "≤ 10 s" if ours else "—", 10.0 if ours else None, section=SECTION,
                       note="local proxy shaping every byte to the browser (benchmarks/shaper.py), cold cache"
                            + (f"; {len(bad)} runs FAILED: {bad[0]['error']}" if bad else "")))
    for v in VARIANTS:
        ours = v == "chainviz"
        out.append(row(f"first explorer in a fresh kernel (kernel time), {v}", kernel[v], "s",
                       "≤ 1.5 s" if ours else "—", 1.5 if ours else None, section=SECTION,
                       note="import chainviz + ChainRuleExplorer() + display, timed in the kernel"
                            + ("" if ours else "; with `import nbformat`, which plotly's own import path adds")))
    all_runs = [r for nb in NOTEBOOKS for r in results["chainviz"][nb]] + shaped["chainviz"]
    blank = sum(1 for r in all_runs if "error" in r or (r.get("figures") or 0) > (r.get("drawn") or 0))
    out.append(dict(name="Run Alls with a figure not drawn, chainviz (every run above)", median=float(blank),
                    min=float(blank), max=float(blank), unit="runs", budget="0", ok=blank == 0, runs=len(all_runs),
                    note="the browser test runs notebook 03 ten times in a row (tests/browser/test_time_to_live.py)",
                    section=SECTION))
    return out


def failed(error: str) -> list[dict]:
    return [failed_row("time to live", "—", "—", error, SECTION)]
