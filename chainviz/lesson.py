"""Helpers the lesson notebooks import: print numbers the same way everywhere, check answers.

The notebooks in ``notebooks/`` start with ``from chainviz.lesson import check, show, ...``.
Printing helpers (:func:`fmt`, :func:`vec`, :func:`shape`, :func:`show`) give the same
text on every machine, so a printed number can be compared with a hand computation.
Checking helpers (:func:`check`, :func:`check_quiz`) tell a learner ``right`` or what is
not right yet, naming the answer and the entries; a wrong answer is never an exception.

This module imports numpy only: the explorer passed to :func:`check_quiz` brings plotly
and ipywidgets with it, this module never does.

An entry counts as right when it is within :data:`TOLERANCE` of the true value, or
within :data:`RELATIVE` of it for large numbers (a count such as 100,352 is checked to
about ±10), whichever is larger. The explorer's exercise grids use the same ±0.01.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

__all__ = ["TOLERANCE", "RELATIVE", "fmt", "vec", "shape", "show", "Verdict", "judge", "check", "check_choice",
           "check_quiz"]

#: An entry within this much of the true value counts as right (the explorer's grids agree).
TOLERANCE = 0.01
#: ... or within this fraction of it, for large values.
RELATIVE = 1e-4
#: At most this many entries are named in one message; the rest are counted.
NAMED = 3


# -- printing ------------------------------------------------------------------------------


def fmt(v: float, digits: int = 4) -> str:
    """``v`` with ``digits`` decimals, the same on every machine; never ``-0.0000``.

    >>> fmt(-0.00001), fmt(2 / 3, 2)
    ('0.0000', '0.67')
    """
    return f"{round(float(v), digits) + 0.0:.{digits}f}"


def vec(v, digits: int = 4) -> str:
    """A vector (any array, flattened) as ``(a, b, c)`` with :func:`fmt` entries."""
    return "(" + ", ".join(fmt(e, digits) for e in np.ravel(v)) + ")"


def shape(M) -> str:
    """Rows × columns of ``M`` read as a matrix (a vector is one row): ``'2×3'``."""
    r, c = np.atleast_2d(np.asarray(M)).shape
    return f"{r}×{c}"


def show(label: str, M, digits: int = 4) -> None:
    """Print ``label = M`` with the columns of ``M`` aligned (a vector prints as one row).

    Parameters
    ----------
    label : str
        Printed before ``=``; the rows after the first are indented under the first.
    M : array_like, ``(r, k)`` or ``(k,)``
    digits : int
        Decimals of every entry (:func:`fmt`).
    """
    cells = [[fmt(e, digits) for e in row] for row in np.atleast_2d(np.asarray(M, dtype=float))]
    width = max(len(c) for row in cells for c in row)
    lines = ["[" + "  ".join(c.rjust(width) for c in row) + "]" for row in cells]
    print(f"{label} = {lines[0]}")
    for line in lines[1:]:
        print(" " * (len(label) + 3) + line)


# -- checking ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """What :func:`judge` found: ``right`` and the one-line ``text`` a learner reads."""

    right: bool
    text: str

    def __str__(self) -> str:
        return self.text


def _close(v: float, t: float) -> bool:
    return abs(v - t) <= max(TOLERANCE, RELATIVE * abs(t))


def _number(v: Any) -> float | str:
    """``v`` as a finite float, or why it is not one (a phrase to follow ``is``)."""
    if isinstance(v, bool) or v is None:
        return f"{v!r}, not a number"
    if isinstance(v, numbers.Real):
        f = float(v)
    elif isinstance(v, str):
        try:
            f = float(v.strip().replace("−", "-"))
        except ValueError:
            return f"{v!r}, not a number"
    else:
        return f"{v!r}, not a number"
    if not np.isfinite(f):
        return f"{v!r}, not a finite number"
    return f


def _kind(x: Any) -> str:
    if isinstance(x, Mapping):
        return "a dict"
    if isinstance(x, (set, frozenset)):
        return "a set"
    if isinstance(x, str):
        return f"the text {x!r}"
    if x is None:
        return "None"
    return ""


def _entries(answer: Any) -> np.ndarray | None:
    """The learner's answer as an object array of its entries, or None if it has no regular shape."""
    if isinstance(answer, (Mapping, set)):
        return None
    try:
        got = np.array(answer, dtype=object)
    except ValueError:  # ragged nesting numpy refuses even as objects
        return None
    if any(isinstance(e, (list, tuple, np.ndarray)) for e in got.flat):
        return None  # ragged: numpy kept whole rows as single objects
    return got


