// chainviz: the front end of every chainviz figure (see chainviz/widgets/figure.py).
//
// plotly's FigureWidget sends its whole front end (plotly.js included, ~5 MB) as the
// anywidget module of every figure. This module stands in for it: it imports plotly's
// widget bundle once per page and hands every figure to the factory that bundle
// exports by default ({initialize, render}, one per model).
//
// Where the bundle comes from, in order:
//   1. the widget state, when the kernel sent it inline (_cv_bundle);
//   2. the Jupyter server: <fullLabextensionsUrl>/<PATH>?v=<KEY>, a content-hashed file
//      the browser caches (the page's #jupyter-config-data gives the URL);
//   3. the kernel, over this figure's comm, when there is no page config or the file
//      cannot be fetched.
//
// anywidget rejects a model whose initialize() has not finished after 2 s and then
// drops every message the kernel sends it (the figure stays blank). So initialize()
// never waits for the bundle: until it is there, the changes plotly's FigureModel
// listens to are recorded, and replayed to it, in order, once it exists.

const KEY = __CHAINVIZ_KEY__;
const PATH = __CHAINVIZ_PATH__;
const PLOTLY_EVENTS = __CHAINVIZ_EVENTS__;
const MESSAGE = "chainviz:plotly-bundle";

const page = (globalThis.__chainvizPlotly ??= { modules: new Map(), loading: new Map(), source: new Map() });

function bundleUrl() {
  const el = document.getElementById("jupyter-config-data");
  if (!el || !PATH) return null;
  let base;
  try {
    base = JSON.parse(el.textContent).fullLabextensionsUrl;
  } catch {
    return null;
  }
  if (!base) return null;
  // absolute: a module compiled from a blob: URL cannot resolve a relative one
  return new URL(`${base.replace(/\/+$/, "")}/${PATH}?v=${KEY}`, document.baseURI).href;
}

