"""How a chainviz figure reaches the page (chainviz/widgets/figure.py, plotly_bundle.py,
chainviz/config.py), without a kernel or a browser.

Messages are caught by a comm that records what ipywidgets would send. Expected values
come from the inputs themselves, from plotly's own ``FigureWidget`` (an independent
implementation of the same messages) and from plotly's installed bundle file, hashed
here with hashlib. The browser side is tests/browser/test_time_to_live.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import plotly
import plotly.graph_objects as go
import pytest

import chainviz.config as config
from chainviz.widgets import figure as figure_mod
from chainviz.widgets import plotly_bundle
from chainviz.widgets.figure import MESSAGE, PLOTLY_MESSAGES, LiveFigure, new_figure

BUNDLE = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"  # the file plotly sends inline
Z = [[1.0, -2.0], [0.5, 3.0]]


class RecordingComm:
    """Stands in for ipykernel's comm: keeps the opening message and every later one."""

    def __init__(self, data=None, buffers=None, **_):
        self.open_state = data["state"]
        self.open_buffers = list(buffers or [])
        self.sent: list[tuple[dict, list]] = []
        self.comm_id = uuid.uuid4().hex
        self.kernel = object()  # ipywidgets sends only through a comm with a kernel
        self._on_msg = None

    def send(self, data=None, metadata=None, buffers=None):
        self.sent.append((data, list(buffers or [])))

    def on_msg(self, callback):
        self._on_msg = callback

    def close(self, *args, **kwargs):
        pass

    def receive(self, data: dict, buffers=()):
        """A message from the page."""
        self._on_msg({"content": {"data": data}, "buffers": list(buffers)})


@pytest.fixture
def comms(monkeypatch):
    """Every comm opened from now on, in order."""
    import ipywidgets.comm

    opened: list[RecordingComm] = []

    def create_comm(**kwargs):
        opened.append(RecordingComm(**kwargs))
        return opened[-1]

    monkeypatch.setattr(ipywidgets.comm, "create_comm", create_comm)
    return opened


@pytest.fixture(autouse=True)
def clean_setting(monkeypatch):
    """No assignment and no environment variable: every test says what it needs."""
    monkeypatch.delenv(config.ENV_PLOTLYJS, raising=False)
    config.plotlyjs = None
    yield
    config.plotlyjs = None


def comm_of(fig, comms) -> RecordingComm:
    return next(c for c in comms if c.comm_id == fig.model_id)


def heatmap(uid="t0"):
    return [{"type": "heatmap", "z": Z, "uid": uid, "name": "A"}]


# -- the figure's first message ------------------------------------------------------------
def test_first_message_holds_the_whole_figure(comms):
    config.plotlyjs = "shared"
    fig = new_figure(heatmap(), {"height": 321, "title": {"text": "T"}}, {"displayModeBar": False})
    c = comm_of(fig, comms)
    state = c.open_state
    assert state["_widget_data"][0]["z"] == Z
    assert state["_widget_layout"]["height"] == 321 and state["_widget_layout"]["title"] == {"text": "T"}
    assert state["_config"] == {"displayModeBar": False}
    assert state["_cv_bundle"] == ""
    key = hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:16]
    assert f'const KEY = "{key}";' in state["_esm"]
    assert f"chainviz-plotly/static/plotly-widget-{plotly.__version__}.{key}.js" in state["_esm"]
    assert len(state["_esm"]) < 20_000  # a loader and the figure's text layer, not the 5 MB bundle
    # nothing follows: plotly's own FigureWidget sends traces, layout and config in later
    # messages, which anywidget drops when the page took over 2 s to compile the module
    assert c.sent == []


def test_plotly_own_figurewidget_sends_its_data_after_opening(comms):
    # the cause of the blank figures, pinned on the installed plotly: if a future plotly
    # sends everything at open, LiveFigure's deferred open is no longer needed
    fig = go.FigureWidget(data=heatmap())
    c = comm_of(fig, comms)
    assert c.open_state["_widget_data"] == []
    assert any("_widget_data" in msg["state"] for msg, _ in c.sent if msg.get("method") == "update")