def _where(name: str, index: tuple[int, ...]) -> str:
    return f"{name}[{', '.join(map(str, index))}]" if index else name


def _listed(items: list[str]) -> str:
    if len(items) > NAMED:
        return ", ".join(items[:NAMED]) + f" and {len(items) - NAMED} more"
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _verb(items: list[str], one: str, many: str) -> str:
    return one if len(items) == 1 else many


@dataclass
class _Findings:
    """Per-answer findings, combined into one line by :func:`judge`."""

    name: str = ""
    unanswered: bool = False  # the answer, or every entry of it, is still ``...``
    problems: list[str] | None = None  # whole-answer problems (shape, type)
    still: list[str] | None = None  # entries still ``...``
    not_numbers: list[str] | None = None  # "x[0] is 'abc', not a number"
    off: list[str] | None = None
    right: int = 0
    total: int = 0

    def ok(self) -> bool:
        return not (self.unanswered or self.problems or self.still or self.not_numbers or self.off)

    def phrases(self) -> list[str]:
        out = list(self.problems or [])
        if self.still:
            out.append(f"{_listed(self.still)} {_verb(self.still, 'is', 'are')} still ...")
        out.extend(self.not_numbers or [])
        if self.off and len(self.off) == self.total > 1:
            out.append(f"every entry of {self.name} is off")
        elif self.off:
            out.append(f"{_listed(self.off)} {_verb(self.off, 'is', 'are')} off")
        return out


def _expected_shape(truth: np.ndarray) -> str:
    if truth.ndim == 0 or truth.size == 1:
        return "one number"
    if truth.ndim == 1 or 1 in truth.shape:
        return f"{truth.size} numbers" + (f" ({truth.shape[0]}×{truth.shape[1]})" if truth.ndim == 2 else "")
    r, c = truth.shape
    return f"{r}×{c} ({r} rows of {c})"


def _yours(answer: Any, got: np.ndarray | None) -> str:
    kind = _kind(answer)
    if kind:
        return kind
    if got is None:
        return "rows of different lengths"
    if got.ndim == 0:
        return "one value"
    return f"shape {'×'.join(map(str, got.shape)) if got.ndim > 1 else f'({got.shape[0]},)'}"


def _find(answer: Any, truth: Any, name: str) -> _Findings:
    truth_arr = np.asarray(truth, dtype=float)
    if answer is Ellipsis:
        return _Findings(unanswered=True, total=truth_arr.size)
    got = _entries(answer)
    if got is None or np.squeeze(got).shape != np.squeeze(truth_arr).shape:
        if got is not None and got.size and all(e is Ellipsis for e in got.flat):
            return _Findings(unanswered=True, total=truth_arr.size)
        return _Findings(problems=[f"{name} should be {_expected_shape(truth_arr)}; yours is {_yours(answer, got)}"],
                         total=truth_arr.size)
    t = truth_arr.reshape(got.shape)
    f = _Findings(name=name, still=[], not_numbers=[], off=[], total=t.size)
    for index in np.ndindex(got.shape):
        where = _where(name, index)
        v = got[index]
        if v is Ellipsis:
            f.still.append(where)
            continue
        n = _number(v)
        if isinstance(n, str):
            f.not_numbers.append(f"{where} is {n}")
        elif _close(n, float(t[index])):
            f.right += 1
        else:
            f.off.append(where)
    if len(f.still) == t.size:
        return _Findings(unanswered=True, total=t.size)
    return f


