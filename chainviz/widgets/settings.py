"""The explorer's drawing settings, checked by the one option table of :mod:`chainviz.core.schema`:
the constructor, :meth:`ChainRuleExplorer.set_options` and a saved state go through the same checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ..core.schema import check_options

#: The options that are drawing settings (the schema also has ``seed`` and ``eta``).
NAMES = ("free_limits", "show_weight_grads", "show_forward", "presentation", "color_limit", "theme")


@dataclass(frozen=True)
class Settings:
    """What a person can switch about the drawing.

    free_limits : each panel its own colour scale (else one shared, zero-centred scale).
    show_weight_grads : the band of ∂L/∂W_l, under each weight.
    show_forward : the band of what forward mode would carry.
    presentation : large type for slides, editors beside the figure.
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


def check_settings(given: dict, *, show_forward_default: bool = True, where: str = "options") -> Settings:
    """:class:`Settings` from ``given`` (missing names take their defaults), or the schema's
    ``TypeError``/``ValueError`` naming the option. ``show_forward`` left out (or ``None``) is on
    when ``show_forward_default`` and not presenting."""
    opts = check_options(given, where, only=NAMES)
    if opts["show_forward"] is None:
        opts["show_forward"] = show_forward_default and not opts["presentation"]
    return Settings(**opts)
