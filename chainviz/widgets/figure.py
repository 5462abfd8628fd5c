"""How an explorer's one plotly figure reaches the page.

:func:`new_figure` is the only place a ``FigureWidget`` is made, so how plotly.js
is shipped to the browser is decided here and nowhere else (the setting is
:mod:`chainviz.config`'s ``plotlyjs``; :mod:`chainviz.widgets.plotly_bundle` finds
and serves the bundle).

:class:`LiveFigure` is plotly's ``FigureWidget`` with four changes, all in how it
reaches the page; everything Python sees (``batch_update``, trace and layout
properties, ``on_click``) is plotly's own:

- its anywidget module is ``chainviz/_static/figure_loader.js`` (~15 KB), which
  imports plotly's widget bundle once per page instead of receiving 5 MB per figure;
- its comm opens only once the figure is complete, so traces, layout and config
  travel in the model's first message. plotly's own ``FigureWidget`` opens its comm
  first and sends them in a second message, which anywidget drops when compiling
  the module took more than 2 s (a blank figure on a busy machine);
- its front end draws the text traces marked ``meta={"drawn_by": "page"}`` (the words and
  the numbers on the cells) and the annotations named ``"drawn by page"`` (the colour
  scale's ticks) itself, writing only the texts an edit changed: plotly.js restyles every
  text point and draws every annotation twice on each full redraw, and every edit is one;
- its updates travel in one comm message each, not four (:meth:`LiveFigure._send_update_msg`).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import json
import sys
from pathlib import Path

import traitlets

from . import plotly_bundle
from .esm import prelude, strip_comments

LOADER = Path(__file__).resolve().parents[1] / "_static" / "figure_loader.js"
MESSAGE = "chainviz:plotly-bundle"  # the page's request for the bundle, and the kernel's answer


class _Deferred:
    """Stands in for a module that is imported on first use."""

    def __init__(self, name: str, owner, attr: str):
        self._name, self._owner, self._attr = name, owner, attr

    def __bool__(self) -> bool:
        return importlib.util.find_spec(self._name) is not None

    def __getattr__(self, attr: str):
        module = importlib.import_module(self._name)
        setattr(self._owner, self._attr, module)  # from now on the owner holds the module itself
        return getattr(module, attr)


def _import_figure_widget():
    """plotly's ``FigureWidget``, imported without importing ``nbformat``.

    ``plotly.basewidget`` imports ``plotly.io._renderers``, which imports ``nbformat``
    at module level only to check its version when a figure is shown as a mime
    bundle (``fig.show()``). In a Jupyter environment ``nbformat`` pulls in
    ``jsonschema`` and ``rfc3987_syntax``, which compiles ~40 grammars on import:
    0.8 s of the first explorer's 1.9 s in a fresh kernel, 3 s under load. Here
    ``nbformat`` is imported when ``fig.show()`` first asks for it.
    """
    if "plotly.io._renderers" not in sys.modules and "nbformat" not in sys.modules:
        try:
            from _plotly_utils import optional_imports

            skip = "nbformat" not in optional_imports._not_importable
            optional_imports._not_importable.add("nbformat")
            try:
                renderers = importlib.import_module("plotly.io._renderers")
            finally:
                if skip:
                    optional_imports._not_importable.discard("nbformat")
            if renderers.nbformat is None:
                renderers.nbformat = _Deferred("nbformat", renderers, "nbformat")
        except (ImportError, AttributeError):  # another plotly layout: import it the plain way
            pass
    from plotly.graph_objs import FigureWidget

    return FigureWidget


FigureWidget = _import_figure_widget()
#: The widget-state changes plotly's front-end FigureModel listens to (its messages from Python).
PLOTLY_MESSAGES = sorted(n for n in FigureWidget.class_trait_names(sync=True) if n.startswith("_py2js_"))


@functools.cache
def loader_source(key: str, path: str) -> str:
    """The anywidget module of a figure: the loader, told the bundle's hash ``key`` and
    its ``path`` under the server's labextensions URL ('' when it travels inline)."""
    code = strip_comments(LOADER.read_text(encoding="utf-8"))  # half its size
    return (prelude() + "\n" + code
            .replace("__CHAINVIZ_KEY__", json.dumps(key))
            .replace("__CHAINVIZ_PATH__", json.dumps(path))
            .replace("__CHAINVIZ_EVENTS__", json.dumps(PLOTLY_MESSAGES)))


@functools.cache
def _bundle_text() -> str:
    return plotly_bundle.plotly_bundle().path.read_text(encoding="utf-8")


