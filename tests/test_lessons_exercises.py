"""The lessons' exercises: their solutions are right, and nothing shows an answer before its check.

Each notebook is built from its source (``notebooks/src/*.py``) and run in this process,
cell by cell, once as the learner gets it and once with every exercise cell replaced by its
solution (``tags=["solution"]``). In the solutions run, just before each check cell runs,
everything a learner could read on the page by then is searched for the answers the
solution cell assigned:

* what every earlier cell printed, and the markdown above the check;
* the code of the cells above it and of the check itself (the solution cells excepted);
* the current state of every widget displayed so far: the explorers' figures (every
  heatmap grid, every array and every string in the figure) and their text (status lines,
  labels, tooltips).

How an answer is recognised: its entries, in order, as consecutive numbers of one printed
line or string (each printed number equal to the entry rounded to the digits printed), or
as a block of cells of a figure's grid (within 0.005; a 1-D answer also as a column or as
the diagonal of a square block, the way a slope factor is drawn). Answers made of fewer than
three whole numbers (a shape such as (4, 5), a count such as 784) cannot be told apart from
the numbers in their own question, so they are not searched; every other answer is.
"""

from __future__ import annotations

import ast
import base64
import functools
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from answer_search import grid_shows, searchable, text_shows
from notebook_tool import tool

ROOT = Path(__file__).resolve().parents[1]




def _role(cell) -> str | None:
    return tool()._role(cell)


LESSONS = [n for n in tool().names() if any(_role(c) == "check" for c in tool().build(n).cells)]


# -- what a page shows ---------------------------------------------------------------------


def _array(value) -> np.ndarray | None:
    """A numeric array from a plotly value: a list, an ndarray, or a typed array {dtype, bdata, shape}."""
    if isinstance(value, dict) and "bdata" in value:
        raw = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<"))
        shape = [int(s) for s in str(value.get("shape", raw.size)).split(",")]
        return raw.reshape(shape).astype(float)
    try:
        a = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        try:  # None for blank cells
            a = np.asarray([[np.nan if v is None else v for v in row] for row in value], dtype=float)
        except (TypeError, ValueError):
            return None
    return a if a.size else None


_STYLE_KEYS = {"colorscale", "font", "line", "marker", "colorbar", "hoverlabel", "margin", "template", "domain",
               "shapes", "xaxis", "yaxis", "images", "zmin", "zmax", "zmid"}


def _walk_plotly(value, strings: list[str], arrays: list[np.ndarray]) -> None:
    if isinstance(value, dict):
        if "bdata" in value:
            arrays.append(_array(value))
            return
        for key, v in value.items():
            if key not in _STYLE_KEYS and not re.match(r"[xy]axis\d*$", key):
                _walk_plotly(v, strings, arrays)
        return
    if isinstance(value, str):
        strings.append(value)
        return
    if isinstance(value, (list, tuple, np.ndarray)):
        a = _array(value)
        if a is not None:
            arrays.append(a)
            return
        for v in value:
            _walk_plotly(v, strings, arrays)


def _strings_in(v, strings: list[str]) -> None:
    if isinstance(v, str):
        strings.append(v)
    elif isinstance(v, dict):
        for x in v.values():
            _strings_in(x, strings)
    elif isinstance(v, (list, tuple)):
        for x in v:
            _strings_in(x, strings)


def page_of(obj, strings: list[str], arrays: list[np.ndarray], seen: set) -> None:
    """Collect what a displayed object shows: its text and every figure's strings and arrays."""
    from plotly.basedatatypes import BaseFigure

    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, BaseFigure):
        _walk_plotly(obj.to_dict(), strings, arrays)
        return
    widget = getattr(obj, "widget", None)  # an explorer: its widget tree
    if widget is not None and widget is not obj:
        page_of(widget, strings, arrays, seen)
        return
    keys = getattr(obj, "keys", None)
    if isinstance(keys, list) and hasattr(obj, "_esm"):  # chainviz's own anywidgets: every string they sync
        state = obj.get_state()
        for key, v in state.items():
            if key.startswith("_") or key == "layout":
                continue
            if key == "cells" and str(state.get("label", "")).startswith("your answer"):
                continue  # what the learner typed into an exercise grid is theirs, not the page's
            _strings_in(v, strings)
        return
    if isinstance(keys, list):  # an ipywidgets widget: the text it shows
        for key in ("value", "description", "tooltip", "placeholder", "options", "_options_labels"):
            v = getattr(obj, key, None) if key in keys else None
            if isinstance(v, str):
                strings.append(v)
            elif isinstance(v, (list, tuple)):
                strings.extend(str(o) for o in v)
        for child in getattr(obj, "children", ()) or ():
            page_of(child, strings, arrays, seen)
        return
    strings.append(repr(obj))


