"""Saved state as text: the JSON a file holds, read into Python values or refused in words.

Python's own refusals are replaced by messages that say what is wrong with the file; in
particular a whole number longer than Python converts (``sys.get_int_max_str_digits()``,
4300 digits by default) is located and named: ``"saved state seed: a number in the file has
5,000 digits; numbers of more than 4,300 digits are not read"``. The checks of what the
values mean are :func:`chainviz.core.schema.read_saved_state`'s.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass


class _ConstantError(ValueError):
    """NaN or Infinity in the text: refused in words by :func:`_refuse_constant`."""


def _refuse_constant(name: str):
    raise _ConstantError(f"saved state contains {name}, which JSON does not allow (and no entry may be)")


def parse_saved_text(text, max_bytes: int):
    """JSON text (``str`` or UTF-8 ``bytes``) of at most ``max_bytes`` as Python values, or a
    ``ValueError`` in chainviz's words: not UTF-8, too long, not JSON, ``NaN``/``Infinity``,
    nested too deeply, or a whole number longer than Python reads (its key named)."""
    if isinstance(text, (bytes, bytearray)):
        if len(text) > max_bytes:
            raise ValueError(f"saved state is {len(text):,} bytes; at most {max_bytes:,} are read")
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"saved state is not UTF-8 text: {exc}") from None
    if len(text) > max_bytes:
        raise ValueError(f"saved state is {len(text):,} characters; at most {max_bytes:,} are read "
                         f"(a net of the largest sizes needs fewer)")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ValueError(f"saved state is not valid JSON: {exc}") from None
    except RecursionError:
        raise ValueError("saved state is not a state: its lists are nested too deeply") from None
    except _ConstantError as exc:
        raise ValueError(str(exc)) from None
    except ValueError:  # a whole number longer than Python reads: say where, in our words
        raise ValueError(_long_int_message(_parse_long_ints(text))) from None


@dataclass(frozen=True)
class _LongInt:
    """A whole number in the text longer than Python reads (``sys.get_int_max_str_digits()``)."""
    digits: int


def _parse_long_ints(text: str):
    """The text parsed again, each too-long whole number replaced by a :class:`_LongInt`
    (only after a first parse failed: the hook costs a call per number)."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()

    def read(s: str):
        digits = len(s.lstrip("-"))
        return _LongInt(digits) if limit and digits > limit else int(s)
    try:
        return json.loads(text, parse_int=read, parse_constant=_refuse_constant)
    except ValueError as exc:
        return str(exc)


def _long_int_message(doc) -> str:
    """Where the first too-long number is: ``'saved state seed: a number in the file has 5,000 digits …'``."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 0)()

    def find(v, path):
        if isinstance(v, _LongInt):
            return path, v
        items = v.items() if isinstance(v, dict) else enumerate(v) if isinstance(v, list) else ()
        for k, item in items:
            found = find(item, f"{path}.{k}" if isinstance(k, str) else f"{path}[{k}]")
            if found:
                return found
        return None
    found = find(doc, "") if not isinstance(doc, str) else None
    if found is None:
        return f"saved state cannot be read: a number in the file has more than {limit:,} digits"
    path, long_int = found
    return (f"saved state {path.lstrip('.') or 'value'}: a number in the file has {long_int.digits:,} digits; "
            f"numbers of more than {limit:,} digits are not read")
