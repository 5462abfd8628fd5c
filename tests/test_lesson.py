"""chainviz.lesson: what the notebooks print, and the messages their checks give a learner.

Every message is one line. "right: NAME" when every entry is within ±0.01 of the truth;
otherwise "not yet: ..." naming the answer and what is wrong with it. The true values are
never printed.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from chainviz.lesson import check, check_choice, check_quiz, fmt, judge, shape, show, vec

J = [[2.0, 1.0], [2.0, 1.0]]


def said(answer, truth=J, name="my_J") -> str:
    verdict = judge(answer, truth, name)
    assert verdict.right == verdict.text.startswith("right"), verdict
    assert "\n" not in verdict.text
    return verdict.text


# -- printing ------------------------------------------------------------------------------


def test_fmt_vec_shape():
    assert fmt(2 / 3) == "0.6667" and fmt(-1e-7) == "0.0000" and fmt(-2.5, 1) == "-2.5"
    assert vec([1, -0.5]) == "(1.0000, -0.5000)"
    assert (shape(np.zeros((2, 3))), shape([1, 2, 3]), shape(5.0)) == ("2×3", "1×3", "1×1")


def test_show_aligns_rows_under_the_label(capsys):
    show("J", [[2, -1.5], [10, 0]], digits=1)
    assert capsys.readouterr().out == "J = [ 2.0  -1.5]\n    [10.0   0.0]\n"


# -- check: right ------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [J, ((2.004, 1), (2, 0.991)), np.array(J), [["2", "1"], ["2", 1]],
                                    [[2, 1], [2, "1.0"]]], ids=repr)
def test_right(answer):
    assert said(answer) == "right: my_J"


def test_right_for_rows_scalars_shapes_and_large_counts():
    assert said([6, -2], [[6, -2]], "my_row") == "right: my_row"  # a row may be written flat
    assert said([[1], [4]], [1, 4], "col") == "right: col"
    assert said(12, 12.0, "my_slope") == "right: my_slope"
    assert said((3, 5), (3, 5), "shape") == "right: shape"
    assert said(100_350, 100_352, "peak") == "right: peak"  # within 0.01 % of a large count
    assert said(100_300, 100_352, "peak") == "not yet: peak is off"


def test_the_tolerance_is_a_hundredth():
    assert judge(0.259, 0.25, "s").right and not judge(0.261, 0.25, "s").right


# -- check: not yet ----------------------------------------------------------------------


def test_not_yet_names_the_answer_and_the_entries_that_are_off():
    assert said([[2, 1], [2, 2]]) == "not yet: my_J[1, 1] is off (3 of 4 right)"
    assert said([[4, 3]], [[4, 2]], "my_J_g") == "not yet: my_J_g[0, 1] is off (1 of 2 right)"
    assert said([0.5, 3, 1.3, 7], [0.5, 3, 1.2, 7.5], "my_D1") == "not yet: my_D1[2] and my_D1[3] are off (2 of 4 right)"
    assert said([[0, 0], [0, 1]]) == "not yet: my_J[0, 0], my_J[0, 1] and my_J[1, 0] are off (1 of 4 right)"
    assert said([[0, 0], [0, 0]]) == "not yet: every entry of my_J is off"
    assert said(list(range(6)), np.full(6, 9.0), "v") == "not yet: every entry of v is off"
    assert said([9, 1, 9, 9, 9], [0, 1, 0, 0, 0], "v") == "not yet: v[0], v[2], v[3] and 1 more are off (1 of 5 right)"


def test_not_yet_never_prints_the_truth():
    text = said([[2.5, 1], [2, 1]], [[2.25, 1.0], [2.0, 1.0]])
    assert "2.25" not in text and text == "not yet: my_J[0, 0] is off (3 of 4 right)"


@pytest.mark.parametrize("answer, text", [
    ([[1, 2, 3]], "not yet: my_J should be 2×2 (2 rows of 2); yours is shape 1×3"),
    ([[1, 2], [3]], "not yet: my_J should be 2×2 (2 rows of 2); yours is rows of different lengths"),
    ([1, 2, 3, 4], "not yet: my_J should be 2×2 (2 rows of 2); yours is shape (4,)"),
    (7, "not yet: my_J should be 2×2 (2 rows of 2); yours is one value"),
    ({"a": 1}, "not yet: my_J should be 2×2 (2 rows of 2); yours is a dict"),
    ("two", "not yet: my_J should be 2×2 (2 rows of 2); yours is the text 'two'"),
    (None, "not yet: my_J should be 2×2 (2 rows of 2); yours is None"),
], ids=repr)
def test_wrong_shape(answer, text):
    assert said(answer) == text


def test_wrong_shape_of_a_row_and_of_a_number():
    assert said([1, 2], [[4, 2, 1]], "r") == "not yet: r should be 3 numbers (1×3); yours is shape (2,)"
    assert said([1, 2], 3.5, "s") == "not yet: s should be one number; yours is shape (2,)"


@pytest.mark.parametrize("answer, text", [
    ([["x", 1], [2, 1]], "not yet: my_J[0, 0] is 'x', not a number"),
    ([[None, 1], [2, 1]], "not yet: my_J[0, 0] is None, not a number"),
    ([[float("nan"), 1], [2, 1]], "not yet: my_J[0, 0] is nan, not a finite number"),
    ([[2, float("inf")], [2, 1]], "not yet: my_J[0, 1] is inf, not a finite number"),
    ([[2, 1], [True, 1]], "not yet: my_J[1, 0] is True, not a number"),
    ([["x", 1], [2, 5]], "not yet: my_J[0, 0] is 'x', not a number; my_J[1, 1] is off (2 of 4 right)"),
], ids=repr)
def test_not_a_number(answer, text):
    assert said(answer) == text


def test_not_a_number_for_a_single_answer():
    assert said("abc", 3.5, "my_slope") == "not yet: my_slope is 'abc', not a number"


def test_unanswered_is_one_line_naming_the_answer():
    assert said(...) == "not yet: replace the ... in my_J with your answer"
    assert said([[..., ...], [..., ...]]) == "not yet: replace the ... in my_J with your answer"
    assert said([[2, 1], [..., ...]]) == "not yet: my_J[1, 0] and my_J[1, 1] are still ..."
    assert said([[2, 1], [..., 3]]) == "not yet: my_J[1, 0] is still ...; my_J[1, 1] is off (2 of 4 right)"


SHAPES = {"J_f": (3, 5), "J_g": (4, 3), "J_h": (4, 5)}


def test_a_dict_of_answers_is_one_line():
    blank = {"J_f": (..., ...), "J_g": (..., ...), "J_h": (..., ...)}
    assert said(blank, SHAPES, "my_shapes") == "not yet: replace the ... in my_shapes with your answers"
    assert said(..., SHAPES, "my_shapes") == "not yet: replace the ... in my_shapes with your answers"
    assert said(dict(SHAPES), SHAPES, "my_shapes") == "right: my_shapes"
    assert said({"J_f": (3, 5), "J_g": (3, 4), "J_h": (..., ...)}, SHAPES, "my_shapes") == (
        "not yet: my_shapes['J_h'] is still ...; every entry of my_shapes['J_g'] is off (2 of 6 right)")
    assert said({"J_f": (3, 5), "J_g": (4, 4), "J_h": (4, 5)}, SHAPES, "my_shapes") == (
        "not yet: my_shapes['J_g'][1] is off (5 of 6 right)")
    assert said({"J_f": (3, 5)}, SHAPES, "my_shapes") == "not yet: my_shapes has no 'J_g' and 'J_h'"
    assert said([3, 5], SHAPES, "my_shapes") == (
        "not yet: my_shapes should be a dict with the keys 'J_f', 'J_g', 'J_h'; yours is a list")
    assert said({1, 2}, {"a": 1}, "d") == "not yet: d should be a dict with the key 'a'; yours is a set"


WHATEVER = [..., [[..., ...], [..., ...]], [[1, 2], [3]], [[1, 2, 3]], "two", None, {"a": 1}, {1, 2}, object(),
            [["x", 1], [2, 3]], [[float("nan"), 1], [2, 1]], [[2, 1], [2, 2]], 7, [[1e308, 1], [2, 1]],
            np.zeros((0,)), [[1j, 1], [2, 1]], [[[2, 1], [2, 3]]], b"2"]


@pytest.mark.parametrize("answer", WHATEVER, ids=repr)
def test_check_prints_one_line_never_raises_and_returns_nothing(capsys, answer):
    assert check(answer, J, "my_J") is None  # nothing for the cell to echo
    out = capsys.readouterr().out
    assert out.startswith("not yet: ") and out.count("\n") == 1 and "Traceback" not in out


# -- check_quiz ------------------------------------------------------------------------------


class FakeExplorer:
    """The exercise contract of ChainRuleExplorer: answer(name, values), check(name) -> {name: bool},
    show_answer(name), and state.quiz: one item per exercise with its name and status
    ("open", "solved" or "shown"), as widgets/quiz.py's QuizItem reports it."""

    def __init__(self, truths: dict):
        self.truths = {k: np.atleast_2d(np.asarray(v, dtype=float)) for k, v in truths.items()}
        self.typed: dict = {}
        self.calls: list = []
        self.status = {k: "open" for k in truths}

    @property
    def state(self):
        from types import SimpleNamespace

        return SimpleNamespace(quiz=tuple(SimpleNamespace(name=k, status=v) for k, v in self.status.items()))

    def show_answer(self, name):
        self.status[name] = "shown"

    def answer(self, name, values):
        self.calls.append(("answer", name))
        if name not in self.truths:
            raise ValueError(f"{name!r} is not in this exercise; it asks for: {', '.join(self.truths)}")
        values = np.asarray(values)
        r, k = self.truths[name].shape
        if values.shape != (r, k):
            raise ValueError(f"quiz {name!r} expects {r}×{k} values, got {values.shape[0]}×{values.shape[1]}")
        self.typed[name] = values

    def check(self, name=None):
        self.calls.append(("check", name))
        ok = np.abs(self.typed[name] - self.truths[name]) <= 0.01
        if ok.all():
            self.status[name] = "solved"
        return {name: ok}