def test_inline_setting_carries_plotlys_bundle_in_the_state(comms):
    config.plotlyjs = "inline"
    fig = new_figure(heatmap(), {})
    state = comm_of(fig, comms).open_state
    assert state["_cv_bundle"] == BUNDLE.read_text(encoding="utf-8")
    assert 'const PATH = "";' in state["_esm"]


def test_plotly_setting_gives_plotlys_own_figurewidget(comms):
    config.plotlyjs = "plotly"
    fig = new_figure(heatmap(), {}, {"displayModeBar": False})
    assert isinstance(fig, go.FigureWidget) and not isinstance(fig, LiveFigure)
    assert fig._config == {"displayModeBar": False}


def test_live_figure_rejects_an_unknown_transport():
    with pytest.raises(ValueError, match="plotlyjs must be 'shared' or 'inline', got 'cdn'"):
        LiveFigure(heatmap(), {}, plotlyjs="cdn")


# -- after the first message: plotly's own updates, one message each -------------------------
def _edit(fig):
    with fig.batch_update():
        fig.data[0].z = [[9.0, 8.0], [7.0, 6.0]]
        fig.layout["title.text"] = "edited"
        fig.layout.update({"xaxis2": {"domain": [0.5, 1.0]}})


def test_an_edit_sends_plotlys_update_in_one_message(comms):
    """plotly's FigureWidget sends four messages per update (the two edit ids, the update, the
    update reset to None); ours sends the same update and ids in one."""
    config.plotlyjs = "shared"
    ours = new_figure(heatmap(), {"height": 300})
    theirs = go.FigureWidget(data=heatmap(), layout={"height": 300})
    n_ours, n_theirs = len(comm_of(ours, comms).sent), len(comm_of(theirs, comms).sent)
    _edit(ours)
    _edit(theirs)
    sent_ours = [m for m, _ in comm_of(ours, comms).sent[n_ours:]]
    sent_theirs = [m for m, _ in comm_of(theirs, comms).sent[n_theirs:]]
    assert [sorted(m["state"]) for m in sent_theirs] == [
        ["_last_trace_edit_id"], ["_last_layout_edit_id"], ["_py2js_update"], ["_py2js_update"]]
    assert len(sent_ours) == 1
    state = sent_ours[0]["state"]
    assert sorted(state) == ["_last_layout_edit_id", "_last_trace_edit_id", "_py2js_update"]
    update = next(m["state"]["_py2js_update"] for m in sent_theirs if m["state"].get("_py2js_update"))
    assert state["_py2js_update"] == update
    assert update["style_data"]["z"] == [[[9.0, 8.0], [7.0, 6.0]]]
    assert update["layout_data"]["title.text"] == "edited"
    assert state["_last_trace_edit_id"] == update["trace_edit_id"]
    # the next update is one message too, with the next ids; none resets the last one
    with ours.batch_update():
        ours.data[0].z = [[1.0, 2.0], [3.0, 4.0]]
    last = [m for m, _ in comm_of(ours, comms).sent[n_ours + 1:]]
    assert len(last) == 1 and last[0]["state"]["_last_trace_edit_id"] == state["_last_trace_edit_id"] + 1
    # a page that connects later draws the figure as it is, and applies no update again
    assert ours.get_state()["_py2js_update"] is None
    assert ours.get_state()["_widget_data"][0]["z"] == [[1.0, 2.0], [3.0, 4.0]]


def test_a_click_in_the_page_reaches_on_click(comms):
    config.plotlyjs = "shared"
    fig = new_figure(heatmap(), {})
    clicked = []
    fig.data[0].on_click(lambda trace, points, state: clicked.append((trace.name, points.point_inds)))
    points = {"trace_indexes": [0], "point_indexes": [[1, 0]], "xs": [0], "ys": [1], "zs": [0.5]}
    comm_of(fig, comms).receive({"method": "update", "state": {"_js2py_pointsCallback": {
        "event_type": "plotly_click", "points": points, "device_state": {}, "selector": None}}})
    assert clicked == [("A", [[1, 0]])]


