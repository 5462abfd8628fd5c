// chainviz control bar: a row of native, labelled controls described by the kernel as data.
// `items` is a list of {kind, id, label, ...}; elements are kept by id across updates so focus
// and typing survive. Every user action is one message to the kernel; the kernel answers with
// new `items`. The bar also reports its own width (the figure is laid out for it) and whether
// the page's theme is dark.
//
// kinds: select {value, options: [[label, value]]}, button {pressed?, disabled?}, check {value},
// text {value, size?, placeholder?}, slider {value, min, max, step, valuetext},
// play {playing, interval (ms), stop_label?, stop_aria?}, html {html, live?, wide?}, group {items, open?}, break,
// upload {accept, max_bytes} (a file's text is sent as {event: "upload", name, text}),
// code {text} (read-only text with a Copy button). A message {download: {filename, text, type}}
// from the kernel saves a file in the browser.

function el(tag, attrs = {}) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  return node;
}

// A box whose content overflows must be reachable and scrollable from the keyboard (WCAG 2.1.1):
// while it overflows it is a named Tab stop (a focused box scrolls with the arrow keys), else not.
function keyboardScroll(box, name) {
  const over = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
  if (over === (box.getAttribute("tabindex") === "0")) return;
  if (over) {
    box.setAttribute("tabindex", "0");
    if (!box.getAttribute("role")) box.setAttribute("role", "region");
    if (!box.getAttribute("aria-label")) box.setAttribute("aria-label", name);
    box.setAttribute("data-lm-suppress-shortcuts", "true");  // arrow keys scroll it, not the notebook
  } else {
    box.removeAttribute("tabindex");
  }
}

