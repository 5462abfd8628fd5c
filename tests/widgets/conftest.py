"""Shared fixtures for the widget tests (no kernel, no browser).

Nothing here computes an expected value through the view layer: the
chain-rule expectations are built from the core API only (``Net.jacobian_factors``,
``Net.jacobian``, ``Net.reverse_sweep``, ``Net.forward_sweep``,
``Net.weight_gradients``), never from ``app.snapshot`` or ``figure_spec``.

Generic fixtures (any explorer, any FigureWidget)
-------------------------------------------------
trace_by_name(fig, name)      the trace of ``fig`` whose ``name`` is ``name``, or the
                              :class:`Panel` of that name where a trace packs several
                              matrices (KeyError if none)
trace_z(fig, name)            its ``z`` as a float ndarray, ``None`` -> ``nan``
visible_traces(fig)           ``{name: trace}`` of the traces with ``visible`` true, or
                              ``{name: Panel}`` of their panels
assert_sig3(shown, expected, what)
                              ``shown`` equals ``expected`` to 3 significant digits (the
                              display rounding, chainviz.views.style.DIGITS); NaN only
                              where NaN is expected
record_messages(fig)          start recording every Python -> browser message of a
                              FigureWidget; returns a :class:`MessageLog`
figure_data(fig)              ``fig.to_dict()["data"]``: every trace as plain data, to
                              compare before/after an edit
widget_count()                how many ipywidgets exist now (to check nothing was built)

Chain-rule fixtures
-------------------
chain_expected(net, x, loss, step=None, grads=False, forward=True)
                              ``{"band:column": expected z}`` for every panel the
                              ChainRuleExplorer must show, from the core API
assert_chain_figure(fig, net, x, loss, step=None, grads=False, forward=True, bands=None)
                              every visible trace of ``fig`` equals ``chain_expected`` to
                              3 significant digits, and exactly those traces are visible
"""

from __future__ import annotations

import base64
import json
import math

import numpy as np
import pytest

#: Significant digits the views send to the browser (chainviz.views.style.DIGITS), restated
#: here so a change of the display precision is a deliberate change of the tests too.
SIG_DIGITS = 3

#: Every method through which a plotly FigureWidget (plotly 7.1, basewidget.py) sends a
#: message to the browser.
SEND_METHODS = (
    "_send_update_msg",
    "_send_restyle_msg",
    "_send_relayout_msg",
    "_send_addTraces_msg",
    "_send_deleteTraces_msg",
    "_send_moveTraces_msg",
    "_send_animate_msg",
)


