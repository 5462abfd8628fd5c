"""What every explorer shares: one FigureWidget updated in one batch, a status line, and
a guard that turns any exception in an event handler into a message on screen.

Exceptions raised in traitlets observers are swallowed by the kernel, so every
handler is wrapped by :meth:`Explorer.guarded`: the learner sees what went wrong
in the status line, the last valid state stays, nothing is lost.
"""

from __future__ import annotations

import functools
import html
import math

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from .figure import new_figure

STATUS_OK_STYLE = "color:#1b5e20"
STATUS_ERROR_STYLE = "color:#b00020;font-weight:600"

CSS = """
<style>
.cv-bad input { background:#ffe3e3 !important; border:2px solid #b00020 !important; }
.cv-cell input { text-align:right; font-variant-numeric: tabular-nums; }
.cv-good input { background:#e3f6e3 !important; border:2px solid #1b5e20 !important; }
.cv-selected input { outline:3px solid #ff9f00; }
.cv-status { font-size:14px; min-height:1.5em; }
.cv-presentation .widget-label, .cv-presentation input, .cv-presentation select,
.cv-presentation button, .cv-presentation .cv-status { font-size:18px !important; }
</style>
"""


def is_echo(change) -> bool:
    """True for a slider change that only adds float noise.

    Some time after drawing a FloatSlider the browser sends its value back as
    ``min + k·step`` (0.10000000000000009 for 0.1). Acting on it would change
    nothing a person asked for and wipe the status line.
    """
    old, new = change["old"], change["new"]
    return abs(new - old) <= 1e-9 * max(1.0, abs(old))


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.all(a == b)) if a.size else True
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def changed(old, new):
    """The part of ``new`` that differs from ``old`` (dicts, lists, arrays), or ``None`` if equal.

    Dicts are compared key by key so that a trace update names only the
    properties that changed; lists are compared whole (plotly replaces arrays).
    """
    if isinstance(new, dict) and "bdata" in new:  # a typed array (see views.style.typed_array): one value
        return None if isinstance(old, dict) and old == new else new
    if isinstance(old, dict) and isinstance(new, dict):
        out = {}
        for k, v in new.items():
            if k not in old:
                out[k] = v
            else:
                d = changed(old[k], v)
                if d is not None:
                    out[k] = d if isinstance(v, dict) else v
        return out or None
    return None if _same(old, new) else new


def _trace_delta(old: dict, new: dict) -> dict | None:
    """:func:`changed` for a trace, with ``meta`` whole: it is free-form (its keys are no
    property names, and a key it lost must go too)."""
    delta = changed({k: v for k, v in old.items() if k != "meta"}, {k: v for k, v in new.items() if k != "meta"})
    if old.get("meta") != new.get("meta"):
        delta = dict(delta or {}, meta=new.get("meta"))
    return delta