def judge(answer: Any, truth: Any, name: str = "your answer") -> Verdict:
    """Compare a learner's ``answer`` with ``truth``; never raises for any ``answer``.

    Parameters
    ----------
    answer : anything
        What the learner wrote: a number, a nested list or an array (``...`` marks an entry
        not filled in yet), or a dict of those when ``truth`` is a dict.
    truth : float, array_like or dict of them
        The true value(s), computed by the notebook (never typed into the check cell, where
        a learner would read them). A row ``(1, k)`` also accepts a flat list of ``k``.
    name : str
        The answer's name as the learner sees it (``"my_J"``); messages index it the way the
        learner wrote it: ``my_J[1, 0]`` for a nested list, ``my_D1[2]`` for a flat one.

    Returns
    -------
    Verdict
        ``right`` when every entry is within :data:`TOLERANCE` (or :data:`RELATIVE`);
        ``text`` is one line: ``right: my_J``, or ``not yet: ...`` naming the answer and what
        is wrong: still ``...``, wrong shape, not a number, or which entries are off and how
        many are right. The true values never appear in the text.
    """
    if isinstance(truth, Mapping):
        return _judge_dict(answer, truth, name)
    f = _find(answer, truth, name)
    if f.ok():
        return Verdict(True, f"right: {name}")
    if f.unanswered:
        return Verdict(False, f"not yet: replace the ... in {name} with your answer")
    tally = f" ({f.right} of {f.total} right)" if f.off and f.right else ""
    return Verdict(False, "not yet: " + "; ".join(f.phrases()) + tally)


def _judge_dict(answer: Any, truth: Mapping, name: str) -> Verdict:
    keys = list(truth)
    if answer is Ellipsis:
        return Verdict(False, f"not yet: replace the ... in {name} with your answers")
    if not isinstance(answer, Mapping):
        wanted = ("the key " if len(keys) == 1 else "the keys ") + ", ".join(repr(k) for k in keys)
        return Verdict(False, f"not yet: {name} should be a dict with {wanted}; "
                              f"yours is {_kind(answer) or 'a ' + type(answer).__name__}")
    found = {k: _find(answer[k], truth[k], f"{name}[{k!r}]") for k in keys if k in answer}
    missing = [f"{k!r}" for k in keys if k not in answer]
    if not missing and all(f.unanswered for f in found.values()):
        return Verdict(False, f"not yet: replace the ... in {name} with your answers")
    if not missing and all(f.ok() for f in found.values()):
        return Verdict(True, f"right: {name}")
    phrases = [f"{name} has no {_listed(missing)}"] if missing else []
    still = [f"{name}[{k!r}]" for k, f in found.items() if f.unanswered]
    if still:
        phrases.append(f"{_listed(still)} {_verb(still, 'is', 'are')} still ...")
    for f in found.values():
        phrases.extend(f.phrases())
    right, total = sum(f.right for f in found.values()), sum(f.total for f in found.values())
    tally = f" ({right} of {total} right)" if right and any(f.off for f in found.values()) else ""
    return Verdict(False, "not yet: " + "; ".join(phrases) + tally)


def check(answer: Any, truth: Any, name: str = "your answer") -> None:
    """Print :func:`judge`'s one line for ``answer``; return nothing (so a cell echoes nothing)."""
    print(judge(answer, truth, name).text)


