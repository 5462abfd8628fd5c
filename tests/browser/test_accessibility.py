"""Every explorer, as a person who does not use a mouse, a screen reader user, or someone
in a dark room meets it (issue 14), in JupyterLab's light and dark theme.

One notebook shows all six explorers (the chain-rule explorer plain, as a slide, as an
exercise; the Jacobian, composition and mode-cost explorers); it is opened and run once per
theme (JupyterLab's theme is set in the server's user settings before the page opens), and
every test below reads that page:

* axe-core finds no WCAG 2.0/2.1 A/AA violation inside each explorer's output;
* every text a figure draws (the numbers on its cells above all, which axe cannot see) has a
  contrast of at least 4.5:1 with what is under it, read from the pixels of the page;
* each figure's paper follows the theme (not a white block in the dark), and a screenshot of
  each explorer is saved as test-artifacts/browser/a11y-<theme>-<explorer>.png;
* a rejected entry, its message, the check badge and an exercise's marks are legible;
* Tab walks through the default explorer in few stops (a grid is one), each with a visible
  focus indicator of at least 3:1;
* switching the theme with the page open (Settings → Theme) recolours every figure without
  running a cell again (the last test of each page: it leaves the page in the other theme).

Problems that are known and reported are listed in :data:`KNOWN`: a test that finds only
those is marked ``xfail(strict=True)`` (so it fails the run once they are fixed and the entry
must go); any other problem fails it. Each failure lists every problem, known ones marked.
"""

from __future__ import annotations

import sys
import time

import nbformat
import numpy as np
import pytest

import chainviz as cv

from .a11y import (
    DARK_THEME,
    FOCUS_MIN,
    JS_COLOURS,
    LIGHT_THEME,
    TEXT_MIN,
    THEMES_PLUGIN,
    axe_violations,
    contrast,
    describe_violations,
    figure_text_contrast,
    focus_indicator,
    hex_of,
    over,
    page_is_dark,
    paper_colour,
    relative_luminance,
    switch_theme,
    text_colours,
)
from .conftest import _watch_console
from .helpers import (
    LONG,
    MEDIUM,
    cell_error_outputs,
    cell_prompts,
    cell_selector,
    grid_cell,
    next_frames,
    open_notebook,
    run_all_cells,
    screenshot,
    set_lab_setting,
    shutdown_kernels,
    unexpected_console_errors,
    wait_for_layout,
)

NOTEBOOK = "accessibility.ipynb"
#: name -> the code that shows it (cell k + 1 of the notebook, in this order)
EXPLORERS = {
    "chain": "import chainviz as cv\ncv.ChainRuleExplorer()",
    "presentation": "cv.ChainRuleExplorer(presentation=True)",
    "exercise": 'relu = cv.examples.PRESETS["relu"]\n'
                'cv.ChainRuleExplorer(relu.net, [0.5, 1.0, -0.8], relu.loss, quiz=["D1", "J"])',
    "jacobian": "cv.demos.jacobian_demo()",
    "composition": "cv.demos.composition_demo()",
    "modecost": "cv.ModeCostExplorer()",
}
NAMES = list(EXPLORERS)
THEMES = {"light": LIGHT_THEME, "dark": DARK_THEME}
#: a paper darker than this relative luminance is dark (#595959 is 0.10); lighter than LIGHT_PAPER, light
DARK_PAPER, LIGHT_PAPER = 0.10, 0.60
#: Tab stops of the default explorer: 19 today (4 selects, 2 buttons and 2 folded groups in the
#: toolbar; an activation select and one stop per grid for W2, W1, then x and t; the scrub
#: slider; Play, ◀, the step slider (▶ is disabled at the end of the sweep); the folded training
#: group). The audit of issue 14 counted 50. Room is left for the text alternative's toggle.
MOST_TAB_STOPS = 24

# -- known problems, reported to the lead (issue 14) ---------------------------------------------
# Each is found by a piece of the problem's description (an axe rule id and the element's HTML,
# or the text of a failed check). A test whose problems are all known is marked
# xfail(strict=True): it passes the run while they remain, fails it once they are fixed (then
# delete the entry); a problem that is not known fails the test as usual.
#: (test, theme or None for both, explorer) -> [(rule or check, piece of the element or text, why)];
#: empty: every problem found so far is fixed (the play and check buttons' names contain their
#: words, the slide's figure box and message block take a Tab stop while they scroll)
KNOWN: dict = {}


