"""Notation: how chainviz writes symbols, subscripts, shapes, counts and numbers.

Every label a learner reads is built from these few functions, so the page,
the hover text, the click explanations and the error messages agree with one
another and with the textbook's notation (``W₁``, ``z₁``, ``a₁``, ``∂L/∂z₁``,
``4×3``). An activation's own symbol lives with it in
:data:`chainviz.core.activations.ACTIVATIONS`.
"""

from __future__ import annotations

import math

_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

#: Significant digits printed on a cell: enough to check a hand computation.
DIGITS = 3


def sub(k: int) -> str:
    """Unicode subscript digits: ``sub(12) == '₁₂'``."""
    return str(k).translate(_SUB)


def shape_text(shape: tuple[int, ...]) -> str:
    """``(2, 5)`` -> ``'2×5'``; ``(4,)`` -> ``'length 4'``; ``()`` -> ``'a scalar'``."""
    if len(shape) == 1:
        return f"length {shape[0]}"
    if len(shape) == 0:
        return "a scalar"
    return "×".join(str(s) for s in shape)


def stage_name(stage: str, layer: int, depth: int) -> tuple[str, str]:
    """(LaTeX, Unicode) name of a stage value: ``x``, ``y``, ``z_l`` or ``a_l``.

    ``a_0`` is the input ``x`` and ``a_L`` the output ``y``.
    """
    if stage == "a" and layer == 0:
        return "x", "x"
    if stage == "a" and layer == depth:
        return "y", "y"
    return f"{stage}_{{{layer}}}", f"{stage}{sub(layer)}"


def count_text(k: int) -> str:
    """``1`` -> ``'1 number'``, ``12000`` -> ``'12,000 numbers'``."""
    return f"{k:,} number{'s' if k != 1 else ''}"


def fmt(v: float, digits: int = DIGITS) -> str:
    """A number as printed: ``0.164``, ``−1.2``, ``3e-04`` (Unicode minus; ``−0`` prints as ``0``)."""
    v = float(v)
    if v == 0 or math.isnan(v):
        v = abs(v)  # -0.0 is 0 to a reader
    return f"{v:.{digits}g}".replace("-", "−")


def fmt_fixed(v: float, decimals: int = 2) -> str:
    """A number with ``decimals`` fixed decimals: ``0.16``, ``−1.20``; a value that prints as
    all zeros has no sign (``−0.001`` prints ``0.00``, not ``−0.00``)."""
    text = f"{float(v):.{decimals}f}"
    if text.startswith("-") and not text.strip("-0."):
        text = text[1:]
    return text.replace("-", "−")


def short(v: float, digits: int = DIGITS) -> str:
    """A number in as few characters as a small cell holds: ``0.0845``, ``−1.2``, ``1440`` (not
    ``1.44e+03``), ``3.2e5``, ``4e−7``; ``digits`` significant digits at most. ``inf``, ``−inf``
    and ``nan`` print as ``∞``, ``−∞`` and ``nan`` (the core refuses them, but a label must
    never be what fails)."""
    v = float(v)
    if math.isinf(v):
        return "−∞" if v < 0 else "∞"
    if v == 0 or math.isnan(v):
        return fmt(v, digits)
    a = abs(v)
    if 100 <= a < 1e5:
        return fmt(round(v), 6)  # whole: 1440, −832
    if 1e-3 <= a < 100:
        return fmt(v, digits)
    mantissa, exponent = f"{v:.{max(digits - 1, 0)}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa}e{int(exponent)}".replace("-", "−")
