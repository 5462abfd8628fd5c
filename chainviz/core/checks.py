"""Input checks shared by the core: turn anything array-like into a finite float
array of the expected rank, or raise an error that names the object and its shape;
and read typed text as numbers, by one rule for every text field.

Every public entry point goes through here, so numpy never sees a surprise and a
learner never sees a bare broadcasting error.

How typed text is read (:func:`parse_number`, :func:`parse_number_list`)
-----------------------------------------------------------------------
- Spaces around a number are ignored; ``−`` (the typographic minus) is a minus;
  ``+`` is allowed; digits are ASCII ``0-9``; ``_`` may group digits as in Python
  (``1_000``); an exponent is written ``e`` (``2.5e-3``).
- One number (a matrix cell, an input): the decimal separator is ``.`` or ``,``
  (``0,5`` is one half). A comma between a group of one to three digits (not
  starting with 0) and exactly three digits — ``1,000``, ``12,500``, ``1,234.5`` —
  reads as a thousands separator in English and as a decimal comma elsewhere, so it
  is refused with a message saying what to type (``1000`` or ``1.000``); so is a
  comma together with ``_`` (``1_000,5``: which one groups thousands?).
- A list of numbers (the widths of :class:`ModeCostExplorer` and of the chain-rule explorer's
  ``sizes``, typed or given as text to ``set_sizes``/``mode_cost``): entries are separated
  by commas, semicolons or spaces, so a comma is never a decimal point there; the
  same thousands-like ``12,500`` is refused (12500, or the two widths 12 and 500?).
  Powers are written ``10^6`` or ``10**6``.
- ``nan``, ``inf`` and values beyond the field's limit are refused; a value below
  the smallest float (5e-324) is the nearest float, 0; ``-0`` is 0.
"""

from __future__ import annotations

import math
import numbers
import re

import numpy as np

from .notation import shape_text


def _short(value, most: int = 60) -> str:
    """``repr(value)``, cut to ``most`` characters: a message must stay readable.

    A whole number too long for Python to print (``sys.get_int_max_str_digits()``, 4300
    digits by default) is described instead: ``'a whole number of 5,000 digits'``.
    """
    try:
        text = repr(value)
    except ValueError:  # "Exceeds the limit (4300 digits) for integer string conversion"
        return f"a whole number of {int_digits(value):,} digits"
    return text if len(text) <= most else text[: most - 1] + "…"


def int_digits(value: int) -> int:
    """How many decimal digits a whole number has, without printing it (which Python refuses
    beyond ``sys.get_int_max_str_digits()``)."""
    v = abs(int(value))
    d = max(1, int(v.bit_length() * math.log10(2)))  # within one of the answer
    while 10**d <= v:
        d += 1
    while d > 1 and 10 ** (d - 1) > v:
        d -= 1
    return d


def describe(value) -> str:
    """What ``value`` is, with its real shape, for a message: ``'a list of 2 matrices (4×3, 2×4)'``,
    ``'a 4×3 array'``, ``'a chainviz Net'``, ``'a dict'``."""
    if isinstance(value, (list, tuple)) and value and all(_array_like(v) and np.ndim(v) == 2 for v in value):
        shapes = ", ".join(shape_text(np.shape(v)) for v in value)
        return f"a {type(value).__name__} of {len(value)} matri{'x' if len(value) == 1 else 'ces'} ({shapes})"
    if isinstance(value, np.ndarray):
        return f"a {shape_text(value.shape)} array" if value.ndim != 1 else f"an array of {shape_text(value.shape)}"
    if isinstance(value, (str, bytes)):
        return f"the text {_short(value, 40)}"
    if value is None:
        return "None"
    kind = type(value).__name__
    return "a chainviz Net" if kind == "Net" else f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"


def _described(value) -> str:
    """:func:`describe` with the object's own text: ``'a dict {'a': 1}'``."""
    what = describe(value)
    return what if what in ("a chainviz Net", "None") else f"{what} {_short(value, 40)}"


