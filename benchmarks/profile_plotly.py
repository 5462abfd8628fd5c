"""What plotly.js does per edit.

1. :func:`summarize_profile` turns a Chrome CPU profile (CDP ``Profiler``) of
   edits in JupyterLab into time per plotly.js source module. plotly's
   ``widgetbundle.js`` is minified, but it is an esbuild bundle whose module
   wrappers keep their source paths (``({"src/traces/heatmap/plot.js"(e,r){…``),
   so a function's position in the bundle names the module it belongs to.
   chainviz's figures import it from ``…/chainviz-plotly/static/plotly-widget-*.js``;
   plotly's own FigureWidget from a ``blob:`` URL.
2. :func:`replay_experiments` replays one real chainviz update message with the
   standalone ``plotly.min.js`` of the same plotly.js version in a bare page and
   times ``Plotly.update`` variants: as sent, traces only, annotations only, an
   empty update, the words and numbers left to the page (as chainviz's figure front
   end does in a notebook), and the same panels drawn the way chainviz drew
   them before (one trace and subplot per panel). These are the counterfactuals
   behind the design and the suggestions in the report.
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
    if url.startswith("blob:") or "/chainviz-plotly/static/plotly-widget-" in url:
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


def per_panel(snap) -> dict:
    """Counterfactual: the explorer's panels as one heatmap trace each, on axes of their own,
    at the same places (how chainviz drew them before it packed them into one trace).

    Annotations, shapes and images are the explorer's own; they keep referring to the
    grid's axes ``x``/``y``, the panels get ``x2``/``y2`` onwards.
    """
    from chainviz.views import chain as view
    from chainviz.views import style

    spec = view.figure_spec(snap, view.Options())
    lay = dict(spec["layout"])
    (x0, x1), (yb, yt) = lay["xaxis"]["range"], lay["yaxis"]["range"]  # y reversed: yb is the bottom
    P = view.panels(snap)
    data = []
    for tr in spec["traces"]:
        if tr.get("type") != "heatmap" or tr.get("visible") is False:
            continue
        for name, (r, c, rows, cols) in tr["meta"]["panels"].items():
            ax = str(len(data) + 2)
            h = style.heatmap(P[tuple(name.split(":"))]["z"], labelled=bool(tr.get("texttemplate")), c=tr["zmax"],
                              hovertemplate=P[tuple(name.split(":"))]["hover"] + " = %{z:.4g}", name=name,
                              xaxis="x" + ax, yaxis="y" + ax, number_format=tr.get("texttemplate") or "%{z:.2f}")
            data.append(h)
            lay["xaxis" + ax] = dict(domain=[(c - 0.5 - x0) / (x1 - x0), (c + cols - 0.5 - x0) / (x1 - x0)],
                                     range=[-0.5, cols - 0.5], visible=False, fixedrange=True)
            lay["yaxis" + ax] = dict(domain=[(yb - (r + rows - 0.5)) / (yb - yt), (yb - (r - 0.5)) / (yb - yt)],
                                     range=[rows - 0.5, -0.5], visible=False, fixedrange=True)
    lay["plot_bgcolor"] = "#e4e4e4"
    return {"data": data, "layout": lay}


#: the replay variant in which plotly.js leaves the text traces to chainviz's figure front end, as in
#: a notebook (chainviz/_static/figure_loader.js); its own ~0.2 ms of drawing them is not in it
PAGE_TEXT = "as sent, words and numbers left to the page (as in a notebook)"


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
    variants = {
        "as sent": full,
        "traces only (no layout change)": [dict(m, layout={}) for m in full],
        "layout (annotation text) only": [dict(m, style={}, traces=[]) for m in full],
        "empty update (floor)": [dict(style={}, layout={}, traces=[]) for _ in full],
    }
    sep = [_jsonable(per_panel(sn)) for sn in snaps]
    sep_msgs = [dict(style={"z": [t["z"] for t in sep[k + 1]["data"]]}, layout=full[k]["layout"],
                     traces=list(range(len(sep[k + 1]["data"])))) for k in range(2)]
    js_path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    all_variants = list(variants.items()) + [(PAGE_TEXT, full),
                                             ("one trace and subplot per panel (the earlier design)", sep_msgs)]
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
            if "per panel" in label:
                data0, layout0 = sep[0]["data"], sep[0]["layout"]
            if label == PAGE_TEXT:  # as chainviz's figure front end hands the figure to plotly.js
                for tr in data0:
                    if (tr.get("meta") or {}).get("drawn_by") == "page":
                        tr["visible"] = False
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
