// chainviz matrix grid: one widget per matrix (W1, x, an exercise answer, ...).
// A grid is one Tab stop (WAI-ARIA grid pattern, roving tabindex); inside it the arrow
// keys move, typing replaces the cell, Enter commits and moves down, Escape restores,
// a pasted block (tab/space separated lines, or numpy-style [[...], [...]]) is sent whole.
// The kernel decides what is valid: it answers with new `cells` or an entry in `errors`.

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function render({ model, el: root }) {
  root.classList.add("cv-grid");
  root.setAttribute("data-lm-suppress-shortcuts", "true");  // keys on our cells are ours (see control_bar.js)
  const head = el("div", { class: "cv-grid-head" });
  const title = el("span", { class: "cv-grid-title" });
  const sub = el("span", { class: "cv-grid-sub" });
  const optBox = el("label", { class: "cv-grid-option" });
  const optText = el("span");
  const optSelect = el("select");
  optBox.append(optText, optSelect);
  head.append(title, sub, optBox);
  const table = el("div", { role: "grid", class: "cv-grid-table" });
  const message = el("div", { class: "cv-grid-message", role: "status", "aria-live": "polite" });
  root.append(head, table, message);

  let inputs = []; // inputs[i][j]
  let active = [0, 0]; // the cell that holds tabindex=0
  let editing = false; // typed into since it was focused: arrows move the caret, not the cell
  let original = ""; // what the focused cell held when it got focus (Escape restores it)
  const sent = {}; // "i,j" -> the text last sent for that cell: a rejected cell keeps showing it

  const cellName = (i, j) => {
    const n = model.get("name");
    return model.get("column") ? `${n} row ${i}` : `${n} row ${i} column ${j}`;
  };

  function build() {
    const cells = model.get("cells");
    const r = cells.length, k = r ? cells[0].length : 0;
    if (inputs.length === r && (r === 0 || inputs[0].length === k)) return;
    table.replaceChildren();
    inputs = [];
    table.style.gridTemplateColumns = `repeat(${k}, var(--cv-cell-w))`;
    table.setAttribute("aria-rowcount", String(r));
    table.setAttribute("aria-colcount", String(k));
    for (let i = 0; i < r; i++) {
      const row = el("div", { role: "row", class: "cv-grid-row" });
      const line = [];
      for (let j = 0; j < k; j++) {
        const input = el("input", { type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false",
                                    class: "cv-cell", tabindex: "-1" });
        const cell = el("div", { role: "gridcell", class: "cv-grid-cell" }, [input]);
        input.dataset.i = i; input.dataset.j = j;
        input.addEventListener("focus", () => focusCell(i, j, false));
        input.addEventListener("input", () => { editing = true; });
        input.addEventListener("keydown", (e) => onKey(e, i, j));
        input.addEventListener("blur", () => commit(i, j));
        input.addEventListener("paste", (e) => onPaste(e, i, j));
        input.addEventListener("click", () => model.send({ event: "select", i, j }));
        row.append(cell);
        line.push(input);
      }
      table.append(row);
      inputs.push(line);
    }
    if (active[0] >= r || active[1] >= k) active = [0, 0];
  }

  function update() {
    build();
    const cells = model.get("cells");
    const errors = model.get("errors") || {};
    const marks = model.get("marks") || [];
    const editable = model.get("editable");
    const sel = model.get("selected") || [];
    title.textContent = model.get("title");
    sub.textContent = model.get("subtitle");
    table.setAttribute("aria-label", model.get("label") || model.get("name"));
    const opt = model.get("option") || {};
    optBox.hidden = !opt.options;
    if (opt.options) {
      optText.textContent = opt.label + " ";
      const values = opt.options.map((o) => o[1]).join("\u0000");
      if (optSelect.dataset.values !== values) {
        optSelect.replaceChildren(...opt.options.map(([label, value]) => el("option", { value, text: label })));
        optSelect.dataset.values = values;
      }
      optSelect.value = opt.value;
      optSelect.setAttribute("aria-label", opt.aria || opt.label);
    }
    inputs.forEach((line, i) => line.forEach((input, j) => {
      const err = errors[`${i},${j}`];
      // a rejected cell keeps what was typed, marked, so it can be corrected; otherwise the kernel's value
      const text = err && sent[`${i},${j}`] !== undefined ? sent[`${i},${j}`] : cells[i][j];
      if (!err) delete sent[`${i},${j}`];
      const focused = document.activeElement === input;
      if (!(focused && editing)) input.value = text;
      if (focused && !editing) { original = text; input.select(); }
      const mark = marks.length ? marks[i][j] : 0;
      input.readOnly = !editable;
      input.classList.toggle("cv-bad", Boolean(err));
      input.classList.toggle("cv-right", mark === 1);
      input.classList.toggle("cv-wrong", mark === -1);
      input.classList.toggle("cv-picked", sel.length === 2 && sel[0] === i && sel[1] === j);
      input.setAttribute("aria-invalid", err ? "true" : "false");
      const state = err ? `, rejected: ${err}` : mark === 1 ? ", right" : mark === -1 ? ", not yet right" : "";
      input.setAttribute("aria-label", `${cellName(i, j)}${text ? ", " + text : ", empty"}${state}`);
      input.title = err || "";
      input.tabIndex = (i === active[0] && j === active[1]) ? 0 : -1;
    }));
    const first = Object.values(errors)[0];
    message.textContent = first ? "⚠ " + first : "";
    message.hidden = !first;
  }

  function focusCell(i, j, move = true, announce = false) {
    if (!inputs.length) return;
    i = Math.max(0, Math.min(inputs.length - 1, i));
    j = Math.max(0, Math.min(inputs[0].length - 1, j));
    if (announce && (i !== active[0] || j !== active[1])) model.send({ event: "select", i, j });
    active = [i, j];
    inputs.forEach((line, a) => line.forEach((input, b) => { input.tabIndex = (a === i && b === j) ? 0 : -1; }));
    const input = inputs[i][j];
    if (move && document.activeElement !== input) input.focus();
    editing = false;
    original = input.value;
    input.select();
  }

  function commit(i, j) {
    const input = inputs[i] && inputs[i][j];
    if (!input || !model.get("editable")) return;
    if (input.value !== original) {
      original = input.value;
      sent[`${i},${j}`] = input.value;
      model.send({ event: "edit", i, j, text: input.value });
    }
    editing = false;
  }

  function onKey(e, i, j) {
    const r = inputs.length, k = inputs[0].length;
    const moves = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    if (e.key === "Escape") {
      inputs[i][j].value = original; editing = false; inputs[i][j].select();
      e.preventDefault(); e.stopPropagation(); // keep JupyterLab from leaving edit mode
      return;
    }
    if (e.key === "Enter") {
      commit(i, j);
      focusCell(e.shiftKey ? i - 1 : (i + 1) % r, e.shiftKey ? j : (i + 1 === r ? (j + 1) % k : j), true, true);
      e.preventDefault(); e.stopPropagation();
      return;
    }
    if (moves[e.key] && !(editing && (e.key === "ArrowLeft" || e.key === "ArrowRight"))) {
      commit(i, j);
      focusCell(i + moves[e.key][0], j + moves[e.key][1], true, true);
      e.preventDefault(); e.stopPropagation();
      return;
    }
    if (e.key === "Home" && e.ctrlKey) { commit(i, j); focusCell(0, 0, true, true); e.preventDefault(); }
    else if (e.key === "End" && e.ctrlKey) { commit(i, j); focusCell(r - 1, k - 1, true, true); e.preventDefault(); }
    // every other key stays with the cell, not with JupyterLab's notebook shortcuts
    e.stopPropagation();
  }

  function onPaste(e, i, j) {
    const text = (e.clipboardData || window.clipboardData).getData("text");
    if (!/[\t\n\[;]|\S\s+\S/.test(text.trim())) return; // one number: an ordinary paste into the cell
    e.preventDefault();
    editing = false;
    model.send({ event: "paste", i, j, text });
  }

  optSelect.addEventListener("change", () => model.send({ event: "option", value: optSelect.value }));
  optSelect.addEventListener("keydown", (e) => e.stopPropagation());
  model.on("change:cells", update);
  model.on("change:errors", update);
  model.on("change:marks", update);
  model.on("change:selected", update);
  model.on("change:editable", update);
  model.on("change:option", update);
  model.on("change:title", update);
  model.on("change:subtitle", update);
  model.on("change:focus_token", () => {
    const sel = model.get("selected") || [];
    if (sel.length === 2) focusCell(sel[0], sel[1]);
  });
  update();
  return () => {};
}

export default { render };
