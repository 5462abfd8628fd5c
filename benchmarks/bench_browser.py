"""In the browser: edit → DOM and edit → painted in JupyterLab in Chromium; cold start.

Every variant is a temporary notebook served by one JupyterLab; each runs in a
fresh page and kernel, one after another:

  chainviz                 ChainRuleExplorer (one FigureWidget)
  matplotlib-interact      ``ipywidgets.interactive`` re-rendering a matplotlib figure of
                           the same panels (inline backend, PNG)
  separate-FigureWidgets   the same panels, one FigureWidget each

An edit is driven from the page: a hidden-in-plain-sight ipywidgets ``Text``
(``continuous_update=False``) whose observer sets ``W1[0,0]`` (chainviz:
``app.set_weight(1, 0, 0, v)``, the path a grid cell takes), so the same
kernel round trip happens in every variant. See :data:`pagejs.MEASURE_EDIT`
for what is timed.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from common import HERE, failed_row, ratio_row, row
from lab import CHROMIUM, CHROMIUM_ARGS, Lab, write_notebook
from pagejs import ARM_COLD_START, KERNEL_STATUS, MEASURE_EDIT, RUN_FINISHED, TRACK_EXECUTION

SECTION = "2. In the browser"
SECTION_START = "3. Start-up"
SECTION_REPLAY = "2b. What plotly.js does per edit (replay in a bare page)"
VALUES = ["0.5", "-0.3", "1.2", "0.1", "-0.8", "0.7", "-1.1"]
#: the chainviz explorer in plotly's own FigureWidget: what the shared plotly.js costs per edit (nothing)
STOCK_TRANSPORT = "chainviz-in-plotly-FigureWidget"
HEATMAP = ".js-plotly-plot .heatmaplayer g.hm image"
LONG = 180_000
QUIET_MS = 250
EDIT_TIMEOUT_MS = 15_000

PRELUDE = f"""import sys
sys.path.insert(0, {str(HERE)!r})
import ipywidgets as W
from IPython.display import display
import chainviz as cv
from chainviz.widgets.chain_rule import ChainRuleExplorer
from baselines import SeparateFigures, edited_snapshot, mpl_figure
"""


def _cell(kind: str, sizes, i: int) -> str:
    """The cell showing variant ``kind`` at ``sizes``; its driver is ``.cvb-driver{i} input``, its
    output ``.cvb-app{i}``."""
    drv = (f"drv{i} = W.Text(value='', continuous_update=False, description='edit W1[0,0]')\n"
           f"drv{i}.add_class('cvb-driver{i}')\n")
    state = f"s{i} = ChainRuleExplorer(sizes={tuple(sizes)!r}).snapshot\n"
    if kind in ("chainviz", STOCK_TRANSPORT):
        src = (f"app{i} = ChainRuleExplorer(sizes={tuple(sizes)!r})\n" + drv +
               f"drv{i}.observe(lambda ch: app{i}.set_weight(1, 0, 0, float(ch['new'])), names='value')\n"
               f"box{i} = W.Box([app{i}.widget]); box{i}.add_class('cvb-app{i}')\n"
               f"display(drv{i}, box{i})\n")
        if i == 0:  # the bare round trip, measured once
            src += ("echo_in = W.Text(value='', continuous_update=False, description='echo')\n"
                    "echo_in.add_class('cvb-echo-driver')\n"
                    "echo = W.HTML(value='')\n"
                    "echo.add_class('cvb-echo')\n"
                    "echo_in.observe(lambda ch: setattr(echo, 'value', ch['new']), names='value')\n"
                    "display(echo_in, echo)\n")
        return src
    if kind == "separate-FigureWidgets":
        return (state + f"sep{i} = SeparateFigures(s{i})\n" + drv +
                f"drv{i}.observe(lambda ch: sep{i}.update(edited_snapshot(s{i}.net, s{i}.x, s{i}.loss, "
                f"float(ch['new']))), names='value')\n"
                f"box{i} = W.Box([sep{i}.widget]); box{i}.add_class('cvb-app{i}')\n"
                f"display(drv{i}, box{i})\n")
    if kind == "matplotlib-interact":
        return (state + drv.replace("value=''", f"value=str(float(s{i}.net.weights[0][0, 0]))") +
                f"def show{i}(v):\n"
                f"    display(mpl_figure(edited_snapshot(s{i}.net, s{i}.x, s{i}.loss, float(v))))\n"
                f"ui{i} = W.interactive(show{i}, v=drv{i})\n"
                f"ui{i}.add_class('cvb-app{i}')\n"
                f"display(ui{i})\n")
    raise ValueError(kind)


def notebook_source(kind: str, sizes_list) -> list[str]:
    head = PRELUDE + ("%matplotlib inline\n" if kind == "matplotlib-interact" else "")
    if kind == STOCK_TRANSPORT:  # the same explorer, in plotly's own FigureWidget (5 MB bundle in its state)
        head += "import chainviz.config\nchainviz.config.plotlyjs = 'plotly'\n"
    return [head] + [_cell(kind, sz, i) for i, sz in enumerate(sizes_list)]


def expected_panels(sizes) -> int:
    """Heatmap images the explorer draws at ``sizes`` with its default options (one per visible
    heatmap trace; each trace may hold several panels)."""
    from chainviz.widgets.chain_rule import ChainRuleExplorer

    app = ChainRuleExplorer(sizes=sizes)
    n = sum(1 for t in app.figure.data if t.type == "heatmap" and t.visible is not False)
    app.figure.close()
    return n


class Browser:
    def __init__(self, lab: Lab, log=print):
        from playwright.sync_api import sync_playwright

        self.lab, self.log = lab, log
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

    def close(self) -> None:
        try:
            self.browser.close()
        finally:
            self._pw.stop()

    def open(self, nb_name: str, timeout: float = LONG):
        from playwright.sync_api import expect

        ctx = self.browser.new_context(viewport={"width": 1500, "height": 1100})
        page = ctx.new_page()
        page.set_default_timeout(timeout)
        page.goto(f"{self.lab.url}/lab/tree/{nb_name}?reset")
        page.locator(".jp-NotebookPanel .jp-Notebook, .jp-Dialog").first.wait_for(timeout=timeout)
        for _ in range(5):
            if page.locator(".jp-Dialog").count() == 0:
                break
            page.locator(".jp-Dialog .jp-mod-accept").first.click()
        import re

        expect(page.locator(KERNEL_STATUS)).to_have_text(re.compile(r"^(?!No Kernel).*\|\s*Idle\s*$"),
                                                         timeout=timeout)
        return ctx, page

    @staticmethod
    def run_all(page, timeout: float = LONG) -> None:
        import re

        page.evaluate(TRACK_EXECUTION)
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).first.click()
        page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').first.click()
        page.wait_for_function(RUN_FINISHED, timeout=timeout, polling=100)
        page.evaluate("() => window.__cvbRun.stop()")


_LAST: dict[tuple[int, str], str] = {}


def next_value(page, driver: str) -> str:
    """The next edit value for ``driver``: cycles through VALUES, never the value it holds now
    (an unchanged Text sends nothing, so the edit would change nothing and time out)."""
    key = (id(page), driver)
    last = _LAST.get(key, "")
    k = (VALUES.index(last) + 1) % len(VALUES) if last in VALUES else 0
    _LAST[key] = VALUES[k]
    return VALUES[k]


def measure_edits(page, target: str, runs: int, warmup: int, log=print, driver: str = ".cvb-driver input") -> dict:
    """Drive ``warmup + runs`` edits; return lists of ms (dom, painted, first) and failures."""
    out = {"dom": [], "painted": [], "first": [], "batches": [], "failures": 0}
    for n in range(warmup + runs):
        value = next_value(page, driver)
        r = page.evaluate(MEASURE_EDIT, [target, driver, value, QUIET_MS, EDIT_TIMEOUT_MS])
        if r["dom"] is None:
            out["failures"] += 1
            log(f"    edit {n}: no DOM change within {EDIT_TIMEOUT_MS} ms ({r['reason']})")
            if out["failures"] > 3:
                break
            continue
        if n >= warmup:
            out["dom"].append(r["dom"])
            out["first"].append(r["first"])
            if r["painted"] is not None:
                out["painted"].append(r["painted"])
            out["batches"].append(len(r["batches"]))
    return out


def cpu_profile_edits(page, target: str, driver: str, edits: int = 8) -> dict:
    """A CDP CPU profile of ``edits`` chainviz edits, self time grouped by plotly.js source module."""
    from profile_plotly import summarize_profile

    cdp = page.context.new_cdp_session(page)
    cdp.send("Profiler.enable")
    cdp.send("Profiler.setSamplingInterval", {"interval": 200})
    cdp.send("Profiler.start")
    t0 = time.perf_counter()
    for k in range(edits):
        page.evaluate(MEASURE_EDIT, [target, driver, next_value(page, driver), 150, EDIT_TIMEOUT_MS])
    prof = cdp.send("Profiler.stop")["profile"]
    cdp.detach()
    return summarize_profile(prof, edits, time.perf_counter() - t0)


def trace_edits(browser, page, target: str, driver: str, edits: int = 8) -> dict:
    """A Chrome performance trace of ``edits`` edits: script vs style, layout, paint on the main thread."""
    from profile_plotly import summarize_trace

    browser.start_tracing(page=page, categories=["devtools.timeline", "disabled-by-default-devtools.timeline",
                                                 "toplevel", "v8"])
    try:
        for k in range(edits):
            page.evaluate(MEASURE_EDIT, [target, driver, next_value(page, driver), 150, EDIT_TIMEOUT_MS])
    finally:
        data = browser.stop_tracing()
    return summarize_trace(data, edits)


def _size(sizes) -> str:
    return "(" + ",".join(map(str, sizes)) + ")"


class Notebook:
    """One benchmark notebook open in its own page and kernel, showing ``kind`` at ``sizes_list``."""

    def __init__(self, br: Browser, root: Path, kind: str, sizes_list):
        self.kind, self.sizes_list = kind, list(sizes_list)
        self.name = (f"{kind}.ipynb" if len(self.sizes_list) > 1
                     else f"{kind}-{'x'.join(map(str, self.sizes_list[0]))}.ipynb")
        write_notebook(root / self.name, notebook_source(kind, self.sizes_list))
        self.ctx, self.page = br.open(self.name)
        t0 = time.perf_counter()
        try:
            br.run_all(self.page)
            for i, sizes in enumerate(self.sizes_list):
                if kind == "matplotlib-interact":
                    self.page.wait_for_function("(s) => document.querySelector(s)",
                                                arg=f".cvb-app{i} .widget-output img", timeout=LONG)
                else:
                    self.page.wait_for_function("([s, n]) => document.querySelectorAll(s).length >= n",
                                                arg=[f".cvb-app{i} {HEATMAP}", expected_panels(sizes)],
                                                timeout=LONG)
        except Exception:
            self.ctx.close()
            raise
        self.ready_seconds = time.perf_counter() - t0
        self.stderr = self.page.eval_on_selector_all(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]',
            "els => els.map(e => e.textContent.slice(0, 300))")

    def index(self, sizes) -> int:
        return self.sizes_list.index(tuple(sizes))

    def target(self, i: int) -> str:
        return f".cvb-app{i} .widget-output" if self.kind == "matplotlib-interact" else f".cvb-app{i} .js-plotly-plot"

    def driver(self, i: int) -> str:
        return f".cvb-driver{i} input"

    def edit(self, i: int) -> dict:
        return self.page.evaluate(MEASURE_EDIT, [self.target(i), self.driver(i),
                                                 next_value(self.page, self.driver(i)), QUIET_MS, EDIT_TIMEOUT_MS])

    def close(self) -> None:
        self.ctx.close()


def measure_interleaved(books: dict, sz, runs: int, warmup: int, log=print) -> dict:
    """Edits at size ``sz`` in every variant, round robin (the starting variant rotates), so that
    a change of machine load during the run hits all variants alike."""
    kinds = list(books)
    out = {k: {"dom": [], "painted": [], "first": [], "batches": [], "failures": 0} for k in kinds}
    if not kinds:
        return out
    for n in range(warmup + runs):
        for kind in kinds[n % len(kinds):] + kinds[:n % len(kinds)]:
            nb = books[kind]
            res = out[kind]
            if res["failures"] > 3:
                continue
            nb.page.locator(nb.driver(nb.index(sz))).scroll_into_view_if_needed()
            r = nb.edit(nb.index(sz))
            if r["dom"] is None:
                res["failures"] += 1
                log(f"    {kind} {_size(sz)} edit {n}: no DOM change within {EDIT_TIMEOUT_MS} ms ({r['reason']})")
                continue
            if n >= warmup:
                res["dom"].append(r["dom"])
                res["first"].append(r["first"])
                if r["painted"] is not None:
                    res["painted"].append(r["painted"])
                res["batches"].append(len(r["batches"]))
    return out


def _size(sizes) -> str:
    return "(" + ",".join(map(str, sizes)) + ")"


def cold_start(br: Browser, root: Path, runs: int, log=print) -> dict:
    """Explorer cell run → all panels rendered, each run in a freshly restarted kernel.

    The page stays open between runs (JupyterLab and its widget manager are
    loaded once); before each run the kernel is restarted through the REST API
    and the outputs are cleared, so Python imports plotly, ipywidgets and
    chainviz again and the FigureWidget's model (with its ~5 MB plotly.js
    bundle) is created and sent anew. Clock: the Shift+Enter keydown in the
    page → the last of the explorer's heatmaps exists in the DOM (and +2 rAF).
    """
    name = "cold-start.ipynb"
    write_notebook(root / name, ["import chainviz as cv\napp = cv.ChainRuleExplorer()\napp"])
    n = expected_panels((3, 4, 2))
    ctx, page = br.open(name)
    out = {"dom": [], "painted": [], "failures": 0}
    import re

    from playwright.sync_api import expect

    try:
        for k in range(runs + 1):  # the first run also warms the page's own caches: not counted
            kernels = br.lab.kernels()
            if kernels:
                br.lab.request("POST", f"/api/kernels/{kernels[0]['id']}/restart", {}, timeout=60)
            expect(page.locator(KERNEL_STATUS)).to_have_text(re.compile(r"^(?!No Kernel).*\|\s*Idle\s*$"),
                                                             timeout=LONG)
            page.evaluate("""() => { for (const o of document.querySelectorAll('.jp-Notebook .jp-OutputArea'))
                                      o.replaceChildren(); }""")
            page.locator(".jp-Notebook .jp-Cell").first.click()
            page.keyboard.press("Escape")  # command mode: Shift+Enter runs the cell
            page.evaluate(ARM_COLD_START, [HEATMAP, n])
            page.keyboard.press("Shift+Enter")
            try:
                page.wait_for_function("() => window.__cvbCold.t1 !== null && window.__cvbCold.t2 !== undefined",
                                       timeout=60_000, polling=50)
            except Exception as exc:  # noqa: BLE001 - record and go on
                out["failures"] += 1
                log(f"    cold start {k}: {type(exc).__name__}")
                if out["failures"] > 2:
                    break
                continue
            st = page.evaluate("() => window.__cvbCold")
            if k > 0:
                out["dom"].append(st["t1"] - st["t0"])
                out["painted"].append(st["t2"] - st["t0"])
            log(f"    cold start {k}: {(st['t1'] - st['t0']) / 1e3:.2f} s")
    finally:
        ctx.close()
        br.lab.stop_all_kernels()
    return out


def run(runs: int = 30, warmup: int = 3, cold_runs: int = 20, sizes=((3, 4, 2), (32, 32, 32)),
        kinds=("chainviz", STOCK_TRANSPORT, "matplotlib-interact", "separate-FigureWidgets"), log=print,
        keep_dir: Path | None = None) -> tuple[list[dict], dict]:
    rows, extra = [], {"variants": {}}
    shown = []
    for sz in sizes:  # a size the explorer cannot show is a failed row, not a lost section
        try:
            expected_panels(sz)
            shown.append(tuple(sz))
        except Exception as exc:  # noqa: BLE001
            err = f"ChainRuleExplorer(sizes={tuple(sz)}) raised {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            log(f"  {_size(sz)}: {err}")
            rows.append(failed_row(f"edit → DOM, chainviz {_size(sz)}", "ms", "—", err, SECTION))
    sizes = tuple(shown)
    tmp = Path(tempfile.mkdtemp(prefix="cvbench-"))
    root, home = tmp / "root", tmp / "home"
    root.mkdir()
    home.mkdir()
    results: dict = {}
    opened: dict = {}
    try:
        with Lab(root, home) as lab:
            br = Browser(lab, log)
            try:
                # chainviz and matplotlib hold both sizes in one notebook; the separate
                # FigureWidgets (each ships plotly.js) get one notebook per size. All stay open
                # while their edits are measured round robin.
                for sz in sizes:
                    books: dict = {}
                    t0 = time.perf_counter()
                    try:
                        for kind in kinds:
                            key = f"{kind}-all" if kind != "separate-FigureWidgets" else f"{kind}-{_size(sz)}"
                            if key not in opened:
                                group = [tuple(s_) for s_ in sizes] if kind != "separate-FigureWidgets" else [tuple(sz)]
                                try:
                                    opened[key] = Notebook(br, root, kind, group)
                                    log(f"  {kind} {' '.join(_size(g) for g in group)}: ready in "
                                        f"{opened[key].ready_seconds:.0f} s")
                                except Exception as exc:  # noqa: BLE001 - a failed variant is a failed row
                                    opened[key] = f"{type(exc).__name__}: {str(exc)[:400]}"
                                    log(f"  {kind}: FAILED {opened[key]}")
                            if isinstance(opened[key], Notebook):
                                books[kind] = opened[key]
                            else:
                                results[f"{kind} {_size(sz)}"] = {"error": opened[key]}
                        measured = measure_interleaved(books, sz, runs, warmup, log)
                        for kind, res in measured.items():
                            nb = books[kind]
                            res["ready_seconds"] = nb.ready_seconds
                            if nb.stderr:
                                res["stderr"] = nb.stderr
                            results[f"{kind} {_size(sz)}"] = res
                            dom = res["dom"]
                            log(f"  {kind} {_size(sz)}: edit→DOM median "
                                f"{statistics.median(dom) if dom else float('nan'):.0f} ms over {len(dom)} runs")
                        cv = books.get("chainviz")
                        if cv is not None:
                            i = cv.index(sz)
                            res = results[f"chainviz {_size(sz)}"]
                            diag = [("profile", lambda: cpu_profile_edits(cv.page, cv.target(i), cv.driver(i))),
                                    ("trace", lambda: trace_edits(br.browser, cv.page, cv.target(i), cv.driver(i)))]
                            if i == 0:
                                diag.append(("echo", lambda: measure_edits(cv.page, ".cvb-echo", runs, warmup, log,
                                                                           driver=".cvb-echo-driver input")))
                            for key, fn in diag:
                                try:
                                    res[key] = fn()
                                except Exception as exc:  # noqa: BLE001 - diagnostics must not sink the rest
                                    res[key] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                        for kind, nb in books.items():
                            nb.page.locator(nb.driver(nb.index(sz))).scroll_into_view_if_needed()
                            nb.page.screenshot(path=str(root / f"{kind}-{'x'.join(map(str, sz))}.png"))
                    finally:
                        # a size's separate FigureWidgets are done with; the others serve the next size
                        for key in [k for k in opened if k.startswith("separate-FigureWidgets")]:
                            if isinstance(opened[key], Notebook):
                                opened[key].close()
                            opened.pop(key)
                        log(f"   ({time.perf_counter() - t0:.0f} s)")
                for nb in opened.values():
                    if isinstance(nb, Notebook):
                        nb.close()
                opened.clear()
                lab.stop_all_kernels()
                from profile_plotly import replay_experiments

                for sizes_ in sizes:
                    key = "(" + ",".join(map(str, sizes_)) + ")"
                    try:
                        results[f"replay {key}"] = replay_experiments(br.browser, sizes_, runs=runs)
                    except Exception as exc:  # noqa: BLE001
                        results[f"replay {key}"] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
                    log(f"  Plotly.update replay {key} done")
                if cold_runs:
                    t0 = time.perf_counter()
                    try:
                        results["cold"] = cold_start(br, root, cold_runs, log)
                    except Exception as exc:  # noqa: BLE001
                        results["cold"] = {"error": f"{type(exc).__name__}: {str(exc)[:400]}"}
                    results["cold"]["wall_seconds"] = time.perf_counter() - t0
            finally:
                br.close()
    finally:
        if keep_dir is not None:
            shutil.rmtree(keep_dir, ignore_errors=True)
            keep_dir.mkdir(parents=True, exist_ok=True)
            for p in root.glob("*.png"):
                shutil.copy(p, keep_dir / p.name)
        shutil.rmtree(tmp, ignore_errors=True)

    for sizes_ in sizes:
        sz = "(" + ",".join(map(str, sizes_)) + ")"
        default = tuple(sizes_) == (3, 4, 2)
        budget, limit = ("≤ 50 ms", 50.0) if default else ("≤ 100 ms", 100.0) if tuple(sizes_) == (32, 32, 32) \
            else ("—", None)
        for kind in kinds:
            res = results.get(f"{kind} {sz}", {})
            if "error" in res or not res.get("dom"):
                rows.append(failed_row(f"edit → DOM, {kind} {sz}", "ms", budget if kind == "chainviz" else "—",
                                       res.get("error", "no measurement"), SECTION))
                continue
            ours = kind == "chainviz"
            note = f"ready after run-all in {res['ready_seconds']:.1f} s"
            if res.get("failures"):
                note += f"; {res['failures']} edits timed out"
            rows.append(row(f"edit → DOM, {kind} {sz}", res["dom"], "ms", budget if ours else "—",
                            limit if ours else None, section=SECTION, note=note))
            rows.append(row(f"edit → painted, {kind} {sz}", res["painted"], "ms", section=SECTION,
                            note="2 requestAnimationFrames after the last mutation (PNG decoded first)"))
        echo = results.get(f"chainviz {sz}", {}).get("echo", {})
        if isinstance(echo, dict) and echo.get("dom"):
            rows.append(row(f"edit → DOM, bare ipywidgets round trip (Text → HTML) {sz}", echo["dom"], "ms",
                            section=SECTION, note="the floor under every variant: kernel round trip and "
                                                  "one tiny widget update, measured in the chainviz notebook"))
        replay = results.get(f"replay {sz}", {})
        for label, r in replay.items():
            if isinstance(r, dict) and r.get("update"):
                rows.append(row(f"Plotly.update replay {sz}: {label}", r["update"], "ms", section=SECTION_REPLAY,
                                note=f"bare page, plotly.min.js, await Plotly.update; painted median "
                                     f"{statistics.median(r['painted']):.0f} ms; message {r['bytes']} B"))
        ours = results.get(f"chainviz {sz}", {}).get("dom", [])
        stock = results.get(f"{STOCK_TRANSPORT} {sz}", {}).get("dom", [])
        if stock and ours:
            rows.append(ratio_row(f"edit → DOM, {STOCK_TRANSPORT} / chainviz {sz}", stock, ours, section=SECTION,
                                  note="the same explorer, plotly.js in each figure's state vs loaded once per page: "
                                       "≈ 1 means the transport costs edits nothing"))
        for kind, need in (("matplotlib-interact", 5.0), ("separate-FigureWidgets", 3.0)):
            base = results.get(f"{kind} {sz}", {}).get("dom", [])
            rows.append(ratio_row(f"edit → DOM, {kind} / chainviz {sz}", base, ours, f"≥ {need:g}×", need,
                                  section=SECTION, note="how many times faster chainviz is"))
    cold = results.get("cold")
    if cold is not None:
        if cold.get("dom"):
            rows.append(row("explorer cell run → all panels rendered (fresh kernel)", cold["dom"], "s",
                            "≤ 3 s", 3.0, scale=1e-3, section=SECTION_START,
                            note="Shift+Enter → last heatmap in the DOM; kernel restarted before each run, "
                                 "page kept"))
        else:
            rows.append(failed_row("explorer cell run → all panels rendered (fresh kernel)", "s", "≤ 3 s",
                                   cold.get("error", "no measurement"), SECTION_START))
    extra["variants"] = {k: {kk: vv for kk, vv in v.items() if kk not in ("batches",)} for k, v in results.items()}
    return rows, extra