def _array_like(v) -> bool:
    if isinstance(v, np.ndarray) or hasattr(v, "__array__"):
        return True
    if isinstance(v, (list, tuple)):
        try:
            return np.asarray(v).dtype.kind in "biuf"
        except (ValueError, TypeError):
            return False
    return False


def _as_float_array(name: str, value) -> np.ndarray:
    if value is None:
        raise TypeError(f"{name} is missing (got None)")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be numbers, got the text {_short(value)}")
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        # np.array, not astype: a plain ndarray even when given an np.matrix (whose
        # products stay 2-D and break every shape after them)
        arr = np.array(value, dtype=float)
    else:
        # Look before converting: np.array(..., dtype=float) would quietly turn the text
        # "2" into 2.0, None into nan and drop the imaginary part of a complex number.
        bad = _first_non_number(value)
        if bad is not None:
            idx, item = bad
            if not idx and not isinstance(item, numbers.Number):
                raise TypeError(f"{name} must be an array of numbers, got {_described(item)}")
            where = f"[{', '.join(map(str, idx))}]" if idx else ""
            raise TypeError(f"{name}{where} is {_short(item)}: every entry must be a number")
        try:
            arr = np.array(value, dtype=float)
        except OverflowError:
            raise ValueError(f"{name} has an entry too large for a float (beyond 1.8e308)") from None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} has rows of different lengths: it must be a rectangular array of numbers") from exc
    arr += 0.0  # -0.0 becomes 0.0: a reader sees no sign on zero, and neither should a sum
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


def _first_non_finite(arr: np.ndarray) -> tuple[tuple, str] | None:
    """The index of the first inf or nan of ``arr`` and its ``"[i, j]"`` text, or None."""
    bad = ~np.isfinite(arr)
    if not bad.any():
        return None
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    return idx, f"[{', '.join(map(str, idx))}]" if idx else ""


def _check_finite(name: str, arr: np.ndarray) -> None:
    found = _first_non_finite(arr)
    if found is not None:
        idx, where = found
        raise ValueError(f"{name}{where} is {float(arr[idx])!r}: every entry must be a finite number")


#: The largest float64, printed: what "overflows" means in a message.
FLOAT_MAX_TEXT = "1.8e308"


def check_computed(name: str, value, why: str = "the weights or x are too large") -> None:
    """Refuse a computed value (an array or a number) holding inf or nan, naming it and where.

    Inputs are finite (every entry point checks them), so a non-finite result means a
    product or a sum left float64's range (a nan is an ``inf − inf`` or ``0·inf`` after
    such an overflow): ``"∂L/∂a₁[2] overflows (|values| above 1.8e308): the weights or x
    are too large"``. Callers compute under ``np.errstate(all="ignore")`` and call this,
    so the learner reads this sentence instead of a RuntimeWarning.
    """
    found = _first_non_finite(np.asarray(value, dtype=float))
    if found is not None:
        _, where = found
        raise ValueError(f"{name}{where} overflows (|values| above {FLOAT_MAX_TEXT}): {why}")


def as_matrix(name: str, value) -> np.ndarray:
    """A finite float array of shape ``(rows, cols)`` with both at least 1 (an ``np.matrix`` too)."""
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
    examples (n = 1) are vectors too; so are a column ``(n, 1)`` and a row
    ``(1, n)`` of any array-like kind (nested lists, tuples, ``np.matrix``).
    ``against`` completes the length message, e.g. ``"W1 is 4×3, so x needs length 3"``.
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


# -- typed text ------------------------------------------------------------------------------
#: Largest magnitude a typed entry may have: beyond it the sigmoid and the colour scale say nothing useful.
MAX_ENTRY = 1e6

_DIGITS = r"\d(?:_?\d)*"
# one typed number: a sign, digits with "." or "," as the decimal separator, an exponent
_NUMBER = re.compile(rf"[+-]?(?:{_DIGITS}(?:[.,](?:{_DIGITS})?)?|[.,]{_DIGITS})(?:[eE][+-]?{_DIGITS})?", re.ASCII)
# "1,000", "12,500", "1,234.5", "1,000,000": a comma that reads as a thousands separator
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?(?:[eE][+-]?\d+)?", re.ASCII)
_NON_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)