def quiz(answer, name="D1", truths=None, shown=()) -> tuple[str, FakeExplorer]:
    app = FakeExplorer(truths or {"D1": [[1, 0, 1, 1]], "J": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]})
    for s in shown:
        app.show_answer(s)
    import io
    from contextlib import redirect_stdout

    buffer = io.StringIO()
    with redirect_stdout(buffer):
        assert check_quiz(app, name, answer) is None
    out = buffer.getvalue()
    assert out.count("\n") == 1, out
    return out.strip(), app


def test_quiz_right_types_and_checks():
    text, app = quiz([1, 0, 1, 1])
    assert text == "right: D1, all 4 entries; its panel is shown in the explorer now"
    assert app.calls == [("answer", "D1"), ("check", "D1")]


def test_quiz_not_yet_names_the_grid_and_the_entries_as_written():
    text, _ = quiz([1, 1, 1, 0])
    assert text == "not yet: D1[1] and D1[3] are off (2 of 4 right); its panel stays hidden until every entry is right"
    text, _ = quiz([[0.1, 0.2, 0.3], [0.4, 0.5, 0.9]], "J")
    assert text.startswith("not yet: J[1, 2] is off (5 of 6 right);")


def test_quiz_after_show_answer_says_the_panel_is_shown_not_that_it_stays_hidden():
    # issue 15: after show_answer("D1") the panel is drawn; "stays hidden" would be false
    text, _ = quiz([1, 0, 1, 0], shown=["D1"])
    assert text == "not yet: D1[3] is off (3 of 4 right); its panel was revealed by Show answer (shown, not solved)"
    text, _ = quiz([..., ..., ..., ...], shown=["D1"])
    assert text == "not yet: replace the ... in your D1; its panel was revealed by Show answer (shown, not solved)"
    text, _ = quiz([1, 0, 1, 1], shown=["D1"])  # right after all: solved, as the explorer counts it
    assert text == "right: D1, all 4 entries; its panel is shown in the explorer now"
    text, _ = quiz([[0.1, 0.2, 0.3], [0.4, 0.5, 0.9]], "J", shown=["D1"])  # only D1 was shown
    assert text.endswith("(5 of 6 right); its panel stays hidden until every entry is right"), text


