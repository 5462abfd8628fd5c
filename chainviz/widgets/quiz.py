"""Exercise mode: panels hidden until the learner has computed them.

A :class:`QuizItem` is a value: what the learner typed, the marks of the last
check, and whether the panel is still hidden (``"open"``), was earned
(``"solved"``, every entry right) or was given away on request (``"shown"``).
A panel is revealed only by an all-right check or an explicit "show answer".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core.checks import parse_number
from ..core.snapshot import Snapshot
from ..views.panels import quiz_answer, quiz_label, quiz_slot

#: An answer within ±0.01 of the true value counts as right: two decimals, as a learner works by hand.
QUIZ_TOLERANCE = 0.01


@dataclass(frozen=True)
class QuizItem:
    """One exercise: ``name`` (``"J"``, ``"D1"``, ``"dL/dx"``, …), the learner's typed text
    ``typed`` ``(r, k)`` of str, ``marks`` ``(r, k)`` of bool after a check (else ``None``), and
    ``status`` ``"open" | "solved" | "shown"``."""

    name: str
    typed: tuple
    marks: tuple | None = None
    status: str = "open"

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.typed), len(self.typed[0]))

    @property
    def hidden(self) -> bool:
        return self.status == "open"


def new_item(s: Snapshot, name: str) -> QuizItem:
    """An unanswered exercise on ``name``; raises ``ValueError`` naming what this net can ask."""
    r, k = quiz_answer(s, quiz_slot(s, name)).shape
    return QuizItem(name, tuple(("",) * k for _ in range(r)))


def fitted(item: QuizItem, s: Snapshot) -> QuizItem:
    """``item`` for a net that may have changed shape: the typed grid follows the answer's shape."""
    shape = quiz_answer(s, quiz_slot(s, item.name)).shape
    if shape == item.shape:
        return item
    return replace(new_item(s, item.name), status=item.status)


def with_typed(item: QuizItem, values) -> QuizItem:
    """``item`` with the whole grid typed: ``values`` of its shape (numbers or text)."""
    M = np.atleast_2d(np.asarray(values, dtype=object))
    if M.shape != item.shape:
        r, k = item.shape
        raise ValueError(f"exercise {item.name!r} expects {r}×{k} values, got {M.shape[0]}×{M.shape[1]}")
    return replace(item, typed=tuple(tuple("" if v is None else str(v) for v in row) for row in M), marks=None)


def with_cell(item: QuizItem, i: int, j: int, text: str) -> QuizItem:
    r, k = item.shape
    if not (0 <= i < r and 0 <= j < k):
        raise ValueError(f"cell [{i},{j}] is outside exercise {item.name!r}, which is {r}×{k}")
    rows = [list(row) for row in item.typed]
    rows[i][j] = str(text)
    return replace(item, typed=tuple(tuple(row) for row in rows), marks=None)


def checked(item: QuizItem, s: Snapshot) -> QuizItem:
    """Marks every typed entry right (within :data:`QUIZ_TOLERANCE`) or wrong; solved only when all are right."""
    truth = quiz_answer(s, quiz_slot(s, item.name))
    ok = np.zeros(truth.shape, dtype=bool)
    for (i, j), text in np.ndenumerate(np.array(item.typed, dtype=object)):
        try:
            ok[i, j] = abs(parse_number(text, f"{item.name}[{i},{j}]") - truth[i, j]) <= QUIZ_TOLERANCE
        except (ValueError, TypeError):
            ok[i, j] = False
    status = "solved" if ok.all() else item.status
    return replace(item, marks=tuple(tuple(bool(v) for v in row) for row in ok), status=status)


def result_text(item: QuizItem, s: Snapshot) -> str:
    """What the learner reads after a check (plain text)."""
    label = quiz_label(s, item.name)
    if item.status == "shown":
        return f"{label}: answer shown (not solved); the panel is drawn above."
    if item.marks is None:
        return ""
    marks = np.array(item.marks)
    if marks.all():
        return f"{label}: all {marks.size} right; the panel is drawn above."
    typed = np.array(item.typed, dtype=object)
    empty = [(i, j) for (i, j), t in np.ndenumerate(typed) if not str(t).strip()]
    off = [(i, j) for (i, j), v in np.ndenumerate(marks) if not v and (i, j) not in empty]

    def where(cells):
        return ", ".join(f"[{j}]" if marks.shape[0] == 1 else f"[{i},{j}]" for i, j in cells[:6]) + (
            " …" if len(cells) > 6 else "")

    parts = [f"{label}: {int(marks.sum())} of {marks.size} right"]
    if off:
        parts.append(f"not yet: {where(off)}")
    if empty:
        parts.append(f"still empty: {where(empty)}")
    return "; ".join(parts) + f" (within ±{QUIZ_TOLERANCE:g}). The panel stays hidden until all are right."


class QuizTransitions:
    """The exercise transitions of :class:`~chainviz.widgets.state.ChainRuleState` (a mixin: they
    use its ``quiz``, ``snap`` and ``_rescaled``)."""

    def _quiz_index(self, name: str) -> int:
        for k, q in enumerate(self.quiz):
            if q.name == name:
                return k
        raise ValueError(f"{name!r} is not in this exercise; it asks for: {', '.join(q.name for q in self.quiz) or 'nothing'}")

    def _with_item(self, k: int, item: QuizItem) -> "QuizTransitions":
        items = list(self.quiz)
        items[k] = item
        new = replace(self, quiz=tuple(items), note="")
        return new._rescaled(self)

    def with_answer(self, name: str, values) -> "QuizTransitions":
        """Type a whole answer grid (numbers or text, its shape)."""
        k = self._quiz_index(name)
        return self._with_item(k, with_typed(self.quiz[k], values))

    def with_answer_cell(self, name: str, i: int, j: int, text) -> "QuizTransitions":
        k = self._quiz_index(name)
        return self._with_item(k, with_cell(self.quiz[k], i, j, text))

    def checked(self, name: str | None = None) -> "QuizTransitions":
        """Mark the typed entries of ``name`` (or of every exercise); a panel is revealed only when all are right."""
        new = self
        for k, q in enumerate(self.quiz):
            if name is None or q.name == name:
                new = new._with_item(k, checked(q, self.snap))
        if name is not None:
            self._quiz_index(name)
        return new

    def answer_shown(self, name: str) -> "QuizTransitions":
        """Reveal ``name``'s panel on request: it counts as shown, not solved."""
        k = self._quiz_index(name)
        return self._with_item(k, replace(self.quiz[k], status="shown"))
