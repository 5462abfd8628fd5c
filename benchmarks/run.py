"""Run every chainviz benchmark and write benchmarks/results.{md,json}.

    python benchmarks/run.py            # the full run (~25 min on 2 cores)
    python benchmarks/run.py --quick    # smoke run: few repetitions, writes results-quick.{md,json}
    python benchmarks/run.py --skip-browser
    python benchmarks/run.py --only ttl     # one section (startup python browser compute ttl)

See benchmarks/README.md for what each row means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # the working tree's chainviz, even when not installed

from common import dump_json, failed_row  # noqa: E402

SECTIONS = ("startup", "python", "browser", "compute", "ttl")


def _version(mod: str) -> str:
    try:
        from importlib.metadata import version

        return version(mod)
    except Exception:  # noqa: BLE001
        return "not installed"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    try:
        chromium = subprocess.run([os.environ.get("CHAINVIZ_CHROMIUM", "/usr/bin/chromium"), "--version"],
                                  capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        chromium = "not found"
    try:
        commit = subprocess.run(["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(HERE.parent), "status", "--porcelain", "--", "chainviz"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        commit += " (chainviz/ has uncommitted changes)" if dirty else ""
    except OSError:
        commit = "unknown"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(os.sysconf("SC_PAGE_SIZE") *
                                                                 os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": platform.platform(), "python": platform.python_version(),
        "numpy": _version("numpy"), "plotly": _version("plotly"), "ipywidgets": _version("ipywidgets"),
        "anywidget": _version("anywidget"), "jupyterlab": _version("jupyterlab"),
        "matplotlib": _version("matplotlib"), "autograd": _version("autograd"),
        "playwright": _version("playwright"), "chromium": chromium, "chainviz_commit": commit,
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "loadavg_start": list(os.getloadavg()),
    }


def fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def ok_mark(ok) -> str:
    return "—" if ok is None else ("✅ yes" if ok else "❌ NO")


def markdown(result: dict) -> str:
    m = result["machine"]
    out = ["# chainviz benchmarks", "",
           f"Written by `python benchmarks/run.py{' --quick' if result['quick'] else ''}` on {m['date']} "
           f"in {result['wall_seconds']:.0f} s. See `benchmarks/README.md` for what each row measures.", ""]
    if result["quick"]:
        out += ["**Quick smoke run: too few repetitions to judge a budget.**", ""]
    out += ["Machine: " + f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB; Python {m['python']}; "
            f"numpy {m['numpy']}, plotly {m['plotly']}, ipywidgets {m['ipywidgets']}, anywidget {m['anywidget']}, "
            f"jupyterlab {m['jupyterlab']}, matplotlib {m['matplotlib']}, autograd {m['autograd']}; {m['chromium']}; "
            f"chainviz {m['chainviz_commit']}. Load average (1, 5, 15 min) at start "
            f"{', '.join(f'{x:.1f}' for x in m['loadavg_start'])}, at end "
            f"{', '.join(f'{x:.1f}' for x in m['loadavg_end'])}.", ""]
    budgeted = [r for r in result["rows"] if r["ok"] is not None]
    failed = [r for r in budgeted if not r["ok"]]
    out += [f"**{len(budgeted) - len(failed)} of {len(budgeted)} budgets met.**"
            + (" Missed: " + "; ".join(f"{r['name']} ({fmt(r['median'])} {r['unit']}, budget {r['budget']})"
                                       for r in failed) if failed else ""), ""]
    section = None
    for r in result["rows"]:
        if r["section"] != section:
            section = r["section"]
            out += ["", f"## {section}", "", "| what | median | min | max | unit | budget | ok | runs | note |",
                    "|---|---:|---:|---:|---|---|---|---:|---|"]
        out.append(f"| {r['name']} | {fmt(r['median'])} | {fmt(r['min'])} | {fmt(r['max'])} | {r['unit']} | "
                   f"{r['budget']} | {ok_mark(r['ok'])} | {r.get('runs', '')} | {r.get('note', '')} |")
    out += ["", "## Where the time goes", ""]
    out += diagnostics_md(result.get("diagnostics", {}))
    return "\n".join(out) + "\n"


def diagnostics_md(d: dict) -> list[str]:
    out = []
    py = d.get("python", {})
    for size, prof in py.get("profiles", {}).items():
        out += [f"### Python per edit {size}: cProfile, cumulative ms per edit (profiler overhead included)", "",
                "| function | cumulative | self | calls |", "|---|---:|---:|---:|"]
        out += [f"| `{p['function']}` | {p['cumulative_ms_per_edit']:.2f} | {p['self_ms_per_edit']:.2f} | "
                f"{p['calls_per_edit']:.0f} |" for p in prof]
        out.append("")
    for size, b in py.get("bytes_breakdown", {}).items():
        out += [f"### Figure update message {size}: JSON bytes per part", "",
                f"restyled traces: {b.get('traces_restyled')}; style: {b.get('style')}; layout: {b.get('layout')}", ""]
    if py.get("construct_seconds"):
        out += ["Explorer construction (Python, first one includes importing plotly/ipywidgets): " +
                ", ".join(f"{k} {v:.2f} s" for k, v in py["construct_seconds"].items()), ""]
    br = d.get("browser", {}).get("variants", {})
    for key, v in br.items():
        if not isinstance(v, dict):
            continue
        if "profile" in v and isinstance(v["profile"], dict) and "self_ms_per_edit" in v["profile"]:
            p = v["profile"]
            out += [f"### {key}: Chrome CPU profile of {p['edits']} edits (ms per edit)", "",
                    f"main thread busy {p['busy_ms_per_edit']} ms per edit, of which plotly.js functions "
                    f"{p['plotly_self_ms_per_edit']} ms self time.", "",
                    "| plotly.js module (inclusive) | ms/edit |", "|---|---:|"]
            out += [f"| {k} | {val} |" for k, val in list(p["inclusive_ms_per_edit"].items())[:15]]
            out += ["", "| self time by category | ms/edit |", "|---|---:|"]
            out += [f"| {k} | {val} |" for k, val in list(p["self_ms_per_edit"].items())[:15]]
            if p.get("native_by_caller_ms_per_edit"):
                out += ["", "| native call or GC ← nearest JS caller | ms/edit |", "|---|---:|"]
                out += [f"| {k} | {val} |" for k, val in list(p["native_by_caller_ms_per_edit"].items())[:12]]
            out.append("")
        if "trace" in v and isinstance(v["trace"], dict) and "ms_per_edit" in v["trace"]:
            t = v["trace"]
            out += [f"### {key}: Chrome trace, renderer main thread (ms per edit)", "",
                    "| event | ms/edit | events/edit |", "|---|---:|---:|"]
            out += [f"| {k} | {val} | {t['events_per_edit'].get(k, '')} |" for k, val in t["ms_per_edit"].items()]
            out += ["", f"forced (synchronous, inside script) layout/style: {t['forced_ms_per_edit']} ms per edit, "
                    f"{t['forced_events_per_edit']} events per edit. {t['note']}.", ""]
        for key2 in ("profile", "trace", "echo"):
            if isinstance(v.get(key2), dict) and "error" in v[key2]:
                out += [f"{key} {key2}: FAILED {v[key2]['error']}", ""]
        if v.get("error"):
            out += [f"{key}: FAILED {v['error']}", ""]
    for sec, err in d.get("errors", {}).items():
        out += [f"### {sec} failed", "", "```", err[-3000:], "```", ""]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="few repetitions; writes results-quick.{md,json}")
    ap.add_argument("--skip-browser", action="store_true", help="no JupyterLab/Chromium measurements")
    ap.add_argument("--out", type=Path, default=None, help="output stem (default benchmarks/results)")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, default=None,
                    help="run only these sections (the table then has only their rows)")
    args = ap.parse_args(argv)
    out = args.out or HERE / ("results-quick" if args.quick else "results")
    q = args.quick
    t_start = time.perf_counter()
    log = lambda s: print(s, flush=True)  # noqa: E731
    result = {"machine": machine(), "quick": q, "rows": [], "diagnostics": {"errors": {}}}

    def section(name, fn):
        log(f"== {name}")
        t0 = time.perf_counter()
        try:
            fn()
        except Exception:  # noqa: BLE001 - one broken section must not lose the others
            err = traceback.format_exc()
            log(err)
            result["diagnostics"]["errors"][name] = err
            result["rows"].append(failed_row(f"{name} (section failed)", "—", "—",
                                             err.strip().splitlines()[-1], name))
        log(f"   ({time.perf_counter() - t0:.0f} s)")

    rows_by = {}

    def python_edits():
        import bench_python

        rows, extra = bench_python.run(runs=5 if q else 22, warmup=1 if q else 2, log=log)
        rows_by["1"] = rows
        result["diagnostics"]["python"] = extra

    def browser():
        import bench_browser

        rows, extra = bench_browser.run(runs=5 if q else 20, warmup=1 if q else 2, cold_runs=3 if q else 20,
                                        log=log, keep_dir=HERE / "screenshots")
        rows_by["2"] = [r for r in rows if r["section"] == bench_browser.SECTION]
        rows_by["2b"] = [r for r in rows if r["section"] == bench_browser.SECTION_REPLAY]
        rows_by["3b"] = [r for r in rows if r["section"] == bench_browser.SECTION_START]
        result["diagnostics"]["browser"] = extra

    def startup():
        import bench_startup

        rows_by["3a"] = bench_startup.run(runs=5 if q else 25, log=log)

    def compute():
        import bench_compute

        rows_by["4"] = bench_compute.run_isolated(runs=5 if q else 20, log=log, quick=q)

    def time_to_live():
        import bench_ttl

        rows_by["5"], result["diagnostics"]["time_to_live"] = bench_ttl.run(
            runs=1 if q else 5, shaped_runs=1 if q else 3, kernel_runs=3 if q else 10, log=log)

    only = set(args.only or SECTIONS)
    if args.skip_browser:
        only -= {"browser", "ttl"}
    plan = [("startup", "3. Start-up (import)", startup), ("python", "1. Python work per edit", python_edits),
            ("browser", "2. In the browser (and 3. cold start)", browser), ("compute", "4. Compute", compute),
            ("ttl", "5. Time to live (whole notebooks)", time_to_live)]
    for key, name, fn in plan:
        if key in only:
            section(name, fn)
    for key in ("1", "2", "2b", "3a", "3b", "4", "5"):
        result["rows"] += rows_by.get(key, [])
    result["machine"]["loadavg_end"] = list(os.getloadavg())
    result["wall_seconds"] = time.perf_counter() - t_start
    json_rows = result["rows"]
    dump_json({"machine": result["machine"], "quick": q, "wall_seconds": result["wall_seconds"],
               "rows": json_rows, "diagnostics": result["diagnostics"]}, out.with_suffix(".json"))
    out.with_suffix(".md").write_text(markdown(result))
    log(f"wrote {out.with_suffix('.md')} and {out.with_suffix('.json')} in {result['wall_seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
