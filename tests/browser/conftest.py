"""Fixtures for real-browser tests (JupyterLab / Voila driven by Chromium).

Every test under tests/browser gets the ``browser`` marker. Without
/usr/bin/chromium (or Playwright) the tests are skipped, or fail when CI=true.
Run them alone with ``pytest -m browser``, or leave them out with
``pytest -m "not browser"``.

Fixtures
--------
lab_server    (session)  LabServer with .root (served dir, a temp copy of
                         notebooks/ that tests may add files to), .url, .port
voila_server  (session)  factory: voila_server(notebook_path) -> url
browser       (session)  Playwright Chromium (Debian's /usr/bin/chromium)
page          (function) 1280x900 page; page.console_errors lists console
                         errors and uncaught page errors; a screenshot is
                         saved to test-artifacts/browser/<test>-failure.png
                         when the test fails
artifacts_dir (session)  Path of test-artifacts/browser
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "browser"
# Debian's chromium; CHAINVIZ_CHROMIUM may point elsewhere (or at a missing
# path, to check the skip/fail logic).
CHROMIUM = Path(os.environ.get("CHAINVIZ_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Talk to 127.0.0.1 directly even if a proxy is set in the environment,
    # and resolve no other host name: a page that reaches for a CDN fails the
    # same way (net::ERR_NAME_NOT_RESOLVED) on every machine.
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
SERVER_START_TIMEOUT = 90.0  # s; first JupyterLab start on 2 cores ~ 2-20 s
STOP_GRACE = 10.0  # s between SIGTERM and SIGKILL

# JupyterLab user settings written into a temporary settings dir
# (JUPYTERLAB_SETTINGS_DIR), so the venv is never modified.
LAB_USER_SETTINGS = {
    # No news toast, no update check (both would fetch from the internet).
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        # Attach every cell to the DOM (default 'contentVisibility' skips
        # layout of off-screen cells, which would give plotly zero sizes and
        # make DOM counts depend on scrolling).
        "windowingMode": "none",
        # A notebook without kernelspec starts the default kernel instead of
        # asking in a "Select Kernel" dialog.
        "autoStartDefaultKernel": True,
    },
    # No "Install Extension Manager"/PyPI lookups.
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
}


def _is_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _missing_prerequisite() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) not installed"
    return None


# --------------------------------------------------------------------------
# hooks


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Runs before any fixture is set up, so no server starts needlessly.
    reason = _missing_prerequisite()
    if reason is None:
        return
    if _is_ci():
        pytest.fail(f"browser tests cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    report = yield
    # item.rep_setup / item.rep_call / item.rep_teardown, read by `page`.
    setattr(item, f"rep_{report.when}", report)
    return report


# --------------------------------------------------------------------------
# process helpers


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _http_ok(url: str) -> bool:
    try:
        with _NO_PROXY_OPENER.open(url, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def _descendants(pid: int) -> list[int]:
    """PIDs of all live descendants of ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ..."; comm may contain spaces/parens.
        rest = text[text.rfind(")") + 2 :].split()
        children.setdefault(int(rest[1]), []).append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.append(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as dead.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group, wait, SIGKILL after STOP_GRACE.

    Kernels run in sessions of their own (jupyter_client), so they are found
    through /proc before the server stops; a server shuts them down on
    SIGTERM, and any that outlive it are killed by PID.
    """
    if proc.poll() is not None:
        return
    kids = _descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=STOP_GRACE)
    deadline = time.monotonic() + 5
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for k in kids:
        if _alive(k):
            try:
                os.kill(k, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _jupyter_env(home: Path) -> dict[str, str]:
    """Environment isolating every Jupyter/IPython user dir under ``home``.

    The repository root is put first on PYTHONPATH so kernels import the
    working tree's ``chainviz`` even when it is not pip-installed.
    """
    env = dict(os.environ)
    dirs = {
        "JUPYTER_CONFIG_DIR": "config",
        "JUPYTER_DATA_DIR": "data",
        "JUPYTER_RUNTIME_DIR": "runtime",
        "JUPYTERLAB_SETTINGS_DIR": "lab-user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": "lab-workspaces",
        "IPYTHONDIR": "ipython",
        "MPLCONFIGDIR": "matplotlib",
    }
    for var, sub in dirs.items():
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no debugger warning on kernel start
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in [str(REPO_ROOT), env.get("PYTHONPATH", "")] if p
    )
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(var, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    return env


def _write_lab_settings(settings_dir: Path) -> None:
    for rel, value in LAB_USER_SETTINGS.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value, indent=2))


def _start(
    cmd: list[str], env: dict[str, str], cwd: Path, log_path: Path
) -> subprocess.Popen:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")  # noqa: SIM115 - closed in the finalizer
    try:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # pgid == pid: killpg catches its children
        )
    finally:
        log.close()  # the child holds its own descriptor
    return proc


def _wait_ready(proc: subprocess.Popen, port: int, log_path: Path, probe_url: str | None) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"server exited with {proc.returncode} before it was ready; "
                f"log {log_path}:\n{_tail(log_path)}"
            )
        if _port_open(port) and (probe_url is None or _http_ok(probe_url)):
            return
        time.sleep(0.2)
    _stop(proc)
    raise RuntimeError(
        f"server not ready on port {port} after {SERVER_START_TIMEOUT:.0f} s; "
        f"log {log_path}:\n{_tail(log_path)}"
    )


# --------------------------------------------------------------------------
# fixtures


@dataclass
class LabServer:
    root: Path  # served directory; tests may write extra notebooks here
    port: int
    url: str  # e.g. http://127.0.0.1:PORT (no trailing slash)
    pid: int
    log: Path
    start_seconds: float

    def lab_url(self, nb_name: str) -> str:
        return f"{self.url}/lab/tree/{nb_name}?reset"


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path) -> Iterator[LabServer]:
    """A JupyterLab server on a free 127.0.0.1 port, no token, serving a temp
    copy of the repository's notebooks/ directory."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    if NOTEBOOKS_DIR.is_dir():
        shutil.copytree(
            NOTEBOOKS_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        )
    else:
        root.mkdir()
    env = _jupyter_env(base / "home")
    _write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    port = _free_port()
    log_path = artifacts_dir / "jupyterlab-server.log"
    cmd = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--port-retries=0",
        "--IdentityProvider.token=",  # ServerApp.token is deprecated in jupyter_server 2
        "--ServerApp.password=",
        "--allow-root",
        f"--notebook-dir={root}",
        "--LabApp.news_url=None",  # server side: never fetch the news feed
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    t0 = time.monotonic()
    proc = _start(cmd, env, root, log_path)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(proc, port, log_path, f"{url}/api/status")
        server = LabServer(root, port, url, proc.pid, log_path, time.monotonic() - t0)
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def voila_server(
    tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path
) -> Iterator[Callable[[Path | str], str]]:
    """Factory ``voila_server(notebook_path) -> url``.

    Starts one Voila server per notebook (cached for the session) on a free
    port and returns the URL that renders it. Only the port is probed: each
    GET of the page starts a kernel.
    """
    base = tmp_path_factory.mktemp("voila")
    env = _jupyter_env(base / "home")
    started: dict[Path, str] = {}
    procs: list[subprocess.Popen] = []

    def serve(notebook_path: Path | str) -> str:
        nb = Path(notebook_path).resolve()
        if nb in started:
            return started[nb]
        if not nb.is_file():
            raise FileNotFoundError(nb)
        port = _free_port()
        log_path = artifacts_dir / f"voila-{re.sub(r'[^A-Za-z0-9_.-]+', '_', nb.stem)}-{port}.log"
        cmd = [
            sys.executable, "-m", "voila",
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
            "--show_tracebacks=True",
            str(nb),
        ]  # fmt: skip
        proc = _start(cmd, env, nb.parent, log_path)
        procs.append(proc)
        _wait_ready(proc, port, log_path, None)
        started[nb] = f"http://127.0.0.1:{port}/"
        return started[nb]

    try:
        yield serve
    finally:
        for proc in procs:
            _stop(proc)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest, artifacts_dir: Path):
    """A fresh 1280x900 page in its own context.

    ``page.console_errors``: list of strings, one per console.error message
    ("console: ...") or uncaught exception ("pageerror: ...").
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.console_errors = errors  # type: ignore[attr-defined]

    def on_console(msg) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
            errors.append(f"console: {msg.text}{where}")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    try:
        yield pg
    finally:
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            try:
                pg.screenshot(path=str(artifacts_dir / f"{name}-failure.png"), full_page=True)
            except Exception as exc:  # noqa: BLE001 - best effort, keep the real failure
                print(f"could not save failure screenshot: {exc}", file=sys.stderr)
        context.close()
