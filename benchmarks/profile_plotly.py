"""What plotly.js does per edit.

1. :func:`summarize_profile` turns a Chrome CPU profile (CDP ``Profiler``) of
   edits in JupyterLab into time per plotly.js source module. plotly's
   ``widgetbundle.js`` is minified, but it is an esbuild bundle whose module
   wrappers keep their source paths (``({"src/traces/heatmap/plot.js"(e,r){…``),
   so a function's position in the bundle names the module it belongs to.
   anywidget imports the bundle from a ``blob:`` URL.
2. :func:`replay_experiments` replays one real chainviz update message with the
   standalone ``plotly.min.js`` of the same plotly.js version in a bare page and
   times ``Plotly.update`` variants: as sent, traces only, annotations only,
   only the changed annotations' text, no cell labels. These are the
   counterfactuals behind the suggestions in the report.
"""

from __future__ import annotations

import bisect
import json
import re
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=1)
def _bundle_index():
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
    src = path.read_text()
    line_starts = [0] + [m.end() for m in re.finditer("\n", src)]
    mods = [(m.start(), m.group(1)) for m in re.finditer(r'\(\{"((?:src|node_modules|build|lib)/[^"]+)"\(', src)]
    glue_start = src.rfind("export{")  # FigureModel/FigureView live after the last module wrapper
    last = mods[-1][0] if mods else 0
    return line_starts, [p for p, _ in mods], [n for _, n in mods], last, glue_start


def module_of(line: int, col: int) -> str:
    line_starts, starts, names, last, _ = _bundle_index()
    if line >= len(line_starts):
        return "plotly widgetbundle (unknown)"
    off = line_starts[line] + col
    k = bisect.bisect_right(starts, off) - 1
    if k < 0:
        return "plotly widgetbundle (prelude)"
    if k == len(starts) - 1 and off - starts[k] > 200_000:
        return "plotly FigureWidget glue (FigureModel/FigureView)"
    return names[k]


def _category(frame: dict) -> str:
    url, fn = frame.get("url", ""), frame.get("functionName", "")
    if fn in ("(garbage collector)", "(program)", "(idle)", "(root)"):
        return fn
    if url.startswith("blob:"):
        return "plotly.js: " + module_of(frame["lineNumber"], frame["columnNumber"])
    if not url:
        return "(native/V8: " + (fn or "anonymous") + ")"
    tail = url.rsplit("/", 1)[-1].split("?")[0]
    return "page: " + tail


def summarize_profile(prof: dict, edits: int, wall: float, top: int = 25) -> dict:
    """Self and inclusive time per category (ms per edit) from a CDP ``Profiler.Profile``."""
    nodes = {n["id"]: n for n in prof["nodes"]}
    parent = {}
    for n in prof["nodes"]:
        for c in n.get("children", []):
            parent[c] = n["id"]
    cat = {i: _category(n["callFrame"]) for i, n in nodes.items()}
    selfms: dict[str, float] = {}
    incl: dict[str, float] = {}
    fn_self: dict[str, float] = {}
    native_by_caller: dict[str, float] = {}
    samples, deltas = prof.get("samples", []), prof.get("timeDeltas", [])
    # timeDeltas[i] is the time before sample i; attribute it to the sample that follows
    for k, sid in enumerate(samples):
        dt = (deltas[k + 1] if k + 1 < len(deltas) else 0) / 1000.0  # µs -> ms
        c = cat[sid]
        selfms[c] = selfms.get(c, 0.0) + dt
        f = nodes[sid]["callFrame"]
        key = f"{f.get('functionName') or '(anonymous)'} [{c}]"
        fn_self[key] = fn_self.get(key, 0.0) + dt
        if c.startswith("(native/V8") or c == "(garbage collector)":
            # the nearest JavaScript frame above a native call: who asked for it
            j = parent.get(sid)
            while j is not None and not (cat[j].startswith("plotly.js") or cat[j].startswith("page:")):
                j = parent.get(j)
            caller = cat[j] if j is not None else "?"
            if j is not None and cat[j].startswith("plotly.js"):
                # name the plotly module that is not a utility (d3, lib) for a readable answer
                k = j
                while k is not None and (cat[k].endswith("d3.js") or "/lib/" in cat[k] or cat[k].endswith("lib/index.js")):
                    k = parent.get(k)
                if k is not None and cat[k].startswith("plotly.js"):
                    caller = f"{cat[j]} via {cat[k]}" if k != j else cat[j]
            nk = f"{c} <- {caller}"
            native_by_caller[nk] = native_by_caller.get(nk, 0.0) + dt
        seen, i = set(), sid
        while i is not None:
            seen.add(cat[i])
            i = parent.get(i)
        for s in seen:
            incl[s] = incl.get(s, 0.0) + dt
    busy = sum(v for k, v in selfms.items() if k not in ("(idle)", "(root)"))
    per = lambda d: {k: round(v / edits, 2) for k, v in sorted(d.items(), key=lambda kv: -kv[1])[:top]}
    plotly_self = sum(v for k, v in selfms.items() if k.startswith("plotly.js"))
    return {
        "edits": edits, "wall_ms_per_edit": round(1e3 * wall / edits, 1),
        "busy_ms_per_edit": round(busy / edits, 2),
        "plotly_self_ms_per_edit": round(plotly_self / edits, 2),
        "self_ms_per_edit": per(selfms),
        "inclusive_ms_per_edit": per({k: v for k, v in incl.items() if k.startswith("plotly.js")}),
        "top_functions_self_ms_per_edit": per(fn_self),
        "native_by_caller_ms_per_edit": per(native_by_caller),
    }


