// chainviz panel tables: the figure's panels as HTML tables, the text alternative of its colours.
// Built in the page from the plotly figure of the same explorer (its trace "cells": meta.panels gives
// each panel's block of the grid, z its values), so the tables always say what is drawn and cost no
// bytes from the kernel. Always in the page for assistive technology; visible, and reachable with
// Tab (one stop per table, arrow keys inside, Enter explains a cell), when `shown` is true.

const MINUS = "\u2212";

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function number(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "";
  if (v === 0) return "0";
  const s = Math.abs(v) >= 1e-3 && Math.abs(v) < 1e5 ? String(Number(v.toPrecision(3))) : v.toExponential(2);
  return s.replace("-", MINUS);
}

function grid(trace) {
  // z as rows of numbers, whether plotly holds it as a decoded typed array or as lists
  const z = trace.z;
  if (z && z._inputArray !== undefined) return Array.from(z._inputArray, (row) => Array.from(row));
  return z || [];
}

function render({ model, el: root }) {
  root.classList.add("cv-tables");
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const section = el("section", { "aria-label": "the figure's panels as tables" });
  root.append(section);
  let gd = null;
  let active = {}; // panel -> [i, j] holding tabindex 0

  let layoutKey = "";
  let cells = []; // [td, name, r0 + i, c0 + j] of the tables built last

  function value(Z, limits, name, r, c) {
    let v = (Z[r] || [])[c];
    if (limits && v !== null && v !== undefined) v = v * limits[name];  // free scale: cells hold v/limit
    return number(v);
  }

  // the figure is drawn and carries its panels
  const figureReady = () => Boolean(gd && gd.data && gd.data[0] && gd.data[0].meta);

  function tableKey() {
    return JSON.stringify([gd.data[0].meta.panels || {}, model.get("captions") || {}, model.get("shown"),
                           model.get("selected") || [], active]);
  }

  function build() {
    if (!figureReady()) return;
    const trace = gd.data[0];
    const panels = trace.meta.panels || {};
    const limits = trace.meta.limits || null;
    const Z = grid(trace);
    const captions = model.get("captions") || {};
    const shown = model.get("shown");
    root.classList.toggle("cv-sr-only", !shown);
    const sel = model.get("selected") || [];
    // an edit changes numbers, not tables: then only the cells whose text changed are touched
    const key = tableKey();
    if (key === layoutKey) {
      for (const [td, name, r, c] of cells) {
        const text = value(Z, limits, name, r, c);
        if (td.textContent !== text) td.textContent = text;
      }
      return;
    }
    layoutKey = key;
    cells = [];
    const tables = [];
    for (const [name, [r0, c0, rows, cols]] of Object.entries(panels)) {
      const table = el("table", { class: "cv-table" });
      table.append(el("caption", {}, captions[name] || name));
      const head = el("tr");
      head.append(el("td", { class: "cv-corner" }));
      for (let j = 0; j < cols; j++) head.append(el("th", { scope: "col" }, `column ${j}`));
      const thead = el("thead");
      thead.append(head);
      table.append(thead);
      const body = el("tbody");
      const [ai, aj] = active[name] || [0, 0];
      for (let i = 0; i < rows; i++) {
        const tr = el("tr");
        tr.append(el("th", { scope: "row" }, `row ${i}`));
        for (let j = 0; j < cols; j++) {
          const td = el("td", {}, value(Z, limits, name, r0 + i, c0 + j));
          cells.push([td, name, r0 + i, c0 + j]);
          td.tabIndex = shown && i === ai && j === aj ? 0 : -1;
          td.dataset.i = i; td.dataset.j = j;
          if (sel.length === 3 && sel[0] === name && sel[1] === i && sel[2] === j) td.classList.add("cv-picked");
          td.addEventListener("keydown", (e) => key(e, name, table, rows, cols, i, j));
          td.addEventListener("click", () => model.send({ event: "select", panel: name, i, j }));
          tr.append(td);
        }
        body.append(tr);
      }
      table.append(body);
      tables.push(table);
    }
    section.replaceChildren(...tables);
  }

  function key(e, name, table, rows, cols, i, j) {
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (moves[e.key]) {
      const a = Math.max(0, Math.min(rows - 1, i + moves[e.key][0]));
      const b = Math.max(0, Math.min(cols - 1, j + moves[e.key][1]));
      active[name] = [a, b];
      table.querySelectorAll("td[tabindex]").forEach((td) => { td.tabIndex = -1; });
      const next = table.querySelector(`td[data-i="${a}"][data-j="${b}"]`);
      next.tabIndex = 0;
      next.focus();
      e.preventDefault();
    } else if (e.key === "Enter" || e.key === " ") {
      model.send({ event: "select", panel: name, i, j });
      e.preventDefault();
    }
    e.stopPropagation(); // not JupyterLab's notebook shortcuts
  }

  // After the figure has drawn an update. New numbers in the same tables (an edit: a few dozen
  // texts, under a millisecond) are written at once, so a screen reader reads what the figure shows
  // as soon as it shows it; new tables (a resize, a new net) are built when the page is idle, so
  // they never delay what the room sees.
  let pending = null;
  function afterPlot() {
    if (figureReady() && tableKey() === layoutKey) {
      build();
      return;
    }
    if (pending !== null) return;
    const run = () => { pending = null; build(); };
    pending = window.requestIdleCallback ? window.requestIdleCallback(run, { timeout: 400 }) : setTimeout(run, 50);
  }

  function attach() {
    const explorer = root.closest(".cv-root");
    const found = explorer && explorer.querySelector(".js-plotly-plot");
    if (found && found.on && found !== gd) {
      gd = found;
      gd.on("plotly_afterplot", afterPlot);
      build();
    }
    return Boolean(gd);
  }

  // the figure is drawn after this view is put in the page: look for it until it is there
  let tries = 0, timer = null;
  const look = () => { if (!attach() && tries++ < 600) timer = setTimeout(look, 100); };
  look();
  model.on("change:shown", build);
  model.on("change:captions", build);
  model.on("change:selected", build);
  return () => clearTimeout(timer);
}

export default { render };