class Explorer:
    """Base of every explorer: ``.figure`` (one FigureWidget), ``.error``, ``.widget``.

    Subclasses build ``self.figure`` from a spec ``{"traces": [...], "layout": {...}}``
    with :meth:`_init_figure` and send later specs with :meth:`_apply`, which
    touches only what changed, inside one ``batch_update`` (one message).
    """

    def __init__(self):
        self.error = ""
        self._status: W.HTML | None = None
        self._spec = None
        self.figure: go.FigureWidget | None = None

    @property
    def status(self) -> W.HTML:
        """The status line (made on first use: an explorer that shows messages its own way opens
        no widget models for it)."""
        if self._status is None:
            self._status = W.HTML(value="", layout=W.Layout(width="100%"))
            self._status.add_class("cv-status")
        return self._status

    # -- figure ----------------------------------------------------------------
    def _init_figure(self, spec: dict) -> go.FigureWidget:
        # no zoom/pan toolbar: it covers titles, and zooming a matrix teaches nothing
        self.figure = new_figure(spec["traces"], spec["layout"], {"displayModeBar": False, "displaylogo": False})
        self._spec = spec
        return self.figure

    def _apply(self, spec: dict) -> None:
        """Send the differences between the last spec and ``spec`` as one update."""
        old = self._spec
        trace_changes = [_trace_delta(o, n) for o, n in zip(old["traces"], spec["traces"])]
        layout_change = changed(old["layout"], spec["layout"])
        if not any(trace_changes) and not layout_change:
            return
        # Set each changed leaf by its property path: ``update(delta, overwrite=True)`` would
        # replace a whole nested object by its partial delta (an axis whose domain moved
        # would lose ``visible=False`` and ``range``; the colour bar its position).
        with self.figure.batch_update():
            for trace, delta in zip(self.figure.data, trace_changes):
                delta = dict(delta or {})
                if "meta" in delta:
                    trace.meta = delta.pop("meta")
                for path, value in _paths(delta):
                    trace[path] = value
            for path, value in _layout_paths(old["layout"], spec["layout"], layout_change or {}):
                # a property the figure has never had (the loss chart's axes after the first step)
                # is set whole too: update() would send the new object and each of its leaves,
                # which plotly.js refuses ("cannot set xaxis2.domain and a parent attribute")
                self.figure.layout[path] = value
        self._spec = spec

    # -- status line -------------------------------------------------------------
    def _show_error(self, message: str) -> None:
        self.error = message
        self.status.value = f'<span style="{STATUS_ERROR_STYLE}">⚠ {html.escape(message)}</span>'

    def _show_ok(self, message: str = "") -> None:
        self.error = ""
        self.status.value = f'<span style="{STATUS_OK_STYLE}">{html.escape(message)}</span>' if message else ""

    def guarded(self, handler):
        """Wrap an event handler so an exception becomes a status message, never a lost traceback."""

        @functools.wraps(handler)
        def run(*args, **kwargs):
            try:
                return handler(*args, **kwargs)
            except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
                self._show_error(str(exc))
            except Exception as exc:  # a bug of ours: still say so on screen, with its type
                self._show_error(f"internal error ({type(exc).__name__}): {exc}")

        return run

    def _heading(self) -> str:
        """One line above a static export (LaTeX allowed; shown as plain text)."""
        return ""

    def to_html(self, path, plotlyjs: str = "embed"):
        """Write a static snapshot of the figure that renders with no kernel and no internet.

        See :func:`chainviz.views.export.write_html` for ``plotlyjs``.
        """
        from ..views.export import write_html

        return write_html(path, self.figure, title=f"chainviz — {type(self).__name__}", heading=self._heading(),
                          note=html.escape(self.error), plotlyjs=plotlyjs)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def _paths(delta: dict, prefix: str = ""):
    """``{"title": {"text": t}}`` -> ``("title.text", t)``: nested dicts become property paths, lists stay whole."""
    for k, v in delta.items():
        path = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v and "bdata" not in v:  # a typed array is one value
            yield from _paths(v, path)
        else:
            yield path, v


def _layout_paths(old: dict, new: dict, delta: dict):
    """Property paths of a layout change.

    Annotations and shapes are matched by index in plotly: when both lists have the
    same length and every item the same properties, only the changed properties of the
    changed items are sent (``annotations[16].text``: a new loss value is a few bytes,
    not the whole list); otherwise the list is replaced whole.
    """
    delta = dict(delta)
    for key in [k for k in delta if k not in old]:
        yield key, delta.pop(key)  # new top-level properties go whole (see Explorer._apply)
    for key in ("annotations", "shapes"):
        if key not in delta:
            continue
        del delta[key]
        o, n = old.get(key, []), new.get(key, [])
        if len(o) == len(n) and all({p for p, _ in _paths(a)} == {p for p, _ in _paths(b)} for a, b in zip(o, n)):
            for i, (a, b) in enumerate(zip(o, n)):
                yield from _paths(changed(a, b) or {}, f"{key}[{i}]")
        else:
            yield key, n
    yield from _paths(delta)
