"""A figure updated before it is first drawn draws every trace, with every property.

An update that changes a property of some traces only marks it ``"_undefined_"`` for the
others. plotly's FigureModel applies each update to its copy of the figure from the raw
message, marker and all, so a view drawn after such an update found those properties missing:
in notebook 04, whose first explorer's step is set in the next cell, the titles (a text trace
whose ``x`` was marked) vanished in a fresh kernel. chainviz's figure front end hands plotly the
updates with the markers read as undefined (``chainviz/_static/figure_loader.js``).

Here the explorer is made and stepped before it is shown, so its view is drawn from the
figure as the front end holds it.
"""

from __future__ import annotations

import ast


from .helpers import JS_FIGURE, LONG, MEDIUM, cell_selector, open_notebook, run_cell, wait_for_heatmaps, write_notebook

NOTEBOOK = "late_view.ipynb"
CELLS = [
    "import chainviz as cv\na = cv.ChainRuleExplorer()",  # made, not shown: no view yet
    "a.set_step(1)\nprint('stepped')",  # moves the numbers (the labels' x), not the titles' x
    "a",
    "print([(t.name, len(t.x)) for t in a.figure.data if t.type == 'scatter' and t.x is not None and len(t.x)])",
]

#: ``[[name, points in gd.data, text points drawn], ...]`` for the figure's scatter traces
JS_TRACES = f"""(root) => {{
    const gd = ({JS_FIGURE})(root, 0);
    const drawn = Array.from(gd.querySelectorAll('.scatterlayer g.trace'));
    return gd.data.filter(t => (t.type || 'scatter') === 'scatter').map((t, k) => {{
        const g = drawn.find(e => e.__data__ && e.__data__[0] && e.__data__[0].trace.name === t.name);
        const here = gd.querySelector(`g.cv-page-text[data-name="${{t.name}}"]`);  // drawn by the front end
        return [t.name, t.x ? t.x.length : 0,
                here ? here.querySelectorAll('text').length : g ? g.querySelectorAll('.textpoint').length : 0];
    }});
}}"""


def test_a_figure_updated_before_it_is_drawn_draws_every_trace(lab_server, page):
    write_notebook(lab_server.root, NOTEBOOK, CELLS)
    open_notebook(page, lab_server.url, NOTEBOOK)
    run_cell(page, 0)
    run_cell(page, 1)
    page.locator(".jp-OutputArea-output", has_text="stepped").first.wait_for(timeout=LONG)
    run_cell(page, 2)
    wait_for_heatmaps(page, 1, timeout=LONG)
    run_cell(page, 3)
    out = page.locator(f"{cell_selector(3)} .jp-OutputArea-output").first
    out.wait_for(timeout=LONG)
    kernel = dict(ast.literal_eval(out.text_content().strip()))  # the kernel's (name, points) pairs
    assert set(kernel) >= {"labels", "words", "live words"}, kernel
    page.wait_for_function(f"(r) => ({JS_TRACES})(r).length > 0", arg=cell_selector(2), timeout=MEDIUM)
    drawn = {name: (n, shown) for name, n, shown in page.evaluate(JS_TRACES, cell_selector(2))}
    for name, n in kernel.items():
        got = drawn.get(name, (0, 0))
        assert got[0] == n and got[1] > 0, f"{name}: the kernel has {n} points, the page (points, drawn) {got}"
