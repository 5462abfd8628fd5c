"""Is an answer on the page? Its numbers in printed text, or drawn as cells of a figure's grid.

Used by tests/test_lessons_exercises.py (outputs and figures above each check cell) and
tests/browser/test_lesson_pages.py (what the browser draws around an exercise).
An answer is recognised by its entries, in order, as consecutive numbers of one line or
string (each printed number equal to the entry rounded to the digits printed), or as a
block of cells of a figure's grid (within :data:`GRID_TOL`; a 1-D answer also as a column,
or as the diagonal of a square block, the way a slope factor is drawn).
"""

from __future__ import annotations

import re

import numpy as np

GRID_TOL = 0.005  # a figure prints 3 significant digits; an entry within this is the answer drawn


_NUMBER = re.compile(r"(?<![\w.])[−-]?\d+(?:\.(\d+))?(?:[eE][−-]?\d+)?")
_COLOR = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\([^)]*\)")
_TAG = re.compile(r"<[^>]*>")
_INDEX = re.compile(r"(?<=[\w\])′'])\[[^\]]*\]")  # J[1,0], x[0]: where an entry is, not a value


def numbers_in(text: str) -> list[tuple[float, int]]:
    """Every number written in ``text`` with its count of decimals; colours and HTML tags skipped."""
    text = _INDEX.sub(" ", _TAG.sub(" ", _COLOR.sub(" ", text))).replace(",", "")
    out = []
    for m in _NUMBER.finditer(text):
        token = m.group(0).replace("−", "-")
        decimals = len(m.group(1) or "")
        out.append((float(token), decimals if "e" not in token.lower() else 6))
    return out


def _shows(printed: tuple[float, int], truth: float, alone: bool) -> bool:
    value, decimals = printed
    if decimals == 0:
        return float(truth).is_integer() and value == truth
    if alone and decimals < 2:  # one number at one decimal says too little to be the answer
        return False
    return abs(value - truth) <= 0.5 * 10.0 ** -decimals + 1e-12


def searchable(answer) -> bool:
    a = np.asarray(answer, dtype=float).ravel()
    return a.size > 0 and not (np.all(a == np.round(a)) and a.size < 3)


def text_shows(text: str, answer) -> bool:
    """The answer's entries, in order, as consecutive numbers written in ``text``."""
    a = np.asarray(answer, dtype=float).ravel()
    found = numbers_in(text)
    return any(all(_shows(found[i + k], a[k], a.size == 1) for k in range(a.size))
               for i in range(len(found) - a.size + 1))


def _blocks(G: np.ndarray, A: np.ndarray) -> bool:
    r, k = A.shape
    R, K = G.shape
    for i in range(R - r + 1):
        for j in range(K - k + 1):
            window = G[i:i + r, j:j + k]
            if np.all(np.abs(window - A) <= GRID_TOL):  # NaN (a blank cell) never matches
                return True
    return False


def grid_shows(grid, answer) -> bool:
    """The answer as a block of cells of ``grid`` (2-D), a row or column of it, or a diagonal."""
    G = np.atleast_2d(np.asarray(grid, dtype=float))
    if G.ndim != 2:
        return False
    A = np.asarray(answer, dtype=float)
    if A.ndim == 2 and min(A.shape) > 1:
        return _blocks(G, A)
    a = A.ravel()
    if a.size == 1:
        return bool(np.any(np.abs(G - a[0]) <= GRID_TOL))
    if _blocks(G, a[None, :]) or _blocks(G, a[:, None]):
        return True
    n = a.size  # a slope factor is drawn as diag(a): look along every diagonal
    return any(np.all(np.abs(np.diagonal(G[i:i + n, j:j + n]) - a) <= GRID_TOL)
               for i in range(G.shape[0] - n + 1) for j in range(G.shape[1] - n + 1))