def _assigned(source: str) -> list[str]:
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def _flat(answer):
    """The answer's numbers, flat; an answer that is a choice (text) has none to search for."""
    if isinstance(answer, str):
        return np.zeros(0)
    if isinstance(answer, dict):
        return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in answer.values()])
    return np.asarray(answer, dtype=float)


@functools.cache
def solutions_run(name: str) -> list[dict]:
    """Run ``name`` with its solutions; for every check cell: its output and where its answers show."""
    nb = tool().build(name, solutions=True)
    runner = tool().InProcess(nb, f"{name} (solutions)")
    printed: list[str] = []
    shown: list = []
    answers: dict = {}
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the kernel run shows warnings; here they are not the point
        for k, cell in enumerate(nb.cells):
            if _role(cell) == "check":
                strings, arrays, seen = [], [], set()
                for obj in shown:
                    page_of(obj, strings, arrays, seen)
                page = {
                    "printed": printed,
                    "markdown": [c.source for c in nb.cells[:k] if c.cell_type == "markdown"],
                    "code": [c.source for c in nb.cells[:k + 1] if c.cell_type == "code" and _role(c) != "solution"],
                    "widget text": strings,
                }
                leaks = []
                for var, value in answers.items():
                    a = _flat(value)
                    if not searchable(a):
                        continue
                    for where, texts in page.items():
                        leaks += [f"{var} in {where}: {t[:200]!r}" for t in texts if text_shows(t, a)]
                    target = a if isinstance(value, dict) else np.asarray(value, dtype=float)
                    leaks += [f"{var} drawn in a figure, in an array of shape {g.shape}" for g in arrays
                              if g is not None and g.ndim <= 2 and grid_shows(g, target)]
                run = runner.run(k)
                out.append({"cell": k, "answers": dict(answers), "leaks": leaks, "stdout": run.stdout})
                answers = {}
            else:
                run = runner.run(k)
                if _role(cell) == "solution":
                    answers.update({v: runner.namespace[v] for v in _assigned(cell.source)})
            if run.stdout:
                printed.extend(run.stdout.splitlines())
            shown.extend(run.shown)
    return out