def test_quiz_without_a_state_to_read_keeps_the_hidden_message():
    class Bare(FakeExplorer):
        state = None

    app = Bare({"D1": [[1, 0, 1, 1]]})
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()) as buffer:
        check_quiz(app, "D1", [1, 1, 1, 1])
    assert buffer.getvalue().strip().endswith("its panel stays hidden until every entry is right")


def test_quiz_types_nothing_while_an_entry_is_missing_or_not_a_number():
    text, app = quiz([..., ..., ..., ...])
    assert text == "not yet: replace the ... in your D1; its panel stays hidden until every entry is right"
    assert app.calls == []
    text, app = quiz(...)
    assert text.startswith("not yet: replace the ... in your D1;") and app.calls == []
    text, app = quiz([1, ..., "a", 1])
    assert text == "not yet: D1[1] is still ...; D1[2] is 'a', not a number; nothing was typed into the explorer"
    assert app.calls == []


def test_quiz_relays_the_explorers_message_for_a_wrong_shape_or_name():
    assert quiz([1, 0, 1])[0] == "not yet: quiz 'D1' expects 1×4 values, got 1×3"
    assert quiz([1, 0, 1, 1], "D2")[0] == "not yet: 'D2' is not in this exercise; it asks for: D1, J"
    assert quiz({"a": 1})[0] == "not yet: D1 should be a list of numbers (a list of rows for a matrix); yours is a dict"


# -- import cost -------------------------------------------------------------------------------


def test_importing_the_lesson_helpers_loads_no_widgets():
    code = ("import sys, chainviz.lesson; "
            "print(sorted(m for m in ('plotly', 'ipywidgets', 'anywidget') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("answer,said", [
    (..., "not yet: replace the ... in my_answer with one of 'a', 'b', 'c'"),
    ("B", "right: my_answer"),
    (" b ", "right: my_answer"),
    ("c", "not yet: my_answer is 'c'; look again at what the first step does"),
    ("d", "not yet: my_answer should be one of 'a', 'b', 'c'; yours is"),
    (2, "not yet: my_answer should be one of 'a', 'b', 'c'; yours is"),
])
def test_check_choice(answer, said, capsys):
    check_choice(answer, "b", ("a", "b", "c"), "my_answer")
    out = capsys.readouterr().out.strip()
    assert out.startswith(said), out
    assert out.count("\n") == 0