def unknown_problems(request, test: str, theme: str, name: str | None, problems: list[tuple[str, str]]) -> list:
    """``problems`` (``(rule, description)``) that :data:`KNOWN` does not list for this test; when
    there are none and some are known, the test is marked ``xfail(strict=True)`` with the reasons."""
    known = KNOWN.get((test, theme, name), []) + KNOWN.get((test, None, name), [])
    unknown = [p for p in problems if not any(rule == p[0] and piece in p[1] for rule, piece, _ in known)]
    if known and not unknown:
        reasons = list(dict.fromkeys(why for _, _, why in known))
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"known ({test}, {theme}): " + " | ".join(reasons)))
    return unknown


def root_of(name: str) -> str:
    return cell_selector(NAMES.index(name) + 1)


def write_notebook(path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Every explorer, for accessibility checks")] + [
        nbformat.v4.new_code_cell(src) for src in EXPLORERS.values()]
    nbformat.write(nb, path)


def figure(page, name: str):
    return page.locator(f"{root_of(name)} .js-plotly-plot").first


def paper_luminance(page, name: str) -> float:
    return relative_luminance(paper_colour(figure(page, name)))


# -- one page per theme ---------------------------------------------------------------------------
@pytest.fixture(scope="module", params=list(THEMES))
def themed(request, lab_server, browser):
    """``(theme, page)``: the notebook of every explorer, run, in JupyterLab's ``theme``."""
    theme = request.param
    write_notebook(lab_server.root / NOTEBOOK)
    set_lab_setting(lab_server.url, THEMES_PLUGIN, {"theme": THEMES[theme]} if theme == "dark" else {})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    page = context.new_page()
    _watch_console(page)
    try:
        t0 = time.monotonic()
        open_notebook(page, lab_server.url, NOTEBOOK)
        assert page_is_dark(page) == (theme == "dark"), f"JupyterLab did not open in its {theme} theme"
        run_all_cells(page)
        assert cell_error_outputs(page) == []
        for name in NAMES:
            page.wait_for_function(
                "(gd) => gd.data && gd.querySelector('.heatmaplayer g.hm image, .cartesianlayer g.trace')",
                arg=figure(page, name).element_handle(timeout=LONG), timeout=LONG)
            if page.locator(f"{root_of(name)} .cv-root").count():
                wait_for_layout(page, root_of(name))
        print(f"\n{theme}: notebook of {len(NAMES)} explorers open and drawn in {time.monotonic() - t0:.1f} s")
        yield theme, page
    finally:
        context.close()
        set_lab_setting(lab_server.url, THEMES_PLUGIN, {})  # the next page opens light, as a new user's does
        try:
            shutdown_kernels(lab_server.url, NOTEBOOK)
        except OSError as exc:
            print(f"could not shut the kernel of {NOTEBOOK} down: {exc}", file=sys.stderr)


def check(request, test: str, theme: str, name: str | None, problems: list[tuple[str, str]], what: str) -> None:
    """Fail with every problem (``(rule, description)``) listed, known ones marked; see :data:`KNOWN`."""
    unknown = unknown_problems(request, test, theme, name, problems)
    assert not problems, f"{what}, {theme} theme: {len(problems)} problem(s), {len(unknown)} not known:\n" + "\n".join(
        f"  {'' if p in unknown else '(known) '}{p[0]}: {p[1]}" for p in problems)


# -- axe ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_axe_finds_no_violation(themed, name, request):
    theme, page = themed
    violations = axe_violations(page, page.locator(f"{root_of(name)} .jp-OutputArea-output").first)
    if violations:
        print(f"\n{name}, {theme}: axe-core found\n{describe_violations(violations)}")
    check(request, "axe", theme, name, [(v["id"], f"{n['html']}  [{n['target']}]") for v in violations
                                        for n in v["nodes"]], name)


# -- SVG text: the numbers on the cells, titles, ticks ----------------------------------------------
def text_problems(texts: list[dict]) -> list[tuple[str, str]]:
    return [("text", f"{'number' if t['number'] else 'text'}{' on a cell' if t['onCell'] else ''} {t['text']!r}: "
                     f"{hex_of(t['fg'])} on {hex_of(t['bg'])} {t['ratio']:.2f}:1 < {t['min']}:1")
            for t in texts if t["ratio"] < t["min"]]


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_text_is_legible(themed, name, request):
    theme, page = themed
    texts = figure_text_contrast(page, figure(page, name))
    numbers = [t for t in texts if t["number"]]
    assert numbers, f"{name}: the figure prints no number"
    print(f"\n{name}, {theme}: {len(numbers)} numbers ({sum(t['onCell'] for t in texts)} on cells), "
          f"{len(texts) - len(numbers)} other texts; lowest contrast {min(t['ratio'] for t in texts):.2f}:1")
    check(request, "text", theme, name, text_problems(texts), f"{name}'s figure")