async function importText(text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  try {
    return await import(/* webpackIgnore: true */ url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

function fromKernel(model) {
  return new Promise((resolve, reject) => {
    const onMessage = (msg, buffers) => {
      if (!msg || msg.type !== MESSAGE) return;
      model.off("msg:custom", onMessage);
      if (msg.error || !buffers || !buffers.length) {
        reject(new Error(msg.error || "the kernel sent no bundle"));
        return;
      }
      importText(buffers[0]).then(resolve, reject);
    };
    model.on("msg:custom", onMessage);
    model.send({ type: MESSAGE, key: KEY });
  });
}

async function fetchBundle(model) {
  const inline = model.get("_cv_bundle");
  if (inline) {
    page.source.set(KEY, "inline");
    return importText(inline);
  }
  const url = bundleUrl();
  if (url) {
    try {
      const mod = await import(/* webpackIgnore: true */ url);
      page.source.set(KEY, "server");
      return mod;
    } catch (err) {
      console.warn(`[chainviz] could not load ${url} (${err}); asking the kernel for plotly.js`);
    }
  }
  const mod = await fromKernel(model);
  page.source.set(KEY, "kernel");
  return mod;
}

// One import per page and bundle; a failed one is forgotten so the next figure retries.
function load(model) {
  let pending = page.loading.get(KEY);
  if (!pending) {
    pending = fetchBundle(model);
    page.loading.set(KEY, pending);
    pending.then(
      (mod) => page.modules.set(KEY, mod),
      () => page.loading.delete(KEY),
    );
  }
  return pending;
}

// A model for plotly's FigureModel whose get() can answer a recorded value while
// the recorded changes are replayed to the handlers it registered.
function replayable(model) {
  const handlers = new Map();
  let replaying = null;
  const proxy = Object.assign({}, model, {
    get: (name) => (replaying && replaying.name === name ? replaying.value : model.get(name)),
    on: (event, callback) => {
      if (!handlers.has(event)) handlers.set(event, []);
      handlers.get(event).push(callback);
      model.on(event, callback);
    },
  });
  const replay = (name, value) => {
    replaying = { name, value };
    try {
      for (const callback of handlers.get(`change:${name}`) ?? []) callback();
    } finally {
      replaying = null;
    }
  };
  return { proxy, replay };
}

// The model plotly's FigureModel and views talk through (they use the model given to
// initialize(), not the one given to render()). An update that changes a property of some traces
// only marks the others "_undefined_". plotly's FigureModel applies the update to its copy of the
// figure (_widget_data) from the raw message, so it stores that marker (it skips only a real
// undefined); a view drawn after such an update (a figure updated before it was first drawn, or
// drawn again when a notebook re-attaches its output) then finds those properties missing: a
// trace's x, and its points are gone. Updates are handed over with the markers read as undefined.
// The figure, its layout and its updates also reach plotly.js with the traces and annotations this
// module draws itself made invisible (see drawPageTexts).
const UNDEFINED = "_undefined_";

function unmarked(value) {
  if (value === UNDEFINED) return undefined;
  if (Array.isArray(value)) return value.map(unmarked);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = unmarked(v);
    return out;
  }
  return value; // numbers, strings, typed arrays and buffers as they are
}

// A trace whose texts this module draws instead of plotly.js (see drawPageTexts)
const drawnByPage = (trace) => Boolean(trace && trace.meta && trace.meta.drawn_by === "page");

function forPlotly(model) {
  // plotly reads each update twice (its FigureModel, then its view): read each value once
  const read = new WeakMap();
  const get = (name) => {
    const raw = model.get(name);
    if (raw === null || typeof raw !== "object") return raw;
    if (!read.has(raw)) {
      let value = raw;
      if (name.startsWith("_py2js_")) value = withNotesHandedOver(unmarked(raw), ["layout_data", "relayout_data"]);
      else if (name === "_widget_data" && Array.isArray(raw) && raw.some(drawsItself)) value = raw.map(handedOver);
      else if (name === "_widget_layout") value = withNotesHandedOver(raw, null);
      read.set(raw, value);
    }
    return read.get(raw);
  };
  return Object.assign({}, model, { get });
}

// After every update plotly's view computed the whole figure as plotly.js filled it in, to send it
// to the kernel (its "deltas": ~20 KB per edit of the explorer, which the kernel echoed back as
// ~34 KB more). chainviz never reads those defaults, and plotly.py 7 could not apply half of them
// anyway (it listens for `_js2py_layoutDelta`; the view sets `_js2py_widget_layoutDelta`). Not
// sending them was not enough: computing them (a deep merge and a deep diff of every trace) still
// took ~2 ms inside each redraw. chainviz's copy of plotly's view (this page's module) skips them;
// clicks and hovers still go to the kernel.
function withoutDeltas(mod) {
  const View = mod.FigureView;
  if (View && !Object.prototype.hasOwnProperty.call(View.prototype, "__chainviz")) {
    View.prototype._sendTraceDeltas = () => {};
    View.prototype._sendLayoutDelta = () => {};
    View.prototype.__chainviz = true;
  }
  return mod;
}

// -- the words and numbers on the figure, drawn here, not by plotly.js ---------------------------
// plotly.js draws every trace again on every change of a heatmap's z, and every edit changes it.
// Its text traces (the ~80 numbers on the cells, the titles and headings) were most of that
// redraw: 18 of its 22 ms, timed in JupyterLab by wrapping plotly's own trace modules. A trace
// marked `meta.drawn_by: "page"` reaches plotly.js invisible, and its texts are SVG <text>s drawn
// here after each redraw (placed as plotly places text points), whose attributes and text are
// written only when they changed: an edit rewrites the dozen or so texts it moved (~0.2 ms). They
// sit above the cells and below plotly's drag layer, so hovers and clicks still reach the cells.
// Elsewhere (a static export, plotly's own FigureWidget) plotly.js draws the same traces.
const SVG = "http://www.w3.org/2000/svg";
const LINE_SPACING = 1.3; // em between lines, as plotly.js
// the markup drawn here: bold, italic and line breaks of plotly's subset. A trace whose texts hold
// any other tag or entity when the figure is first drawn is left to plotly.js; a tag arriving
// later is dropped, not printed.
const MARKUP = /<(\/?[bi]|br\s*\/?|[^>]*)>/gi;
const FOREIGN = /<(?!\/?[bi]>|br\s*\/?>)|&(?!(amp|lt|gt|quot|#39|nbsp);)/i;
const ENTITIES = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'", "&nbsp;": "\u00a0" };

const axisOf = (layout, id) => layout[id.charAt(0) + "axis" + id.slice(1)];
const at = (value, i, otherwise) => (Array.isArray(value) ? value[i] : value) ?? otherwise;
const decode = (s) => s.replace(/&(amp|lt|gt|quot|#39|nbsp);/g, (e) => ENTITIES[e]);

// Decided once, when plotly.js is first given the figure: a trace asking to be drawn here whose
// texts use only the markup drawn here. plotly.js is told it is invisible, and it is marked.
function drawsItself(trace) {
  if (!drawnByPage(trace) || (trace.type || "scatter") !== "scatter" || trace.mode !== "text") return false;
  const texts = Array.isArray(trace.text) ? trace.text : [trace.text];
  return texts.every((s) => s === undefined || s === null || !FOREIGN.test(String(s)));
}

// An annotation named PAGE_NOTE is drawn here too (chainviz's colour-scale ticks): plotly.js draws
// every annotation twice on each full redraw, measuring its box with a forced layout each time.
const PAGE_NOTE = "drawn by page";
const pageNote = (note) => Boolean(note && note.name === PAGE_NOTE);
const noteHandedOver = (note) => (pageNote(note) ? Object.assign({}, note, { visible: false }) : note);

// `value` (a layout, or under `keys` a message's layout part) with its page annotations invisible
function withNotesHandedOver(value, keys) {
  const hand = (layout) =>
    layout && Array.isArray(layout.annotations) && layout.annotations.some(pageNote)
      ? Object.assign({}, layout, { annotations: layout.annotations.map(noteHandedOver) })
      : layout;
  if (!value || typeof value !== "object") return value;
  if (keys === null) return hand(value);
  const out = Object.assign({}, value);
  for (const key of keys) if (out[key]) out[key] = hand(out[key]);
  return out;
}

const HERE = "drawn_here";
const drawnHere = (trace) => Boolean(trace && trace.meta && trace.meta[HERE]);
const handedOver = (trace) =>
  drawsItself(trace) ? Object.assign({}, trace, { visible: false, meta: Object.assign({}, trace.meta, { [HERE]: true }) }) : trace;

// A text as lines of runs: [[{text, bold, italic}, ...], ...]
function lines(text) {
  const out = [[]];
  let bold = false, italic = false, last = 0;
  const push = (s) => { if (s) out[out.length - 1].push({ text: decode(s), bold, italic }); };
  for (const m of text.matchAll(MARKUP)) {
    push(text.slice(last, m.index));
    last = m.index + m[0].length;
    const tag = m[1].toLowerCase().replace(/\s/g, "");
    if (tag.startsWith("br")) out.push([]);
    else if (tag === "b") bold = true;
    else if (tag === "/b") bold = false;
    else if (tag === "i") italic = true;
    else if (tag === "/i") italic = false;
  }
  push(text.slice(last));
  return out;
}

function setAttr(el, name, value) {
  const s = String(value);
  if (el.getAttribute(name) !== s) el.setAttribute(name, s);
}

function setStyle(el, name, value) {
  if (el.style.getPropertyValue(name) !== value) el.style.setProperty(name, value);
}

const px = (v) => Math.round(v * 100) / 100;

// One text point: a <text> at the point (x, y) in `font` ({family, size, color}) holding a <tspan>
// per line, placed as plotly's Drawing.textPointPosition places a text point with no marker: each
// line at the point, shifted down to its baseline (plotly's group transform).
function drawText(el, x, y, text, position, font) {
  const v = position.includes("top") ? -1 : position.includes("bottom") ? 1 : 0;
  const anchor = position.includes("left") ? "end" : position.includes("right") ? "start" : "middle";
  const size = font.size;
  setStyle(el, "font-family", font.family);
  setStyle(el, "font-size", `${size}px`);
  setStyle(el, "fill", font.color);
  setStyle(el, "display", Number.isFinite(x) && Number.isFinite(y) ? "" : "none");
  setAttr(el, "x", px(x));
  setAttr(el, "y", px(y));
  setAttr(el, "text-anchor", anchor);
  const key = `${text}\n${size}\n${v}`;
  if (el.__cvDrawn !== key) { // else the lines are as drawn; the point may have moved
    el.__cvDrawn = key;
    const parts = lines(text);
    const span = (1 + (parts.length - 1) * LINE_SPACING) * size;
    el.__cvShift = 0.75 * size + (v - 1) * span / 2; // the first baseline below the point (px)
    el.replaceChildren(...parts.map((runs, k) => {
      const line = document.createElementNS(SVG, "tspan");
      line.setAttribute("class", "line");
      line.setAttribute("dy", `${k * LINE_SPACING}em`);
      for (const run of runs) {
        const r = document.createElementNS(SVG, "tspan");
        if (run.bold) r.style.fontWeight = "bold";
        if (run.italic) r.style.fontStyle = "italic";
        r.textContent = run.text;
        line.append(r);
      }
      return line;
    }));
  }
  for (const line of el.childNodes) {
    setAttr(line, "x", px(x));
    setAttr(line, "y", px(y + el.__cvShift));
  }
}

// The group `g` (made with `attrs` if there is none yet, in drawing order, right above plotly's
// traces), holding `n` <text>s.
function pageGroup(paper, g, attrs, n) {
  if (!g) {
    g = document.createElementNS(SVG, "g");
    g.setAttribute("class", "cv-page-text");
    for (const [name, value] of Object.entries(attrs)) g.setAttribute(name, value);
    g.style.pointerEvents = "none";
    const groups = paper.querySelectorAll(":scope > .cartesianlayer, :scope > g.cv-page-text");
    const after = groups.length ? groups[groups.length - 1] : null;
    paper.insertBefore(g, after ? after.nextSibling : paper.firstChild);
  }
  while (g.childNodes.length > n) g.lastChild.remove();
  while (g.childNodes.length < n) {
    const el = document.createElementNS(SVG, "text");
    el.style.whiteSpace = "pre";
    g.append(el);
  }
  return g;
}

function drawPageTexts(gd) {
  const layout = gd._fullLayout;
  const paper = layout && layout._paper && layout._paper.node();
  if (!paper || !Array.isArray(gd.data)) return;
  drawPageNotes(gd, layout, paper);
  gd.data.forEach((trace, k) => {
    const found = paper.querySelector(`:scope > g.cv-page-text[data-trace="${k}"]`);
    if (!drawnHere(trace)) {
      if (found) found.remove();
      return;
    }
    const xid = trace.xaxis || "x", yid = trace.yaxis || "y";
    const xa = axisOf(layout, xid), ya = axisOf(layout, yid);
    if (!xa || !ya || !xa.c2p || !ya.c2p) return;
    const xs = trace.x || [], ys = trace.y || [], font = trace.textfont || {};
    // a redraw fires two events (plotly_afterplot, then plotly_update), and an edit leaves most
    // traces as they were: a trace whose inputs are the same values and arrays is left as drawn
    const inputs = [xs, ys, trace.text, trace.textposition, font.family, font.size, font.color, trace.name,
      layout.font.family, layout.font.size, layout.font.color, ...[xa, ya].flatMap((a) => [a._offset, a._length, ...(a.range || [])])];
    if (found && found.__cvInputs && inputs.every((v, i) => v === found.__cvInputs[i])) return;
    const g = pageGroup(paper, found, { "data-trace": String(k), "data-name": trace.name || "", "data-axes": xid + yid },
                        Math.min(xs.length, ys.length));
    g.__cvInputs = inputs;
    setAttr(g, "transform", `translate(${xa._offset},${ya._offset})`);
    g.childNodes.forEach((el, i) => drawText(el, xa.c2p(xs[i]), ya.c2p(ys[i]), String(at(trace.text, i, "") ?? ""),
      String(at(trace.textposition, i, "middle center")), {
        family: String(at(font.family, i, layout.font.family)), size: Number(at(font.size, i, layout.font.size)),
        color: String(at(font.color, i, layout.font.color)) }));
  });
}

// The page annotations, in one group over the whole figure (annotation positions are in px of the
// figure): the text box is anchored as plotly anchors it, inside its 1 px border and 1 px padding.
const NOTE_BORDER = 2; // px
function drawPageNotes(gd, layout, paper) {
  const notes = ((gd.layout && gd.layout.annotations) || []).filter(pageNote);
  const found = paper.querySelector(':scope > g.cv-page-text[data-name="annotations"]');
  if (!notes.length) {
    if (found) found.remove();
    return;
  }
  const g = pageGroup(paper, found, { "data-name": "annotations" }, notes.length);
  const s = layout._size;
  const place = (ref, v, horizontal) => {
    if (ref === "paper" || !ref) return horizontal ? s.l + v * s.w : s.t + (1 - v) * s.h;
    const axis = axisOf(layout, ref);
    return axis && axis.c2p ? axis._offset + axis.c2p(v) : NaN;
  };
  notes.forEach((note, i) => {
    const font = note.font || {};
    const h = note.xanchor === "left" ? "right" : note.xanchor === "right" ? "left" : "center";
    const v = note.yanchor === "top" ? "bottom" : note.yanchor === "bottom" ? "top" : "middle";
    const x = place(note.xref, note.x, true) + (h === "right" ? NOTE_BORDER : h === "left" ? -NOTE_BORDER : 0);
    const y = place(note.yref, note.y, false) + (v === "bottom" ? NOTE_BORDER : v === "top" ? -NOTE_BORDER : 0);
    drawText(g.childNodes[i], x, y, String(note.text ?? ""), `${v} ${h}`, {
      family: String(font.family ?? layout.font.family), size: Number(font.size ?? layout.font.size),
      color: String(font.color ?? layout.font.color) });
  });
}

// plotly's view draws into el (it is the graph div): draw its page texts after every redraw, and
// after a change plotly makes without one (a style-only update, a relayout that moves the axes)
function drawTextsOf(gd) {
  if (!gd || typeof gd.on !== "function") return;
  const draw = () => drawPageTexts(gd);
  for (const event of ["plotly_afterplot", "plotly_update", "plotly_restyle", "plotly_relayout"]) gd.on(event, draw);
  draw(); // the first plot may have finished inside render()
}

export default () => {
  let figure = null; // plotly's {initialize, render} for this model
  let ready = null;
  return {
    initialize({ model }) {
      const loaded = page.modules.get(KEY);
      if (loaded) {
        figure = withoutDeltas(loaded).default();
        figure.initialize({ model: forPlotly(model) });
        ready = Promise.resolve();
        return;
      }
      const recorded = [];
      const recorders = PLOTLY_EVENTS.map((name) => {
        const record = () => {
          const value = model.get(name);
          if (value !== null && value !== undefined) recorded.push([name, value]);
        };
        model.on(`change:${name}`, record);
        return [name, record];
      });
      ready = load(model).then((mod) => {
        for (const [name, record] of recorders) model.off(`change:${name}`, record);
        const { proxy, replay } = replayable(model);
        figure = withoutDeltas(mod).default();
        figure.initialize({ model: forPlotly(proxy) });
        for (const [name, value] of recorded) replay(name, value);
      });
      ready.catch((err) => console.error("[chainviz] plotly.js could not be loaded:", err));
    },
    async render({ model, el }) {
      // never a silent blank: say what the figure is waiting for when it takes a while
      // (a child element: the view's own inline style carries its ipywidgets layout)
      const note = document.createElement("div");
      note.style.cssText = "color:#555;font:14px sans-serif;padding:8px";
      const waiting = setTimeout(() => {
        note.textContent = "Loading plotly.js…";
        el.appendChild(note);
      }, 1000);
      try {
        await ready;
      } catch (err) {
        note.textContent = `This figure could not load plotly.js (${err}). Re-run the cell, or set chainviz.config.plotlyjs = "inline".`;
        note.style.color = "#b00020";
        el.appendChild(note);
        return;
      } finally {
        clearTimeout(waiting);
      }
      note.remove();
      const remove = figure.render({ model, el });
      drawTextsOf(el);
      return remove;
    },
  };
};