class LiveFigure(FigureWidget):
    """plotly's ``FigureWidget`` whose plotly.js is loaded once per page (see the module doc).

    Parameters
    ----------
    data, layout
        As for ``FigureWidget``: a list of trace dicts and a layout dict.
    config : dict, optional
        plotly config (``displayModeBar`` ...), sent with the figure.
    plotlyjs : {"shared", "inline"}
        How plotly.js reaches the page (see :mod:`chainviz.config`).

    Raises
    ------
    ValueError
        If ``plotlyjs`` is neither.
    """

    _esm = traitlets.Unicode("").tag(sync=True)
    #: plotly's widget bundle, in "inline" mode only: the loader imports it once per page
    _cv_bundle = traitlets.Unicode("").tag(sync=True)

    def __init__(self, data=None, layout=None, config: dict | None = None, plotlyjs: str = "shared"):
        if plotlyjs not in ("shared", "inline"):
            raise ValueError(f"LiveFigure: plotlyjs must be 'shared' or 'inline', got {plotlyjs!r}")
        self._cv_hold_comm = True
        super().__init__(data=data, layout=layout)
        bundle = plotly_bundle.plotly_bundle()
        self._esm = loader_source(bundle.key, bundle.served_path if plotlyjs == "shared" else "")
        if plotlyjs == "inline":
            self._cv_bundle = _bundle_text()
        if config is not None:
            self._config = config
        self._cv_hold_comm = False
        self.open()
        self.on_msg(self._cv_send_bundle)

    def open(self):
        # ipywidgets opens the comm at the end of Widget.__init__, before plotly's
        # constructor has set the traces and layout: wait until __init__ is done.
        if not getattr(self, "_cv_hold_comm", False):
            super().open()

    def get_state(self, key=None, drop_defaults=False):
        # plotly keeps _widget_data/_widget_layout as they were when the figure was made
        # (every later change travels as a message). A page that connects later asks for
        # the state — a reload with the kernel running, Voilà after running every cell —
        # and must get the figure as it is now.
        state = super().get_state(key, drop_defaults)
        if self._cv_hold_comm:  # still inside __init__: plotly's copies are the figure
            return state
        for name, current in (("_widget_data", self._data), ("_widget_layout", self._layout)):
            if name in state:
                state[name] = self.trait_metadata(name, "to_json")(current, self)
        if key is None and "_py2js_update" in state:  # the whole state: the last update is in the
            state["_py2js_update"] = None  # figure above, not to be applied twice
        return state

    def _send_update_msg(self, restyle_data, relayout_data, trace_indexes=None, source_view_id=None):
        """plotly's update message, sent as one comm message instead of four.

        plotly sends the two edit ids, then the update, then the update again set to ``None``
        (so that an identical later update would still be a change). Each message is a kernel
        send, a server hop and a model update in the page, the first two before the figure can
        start to redraw. Here the ids travel in the update's own message, and no reset follows:
        the update carries its edit ids, so no two updates are equal. Nothing waits on plotly's
        "edit in process" flags: its view no longer answers with deltas (figure_loader.js).
        """
        trace_indexes = self._normalize_trace_indexes(trace_indexes)
        with self.hold_sync():
            self._last_trace_edit_id += 1
            self._last_layout_edit_id += 1
            self._py2js_update = {
                "style_data": restyle_data, "layout_data": relayout_data, "style_traces": trace_indexes,
                "trace_edit_id": self._last_trace_edit_id, "layout_edit_id": self._last_layout_edit_id,
                "source_view_id": source_view_id,
            }

    def _cv_send_bundle(self, _widget, content, _buffers) -> None:
        """Answer a page that could not fetch the bundle from the server (once per page)."""
        if not isinstance(content, dict) or content.get("type") != MESSAGE:
            return
        bundle = plotly_bundle.plotly_bundle()
        try:
            data = bundle.path.read_bytes()
        except OSError as exc:
            self.send({"type": MESSAGE, "key": bundle.key, "error": f"{bundle.path}: {exc}"})
            return
        self.send({"type": MESSAGE, "key": bundle.key}, buffers=[data])


def new_figure(data: list, layout: dict, config: dict | None = None) -> FigureWidget:
    """A ``FigureWidget`` holding ``data`` (trace dicts) and ``layout``, with plotly ``config``.

    plotly.js reaches the page as :mod:`chainviz.config`'s ``plotlyjs`` says: a
    :class:`LiveFigure`, or for ``"plotly"`` plotly's own ``FigureWidget``.
    """
    mode = plotly_bundle.transport()
    if mode != "plotly":
        return LiveFigure(data=data, layout=layout, config=config, plotlyjs=mode)
    fig = FigureWidget(data=data, layout=layout)
    if config is not None:
        fig._config = config
    return fig
