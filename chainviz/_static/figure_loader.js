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

function forPlotly(model) {
  // plotly reads each update twice (its FigureModel, then its view): read the markers once
  const read = new WeakMap();
  const get = (name) => {
    const raw = model.get(name);
    if (!name.startsWith("_py2js_") || raw === null || typeof raw !== "object") return raw;
    if (!read.has(raw)) read.set(raw, unmarked(raw));
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
      return figure.render({ model, el });
    },
  };
};
