"""Run-time settings of chainviz.

``plotlyjs`` decides how plotly.js reaches the page of every figure made after it
is set (figures already on screen keep theirs):

``"auto"`` (the default)
    ``"shared"`` in a Jupyter page (JupyterLab, Notebook 7, Voilà); ``"inline"``
    when the kernel runs under VS Code or Colab, whose pages have no Jupyter
    page config to find the Jupyter server's static files.
``"shared"``
    Each figure sends a small loader; the page imports plotly's widget bundle
    (~5 MB) once, from the Jupyter server, under a content-hashed name the
    browser caches. A page that cannot reach that file asks the kernel for it,
    once per page.
``"inline"``
    Each figure carries the bundle in its widget state, as plotly's own
    ``FigureWidget`` does (the page still compiles it once).
``"plotly"``
    plotly's own ``FigureWidget``, unchanged: the bundle in every figure's state,
    compiled once per figure. For comparisons (``benchmarks/``), and a way back
    should a future plotly or anywidget break the loader.

The environment variable ``CHAINVIZ_PLOTLYJS`` gives the value when nothing has
been assigned here; an assignment wins::

    import chainviz.config
    chainviz.config.plotlyjs = "inline"

An unknown value raises ``ValueError`` naming the setting and keeps the old
value. This module imports nothing heavy: it is read by the widget layer only.
"""

from __future__ import annotations

import os
import sys
import types
import warnings

PLOTLYJS_CHOICES = ("auto", "shared", "inline", "plotly")
ENV_PLOTLYJS = "CHAINVIZ_PLOTLYJS"


def check_plotlyjs(value, where: str) -> str:
    """``value`` as one of :data:`PLOTLYJS_CHOICES` (case and spaces ignored).

    Raises
    ------
    ValueError
        If ``value`` is not one of them; the message names ``where``.
    """
    text = value.strip().lower() if isinstance(value, str) else value
    if text not in PLOTLYJS_CHOICES:
        raise ValueError(f"{where} must be one of {', '.join(map(repr, PLOTLYJS_CHOICES))}, got {value!r}")
    return text


def plotlyjs_setting() -> str:
    """The ``plotlyjs`` setting in force: the assigned value, else ``CHAINVIZ_PLOTLYJS``, else ``"auto"``.

    A bad environment value gives a ``UserWarning`` naming the variable and counts as
    ``"auto"`` (an environment variable has no caller to raise to).
    """
    assigned = sys.modules[__name__].__dict__.get("_plotlyjs")
    if assigned is not None:
        return assigned
    raw = os.environ.get(ENV_PLOTLYJS, "").strip()
    if not raw:
        return "auto"
    try:
        return check_plotlyjs(raw, f"the environment variable {ENV_PLOTLYJS}")
    except ValueError as exc:
        warnings.warn(f"{exc}; using 'auto'", UserWarning, stacklevel=2)
        return "auto"


class _ConfigModule(types.ModuleType):
    """This module's type: ``plotlyjs`` is checked when it is assigned."""

    @property
    def plotlyjs(self) -> str:
        return plotlyjs_setting()

    @plotlyjs.setter
    def plotlyjs(self, value) -> None:
        # None forgets the assignment: the environment variable (or "auto") applies again
        self.__dict__["_plotlyjs"] = None if value is None else check_plotlyjs(value, "chainviz.config.plotlyjs")


sys.modules[__name__].__class__ = _ConfigModule