RENDER_EVENTS = ("UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize", "Commit", "RasterTask",
                 "HitTest", "ParseHTML", "MajorGC", "MinorGC", "V8.GC_SCAVENGER", "FunctionCall",
                 "EvaluateScript", "v8.compile", "TimerFire", "FireAnimationFrame", "EventDispatch",
                 "RunMicrotasks", "ScheduleStyleRecalculation", "InvalidateLayout")


def summarize_trace(trace_bytes: bytes, edits: int) -> dict:
    """Renderer main-thread time per trace event name (ms per edit), from a Chrome trace.

    ``Layout``/``UpdateLayoutTree`` inside a script call are *forced* (synchronous,
    e.g. ``getBoundingClientRect`` while plotly measures text); the others run in
    the frame after the DOM changed.
    """
    data = json.loads(trace_bytes)
    events = data["traceEvents"] if isinstance(data, dict) else data
    names = {}
    for e in events:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[(e["pid"], e["tid"])] = e["args"]["name"]
    main = [k for k, v in names.items() if v == "CrRendererMain"]
    out: dict = {}
    if not main:
        return {"error": "no renderer main thread in trace"}
    # the renderer with the most events is the JupyterLab page
    counts = {k: 0 for k in main}
    for e in events:
        k = (e.get("pid"), e.get("tid"))
        if k in counts:
            counts[k] += 1
    key = max(counts, key=counts.get)
    xs = sorted((e for e in events if (e.get("pid"), e.get("tid")) == key and e.get("ph") == "X" and "dur" in e),
                key=lambda e: (e["ts"], -e["dur"]))
    script_spans = [(e["ts"], e["ts"] + e["dur"]) for e in xs if e["name"] in ("FunctionCall", "EvaluateScript",
                                                                               "v8.callFunction", "TimerFire",
                                                                               "FireAnimationFrame",
                                                                               "EventDispatch", "RunMicrotasks")]
    totals: dict[str, float] = {}
    counts_n: dict[str, int] = {}
    forced = {"Layout": 0.0, "UpdateLayoutTree": 0.0}
    forced_n = {"Layout": 0, "UpdateLayoutTree": 0}
    starts = [s for s, _ in script_spans]
    for e in xs:
        n = e["name"]
        if n not in RENDER_EVENTS:
            continue
        totals[n] = totals.get(n, 0.0) + e["dur"] / 1000.0
        counts_n[n] = counts_n.get(n, 0) + 1
        if n in forced:
            k = bisect.bisect_right(starts, e["ts"]) - 1
            # inside some script span that started before it and ends after it
            while k >= 0:
                s, t = script_spans[k]
                if t >= e["ts"] + e["dur"]:
                    forced[n] += e["dur"] / 1000.0
                    forced_n[n] += 1
                    break
                k -= 1
                if e["ts"] - s > 5e6:
                    break
    out["ms_per_edit"] = {k: round(v / edits, 2) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}
    out["events_per_edit"] = {k: round(v / edits, 1) for k, v in counts_n.items()}
    out["forced_ms_per_edit"] = {k: round(v / edits, 2) for k, v in forced.items()}
    out["forced_events_per_edit"] = {k: round(v / edits, 1) for k, v in forced_n.items()}
    out["note"] = ("FunctionCall/EvaluateScript include the script's nested forced layouts; "
                   "Layout and UpdateLayoutTree totals include the forced ones")
    return out