@functools.cache
def learner_run(name: str) -> list[tuple]:
    """The check cells of ``name`` as the learner gets it: (cell, what it printed)."""
    nb = tool().build(name)
    runner = tool().InProcess(nb, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [(r.cell, r.stdout) for r in runner.run_all() if _role(r.cell) == "check"]


# -- the recogniser itself -------------------------------------------------------------------


def test_a_printed_slope_vector_is_recognised():
    # what 03 printed before asking for the same vector (issue 15)
    assert text_shows("relu'(z1) = [1.0000  0.0000  1.0000  1.0000]", [1, 0, 1, 1])
    assert text_shows("relu'(z1) = [1 0 1 1]", [1, 0, 1, 1])
    assert not text_shows("J[1,0] = ∂y[1]/∂x[0] = Σₖ σ′(z₂[1])·W2[1,k]·σ′(z₁[k])·W1[k,0]", [1, 0, 1, 1])
    assert not text_shows("relu'(z1) = [1.0000  0.0000  1.0000  1.0000]", [0, 1, 1, 0])
    assert text_shows("∂L/∂a₁ = [-0.1234  0.5  2.25  -1]", [-0.12341, 0.5, 2.25, -1.0])
    assert not text_shows("∂L/∂a₁ = [-0.1234  0.5  2.25  -1]", [-0.1254, 0.5, 2.25, -1.0])


def test_a_drawn_matrix_row_or_diagonal_is_recognised():
    nan = np.nan
    J = np.array([[0.12, -0.5, 0.3], [1.0, 0.0, -2.25]])
    grid = np.full((6, 9), nan)
    grid[2:4, 5:8] = J + 0.004
    assert grid_shows(grid, J)
    assert not grid_shows(grid, J + 0.02)
    assert not grid_shows(np.where(np.isnan(grid), nan, nan), J)
    slopes = np.array([0.21, 0.0, 0.11, 0.25])
    drawn = np.full((5, 5), nan)
    drawn[1:, 1:] = np.diag(slopes)
    assert grid_shows(drawn, slopes)
    assert grid_shows(np.vstack([np.zeros(4), slopes]), slopes)
    assert not searchable((4, 5)) and searchable([10, 64, 128, 784]) and searchable(-3.5449)


# -- the lessons --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", LESSONS)
def test_every_check_says_right_with_the_solutions(name):
    for check in solutions_run(name):
        lines = [line for line in check["stdout"].splitlines() if line.strip()]
        assert lines and all(line.startswith("right") for line in lines), (
            f"{name}, check cell {check['cell']}, with the solutions printed:\n{check['stdout']}")


@pytest.mark.parametrize("name", LESSONS)
def test_no_answer_shows_before_its_check(name):
    checks = solutions_run(name)
    assert checks, f"{name} has no check cells"
    searched = [v for c in checks for v, a in c["answers"].items() if searchable(_flat(a))]
    assert searched, f"{name}: no answer was searched for"
    leaks = [f"check cell {c['cell']}: {leak}" for c in checks for leak in c["leaks"]]
    assert leaks == [], f"{name}: answers on the page before their check:\n" + "\n".join(leaks)


@pytest.mark.parametrize("name", LESSONS)
def test_unanswered_checks_say_once_which_answer_is_missing(name):
    for cell, stdout in learner_run(name):
        lines = [line for line in stdout.splitlines() if line.strip()]
        calls = len(re.findall(r"\bcheck(?:_quiz|_choice)?\(", cell.source))
        assert len(lines) == calls, f"{name}: {calls} checks printed {len(lines)} lines:\n{stdout}"
        assert len(set(lines)) == len(lines), f"{name}: the same line twice:\n{stdout}"
        for line in lines:
            assert line.startswith("not yet: replace the ... in "), line


# -- the explorer's exercise mode (the contract the notebooks rely on) ---------------------------


def _truths(app) -> dict:
    """What each exercise name asks for, computed by the core (not by the figure's views)."""
    net, x = app.net, app.x
    rows = {r.text: r.values for r in net.reverse_sweep(x, app.loss)}
    return {"D1": net.forward(x).slopes[0], "J": net.jacobian(x), "dL/dy": rows["∂L/∂y"],
            "dL/da1": rows["∂L/∂a₁"], "dL/dz1": rows["∂L/∂z₁"], "dL/dx": rows["∂L/∂x"]}


def _drawn(app, answer) -> list[str]:
    strings, arrays, seen = [], [], set()
    page_of(app, strings, arrays, seen)
    return ([f"in a figure array of shape {g.shape}" for g in arrays if g is not None and g.ndim <= 2
             and grid_shows(g, answer)] + [f"in the text {t[:120]!r}" for t in strings if text_shows(t, answer)])


@pytest.fixture(scope="module")
def explorer_class():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import chainviz as cv

        return cv.ChainRuleExplorer


@pytest.mark.parametrize("name", ["D1", "J", "dL/dy", "dL/da1", "dL/dz1", "dL/dx"])
def test_exercise_mode_hides_what_would_give_the_answer_away(explorer_class, name):
    app = explorer_class(quiz=[name])
    truth = _truths(app)[name]
    assert _drawn(explorer_class(), truth), f"{name} is not drawn even without a quiz: the search is broken"
    assert _drawn(app, truth) == [], f"quiz={[name]}: the answer is on the page"


def test_a_check_reveals_only_when_every_entry_is_right(explorer_class):
    app = explorer_class(quiz=["J"])
    J = _truths(app)["J"]
    wrong = J.copy()
    wrong[0, 1] += 0.5
    app.answer("J", wrong)
    ok = app.check("J")["J"]
    assert ok.shape == J.shape and ok.sum() == J.size - 1 and not ok[0, 1]
    assert _drawn(app, J) == [], "5 of 6 right revealed J"
    strings, seen = [], set()
    page_of(app, strings, [], seen)
    said = " ".join(strings)
    assert re.search(r"\[0,\s?1\]", said), "the message does not name the entry that is off"
    assert "revealed" not in said
    app.answer("J", J + 0.004)
    assert app.check("J")["J"].all()
    assert _drawn(app, J), "all right, and J is still hidden"


def test_show_answer_reveals_and_says_it_was_shown(explorer_class):
    app = explorer_class(quiz=["D1", "J"])
    truths = _truths(app)
    app.show_answer("J")
    assert _drawn(app, truths["J"])
    assert _drawn(app, truths["D1"]) == [], "showing J must not show D1"
    strings, seen = [], set()
    page_of(app, strings, [], seen)
    assert re.search(r"\bshown\b", " ".join(strings), re.I), "nothing says the answer was shown"
