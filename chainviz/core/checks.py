"""Input checks shared by the core: turn anything array-like into a finite float
array of the expected rank, or raise an error that names the object and its shape.

Every public entry point goes through here, so numpy never sees a surprise and a
learner never sees a bare broadcasting error.
"""

from __future__ import annotations

import numbers

import numpy as np

from .notation import shape_text


def _as_float_array(name: str, value) -> np.ndarray:
    if value is None:
        raise TypeError(f"{name} is missing (got None)")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be numbers, got the text {value!r}")
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return value.astype(float, copy=True)
    # Look before converting: np.array(..., dtype=float) would quietly turn the text
    # "2" into 2.0, None into nan and drop the imaginary part of a complex number.
    bad = _first_non_number(value)
    if bad is not None:
        idx, item = bad
        where = f"[{', '.join(map(str, idx))}]" if idx else ""
        raise TypeError(f"{name}{where} is {item!r}: every entry must be a number")
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} has rows of different lengths: it must be a rectangular array of numbers") from exc
    return arr


def _first_non_number(value, index: tuple = ()):
    """``(index, entry)`` of the first entry that is not a real number, or ``None``."""
    if isinstance(value, (list, tuple)):
        for k, item in enumerate(value):
            found = _first_non_number(item, index + (k,))
            if found is not None:
                return found
        return None
    if isinstance(value, np.generic):
        value = value.item()
    elif not isinstance(value, np.ndarray) and hasattr(value, "__array__"):
        value = np.asarray(value)  # array-likes from other libraries
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf":
            return None
        for idx in np.ndindex(value.shape):
            found = _first_non_number(value[idx], index + idx)
            if found is not None:
                return found
        return None
    if isinstance(value, numbers.Real):  # bool counts, as in a boolean array
        return None
    return index, value


def _check_finite(name: str, arr: np.ndarray) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f"[{', '.join(map(str, idx))}]" if idx else ""
        raise ValueError(f"{name}{where} is {float(arr[idx])!r}: every entry must be a finite number")


def as_matrix(name: str, value) -> np.ndarray:
    """A finite float array of shape ``(rows, cols)`` with both at least 1."""
    arr = _as_float_array(name, value)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a matrix (2-D), but it has shape {arr.shape}")
    if 0 in arr.shape:
        raise ValueError(f"{name} is {shape_text(arr.shape)}: a matrix needs at least one row and one column")
    _check_finite(name, arr)
    return arr


def as_vector(name: str, value, length: int | None = None, against: str | None = None) -> np.ndarray:
    """A finite float array of shape ``(length,)``.

    A scalar is accepted as a vector of length 1, since the section's scalar
    examples (n = 1) are vectors too. ``against`` completes the length message,
    e.g. ``"W1 is 4×3, so x needs length 3"``.
    """
    arr = _as_float_array(name, value)
    if arr.ndim == 0:
        _check_finite(name, arr)  # before reshaping, so a bad scalar is not called name[0]
        arr = arr.reshape(1)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.ravel()
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a vector (1-D), but it has shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: it needs at least one entry")
    if length is not None and arr.size != length:
        reason = against or f"length {length} was expected"
        raise ValueError(f"{name} has length {arr.size} but {reason}")
    _check_finite(name, arr)
    return arr


#: Largest magnitude a typed entry may have: beyond it the sigmoid and the colour scale say nothing useful.
MAX_ENTRY = 1e6


def parse_number(text, where: str, limit: float = MAX_ENTRY) -> float:
    """A typed cell (``"0.5"``, ``" -2e-1 "``, or a number) as a float, or a message naming ``where``.

    Rejects empty cells, text, NaN, inf and magnitudes above ``limit`` with a
    ``ValueError`` that says what was typed and what is allowed.
    """
    if isinstance(text, bool):
        raise ValueError(f"{where}: {text!r} is not a number")
    if isinstance(text, numbers.Real):
        v = float(text)
        shown = repr(text)
    else:
        s = str(text).strip().replace("−", "-").replace(",", ".")
        if not s:
            raise ValueError(f"{where} is empty: type a number")
        try:
            v = float(s)
        except ValueError:
            raise ValueError(f"{where}: {str(text).strip()!r} is not a number") from None
        shown = repr(s)
    if not np.isfinite(v):
        raise ValueError(f"{where}: {shown} is not a finite number")
    if abs(v) > limit:
        raise ValueError(f"{where}: {shown} is too large (entries must lie within ±{limit:,.0f})")
    return v
