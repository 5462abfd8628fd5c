"""Accessibility measurements for the browser tests (issue 14): axe-core, WCAG contrast from
what the page draws, focus indicators, and JupyterLab's theme.

Colour maths is WCAG 2.1's own ("relative luminance" and "contrast ratio" in its glossary),
written here and not taken from chainviz, so the tests check the package against the standard.
Colours are read from the rendered page: computed styles for HTML; for a figure's SVG text,
the fill plotly gave it and the pixels under it in a screenshot taken with the text hidden.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
from playwright.sync_api import Page, expect

from .helpers import MEDIUM, next_frames

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
#: the WCAG 2.0/2.1 A and AA rules, as issue 14 asks
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LIGHT_THEME, DARK_THEME = "JupyterLab Light", "JupyterLab Dark"
THEMES_PLUGIN = "@jupyterlab/apputils-extension:themes"

TEXT_MIN = 4.5  # WCAG 1.4.3, normal text
LARGE_TEXT_MIN = 3.0  # WCAG 1.4.3, large text: >= 24 px, or >= 18.66 px bold
FOCUS_MIN = 3.0  # WCAG 1.4.11, a focus indicator against what is next to it


# -- WCAG 2.1 colour maths ------------------------------------------------------------------
def relative_luminance(rgb) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour given as 0..255 components."""
    def lin(c: float) -> float:
        c /= 255.0
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(float(c)) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    """WCAG 2.1 contrast ratio of two sRGB colours (0..255 components), 1 to 21."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def over(fg, alpha: float, bg) -> tuple:
    """``fg`` painted with opacity ``alpha`` over the opaque ``bg``."""
    return tuple(alpha * f + (1 - alpha) * b for f, b in zip(fg[:3], bg[:3]))


def hex_of(rgb) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in rgb[:3])


def text_minimum(px: float, weight: int) -> float:
    return LARGE_TEXT_MIN if px >= 24 or (px >= 18.66 and weight >= 700) else TEXT_MIN


# -- colours in the page ------------------------------------------------------------------
#: JS: ``rgba(css)`` -> [r, g, b, a] (0..255, alpha 0..1) for a computed colour ("rgb(...)",
#: "rgba(...)", "color(srgb r g b / a)" as Chromium gives color-mix()), anything else through a
#: canvas; ``background(el)`` -> [r, g, b]: the element's own background composited over its
#: ancestors' down to the first opaque one (white above <html>).
JS_COLOURS = r"""
const rgba = (css) => {
  let m = /^rgba?\(([^)]*)\)$/.exec(css);
  if (m) { const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
  m = /^color\(srgb ([^)]*)\)$/.exec(css);
  if (m) { const p = m[1].split(/[\s\/]+/).filter(Boolean).map(Number); return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1]; }
  const c = document.createElement('canvas'); c.width = c.height = 1;
  const ctx = c.getContext('2d'); ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
  const d = ctx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255];
};
const background = (el) => {
  const layers = [];
  for (let a = el; a && a.nodeType === 1; a = a.parentElement) {
    const c = rgba(getComputedStyle(a).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let out = [255, 255, 255];
  for (const c of layers.reverse()) out = out.map((b, k) => c[3] * c[k] + (1 - c[3]) * b);
  return out;
};
"""


def text_colours(locator) -> dict:
    """``{"fg", "bg", "px", "weight", "text"}`` of an HTML element: its computed text colour
    (with its opacity, over its background) and its effective background, as 0..255 triples."""
    got = locator.evaluate(f"""(el) => {{ {JS_COLOURS}
        const cs = getComputedStyle(el), fg = rgba(cs.color), bg = background(el);
        let alpha = fg[3];
        for (let a = el; a && a.nodeType === 1; a = a.parentElement) alpha *= parseFloat(getComputedStyle(a).opacity);
        return {{ fg: fg.slice(0, 3), alpha, bg, px: parseFloat(cs.fontSize), weight: parseInt(cs.fontWeight),
                  text: (el.value !== undefined && el.tagName === 'INPUT' ? el.value : el.textContent).trim().slice(0, 80) }};
    }}""")
    got["fg"] = over(got["fg"], got.pop("alpha"), got["bg"])
    got["ratio"] = contrast(got["fg"], got["bg"])
    return got


#: JS: what marks the focused element: its outline (when drawn) and each box-shadow with its
#: colour, and the backgrounds each is seen against (an outline or outer shadow: the parent's;
#: an inset shadow: the element's own).
JS_FOCUS = f"""() => {{ {JS_COLOURS}
    const el = document.activeElement, cs = getComputedStyle(el);
    const outside = background(el.parentElement || el), inside = background(el);
    const marks = [];
    const ow = parseFloat(cs.outlineWidth);
    if (cs.outlineStyle !== 'none' && ow > 0)
        marks.push({{ what: 'outline ' + cs.outlineStyle + ' ' + ow + 'px', colour: rgba(cs.outlineColor), against: outside }});
    if (cs.boxShadow && cs.boxShadow !== 'none') {{
        for (const part of cs.boxShadow.split(/,(?![^(]*\\))/)) {{
            const c = /(rgba?\\([^)]*\\)|color\\([^)]*\\))/.exec(part);
            const lengths = part.replace(/(rgba?|color)\\([^)]*\\)/, '').match(/-?[\\d.]+px/g) || [];
            const spread = lengths.length > 3 ? parseFloat(lengths[3]) : 0;
            if (c && spread > 0) marks.push({{ what: 'box-shadow' + (part.includes('inset') ? ' inset ' : ' ') + spread + 'px',
                colour: rgba(c[1]), against: part.includes('inset') ? inside : outside }});
        }}
    }}
    const label = el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent)
        || el.textContent || el.tagName;
    return {{ tag: el.tagName.toLowerCase(), type: el.type || '', label: label.trim().replace(/\\s+/g, ' ').slice(0, 60),
              marks, focusVisible: el.matches(':focus-visible') }};
}}"""


def focus_indicator(page: Page) -> dict:
    """The focused element and its focus marks, each with its contrast against what it is seen
    on; ``best``: the highest of them (0 if nothing marks the focus)."""
    got = page.evaluate(JS_FOCUS)
    for m in got["marks"]:
        m["ratio"] = contrast(over(m["colour"], m["colour"][3], m["against"]), m["against"])
    got["best"] = max((m["ratio"] for m in got["marks"]), default=0.0)
    return got


# -- axe-core ---------------------------------------------------------------------------------
def axe_violations(page: Page, root) -> list[dict]:
    """axe-core's WCAG 2.0/2.1 A/AA violations inside the element ``root`` (a locator): each
    ``{"id", "impact", "help", "nodes": [{"target", "summary", "html"}]}``.

    axe checks text (its contrast above all) only where it counts it as on screen, and two
    things of JupyterLab's page hide every text from it: ``<body>`` is 0 px high with
    ``overflow: hidden`` (JupyterLab's shell is positioned over it), which axe's
    ``isVisibleOnScreen`` takes for a clip of everything inside (axe-core issue #3883), and
    text scrolled out of the notebook panel is outside ``#main``'s ``overflow: hidden`` box.
    So while axe runs the body is given the viewport's height (nothing moves: the shell is
    positioned against the viewport), and ``root`` is scrolled through the panel one visible
    height at a time, axe run at each position and the violations merged.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    page.evaluate("() => { document.body.dataset.cvMinHeight = document.body.style.minHeight;"
                  " document.body.style.minHeight = window.innerHeight + 'px'; }")
    try:
        return _axe_scrolled(page, root)
    finally:
        page.evaluate("() => { document.body.style.minHeight = document.body.dataset.cvMinHeight; }")


def _axe_scrolled(page: Page, root) -> list[dict]:
    found: dict[str, dict] = {}
    top = 0.0
    while True:
        root.evaluate("(el, top) => { el.scrollIntoView({block: 'start'}); const c = el.closest('.jp-WindowedPanel-outer');"
                      " if (c) c.scrollTop += top; }", top)
        next_frames(page, 2)
        for v in root.evaluate(
            """async (el, tags) => {
                const r = await axe.run(el, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
                return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => ({ target: n.target.join(' '), summary: n.failureSummary,
                                                html: n.html.slice(0, 160) })) }));
            }""",
            WCAG_TAGS,
        ):
            seen = found.setdefault(v["id"], dict(v, nodes=[]))
            seen["nodes"] += [n for n in v["nodes"] if n["target"] not in {m["target"] for m in seen["nodes"]}]
        height, visible = root.evaluate(f"""(el) => {{ const v = ({JS_VISIBLE})(el);
            return [el.getBoundingClientRect().height, v[3] - v[1]]; }}""")
        top += max(visible - 40, 100)  # overlapping views: nothing falls between two
        if top >= height - 40:
            return list(found.values())


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s)")
        for n in v["nodes"]:
            summary = re.sub(r"\s+", " ", n["summary"] or "")
            lines.append(f"    {n['target']}\n      {n['html']}\n      {summary}")
    return "\n".join(lines)