def check_choice(answer: Any, truth: str, choices: tuple[str, ...], name: str = "your answer") -> None:
    """Print one line for a multiple-choice answer: ``right``, or ``not yet`` saying what to set.

    ``choices`` are the allowed letters (``("a", "b", "c")``); the right one is never printed.
    """
    shown = ", ".join(repr(c) for c in choices)
    if answer is Ellipsis:
        print(f"not yet: replace the ... in {name} with one of {shown}")
    elif not isinstance(answer, str) or answer.strip().lower() not in choices:
        print(f"not yet: {name} should be one of {shown}; yours is {_kind(answer) or repr(answer)}")
    elif answer.strip().lower() == truth:
        print(f"right: {name}")
    else:
        print(f"not yet: {name} is {answer.strip().lower()!r}; look again at what the first step does")


def _status(app: Any, name: str) -> str | None:
    """The exercise's status as the explorer's state reports it (``"open"``, ``"solved"`` or
    ``"shown"``), or None when ``app`` does not say (``app.state.quiz`` holds one item per name)."""
    for item in getattr(getattr(app, "state", None), "quiz", None) or ():
        if getattr(item, "name", None) == name:
            return getattr(item, "status", None)
    return None


def _panel(app: Any, name: str) -> str:
    """What happens to ``name``'s panel, true in the explorer's present state."""
    if _status(app, name) == "shown":
        return "its panel was revealed by Show answer (shown, not solved)"
    return "its panel stays hidden until every entry is right"


def check_quiz(app: Any, name: str, answer: Any) -> None:
    """Type ``answer`` into the explorer's exercise grid ``name``, press Check, print the verdict.

    Parameters
    ----------
    app : ChainRuleExplorer
        An explorer made with ``quiz=[..., name, ...]``: anything with ``answer(name, values)``
        and ``check(name) -> {name: (r, k) bool ndarray}``; its ``state.quiz`` items (``name``,
        ``status``), when it has them, tell whether *Show answer* already revealed the panel.
    name : str
        The exercise grid (``"D1"``, ``"J"``, ``"dL/dz1"``, ...).
    answer : array_like
        The learner's values, nested the way they wrote them; ``...`` for an entry not done.

    Nothing is typed while an entry is still ``...`` or not a number: the message says so.
    Otherwise the explorer marks each entry; its panel is revealed only when all are right
    (or already was, by *Show answer*: the message then says so), and the message names the
    entries that are off. Never raises: a message the explorer
    gives for a wrong shape (or an unknown ``name``) is printed as ``not yet: ...``.
    """
    got = _entries(answer)
    if answer is Ellipsis or (got is not None and got.size and all(e is Ellipsis for e in got.flat)):
        print(f"not yet: replace the ... in your {name}; {_panel(app, name)}")
        return
    if got is None or got.size == 0:
        print(f"not yet: {name} should be a list of numbers (a list of rows for a matrix); "
              f"yours is {_yours(answer, got)}")
        return
    still, not_numbers, values = [], [], np.zeros(got.shape)
    for index in np.ndindex(got.shape):
        v = got[index]
        n = Ellipsis if v is Ellipsis else _number(v)
        if n is Ellipsis:
            still.append(_where(name, index))
        elif isinstance(n, str):
            not_numbers.append(f"{_where(name, index)} is {n}")
        else:
            values[index] = n
    if still or not_numbers:
        phrases = ([f"{_listed(still)} {_verb(still, 'is', 'are')} still ..."] if still else []) + not_numbers
        print("not yet: " + "; ".join(phrases) + "; nothing was typed into the explorer")
        return
    try:
        app.answer(name, np.atleast_2d(values))
        ok = np.asarray(app.check(name)[name], dtype=bool)
    except (ValueError, TypeError, KeyError) as exc:
        print(f"not yet: {exc}")
        return
    if ok.all():
        print(f"right: {name}, all {ok.size} entries; its panel is shown in the explorer now")
        return
    mine = ok.reshape(got.shape) if ok.size == got.size else ok
    off = [_where(name, index) for index in np.ndindex(mine.shape) if not mine[index]]
    print(f"not yet: {_listed(off)} {_verb(off, 'is', 'are')} off ({int(ok.sum())} of {ok.size} right); "
          f"{_panel(app, name)}")