def test_a_page_that_connects_later_gets_the_figure_as_it_is_now(comms):
    # a reload with the kernel running, or Voilà after running every cell, asks for the state
    config.plotlyjs = "shared"
    fig = new_figure(heatmap(), {"height": 300})
    _edit(fig)
    c = comm_of(fig, comms)
    n = len(c.sent)
    c.receive({"method": "request_state"})
    (msg, _), = c.sent[n:]
    assert msg["state"]["_widget_data"][0]["z"] == [[9.0, 8.0], [7.0, 6.0]]
    assert msg["state"]["_widget_layout"]["title"]["text"] == "edited"
    assert msg["state"]["_widget_layout"]["xaxis2"]["domain"] == [0.5, 1.0]


def test_a_page_without_the_file_gets_the_bundle_from_the_kernel(comms):
    config.plotlyjs = "shared"
    fig = new_figure(heatmap(), {})
    c = comm_of(fig, comms)
    c.receive({"method": "custom", "content": {"type": "something else"}})
    assert c.sent == []
    c.receive({"method": "custom", "content": {"type": MESSAGE, "key": "whatever"}})
    (msg, buffers), = c.sent
    data = bytes(buffers[0])
    assert data == BUNDLE.read_bytes()
    assert msg["content"] == {"type": MESSAGE, "key": hashlib.sha256(data).hexdigest()[:16]}