def _clean(text) -> str:
    return str(text).strip().replace("\u2212", "-")


def _thousands_message(where: str, s: str) -> str:
    plain = s.replace(",", "").replace("_", "")
    readings = plain
    if s.count(",") == 1 and "." not in s and "_" not in s:
        readings = f"{plain} or {float(s.replace(',', '.')):g}"
    return (f"{where}: {_short(s)} is ambiguous (a thousands separator or a decimal comma?): type "
            f"{readings}. Thousands separators are not read; a comma is a decimal point unless "
            f"exactly three digits follow it")


def parse_number(text, where: str, limit: float = MAX_ENTRY) -> float:
    """A typed cell as a float, read by the rule in this module's docstring, or a message naming ``where``.

    ``"0.5"``, ``" -2e-1 "``, ``"0,5"`` and numbers (not ``bool``) are accepted;
    ``"1,000"`` (a thousands separator?) is refused, as are empty cells, text,
    NaN, inf and magnitudes above ``limit``. The result is never ``-0.0``.

    Raises
    ------
    ValueError
        Always ``ValueError`` (never another exception), with what was typed and
        what to type instead.
    """
    if isinstance(text, (bool, np.bool_)):
        raise ValueError(f"{where}: {text!r} is not a number")
    if isinstance(text, numbers.Real):
        shown = _short(text)
        try:
            v = float(text)
        except OverflowError:
            raise ValueError(f"{where}: {shown} is too large (entries must lie within ±{limit:,.0f})") from None
    else:
        s = _clean(text)
        if not s:
            raise ValueError(f"{where} is empty: type a number")
        shown = _short(s)
        if _THOUSANDS.fullmatch(s) or ("," in s and "_" in s):
            raise ValueError(_thousands_message(where, s))
        if _NON_FINITE.fullmatch(s):
            raise ValueError(f"{where}: {shown} is not a finite number")
        if not _NUMBER.fullmatch(s):
            raise ValueError(f"{where}: {shown} is not a number (type e.g. 0.5, -2, 1e-3 or 0,5)")
        v = float(s.replace(",", "."))  # float() reads "_" digit groups and rounds correctly
        if not math.isfinite(v):  # a literal beyond 1.8e308
            raise ValueError(f"{where}: {shown} is too large (entries must lie within ±{limit:,.0f})")
    if not math.isfinite(v):
        raise ValueError(f"{where}: {shown} is not a finite number")
    if abs(v) > limit:
        raise ValueError(f"{where}: {shown} is too large (entries must lie within ±{limit:,.0f})")
    return v + 0.0  # "-0" is 0


_LIST_SPLIT = re.compile(r"[,;\s]+")
# "12,500" inside a list: the widths 12 and 500, or the number 12500?
_LIST_THOUSANDS = re.compile(r"(?<![\d.,_])[+-]?[1-9]\d{0,2},\d{3}(?![\d_])", re.ASCII)
# "1_000,500": one number grouped two ways, or two entries?
_LIST_MIXED = re.compile(r"\d+_[\d_]*,\d+|\d+,\d[\d_]*_\d+", re.ASCII)
_LIST_ENTRY = re.compile(
    rf"(?P<sign>[+-]?)(?:(?P<base>{_DIGITS})(?:\^|\*\*)(?P<power>{_DIGITS})"
    rf"|(?P<plain>(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS})(?:[eE][+-]?{_DIGITS})?))", re.ASCII)
#: Longest entry of a typed list (characters): longer is no width anyone means.
MAX_TOKEN = 40