function render({ model, el: root }) {
  root.classList.add("cv-bar");
  // keys on our controls are ours: Lumino (JupyterLab, Notebook 7, the slide deck) skips its
  // shortcuts inside an element marked so, as it does for its own text fields
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const nodes = new Map(); // id -> {kind, wrap, control}
  let timer = null;
  let inflight = false; // a slider value sent and not yet answered: send only the latest next

  const send = (msg) => model.send(msg);

  function make(item) {
    const id = item.id;
    let wrap, control;
    switch (item.kind) {
      case "select": {
        wrap = el("label");
        const text = el("span", { class: "cv-label" });
        control = el("select");
        control.addEventListener("change", () => send({ event: "change", id, value: control.value }));
        wrap.append(text, control);
        break;
      }
      case "button":
      case "play": {
        wrap = control = el("button", { type: "button" });
        control.addEventListener("click", () => {
          if (item.kind === "play") {
            const playing = control.getAttribute("aria-pressed") !== "true";
            send({ event: "change", id, value: playing });
          } else send({ event: "click", id });
        });
        break;
      }
      case "check": {
        wrap = el("label");
        control = el("input", { type: "checkbox" });
        control.addEventListener("change", () => send({ event: "change", id, value: control.checked }));
        wrap.append(control, el("span", { class: "cv-label" }));
        break;
      }
      case "text": {
        wrap = el("label");
        control = el("input", { type: "text", autocomplete: "off", spellcheck: "false" });
        const commit = () => {
          if (control.value !== control.dataset.sent) {
            control.dataset.sent = control.value;
            send({ event: "change", id, value: control.value });
          }
        };
        control.addEventListener("keydown", (e) => {
          if (e.key === "Enter") { commit(); e.preventDefault(); }
          if (e.key === "Escape") { control.value = control.dataset.sent; e.preventDefault(); }
          e.stopPropagation();
        });
        control.addEventListener("blur", commit);
        wrap.append(el("span", { class: "cv-label" }), control);
        break;
      }
      case "slider": {
        wrap = el("label");
        control = el("input", { type: "range" });
        const out = el("span", { class: "cv-value", "aria-hidden": "true" });
        const push = () => {
          out.textContent = control.value;
          if (inflight) { control.dataset.pending = "1"; return; }
          inflight = true;
          send({ event: "change", id, value: Number(control.value) });
        };
        control.addEventListener("input", push);
        control.addEventListener("keydown", (e) => e.stopPropagation());
        wrap.append(el("span", { class: "cv-label" }), control, out);
        break;
      }
      case "html": {
        wrap = control = el("div", { class: "cv-html" });
        break;
      }
      case "upload": {
        wrap = el("label", { class: "cv-upload" });
        control = el("input", { type: "file" });
        control.addEventListener("change", () => {
          const file = control.files && control.files[0];
          if (!file) return;
          const most = node.item.max_bytes || 8e6;
          if (file.size > most) {  // refused before it is read: a large file never leaves the page
            send({ event: "upload_refused", id, name: file.name, size: file.size });
          } else {
            file.text().then((text) => send({ event: "upload", id, name: file.name, text }));
          }
          control.value = "";
        });
        wrap.append(el("span", { class: "cv-label" }), control);
        break;
      }
      case "code": {
        wrap = el("div", { class: "cv-code" });
        control = el("textarea", { readonly: "", rows: "3", spellcheck: "false" });
        const copy = el("button", { type: "button", text: "Copy" });
        copy.addEventListener("click", () => {
          control.select();
          const done = () => { copy.textContent = "Copied"; setTimeout(() => { copy.textContent = "Copy"; }, 1500); };
          if (navigator.clipboard) navigator.clipboard.writeText(control.value).then(done, () => document.execCommand("copy") && done());
          else if (document.execCommand("copy")) done();
        });
        control.addEventListener("keydown", (e) => e.stopPropagation());
        wrap.append(control, copy);
        break;
      }
      case "group": {
        wrap = el("details");
        const summary = el("summary");
        control = el("div");
        control.classList.add("cv-bar");
        wrap.append(summary, control);
        wrap.addEventListener("toggle", () => send({ event: "change", id, value: wrap.open }));
        break;
      }
      default: {
        wrap = control = el("span", { class: "cv-break" });
      }
    }
    const node = { kind: item.kind, wrap, control, playing: null, item };
    nodes.set(id, node);
    return node;
  }

  function apply(node, item) {
    const { wrap, control } = node;
    node.item = item;
    wrap.hidden = Boolean(item.hidden);
    if (item.title) wrap.title = item.title; else wrap.removeAttribute("title");
    const label = wrap.querySelector(":scope > .cv-label");
    if (label) label.textContent = item.label || "";
    switch (item.kind) {
      case "select": {
        const values = item.options.map((o) => o[1]).join("\u0000") + item.options.map((o) => o[0]).join("\u0000");
        if (control.dataset.values !== values) {
          control.replaceChildren(...item.options.map(([text, value]) => el("option", { value, text })));
          control.dataset.values = values;
        }
        control.value = item.value;
        control.disabled = Boolean(item.disabled);
        break;
      }
      case "button":
        control.textContent = item.label;
        if (item.aria) control.setAttribute("aria-label", item.aria); else control.removeAttribute("aria-label");
        if (item.pressed === undefined) control.removeAttribute("aria-pressed");
        else control.setAttribute("aria-pressed", item.pressed ? "true" : "false");
        control.disabled = Boolean(item.disabled);
        break;
      case "play": {
        control.textContent = item.playing ? (item.stop_label || "■ Stop") : item.label;
        control.setAttribute("aria-pressed", item.playing ? "true" : "false");
        // a button's name contains the words it shows (WCAG 2.5.3), playing or not
        control.setAttribute("aria-label", item.playing ? (item.stop_aria || "Stop") : (item.aria || item.label));
        control.disabled = Boolean(item.disabled);
        node.playing = item.playing ? item : null;
        if (!item.playing) { clearTimeout(timer); timer = null; }
        break;
      }
      case "check":
        control.checked = Boolean(item.value);
        control.disabled = Boolean(item.disabled);
        break;
      case "text":
        if (document.activeElement !== control) control.value = item.value;
        control.dataset.sent = item.value;
        control.size = item.size || 8;
        control.placeholder = item.placeholder || "";
        control.setAttribute("aria-label", item.aria || item.label);
        control.setAttribute("aria-invalid", item.invalid ? "true" : "false");
        break;
      case "slider": {
        for (const k of ["min", "max", "step"]) control[k] = String(item[k]);
        // a value the person set and not yet sent stays: the kernel's answer is about an older one
        if (!control.dataset.pending) control.value = String(item.value);
        control.setAttribute("aria-valuetext", item.valuetext || String(item.value));
        control.setAttribute("aria-label", item.aria || item.label);
        control.disabled = Boolean(item.disabled);
        wrap.querySelector(".cv-value").textContent = item.valuetext || String(item.value);
        break;
      }
      case "html":
        if (control.dataset.html !== item.html) {
          control.innerHTML = item.html;
          control.dataset.html = item.html;
          // measured at the next frame, when the page is laid out anyway: reading sizes now
          // would force a layout in the middle of an edit's update
          if (item.wide) requestAnimationFrame(() => keyboardScroll(control, "messages"));
        }
        control.classList.toggle("cv-wide", Boolean(item.wide));
        if (item.live) control.setAttribute("aria-live", item.live); else control.removeAttribute("aria-live");
        if (item.role) control.setAttribute("role", item.role);
        break;
      case "upload":
        control.accept = item.accept || "";
        control.setAttribute("aria-label", item.aria || item.label);
        break;
      case "code":
        control.value = item.text;
        control.setAttribute("aria-label", item.aria || item.label || "code");
        control.rows = Math.min(6, Math.max(2, Math.ceil(item.text.length / 90)));
        break;
      case "group":
        wrap.querySelector("summary").textContent = item.label;
        if (item.open !== undefined) wrap.open = item.open;
        place(control, item.items);
        break;
    }
  }

  function place(container, items) {
    const wanted = [];
    for (const item of items) {
      let node = nodes.get(item.id);
      if (!node || node.kind !== item.kind) node = make(item);
      apply(node, item);
      wanted.push(node.wrap);
    }
    const current = Array.from(container.children);
    if (current.length !== wanted.length || current.some((c, k) => c !== wanted[k])) container.replaceChildren(...wanted);
  }

  // after the kernel has answered an event (`ack` counts them): send the slider value that
  // waited, and let a playing animation take its next step
  function answered() {
    inflight = false;
    for (const node of nodes.values()) {
      if (node.kind === "slider" && node.control.dataset.pending) {
        delete node.control.dataset.pending;
        node.control.dispatchEvent(new Event("input"));
      }
      if (node.playing && !timer) {
        const id = node.playing.id;
        timer = setTimeout(() => { timer = null; send({ event: "tick", id }); }, node.playing.interval || 1000);
      }
    }
  }

  function update() {
    place(root, model.get("items"));
    answered();
  }

  // the width the figure may take, and the page's theme: reported, never decided here
  let lastWidth = 0;
  const measure = () => {
    if (!model.get("report")) return;
    const w = Math.floor(root.getBoundingClientRect().width / 10) * 10;  // never wider than the box
    if (w > 0 && Math.abs(w - lastWidth) >= 10) { lastWidth = w; model.set("width", w); model.save_changes(); }
  };
  // the figure's box (the sibling this bar reports for) scrolls sideways where the figure cannot
  // shrink further: it then takes a Tab stop (see keyboardScroll)
  let boxWatch = null, boxFollow = null;
  const watchFigureBox = () => {
    const box = model.get("report") && root.parentElement && root.parentElement.querySelector(":scope > .cv-figure-box");
    if (!box || boxWatch) return;
    const check = () => keyboardScroll(box, "the figure, wider than its box: scroll it with the arrow keys");
    boxWatch = new ResizeObserver(check);
    boxWatch.observe(box);
    // Only a ResizeObserver reads sizes: it runs after layout. A redraw replaces plotly's
    // elements, so new ones are watched too (observing one reports it once), but nothing is
    // measured while a redraw is under way: that would force a layout per edit (~10 ms here).
    const watched = new WeakSet();
    const follow = () => box.querySelectorAll(".svg-container").forEach((e) => {
      if (!watched.has(e)) { watched.add(e); boxWatch.observe(e); }
    });
    boxFollow = new MutationObserver(follow);
    boxFollow.observe(box, { childList: true, subtree: true });
    follow();
  };
  const observer = new ResizeObserver(() => {
    clearTimeout(observer.t);
    observer.t = setTimeout(() => { measure(); watchFigureBox(); }, 120);
  });
  observer.observe(root);
  const theme = () => {
    if (!model.get("report")) return;
    const light = document.body.dataset.jpThemeLight;
    const dark = light === "false";
    if (model.get("dark") !== dark) { model.set("dark", dark); model.save_changes(); }
  };
  const themeWatch = new MutationObserver(theme);
  themeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light"] });
  model.on("change:items", update);
  model.on("change:ack", answered);
  model.on("msg:custom", (msg) => {
    if (msg && msg.patch) {  // only the items that changed: merged into the model's list, kept local
      const patch = new Map(msg.patch.map((p) => [p.id, p]));
      const merge = (items) => items.map((it) => {
        const out = Object.assign({}, it, patch.get(it.id) || {});
        if (it.items) out.items = merge(it.items);
        return out;
      });
      model.set("items", merge(model.get("items")));
      return;
    }
    if (!msg || !msg.download) return;
    const { filename, text, type } = msg.download;
    const url = URL.createObjectURL(new Blob([text], { type: type || "application/json" }));
    const a = el("a", { href: url, download: filename });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  });
  update();
  measure();
  theme();
  return () => {
    observer.disconnect(); themeWatch.disconnect(); clearTimeout(timer);
    if (boxWatch) { boxWatch.disconnect(); boxFollow.disconnect(); }
  };
}

export default { render };