# -- SVG text of a plotly figure ----------------------------------------------------------------
#: JS: every drawn <text> of the figure ``gd``, tagged ``data-cv-t``: its text, whether it is drawn
#: on a cell and whether it is a number, fill with opacity, font, and client box.
JS_SVG_TEXTS = rf"""(gd) => {{ {JS_COLOURS}
    return Array.from(gd.querySelectorAll('svg text')).map((t, k) => {{
        t.dataset.cvT = k;
        const cs = getComputedStyle(t), b = t.getBoundingClientRect();
        let alpha = parseFloat(cs.fillOpacity);
        for (let a = t; a && a !== gd; a = a.parentElement) alpha *= parseFloat(getComputedStyle(a).opacity);
        const fill = rgba(cs.fill);
        // the "words" text traces (titles, ticks: chainviz.views.words) are on the paper, not on cells
        // (drawn by plotly.js in a g.trace, or by the figure's front end in a g.cv-page-text)
        const trace = t.closest('g.trace'), d = trace && trace.__data__ && trace.__data__[0];
        const here = t.closest('g.cv-page-text');
        const name = here ? here.dataset.name : d && d.trace && d.trace.name;
        const words = ['words', 'live words', 'annotations'].includes(name);
        const onCell = !words && !!t.closest('g.heatmap-label, .textpoint, g.cv-page-text');
        // a printed number: digits, signs, a decimal point, an exponent (1e-3, 10⁶, 2.04×10⁸), no words
        const number = /\d|[⁰¹²³⁴⁵⁶⁷⁸⁹]/.test(t.textContent) && !/[A-DF-Za-df-z]/.test(t.textContent);
        return {{ k, text: t.textContent, onCell, number, fill: fill.slice(0, 3), alpha: alpha * fill[3],
                 px: parseFloat(cs.fontSize), weight: parseInt(cs.fontWeight) || 400,
                 box: [b.left, b.top, b.right, b.bottom],
                 shown: cs.visibility !== 'hidden' && cs.display !== 'none' && alpha > 0 && b.width > 0 && t.textContent.trim() !== '' }};
    }});
}}"""