def parse_number_list(text, what: str = "widths", example: str = "1000000, 1000, 1000",
                      limit: float = 1e15) -> list:
    """A typed list of numbers (``"1e6, 1000; 10^3 1000"``), read by the rule in this module's docstring.

    Entries are separated by commas, semicolons or spaces; ``10^6`` and ``10**6`` are
    powers; whole numbers come back as ``int`` (exact), others as ``float``. Judging
    the numbers (whole, positive, …) is the caller's job.

    Raises
    ------
    ValueError
        For an empty list, an entry that is not a number, a thousands-like ``12,500``,
        or an entry whose magnitude exceeds ``limit``; the message quotes the entry.
    """
    s = _clean(text)
    if not s:
        raise ValueError(f"{what} is empty: type numbers like {example}")
    mixed = _LIST_MIXED.search(s)
    if mixed:
        raise ValueError(f"{what}: {mixed.group(0)!r} is ambiguous: '_' groups digits and ',' separates entries; "
                         f"separate entries with a comma and a space or a semicolon")
    amb = _LIST_THOUSANDS.search(s)
    if amb:
        t = amb.group(0)
        a, b = t.split(",")
        raise ValueError(f"{what}: {t!r} is ambiguous: the number {a}{b}, or the two entries {a} and {b}? "
                         f"Type {a}{b} for one number (no thousands separators), and separate entries "
                         f"with a comma and a space ({a}, {b}) or a semicolon")
    out: list = []
    for t in (t for t in _LIST_SPLIT.split(s) if t):
        if len(t) > MAX_TOKEN:
            raise ValueError(f"{what}: {_short(t, 30)} is too long to be a number")
        m = _LIST_ENTRY.fullmatch(t)
        if m is None:
            raise ValueError(f"{what}: {t!r} is not a number: type numbers like {example}")
        sign = -1 if m.group("sign") == "-" else 1
        if m.group("base") is not None:
            base, power = int(m.group("base")), int(m.group("power"))
            if base > 1 and power * math.log10(base) > math.log10(limit):  # before computing 10^99999999
                raise ValueError(f"{what}: {t} is larger than {limit:.0e}")
            v = sign * base**power
        else:
            plain = m.group("plain")
            v = sign * int(plain) if plain.replace("_", "").isdigit() else sign * float(plain)
        if abs(v) > limit:
            raise ValueError(f"{what}: {t} is larger than {limit:.0e}")
        out.append(v if isinstance(v, int) else v + 0.0)  # -0.0 is 0
    return out


def width_entries(value, what: str = "widths", example: str = "3, 4, 2", limit: float = 1e15) -> list:
    """The entries of a list of widths ``(n, d_1, ..., d_L)``, by one rule wherever widths are given.

    Text is read as a typed list (:func:`parse_number_list`: ``"3, 4, 2"`` works, ``"12,500"``
    is ambiguous); a vector of any array-like kind (a list, a 1-D array, a row or column of
    an ``np.matrix``, ``[[3, 4, 2]]``, ``[[3], [4], [2]]``) is its entries in order. Judging
    the entries (whole, in range) is the caller's job.

    Raises
    ------
    TypeError
        ``value`` is not a list at all (a number, None, a dict).
    ValueError
        Text that is not a list of numbers, or an array that is not a vector (its shape named).
    """
    if isinstance(value, (str, bytes)):
        return parse_number_list(value.decode("utf-8", "replace") if isinstance(value, bytes) else value, what, example, limit)
    shape = None
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            shape = np.shape(value)
        except ValueError:  # rows of different lengths
            raise ValueError(f"{what} must be a list of layer sizes [n, d1, ..., dL] such as [{example}], got "
                             f"{describe(value)} whose rows differ in length") from None
    if shape is None or len(shape) == 0:
        raise TypeError(f"{what} must be a list of layer sizes [n, d1, ..., dL] such as [{example}], got {_described(value)}")
    if len(shape) == 1:
        return list(value)
    if len(shape) == 2 and 1 in shape:  # a row or a column: the vector it holds
        return np.asarray(value, dtype=object).ravel().tolist()
    given = describe(value) if isinstance(value, np.ndarray) else f"{describe(value)} of shape {shape_text(shape)}"
    raise ValueError(f"{what} must be a list of layer sizes [n, d1, ..., dL] such as [{example}] (a vector), got {given}")
