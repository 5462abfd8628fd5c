"""The explorer's drawing settings, checked one way for the constructor, the API and saved state."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

THEMES = ("auto", "light", "dark")
MAX_COLOR_LIMIT = 1e6


@dataclass(frozen=True)
class Settings:
    """What a person can switch about the drawing.

    free_limits : each panel its own colour scale (else one shared, zero-centred scale).
    show_weight_grads : the band of ∂L/∂W_l, under each weight.
    show_forward : the band of what forward mode would carry.
    presentation : large type for slides, and the rarer controls folded away.
    color_limit : a fixed shared colour limit ``c`` (colours span ``[−c, c]``), or ``None``.
    theme : ``"auto"`` follows JupyterLab's theme; ``"light"``/``"dark"`` force one.
    """

    free_limits: bool = False
    show_weight_grads: bool = False
    show_forward: bool = True
    presentation: bool = False
    color_limit: float | None = None
    theme: str = "auto"

    def to_dict(self) -> dict:
        return asdict(self)


def _bool(name: str, v) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"option {name} must be True or False, got {v!r}")
    return v


def _limit(name: str, v) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"option {name} must be a number or None, got {v!r}")
    if not (math.isfinite(v) and 0 < v <= MAX_COLOR_LIMIT):
        raise ValueError(f"option {name} must be a positive finite number up to {MAX_COLOR_LIMIT:g}, got {v!r}")
    return float(v)


def _theme(name: str, v) -> str:
    if v not in THEMES:
        raise ValueError(f"option {name} must be one of {', '.join(THEMES)}, got {v!r}")
    return v


_CHECKS = {"free_limits": _bool, "show_weight_grads": _bool, "show_forward": _bool, "presentation": _bool,
           "color_limit": _limit, "theme": _theme}


def check_settings(given: dict, *, show_forward_default: bool = True) -> Settings:
    """:class:`Settings` from ``given`` (missing keys take their defaults), or a ``TypeError``/
    ``ValueError`` naming the option. Unknown names are refused with the list of known ones."""
    unknown = sorted(set(given) - set(_CHECKS))
    if unknown:
        raise TypeError(f"unknown option {', '.join(map(repr, unknown))}; the options are: {', '.join(_CHECKS)}")
    out = {k: check(k, given[k]) for k, check in _CHECKS.items() if k in given}
    if "show_forward" not in out:
        out["show_forward"] = show_forward_default and not out.get("presentation", False)
    return Settings(**out)