# -- the paper follows the theme; what each explorer looks like ------------------------------------
def paper_problems(page, name: str, theme: str) -> list[tuple[str, str]]:
    lum = paper_luminance(page, name)
    right = lum < DARK_PAPER if theme == "dark" else lum > LIGHT_PAPER
    return [] if right else [("paper", f"the figure's paper is {hex_of(paper_colour(figure(page, name)))} "
                                       f"(luminance {lum:.2f}) in the {theme} theme")]


def screenshots(page, name: str, label: str) -> None:
    """The explorer from its top as the page shows it, and its figure if that is below the window."""
    page.locator(root_of(name)).first.evaluate("(c) => c.scrollIntoView({block: 'start'})")
    next_frames(page, 3)
    screenshot(page, label)
    gd = figure(page, name)
    if gd.evaluate("(gd) => gd.getBoundingClientRect().bottom > window.innerHeight"):
        gd.evaluate("(gd) => gd.scrollIntoView({block: 'start'})")
        next_frames(page, 3)
        screenshot(page, f"{label}-figure")


@pytest.mark.parametrize("name", NAMES)
def test_figure_paper_follows_the_theme(themed, name, request):
    theme, page = themed
    screenshots(page, name, f"a11y-{theme}-{name}")
    check(request, "paper", theme, name, paper_problems(page, name, theme), name)


# -- rejected entries, messages and marks ------------------------------------------------------------
def legibility(page, selector: str, what: str) -> list[tuple[str, str]]:
    """Problems of every element matching ``selector``: text under 4.5:1 (WCAG 1.4.3), or an
    input's border (what marks its state) under 3:1 against what is around it (WCAG 1.4.11)."""
    out = []
    for k in range(page.locator(selector).count()):
        el = page.locator(selector).nth(k)
        c = text_colours(el)
        if c["text"] and c["ratio"] < TEXT_MIN:
            out.append((what, f"{c['text']!r}: {hex_of(c['fg'])} on {hex_of(c['bg'])} {c['ratio']:.2f}:1"))
        if el.evaluate("(e) => e.tagName") != "INPUT":
            continue
        border = el.evaluate(f"""(e) => {{ {JS_COLOURS} const cs = getComputedStyle(e);
            return cs.borderTopStyle === 'none' || parseFloat(cs.borderTopWidth) === 0 ? null : rgba(cs.borderTopColor); }}""")
        if border is not None:
            around = text_colours(el.locator("xpath=.."))["bg"]
            ratio = contrast(over(border, border[3], around), around)
            if ratio < FOCUS_MIN:
                out.append((what, f"{c['text']!r} border {hex_of(border)} on {hex_of(around)} {ratio:.2f}:1"))
    return out


def type_into(cell, text: str) -> None:
    cell.click()
    cell.fill(text)
    cell.press("Enter")


def test_rejections_and_marks_are_legible(themed, request):
    """A weight typed as 'abc' (the cell, the message under its grid, the status) and an exercise
    checked with one entry right and one wrong (the marks, the exercise's texts)."""
    theme, page = themed
    chain, exercise = root_of("chain"), root_of("exercise")
    cell = grid_cell(page, "W1", 0, 0, chain)
    before = cell.input_value()
    type_into(cell, "abc")
    page.locator(f"{chain} input.cv-cell.cv-bad").first.wait_for(timeout=MEDIUM)
    page.locator(f"{chain} .cv-error").first.wait_for(timeout=MEDIUM)
    relu = cv.examples.PRESETS["relu"]
    right = float(np.ravel(relu.net.forward(np.array([0.5, 1.0, -0.8])).slopes[0])[0])
    answers = page.locator(f'{exercise} input.cv-cell[aria-label^="D1 row"]')
    for k, text in enumerate([f"{right:g}", "9"]):
        answers.nth(k).fill(text)
        answers.nth(k).press("Tab")
    page.locator(f"{exercise} .cv-bar button", has_text="Check D1").first.click()
    page.locator(f"{exercise} input.cv-cell.cv-right").first.wait_for(timeout=MEDIUM)
    try:
        cell.scroll_into_view_if_needed()
        screenshot(page, f"a11y-{theme}-rejected")
        assert page.locator(f"{chain} .cv-grid-message:not([hidden])").count() == 1, "no message under W1's grid"
        problems = (legibility(page, f"{chain} input.cv-cell.cv-bad", "rejected entry")
                    + legibility(page, f"{chain} .cv-grid-message:not([hidden])", "message under the grid")
                    + legibility(page, f"{chain} .cv-bar .cv-error, {chain} .cv-bar .cv-ok", "status")
                    + legibility(page, f"{exercise} input.cv-cell.cv-right, {exercise} input.cv-cell.cv-wrong",
                                 "exercise mark")
                    + legibility(page, f"{exercise} .cv-bar .cv-html", "exercise text"))
        check(request, "legible", theme, None, problems, "rejections, messages and marks")
    finally:
        type_into(cell, before)
        page.locator(f"{chain} input.cv-cell.cv-bad").first.wait_for(state="detached", timeout=MEDIUM)