#: JS: the part of the viewport the element can be seen in (cut by every ancestor that clips).
JS_VISIBLE = """(el) => {
    const v = { l: 0, t: 0, r: window.innerWidth, b: window.innerHeight };
    for (let a = el.parentElement; a; a = a.parentElement) {
        const cs = getComputedStyle(a);
        if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
        if (a === document.documentElement || a === document.body) continue;
        const b = a.getBoundingClientRect();
        v.l = Math.max(v.l, b.left + a.clientLeft); v.r = Math.min(v.r, b.left + a.clientLeft + a.clientWidth);
        v.t = Math.max(v.t, b.top + a.clientTop); v.b = Math.min(v.b, b.top + a.clientTop + a.clientHeight);
    }
    return [v.l, v.t, v.r, v.b];
}"""


def _under(image, box) -> tuple[tuple, float]:
    """The colour most of the pixels inside ``box`` (client px) have, and their share."""
    l, t, r, b = (int(round(v)) for v in box)
    l, t = max(l + 1, 0), max(t + 1, 0)
    r, b = min(r - 1, image.shape[1]), min(b - 1, image.shape[0])
    if r <= l or b <= t:
        raise ValueError(f"empty box {box}")
    pixels = np.asarray(image)[t:b, l:r].reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    k = int(np.argmax(counts))
    return tuple(int(c) for c in colours[k]), float(counts[k] / counts.sum())