# -- traces ----------------------------------------------------------------------------------
def plotly_array(v) -> np.ndarray:
    """An array as plotly carries it: a (nested) list, an ndarray, or plotly.js's typed-array
    form ``{"dtype", "bdata" (base64), "shape"}`` (decoded here with numpy alone)."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]).newbyteorder("<"))
        shape = [int(k) for k in str(v.get("shape", a.size)).split(",")]
        return a.reshape(shape).astype(float)
    return np.array(v, dtype=object)


def _stated_value(text: str) -> float:
    """The number a hover text ends with (``"… = −0.123"``), or nan if it states none (a blank)."""
    try:
        return float(text.rsplit(" = ", 1)[1].replace("−", "-"))
    except (IndexError, ValueError):
        return math.nan


class Panel:
    """One panel of a figure that packs several matrices into one heatmap trace.

    Such a trace names its panels in ``meta["panels"]`` (``name -> [row, col, rows, cols]``);
    a panel reads like a trace of its own: ``name``, ``z`` (what its cells say), ``zmin``,
    ``zmax``, ``visible``, and ``trace``/``box`` for where it is drawn. Where the cells hold
    ``value / limit`` (free colour limits, ``meta["limits"]``), ``z`` is read from the hover
    text, which states each value.
    """

    visible = True

    def __init__(self, trace, name: str, box):
        self.trace, self.name, self.box = trace, name, tuple(box)

    def _block(self, a):
        r, c, rows, cols = self.box
        return np.atleast_2d(np.array(a, dtype=object))[r:r + rows, c:c + cols]

    @property
    def z(self) -> np.ndarray:
        limits = (self.trace.meta or {}).get("limits")
        if limits is None:
            return np.array(self._block(plotly_array(self.trace.z)), dtype=float)  # None (a blank) -> nan
        return np.vectorize(_stated_value, otypes=[float])(self._block(self.trace.customdata))

    @property
    def zmax(self) -> float:
        limits = (self.trace.meta or {}).get("limits")
        return float(limits[self.name]) if limits is not None else float(self.trace.zmax)

    @property
    def zmin(self) -> float:
        return -self.zmax if (self.trace.meta or {}).get("limits") is not None else float(self.trace.zmin)


def _panels(fig) -> dict:
    """``{name: Panel}`` of the visible traces that pack panels (empty if none does)."""
    out = {}
    for t in fig.data:
        if t.visible is False or not isinstance(t.meta, dict) or "panels" not in t.meta:
            continue
        for name, box in t.meta["panels"].items():
            assert name not in out, f"two visible panels are named {name!r}"
            out[name] = Panel(t, name, box)
    return out


def _trace_by_name(fig, name: str):
    panels = _panels(fig)
    if name in panels:
        return panels[name]
    matches = [t for t in fig.data if t.name == name and t.visible is not False]
    if not matches:
        matches = [t for t in fig.data if t.name == name]
    if not matches:
        raise KeyError(f"no trace or panel named {name!r}; names: {[t.name for t in fig.data] + sorted(panels)}")
    return matches[0]


def _trace_z(fig, name: str) -> np.ndarray:
    z = _trace_by_name(fig, name).z
    if z is None:
        raise AssertionError(f"trace {name!r} has no z")
    # dtype=float turns None (how plotly carries a blank cell) into nan
    return np.atleast_2d(np.array(z, dtype=float))


def _visible_traces(fig) -> dict:
    """``{name: trace}`` of the visible traces, or ``{name: Panel}`` where traces pack panels."""
    panels = _panels(fig)
    if panels:
        return panels
    out = {}
    for t in fig.data:
        if t.visible is True or t.visible is None:
            assert t.name not in out, f"two visible traces are named {t.name!r}"
            out[t.name] = t
    return out


@pytest.fixture
def decode_array():
    """``decode_array(v)``: an array as plotly carries it, as an ndarray (see :func:`plotly_array`)."""
    return plotly_array


@pytest.fixture
def trace_by_name():
    return _trace_by_name


@pytest.fixture
def trace_z():
    return _trace_z


@pytest.fixture
def visible_traces():
    return _visible_traces


def plain(obj):
    """``obj`` with every ndarray/tuple turned into nested lists and NaN into ``None``: what
    the browser receives, and comparable with ``==``."""
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return plain(obj.tolist())
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


@pytest.fixture
def figure_data():
    """``figure_data(fig)``: every trace of ``fig`` as plain data (see :func:`plain`)."""
    return lambda fig: plain(fig.to_dict()["data"])


@pytest.fixture
def plain_data():
    return plain


# -- numbers to display precision -----------------------------------------------------------
def _sig_tolerance(expected: np.ndarray, digits: int = SIG_DIGITS) -> np.ndarray:
    """Half a unit in the last shown digit of each entry: the most rounding can move it."""
    a = np.abs(expected)
    with np.errstate(divide="ignore"):
        mag = np.where(a > 0, np.floor(np.log10(np.where(a > 0, a, 1.0))), 0.0)
    # 0.5 ulp of the shown digits, plus the binary representation of the result: the figure
    # may carry it as float32 (24-bit significand: 2^-24 relative)
    return 0.5 * 10.0 ** (mag - (digits - 1)) + a * 2.0 ** -23 + 1e-300


def _assert_sig3(shown, expected, what: str = "") -> None:
    shown = np.atleast_2d(np.asarray(shown, dtype=float))
    expected = np.atleast_2d(np.asarray(expected, dtype=float))
    assert shown.shape == expected.shape, f"{what}: shape {shown.shape} shown, {expected.shape} expected"
    nan_s, nan_e = np.isnan(shown), np.isnan(expected)
    assert np.array_equal(nan_s, nan_e), f"{what}: blanks at {np.argwhere(nan_s).tolist()}, " \
                                         f"expected at {np.argwhere(nan_e).tolist()}"
    ok = ~nan_e
    err = np.abs(shown[ok] - expected[ok])
    tol = _sig_tolerance(expected[ok])
    bad = err > tol
    assert not bad.any(), (
        f"{what}: not equal to {SIG_DIGITS} significant digits\nshown    {shown.tolist()}\n"
        f"expected {expected.tolist()}"
    )


@pytest.fixture
def assert_sig3():
    return _assert_sig3


def sig_round(v: float, digits: int = SIG_DIGITS) -> float:
    """``v`` to ``digits`` significant digits, computed independently of chainviz."""
    return float(f"{v:.{digits}g}")


@pytest.fixture
def sig3():
    return sig_round


# -- messages to the browser ----------------------------------------------------------------
class MessageLog:
    """Records the messages a FigureWidget sends: ``.names``, ``.payloads``, ``.sizes()``."""

    def __init__(self):
        self.calls: list[tuple[str, tuple, dict]] = []
        self.payloads: list[dict] = []  # what was assigned to the synced _py2js_* traits

    @property
    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def clear(self) -> None:
        self.calls.clear()
        self.payloads.clear()

    def __len__(self) -> int:
        return len(self.calls)

    @staticmethod
    def wire_bytes(payload) -> int:
        """Bytes of ``payload`` as the kernel sends it: plotly's trait serializer, then
        jupyter_client's JSON packer (``ensure_ascii=False``, UTF-8), plus any binary
        buffers (plotly sends 1-D numeric arrays as buffers beside the JSON)."""
        from plotly.serializers import _py_to_js

        buffers = []

        def strip(v):
            if isinstance(v, dict):
                return {k: strip(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [strip(x) for x in v]
            if isinstance(v, (memoryview, bytes, bytearray)):
                buffers.append(memoryview(v).nbytes)
                return {"buffer": len(buffers) - 1}
            return v

        text = json.dumps(strip(_py_to_js(payload, None)), ensure_ascii=False, allow_nan=False)
        return len(text.encode("utf-8")) + sum(buffers)

    def sizes(self) -> list[int]:
        return [self.wire_bytes(p) for p in self.payloads]


@pytest.fixture
def record_messages(monkeypatch):
    """``record_messages(fig) -> MessageLog``: count and capture what ``fig`` sends from now on.

    Each ``_send_*_msg`` method is wrapped on the instance (it still sends), and the
    synced ``_py2js_*`` traits are observed to capture the exact payloads.
    """

    def start(fig) -> MessageLog:
        log = MessageLog()
        for name in SEND_METHODS:
            original = getattr(fig, name)

            def wrapper(*args, _original=original, _name=name, **kwargs):
                log.calls.append((_name, args, kwargs))
                return _original(*args, **kwargs)

            monkeypatch.setattr(fig, name, wrapper)
        traits = [t for t in fig.trait_names() if t.startswith("_py2js_")]

        def on_change(change):
            if change["new"] is not None:
                log.payloads.append(change["new"])

        fig.observe(on_change, names=traits)
        return log

    return start


@pytest.fixture
def widget_count():
    from ipywidgets.widgets import widget as _widget

    return lambda: len(_widget._instances)


# -- what the chain-rule explorer must show, from the core API only -------------------------
def _column(f) -> str:
    return ("D" if f.kind == "slope" else "W") + str(f.layer)


def chain_expected_panels(net, x, loss, step=None, grads=False, forward=True) -> dict[str, np.ndarray]:
    """Every panel of the chain-rule figure as the core computes it.

    ``top``: the factors (a slope factor shows only its diagonal; off-diagonal cells are
    blank) and ``J``. ``rev``: the reverse rows, each under the factor that produced it
    (``rev:loss`` is ∂L/∂y), blank beyond ``step`` factors. ``fwd``: what forward mode
    carries at the same stage (``J`` under the loss, ``I`` under ``W1``). ``grad``: ∂L/∂W.
    """
    factors = net.jacobian_factors(x)
    K = len(factors)
    cols = ["loss"] + [_column(f) for f in factors]
    out: dict[str, np.ndarray] = {}
    for f in factors:
        M = np.asarray(f.matrix, float)
        if f.kind == "slope":
            M = np.where(np.eye(M.shape[0], dtype=bool), M, np.nan)
        out[f"top:{_column(f)}"] = M
    out["top:J"] = net.jacobian(x)
    rows = net.reverse_sweep(x, loss)
    assert len(rows) == K + 1
    shown = K + 1 if step is None or step >= K else step + 1
    for i, (col, row) in enumerate(zip(cols, rows)):
        v = np.asarray(row.values, float)[None, :]
        out[f"rev:{col}"] = v if i < shown else np.full_like(v, np.nan)
    carried = net.forward_sweep(x)  # input side first, last is J
    assert len(carried) == K
    for i, col in enumerate(cols):
        if forward:
            out[f"fwd:{col}"] = carried[K - 1 - i] if i < K else np.eye(net.n)
    if grads:
        for l, G in enumerate(net.weight_gradients(x, loss), start=1):
            out[f"grad:W{l}"] = G
    return out


def _assert_chain_figure(fig, net, x, loss, step=None, grads=False, forward=True, bands=None) -> None:
    expected = chain_expected_panels(net, x, loss, step=step, grads=grads, forward=forward)
    shown = _visible_traces(fig)
    if bands is not None:
        expected = {k: v for k, v in expected.items() if k.split(":")[0] in bands}
        shown = {k: v for k, v in shown.items() if k.split(":")[0] in bands}
    assert set(shown) == set(expected), f"visible {sorted(shown)}, expected {sorted(expected)}"
    for name, want in expected.items():
        _assert_sig3(_trace_z(fig, name), want, name)


@pytest.fixture
def chain_expected():
    return chain_expected_panels


@pytest.fixture
def assert_chain_figure():
    return _assert_chain_figure