# -- the keyboard: how many Tab stops, each visibly focused -----------------------------------------
def tab_through(page, root) -> list[dict]:
    """Press Tab from a button placed right before ``root`` until the focus leaves it; per stop,
    :func:`focus_indicator` and ``grid``: the grid's accessible name when the stop is in one."""
    root.evaluate("""(r) => { const b = document.createElement('button'); b.textContent = 'before the explorer';
        b.id = 'cv-a11y-before'; r.parentElement.insertBefore(b, r); b.focus(); }""")
    stops = []
    try:
        for _ in range(80):
            page.keyboard.press("Tab")
            if not root.evaluate("(r) => r.contains(document.activeElement)"):
                return stops
            f = focus_indicator(page)
            f["grid"] = page.evaluate("() => { const g = document.activeElement.closest('.cv-grid-table');"
                                      " return g ? g.getAttribute('aria-label') : null; }")
            stops.append(f)
        raise AssertionError(f"80 presses of Tab did not leave the explorer: {[s['label'] for s in stops]}")
    finally:
        page.evaluate("() => document.getElementById('cv-a11y-before').remove()")


def test_tab_stops_are_few_and_visibly_focused(themed, request):
    theme, page = themed
    stops = tab_through(page, page.locator(f"{root_of('chain')} .cv-root").first)
    print(f"\n{theme}: {len(stops)} Tab stops: " + " | ".join(s["label"] for s in stops))
    grids = [s["grid"] for s in stops if s["grid"]]
    assert sorted(set(grids)) == sorted(grids), f"a grid takes more than one Tab stop: {grids}"
    assert len(grids) == 4, f"W2, W1, x and t should each be one stop, got {grids}"
    assert len(stops) <= MOST_TAB_STOPS, f"{len(stops)} Tab stops through one explorer (at most {MOST_TAB_STOPS})"
    check(request, "focus", theme, "chain", [
        ("focus", f"{s['tag']} {s['label']!r}: " + (", ".join(
            f"{m['what']} {hex_of(m['colour'])} on {hex_of(m['against'])} {m['ratio']:.2f}:1" for m in s["marks"])
            or "nothing marks the focus") + ("" if s["focusVisible"] else " (not :focus-visible)"))
        for s in stops if s["best"] < FOCUS_MIN or not s["focusVisible"]], "focus indicators")


# -- a theme change with the page open (last: it leaves the page in the other theme) ----------------
@pytest.mark.parametrize("name", NAMES)
def test_a_theme_change_is_followed(themed, name, request):
    theme, page = themed
    other = "light" if theme == "dark" else "dark"
    if not hasattr(page, "cv_prompts"):  # the first of these tests switches, the others look
        page.cv_prompts = cell_prompts(page)
        switch_theme(page, THEMES[other])
    # the page tells each explorer's kernel, which redraws: on 2 busy cores this can take seconds
    deadline = time.monotonic() + 30
    while paper_problems(page, name, other) and time.monotonic() < deadline:
        time.sleep(0.2)
    screenshots(page, name, f"a11y-{theme}-to-{other}-{name}")
    problems = paper_problems(page, name, other) + text_problems(figure_text_contrast(page, figure(page, name)))
    if cell_prompts(page) != page.cv_prompts:
        problems.append(("rerun", f"the prompts went from {page.cv_prompts} to {cell_prompts(page)}"))
    check(request, "switch", theme, name, problems, f"{name} after switching to {other}")


def test_no_console_errors(themed):
    theme, page = themed
    assert unexpected_console_errors(page.console_errors) == [], f"{theme} theme"