#: JS: ``[[left, top], ...]`` of every ancestor of the element, innermost first
JS_SCROLLS = "(el) => { const out = []; for (let a = el.parentElement; a; a = a.parentElement) out.push([a.scrollLeft, a.scrollTop]); return out; }"
JS_SCROLLS_BACK = """(el, saved) => { let k = 0;
    for (let a = el.parentElement; a && k < saved.length; a = a.parentElement, k++) { a.scrollLeft = saved[k][0]; a.scrollTop = saved[k][1]; } }"""


def figure_text_contrast(page: Page, figure) -> list[dict]:
    """For every text the plotly figure ``figure`` (a locator of ``.js-plotly-plot``) draws, the
    contrast of its fill against what lies under it, read from screenshots of the page with
    the figure's text hidden (the cells, the paper, anything drawn there).

    Returns ``{"text", "onCell", "number", "fg", "bg", "share", "ratio", "min"}`` per text
    (``share``: the part of the text's box that has the background colour; ``min``: 4.5 for a
    number, else WCAG's minimum for its size). Texts are brought on screen by scrolling, as many
    screenshots as needed; every box scrolled on the way is scrolled back.
    """
    texts = {t["k"]: t for t in figure.evaluate(JS_SVG_TEXTS) if t["shown"]}
    if not page.locator("style#cv-a11y-notext").count():
        page.evaluate("""() => { const s = document.createElement('style'); s.id = 'cv-a11y-notext';
            s.textContent = '.cv-a11y-notext svg text { visibility: hidden !important; }'; document.head.append(s); }""")
    # bringing a text on screen scrolls every box around the figure (the slide's figure box
    # sideways too): put them back as they were
    scrolled = figure.evaluate(JS_SCROLLS)
    try:
        return _contrast_on_screen(page, figure, texts)
    finally:
        figure.evaluate(JS_SCROLLS_BACK, scrolled)


def _contrast_on_screen(page: Page, figure, texts: dict) -> list[dict]:
    from PIL import Image

    out: list[dict] = []
    while texts:
        first = min(texts)
        figure.locator(f'svg text[data-cv-t="{first}"]').evaluate("(t) => t.scrollIntoView({block: 'center'})")
        next_frames(page, 2)
        clip = figure.evaluate(JS_VISIBLE)
        boxes = {t["k"]: t["box"] for t in figure.evaluate(JS_SVG_TEXTS)}
        figure.evaluate("(gd) => gd.classList.add('cv-a11y-notext')")
        try:
            next_frames(page, 2)
            image = np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"))
        finally:
            figure.evaluate("(gd) => gd.classList.remove('cv-a11y-notext')")
        seen = [k for k in texts if boxes[k][0] >= clip[0] - 0.5 and boxes[k][1] >= clip[1] - 0.5
                and boxes[k][2] <= clip[2] + 0.5 and boxes[k][3] <= clip[3] + 0.5]
        if first not in seen:
            raise AssertionError(f"text {texts[first]['text']!r} cannot be brought on screen: box {boxes[first]}, "
                                 f"visible {clip}")
        for k in seen:
            t = texts.pop(k)
            bg, share = _under(image, boxes[k])
            fg = over(t["fill"], t["alpha"], bg)
            out.append(dict(text=t["text"], onCell=t["onCell"], number=t["number"], fg=fg, bg=bg, share=share,
                            ratio=contrast(fg, bg),
                            min=TEXT_MIN if t["number"] else text_minimum(t["px"], t["weight"])))
    return out


def paper_colour(figure) -> tuple:
    """The figure's paper (``paper_bgcolor`` as plotly paints its main SVG), 0..255."""
    return tuple(figure.evaluate(f"(gd) => {{ {JS_COLOURS} return rgba(getComputedStyle(gd.querySelector('svg.main-svg')).backgroundColor); }}"))


# -- JupyterLab's theme -------------------------------------------------------------------------
def page_is_dark(page: Page) -> bool:
    return page.evaluate("() => document.body.dataset.jpThemeLight") == "false"


def switch_theme(page: Page, theme: str) -> None:
    """Settings → Theme → ``theme``, as a person does, and wait until the page says it is on."""
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Settings$")).first.click()
    page.locator(".lm-Menu-item", has_text=re.compile(r"^Theme")).first.hover()
    page.locator('.lm-Menu-item[data-command="apputils:change-theme"]',
                 has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(theme)}$"))).first.click()
    expect(page.locator("body")).to_have_attribute("data-jp-theme-name", theme, timeout=MEDIUM)