# -- where the bundle is served from ------------------------------------------------------------
def test_bundle_is_placed_under_its_content_hash(tmp_path):
    bundle = plotly_bundle.plotly_bundle()
    key = hashlib.sha256(BUNDLE.read_bytes()).hexdigest()[:16]
    assert bundle.key == key
    placed = plotly_bundle.ensure_served(bundle, [tmp_path / "env", tmp_path / "user"])
    assert placed == tmp_path / "env" / "chainviz-plotly" / "static" / f"plotly-widget-{plotly.__version__}.{key}.js"
    assert placed.read_bytes() == BUNDLE.read_bytes()
    assert sorted(p.name for p in placed.parent.iterdir()) == [placed.name]  # no temporary file left
    before = placed.stat()
    assert plotly_bundle.ensure_served(bundle, [tmp_path / "env", tmp_path / "user"]) == placed
    assert (placed.stat().st_ino, placed.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_bundle_goes_to_the_next_directory_when_one_is_not_writable(tmp_path):
    bundle = plotly_bundle.plotly_bundle()
    blocked = tmp_path / "env"
    blocked.write_text("a file where a directory should be")  # even root cannot mkdir under it
    placed = plotly_bundle.ensure_served(bundle, [blocked, tmp_path / "user"])
    assert placed == tmp_path / "user" / bundle.served_path
    other = tmp_path / "other"
    other.write_text("")
    assert plotly_bundle.ensure_served(bundle, [blocked, other]) is None


def test_an_existing_copy_anywhere_on_the_path_is_used(tmp_path):
    bundle = plotly_bundle.plotly_bundle()
    system = tmp_path / "system" / bundle.served_path
    system.parent.mkdir(parents=True)
    system.write_bytes(BUNDLE.read_bytes())
    assert plotly_bundle.ensure_served(bundle, [tmp_path / "env", tmp_path / "user", tmp_path / "system"]) == system
    assert not (tmp_path / "env").exists()


@pytest.mark.parametrize("env, modules, expected", [
    ({}, [], "shared"),
    ({"VSCODE_PID": "42"}, [], "inline"),
    ({"VSCODE_PID": "42", "JPY_SESSION_NAME": "/nb.ipynb"}, [], "shared"),  # a Jupyter server's kernel
    ({}, ["google.colab"], "inline"),
])
def test_auto_is_shared_only_in_a_jupyter_page(monkeypatch, env, modules, expected):
    for var in ("VSCODE_PID", "JPY_SESSION_NAME"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    for name in modules:
        monkeypatch.setitem(sys.modules, name, type(sys)(name))
    assert plotly_bundle.transport() == expected


def test_auto_is_inline_when_no_copy_can_be_placed_but_shared_stays_shared(monkeypatch):
    monkeypatch.delenv("VSCODE_PID", raising=False)
    monkeypatch.setattr(plotly_bundle, "_served", lambda: None)
    assert plotly_bundle.transport() == "inline"
    config.plotlyjs = "shared"
    assert plotly_bundle.transport() == "shared"  # the page will ask the kernel


# -- the setting ----------------------------------------------------------------------------
def test_setting_comes_from_the_environment_unless_assigned(monkeypatch):
    assert config.plotlyjs == "auto"
    monkeypatch.setenv("CHAINVIZ_PLOTLYJS", " Inline ")
    assert config.plotlyjs == "inline"
    config.plotlyjs = "shared"
    assert config.plotlyjs == "shared"
    config.plotlyjs = None
    assert config.plotlyjs == "inline"


def test_bad_setting_is_refused_and_the_old_one_kept():
    config.plotlyjs = "shared"
    with pytest.raises(ValueError, match=r"chainviz.config.plotlyjs must be one of 'auto', 'shared', "
                                         r"'inline', 'plotly', got 'cdn'"):
        config.plotlyjs = "cdn"
    with pytest.raises(ValueError, match="got 3"):
        config.plotlyjs = 3
    assert config.plotlyjs == "shared"


def test_bad_environment_value_warns_and_counts_as_auto(monkeypatch):
    monkeypatch.setenv("CHAINVIZ_PLOTLYJS", "cdn")
    with pytest.warns(UserWarning, match="environment variable CHAINVIZ_PLOTLYJS must be one of .*got 'cdn'"):
        assert config.plotlyjs == "auto"


def test_package_attribute_is_the_config_module():
    import chainviz

    assert chainviz.config is config


# -- what chainviz relies on in plotly's bundle (pins the plotly version) ---------------------
def test_plotlys_bundle_has_the_interface_the_loader_uses():
    text = BUNDLE.read_text(encoding="utf-8")
    # the default export is a factory of {initialize, render}: one module serves every figure
    # (the last export: plotly.js embeds a map worker with an export of its own)
    default = re.findall(r"export\{[^}]*\b(\w+) as default\}", text)[-1]
    assert re.search(rf"\b{re.escape(default)}=\(\)=>\{{let \w+;return\{{initialize\(\w+\)\{{.*?\}},render\(",
                     text[-5000:])
    # the front-end FigureModel listens to exactly the messages the loader records until it exists
    listened = set(re.findall(r'this\.model\.on\("change:(_py2js_\w+)"', text))
    assert listened == set(PLOTLY_MESSAGES)
    assert len(PLOTLY_MESSAGES) == 9


def test_loader_is_filled_in_and_names_every_plotly_message():
    src = figure_mod.loader_source("0123456789abcdef", "chainviz-plotly/static/x.js")
    assert "__CHAINVIZ_" not in src
    assert not [line for line in src.splitlines() if line.lstrip().startswith("//")]
    assert f"const PLOTLY_EVENTS = {json.dumps(PLOTLY_MESSAGES)};" in src
    assert 'const KEY = "0123456789abcdef";' in src and 'const PATH = "chainviz-plotly/static/x.js";' in src


# -- kernel start -----------------------------------------------------------------------------
def test_first_figure_leaves_nbformat_for_the_first_show():
    """nbformat (with jsonschema, 0.8 s here) is imported by fig.show(), not by the first figure."""
    code = """
import sys
from chainviz.widgets.figure import new_figure
new_figure([{"type": "heatmap", "z": [[1, 2]]}], {})
assert "nbformat" not in sys.modules, "the first figure imported nbformat"
import plotly.graph_objects as go
import plotly.io as pio
pio.show(go.Figure(), renderer="plotly_mimetype")
assert "nbformat" in sys.modules, "fig.show() did not import nbformat"
"""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    run = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