REPLAY_JS = r"""
async ([id, m]) => {
  const undef = (v) => {
    if (v === '_undefined_') return undefined;
    if (Array.isArray(v)) return v.map(undef);
    if (v && typeof v === 'object') { const o = {}; for (const k in v) o[k] = undef(v[k]); return o; }
    return v;
  };
  const gd = document.getElementById(id);
  const style = undef(m.style), layout = undef(m.layout);
  const t0 = performance.now();
  await Plotly.update(gd, style, layout, m.traces);
  const t1 = performance.now();
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  return [t1 - t0, performance.now() - t0];
}
"""


def _capture(app, values) -> list[dict]:
    """The figure update messages of ``set_weight(1, 0, 0, v)`` for each ``v``."""
    caught = []
    orig = app.figure._send_update_msg

    def spy(restyle_data, relayout_data, trace_indexes=None, source_view_id=None):
        caught.append((restyle_data, relayout_data, trace_indexes))
        return orig(restyle_data, relayout_data, trace_indexes, source_view_id)

    app.figure._send_update_msg = spy
    try:
        for v in values:
            app.set_weight(1, 0, 0, v)
    finally:
        del app.figure._send_update_msg
    return caught


def _jsonable(obj):
    """What the FigureWidget's serializer sends (numpy -> lists, Undefined -> '_undefined_'), as JSON."""
    from plotly.serializers import _py_to_js

    def default(o):
        if isinstance(o, memoryview):
            return o.tolist()
        if hasattr(o, "tolist"):
            return o.tolist()
        raise TypeError(type(o).__name__)

    return json.loads(json.dumps(_py_to_js(obj, None), default=default))


def mosaic(snap, template: dict) -> dict:
    """All default panels as ONE heatmap trace on one pair of axes (NaN between panels).

    A counterfactual layout with the same cells, labels and colours as the
    explorer's figure but a single subplot; its title annotations are those of
    ``template`` (the explorer's layout) so the text work is the same.
    """
    import numpy as np
    from baselines import shown_panels
    from chainviz.views import chain as view
    from chainviz.views import style

    P = shown_panels(snap)
    bands = [b for b in view.BANDS if any(sl[0] == b for sl in P)]
    cols = [c for c in view.COLUMNS if any(sl[1] == c for sl in P)]
    width = {c: max(np.atleast_2d(P[sl]["z"]).shape[1] for sl in P if sl[1] == c) for c in cols}
    height = {b: max(np.atleast_2d(P[sl]["z"]).shape[0] for sl in P if sl[0] == b) for b in bands}
    R = sum(height.values()) + len(bands) - 1
    C = sum(width.values()) + len(cols) - 1
    Z = np.full((R, C), np.nan)
    r0 = 0
    for b in bands:
        c0 = 0
        for c in cols:
            if (b, c) in P:
                z = np.atleast_2d(P[(b, c)]["z"])
                Z[r0:r0 + z.shape[0], c0:c0 + z.shape[1]] = z
            c0 += width[c] + 1
        r0 += height[b] + 1
    lim = style.symmetric_limit(Z)
    tr = style.heatmap(Z, labelled=max(max(height.values()), max(width.values())) <= style.MAX_LABELLED, c=lim,
                       hovertemplate="%{z}", name="mosaic", xaxis="x", yaxis="y")
    tr["visible"] = True
    lay = {k: v for k, v in template.items() if not (k.startswith("xaxis") or k.startswith("yaxis"))}
    lay["xaxis"] = dict(domain=[0, 1], range=[-0.5, C - 0.5], visible=False, fixedrange=True)
    lay["yaxis"] = dict(domain=[0, 0.9], range=[R - 0.5, -0.5], visible=False, fixedrange=True)
    return {"data": [tr], "layout": lay}


