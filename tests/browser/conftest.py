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
scrollbar_browser (session) the same Chromium drawing scrollbars (what fits)
page          (function) 1280x900 page; page.console_errors lists console
                         errors and uncaught page errors; a screenshot is
                         saved to test-artifacts/browser/<test>-failure.png
                         when the test fails
sized_page    (function) factory: sized_page(width, height) -> a page of that
                         viewport from scrollbar_browser, like ``page``
artifacts_dir (session)  Path of test-artifacts/browser
notebook7_server (session) ``(url, root)``: Jupyter Notebook 7 serving a temp copy of
                         notebooks/ with the same user settings as ``lab_server``
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from .servers import REPO_ROOT, free_port, http_ok, jupyter_env, port_open, stop, tail

HERE = Path(__file__).resolve().parent
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
# process helpers: see servers.py


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
                f"log {log_path}:\n{tail(log_path)}"
            )
        if port_open(port) and (probe_url is None or http_ok(probe_url)):
            return
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError(
        f"server not ready on port {port} after {SERVER_START_TIMEOUT:.0f} s; "
        f"log {log_path}:\n{tail(log_path)}"
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
    env = jupyter_env(base / "home")
    _write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    port = free_port()
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
        stop(proc)


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
    env = jupyter_env(base / "home")
    started: dict[Path, str] = {}
    procs: list[subprocess.Popen] = []

    def serve(notebook_path: Path | str) -> str:
        nb = Path(notebook_path).resolve()
        if nb in started:
            return started[nb]
        if not nb.is_file():
            raise FileNotFoundError(nb)
        port = free_port()
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
            stop(proc)


@pytest.fixture(scope="session")
def notebook7_server(tmp_path_factory: pytest.TempPathFactory, artifacts_dir: Path) -> Iterator[tuple[str, Path]]:
    """``(url, root)``: Jupyter Notebook 7 on a free 127.0.0.1 port, no token, serving a temp copy
    of notebooks/ (``root``; tests may add files), with :data:`LAB_USER_SETTINGS` (every cell
    attached to the DOM, no news). ``python -m notebook`` runs the server in its own process
    (no launcher in between), and its kernels are stopped with it."""
    base = tmp_path_factory.mktemp("nb7")
    root = base / "notebooks"
    shutil.copytree(NOTEBOOKS_DIR, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    env = jupyter_env(base / "home")
    _write_lab_settings(Path(env["JUPYTERLAB_SETTINGS_DIR"]))
    port = free_port()
    log_path = artifacts_dir / "notebook7-session-server.log"
    cmd = [sys.executable, "-m", "notebook", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--port-retries=0",
           "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root", f"--notebook-dir={root}"]
    proc = _start(cmd, env, root, log_path)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(proc, port, log_path, f"{url}/api/status")
        yield url, root
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def playwright_api():
    """The one Playwright driver of the session (a second ``sync_playwright()`` cannot run
    in the same thread while the first is open)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_api):
    b = playwright_api.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="session")
def scrollbar_browser(playwright_api):
    """Chromium with scrollbars, as a person sees it. Playwright's headless default
    (``--hide-scrollbars``) draws none, so a box that scrolls looks clipped in a
    screenshot and takes no room for its scrollbar; tests of what fits use this one."""
    b = playwright_api.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                       ignore_default_args=["--hide-scrollbars"])
    try:
        yield b
    finally:
        b.close()


def _watch_console(pg) -> list[str]:
    errors: list[str] = []
    pg.console_errors = errors  # type: ignore[attr-defined]

    def on_console(msg) -> None:
        if msg.type == "error":
            loc = msg.location or {}
            where = f" ({loc.get('url', '')}:{loc.get('lineNumber', '')})" if loc.get("url") else ""
            errors.append(f"console: {msg.text}{where}")

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    return errors


def _failure_screenshot(request: pytest.FixtureRequest, pg, artifacts_dir: Path, suffix: str = "") -> None:
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + suffix
        try:
            pg.screenshot(path=str(artifacts_dir / f"{name}-failure.png"), full_page=True)
        except Exception as exc:  # noqa: BLE001 - best effort, keep the real failure
            print(f"could not save failure screenshot: {exc}", file=sys.stderr)


@pytest.fixture
def sized_page(scrollbar_browser, request: pytest.FixtureRequest, artifacts_dir: Path):
    """Factory ``sized_page(width, height)``: a new page of that viewport in its own context,
    from :func:`scrollbar_browser`, with ``page.console_errors`` like :func:`page`; a screenshot
    of each page is saved when the test fails; all are closed after the test."""
    made = []

    def make(width: int, height: int):
        context = scrollbar_browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(60_000)
        pg = context.new_page()
        _watch_console(pg)
        made.append((context, pg))
        return pg

    try:
        yield make
    finally:
        for k, (context, pg) in enumerate(made):
            _failure_screenshot(request, pg, artifacts_dir, f"-{k}" if len(made) > 1 else "")
            context.close()


@pytest.fixture
def page(browser, request: pytest.FixtureRequest, artifacts_dir: Path):
    """A fresh 1280x900 page in its own context.

    ``page.console_errors``: list of strings, one per console.error message
    ("console: ...") or uncaught exception ("pageerror: ...").
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)
    pg = context.new_page()
    _watch_console(pg)
    try:
        yield pg
    finally:
        _failure_screenshot(request, pg, artifacts_dir)
        context.close()
