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
the diagonal of a square block, the way a slope factor is drawn).

Small answers (fewer than three whole numbers, such as ``[1]``, ``[[4, 2]]``, ``12`` or a
count such as 784, and the letter of a choice) cannot be told apart from the numbers of their
own question by their numbers alone, so they are searched for in the forms that state them
(:func:`small_answer_shows`): written as a list or row (``[1]``, ``(4, 2)``,
``[ 6.0000  -2.0000]``, never an index such as ``W1[1]``), after ``=`` (``= 12``), after a word
that names an index (``row 1``, ``**row 1**``, ``units 0 and 2``), a count of four or more
digits anywhere (``100,352``), a dict's small entry after its key (``reverse: 784``), and a
choice as ``my_answer = "b"`` or ``the answer is b``.

And no check cell, nor any code above it, spells out an exercise's solution: a solution that
is an expression (not a literal) must not appear as an expression of those cells.
"""

from __future__ import annotations

import ast
import base64
import functools
import itertools
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


# -- small answers: in the forms that state them ------------------------------------------------

_NAMES_AN_INDEX = r"\b(?:rows?|units?|neurons?|columns?|ind(?:ex|ices)|entr(?:y|ies))\b"
_MARKUP = r"[\s$*`]*"  # markdown and LaTeX around a number: **row 1**, row $1$


def _whole(v: float) -> str:
    """A regex for the whole number ``v`` as written: 1, 1.0, 1.0000, −1, 100,352; never part of
    a longer number (12 in 112 or 0.12) nor a subscript (W_1)."""
    n = int(v)
    digits = f"{abs(n):,}".replace(",", "[,\u2009\u202f ]?")
    sign = "[-−]" if n < 0 else "(?<![-−])"
    return rf"(?<![\w.]){sign}{digits}(?:\.0+)?(?!\w|\.\d)"


def _small_patterns(var: str, value) -> list[str]:
    """Regexes that find ``value``, an answer too small for :func:`text_shows`, stated in a text."""
    if isinstance(value, str):  # a choice
        c = re.escape(value.strip())
        return [rf"\b{re.escape(var)}\s*=\s*[\"']{c}[\"']",
                rf"\b(?:answer|choice)\s*(?:is|:)\s*[\"'`*(]*{c}\b"]
    if isinstance(value, dict):
        out = []
        for key, v in value.items():
            for e in np.ravel(np.asarray(v, dtype=float)):  # 100,352 anywhere; reverse: 784 after its key
                out.append(_whole(e) if abs(e) >= 1000 else rf"\b{re.escape(str(key))}\b[^\n]{{0,40}}?{_whole(e)}")
        return out
    a = np.asarray(value, dtype=float)
    entries = [_whole(e) for e in a.ravel()]
    out = [r"(?<![\w\]′')])[\[(]+\s*" + r"\s*(?:,\s*|\s+)".join(entries) + r"\s*[\])]"]  # [1], (4, 2)
    if a.ndim == 0:
        out.append(r"=\s*" + entries[0])  # = 12
    out += [_whole(e) for e in a.ravel() if abs(e) >= 1000]  # a count of four digits or more
    if np.all(a >= 0):  # row 1, units 0 and 2
        out.append(_NAMES_AN_INDEX + _MARKUP + (_MARKUP + r"(?:,|and|or)?" + _MARKUP).join(entries))
    return out


def small_answer_shows(text: str, var: str, value) -> list[str]:
    """Where ``text`` states the small answer ``var = value``: the matched excerpts, or ``[]``."""
    return [text[max(0, m.start() - 40):m.end() + 40] for p in _small_patterns(var, value)
            for m in re.finditer(p, text, re.IGNORECASE)]


def leaks_on(page: dict[str, list[str]], arrays: list, answers: dict) -> list[str]:
    """Where the ``answers`` (name → solution value) show on a ``page`` (where → texts) or in its figures."""
    leaks = []
    for var, value in answers.items():
        a = _flat(value)
        if not searchable(a):
            for where, texts in page.items():
                leaks += [f"{var} in {where}: ...{hit!r}..."
                          for t in texts for hit in small_answer_shows(t, var, value)]
            continue
        for where, texts in page.items():
            leaks += [f"{var} in {where}: {t[:200]!r}" for t in texts if text_shows(t, a)]
        target = a if isinstance(value, dict) else np.asarray(value, dtype=float)
        leaks += [f"{var} drawn in a figure, in an array of shape {g.shape}" for g in arrays
                  if g is not None and g.ndim <= 2 and grid_shows(g, target)]
    return leaks


def spelled_solutions(cells) -> list[str]:
    """Solutions written out where a learner reads them: for every check cell, each solution since
    the last check that is an expression (``L - 0.5 * sum(...)``, not a literal such as ``[1]``)
    and appears as an expression of the check or of any code cell above it (solutions excepted)."""
    found, solutions = [], {}
    for k, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        if _role(cell) == "solution":
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and not _literal(node.value):
                    solutions[ast.unparse(node.value)] = ast.unparse(node.targets[0])
            continue
        if _role(cell) == "check":
            readable = [c for c in cells[:k + 1] if c.cell_type == "code" and _role(c) != "solution"]
            shown = {ast.unparse(n) for c in readable for n in ast.walk(ast.parse(c.source)) if isinstance(n, ast.expr)}
            found += [f"cell {k}: {var} = {expr}" for expr, var in solutions.items() if expr in shown]
            solutions = {}
    return found


def _literal(node) -> bool:
    try:
        ast.literal_eval(node)
    except ValueError:
        return False
    return True


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
    return run_with_solutions(tool().build(name, solutions=True), f"{name} (solutions)")


def run_with_solutions(nb, label: str) -> list[dict]:
    """Run ``nb`` (built with its solutions) cell by cell; for every check cell: its output and leaks."""
    runner = tool().InProcess(nb, label)
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
                leaks = leaks_on(page, arrays, answers)
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


def test_a_small_answer_is_recognised_where_it_is_stated():
    # 05's exercise 3 (issue 15/16): the text above it said which row, the answer is [1]
    assert small_answer_shows("Train the net below and watch\nrow 1 of $\\mathbf W_1$", "my_rows", [1])
    assert small_answer_shows("watch **row 1** of W1", "my_rows", [1])
    assert small_answer_shows("the dead unit is unit $1$.", "my_rows", [1])
    assert small_answer_shows("my_rows = [1]", "my_rows", [1])
    assert small_answer_shows("rows 0 and 2 never move", "my_rows", [0, 2])
    assert small_answer_shows("J_g = (4.0, 2.0)", "my_J_g", [[4, 2]])
    assert small_answer_shows("∂h = [ 6.0000  -2.0000]", "my_J_h", [[6, -2]])
    assert small_answer_shows("so h'(2) = 12", "my_h_slope", 12)
    assert small_answer_shows("forward mode peaks at 100,352 numbers", "my_peaks", {"forward": 100352, "reverse": 784})
    assert small_answer_shows("reverse: 784", "my_peaks", {"forward": 100352, "reverse": 784})
    assert small_answer_shows('my_answer = "b"', "my_answer", "b")
    assert small_answer_shows("The answer is (b).", "my_answer", "b")
    # ... and not where the same numbers only ask the question or index an entry
    assert not small_answer_shows("∂L/∂W1[1,0] = ∂L/∂z₁[1] · x[0] = −0.0623 · 1", "my_rows", [1])
    assert not small_answer_shows("relu′(z₁[1]) = ∂a₁[1]/∂z₁[1]; grads[1]; \\mathbf W_1", "my_rows", [1])
    assert not small_answer_shows("which rows of $\\mathbf W_1$ never move? counted from 0", "my_rows", [1])
    assert not small_answer_shows("row 12, row 1.5, row -1", "my_rows", [1])
    assert not small_answer_shows("widths [784, 128, 64, 10]", "my_peaks", {"forward": 100352, "reverse": 784})
    assert not small_answer_shows("x = 2: J_f = (1.0, 4.0)ᵀ; f(x) = (x, x^2)", "my_J_g", [[4, 2]])
    assert not small_answer_shows("* b. the first step already raises the loss", "my_answer", "b")
    assert not small_answer_shows('truth = "b" if L[1] > L[0] else "a"', "my_answer", "b")


def test_a_solution_spelled_out_in_its_check_is_found():
    # 05's exercise 1 once computed the truth with the very line the learner is asked to write
    nb = tool().build("05_training", solutions=True)
    assert spelled_solutions(nb.cells) == []
    [k] = [k for k, c in enumerate(nb.cells) if _role(c) == "solution" and "my_prediction" in c.source]
    expr = nb.cells[k].source.split("=", 1)[1].strip()
    check = next(c for c in nb.cells[k:] if _role(c) == "check")
    check.source = f"check(my_prediction, {expr}, 'my_prediction')"
    written = ast.unparse(ast.parse(expr, mode="eval").body)
    assert spelled_solutions(nb.cells) == [f"cell {nb.cells.index(check)}: my_prediction = {written}"]


def test_the_leak_search_finds_the_row_that_05_used_to_name():
    # 05 once said "watch row 1 of W1" above exercise 3, whose answer is [1]; put it back
    nb = tool().build("05_training", solutions=True)
    [k] = [k for k, c in enumerate(nb.cells) if c.cell_type == "markdown" and "never learns" in c.source]
    nb.cells[k].source += "\n\nTrain the net below and watch **row 1** of $\\mathbf W_1$."
    last = run_with_solutions(nb, "05_training (with the old hint)")[-1]
    assert list(last["answers"]) == ["my_rows"]
    assert any(leak.startswith("my_rows in markdown") for leak in last["leaks"]), last["leaks"]


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
def test_no_check_spells_out_its_solution(name):
    spelled = spelled_solutions(tool().build(name, solutions=True).cells)
    assert spelled == [], f"{name}: a solution written out in code the learner reads:\n" + "\n".join(spelled)


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


def test_check_quiz_after_show_answer_says_what_the_real_explorer_shows(explorer_class, capsys):
    # issue 15: "its panel stays hidden" was printed under a panel Show answer had drawn
    from chainviz.lesson import check_quiz

    app = explorer_class(quiz=["D1", "J"])
    truths = _truths(app)
    wrong = list(truths["D1"])
    wrong[3] += 0.5
    check_quiz(app, "D1", wrong)
    assert capsys.readouterr().out.strip().endswith("its panel stays hidden until every entry is right")
    app.show_answer("D1")
    check_quiz(app, "D1", wrong)
    said = capsys.readouterr().out.strip()
    assert said == "not yet: D1[3] is off (3 of 4 right); its panel was revealed by Show answer (shown, not solved)"
    assert _drawn(app, truths["D1"]), "the message says shown: the panel must be drawn"
    check_quiz(app, "J", truths["J"] + [[0, 0, 0.5], [0, 0, 0]])  # J was not shown: still hidden
    assert capsys.readouterr().out.strip().endswith("its panel stays hidden until every entry is right")


# -- the lessons in order ------------------------------------------------------------------------


@pytest.mark.parametrize("name,after", list(itertools.pairwise(LESSONS)))
def test_each_lesson_ends_with_a_link_to_the_next(name, after):
    last = tool().build(name).cells[-1]
    link = re.search(rf"^Next: \[[^\]]+\]\({after}\.ipynb\)", last.source, re.MULTILINE)
    assert last.cell_type == "markdown" and link, f"{name} ends {last.source!r}, with no 'Next:' link to {after}"