def replay_experiments(browser, sizes, runs: int = 20, warmup: int = 3) -> dict:
    """Time ``Plotly.update`` variants of one real chainviz edit in a bare page (see module doc)."""
    import plotly
    from chainviz.widgets.chain_rule import ChainRuleExplorer

    app = ChainRuleExplorer(sizes=sizes)
    v0 = float(app.net.weights[0][0, 0])
    v1 = 0.5 if v0 != 0.5 else -0.3
    fig0 = app.figure.to_plotly_json()
    snaps = [app.snapshot]
    msgs = []
    for v in (v1, v0):
        (style, layout, traces), = _capture(app, [v])
        msgs.append(dict(style=style, layout=layout or {}, traces=traces))
        snaps.append(app.snapshot)
    app.figure.close()
    full = [_jsonable(m) for m in msgs]
    from chainviz.views import chain as view

    w1 = view.SLOT_INDEX[("top", "W1")]

    def one_trace(m):
        k = m["traces"].index(w1) if w1 in m["traces"] else None
        if k is None or "z" not in m["style"]:
            return dict(m, style={}, layout={}, traces=[])
        return dict(style={"z": [m["style"]["z"][k]]}, layout={}, traces=[w1])

    variants = {
        "as sent": full,
        "traces only (no layout change)": [dict(m, layout={}) for m in full],
        "layout (annotation text) only": [dict(m, style={}, traces=[]) for m in full],
        "one trace's z only (W1 panel)": [one_trace(m) for m in full],
        "empty update (floor)": [dict(style={}, layout={}, traces=[]) for _ in full],
    }
    no_labels = [dict(m, style=dict(m["style"], texttemplate=["" for _ in m["traces"]])) for m in full]
    mos = [_jsonable(mosaic(sn, fig0["layout"])) for sn in snaps]
    mosaic_msgs = [dict(style={"z": [mos[k + 1]["data"][0]["z"]]}, layout=full[k]["layout"], traces=[0])
                   for k in range(2)]
    js_path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    all_variants = list(variants.items()) + [("as sent, no cell labels (texttemplate '')", no_labels),
                                             ("one-subplot mosaic: same cells in one trace", mosaic_msgs)]
    results = {label: {"update": [], "painted": [], "bytes": len(json.dumps(ms[0], ensure_ascii=False).encode())}
               for label, ms in all_variants}
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
    try:
        page = ctx.new_page()
        page.set_content("<html><body style='margin:0'>" +
                         "".join(f"<div id='gd{k}'></div>" for k in range(len(all_variants))) + "</body></html>")
        page.add_script_tag(path=str(js_path))
        for k, (label, ms) in enumerate(all_variants):
            data0, layout0 = _jsonable(fig0["data"]), _jsonable(fig0["layout"])
            if "mosaic" in label:
                data0, layout0 = mos[0]["data"], mos[0]["layout"]
            if "no cell labels" in label:
                for tr in data0:
                    tr["texttemplate"] = ""
            page.evaluate("([id, d, l]) => Plotly.newPlot(document.getElementById(id), d, l)", [f"gd{k}", data0, layout0])
        # round robin, so that a change of machine load hits every variant alike
        for n in range(warmup + runs):
            for k, (label, ms) in enumerate(all_variants):
                upd, painted = page.evaluate(REPLAY_JS, [f"gd{k}", ms[n % len(ms)]])
                if n >= warmup:
                    results[label]["update"].append(upd)
                    results[label]["painted"].append(painted)
    finally:
        ctx.close()
    return results
