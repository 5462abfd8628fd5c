"""Start and stop local servers (JupyterLab, Voila) for the browser tests and the benchmarks.

Plain functions, no pytest: ``tests/browser/conftest.py`` and ``benchmarks/lab.py``
both use them. Every Jupyter user directory lives under a given folder; a server
runs in its own process group and is stopped by its PID (SIGTERM, then SIGKILL),
and kernels that outlive it are stopped by PID too.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
STOP_GRACE = 10.0  # s between SIGTERM and SIGKILL


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_ok(url: str) -> bool:
    try:
        with NO_PROXY_OPENER.open(url, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
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


def alive(pid: int) -> bool:
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


def stop(proc: subprocess.Popen, grace: float = STOP_GRACE) -> None:
    """SIGTERM the server's process group, wait, SIGKILL after ``grace`` seconds.

    Kernels run in sessions of their own (jupyter_client), so they are found
    through /proc before the server stops; a server shuts them down on
    SIGTERM, and any that outlive it are killed by PID.
    """
    if proc.poll() is not None:
        return
    kids = descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=grace)
    deadline = time.monotonic() + 5
    while any(alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for k in kids:
        if alive(k):
            try:
                os.kill(k, signal.SIGKILL)
            except ProcessLookupError:
                pass


def tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def jupyter_env(home: Path) -> dict[str, str]:
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


# --------------------------------------------------------------------------
# Jupyter servers by command line (tests/browser/test_time_to_live.py, benchmarks/)


def jupyter_command(app: str, port: int, root: Path, base_url: str = "/") -> list[str]:
    """Command line of a token-less Jupyter server on ``127.0.0.1:port``.

    ``app`` is ``"lab"`` or ``"notebook"`` (serving the directory ``root`` under
    ``base_url``, e.g. ``"/user/learner/"`` as on Binder) or ``"voila"`` (rendering
    the notebook ``root``; Voila has no base URL option here).
    """
    import sys

    if app == "voila":
        return [sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
                "--show_tracebacks=True", str(root)]
    if app not in ("lab", "notebook"):
        raise ValueError(f"app must be 'lab', 'notebook' or 'voila', got {app!r}")
    return [sys.executable, "-m", "jupyter", app, "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            "--port-retries=0", "--IdentityProvider.token=", "--ServerApp.password=", "--allow-root",
            f"--ServerApp.base_url={base_url}", f"--notebook-dir={root}"]


def start_server(cmd: list[str], env: dict[str, str], cwd: Path, log_path: Path, port: int,
                 probe_url: str | None, timeout: float = 90.0) -> subprocess.Popen:
    """Start ``cmd`` in its own process group, its output in ``log_path``; return once
    ``port`` accepts connections and ``probe_url`` (if given) answers 200.

    Raises RuntimeError with the log's tail if it exits or is not ready in ``timeout`` s
    (it is stopped first).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{cmd[2:4]} exited with {proc.returncode}; log {log_path}:\n{tail(log_path)}")
        if port_open(port) and (probe_url is None or http_ok(probe_url)):
            return proc
        time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"{cmd[2:4]} not ready on port {port} after {timeout:.0f} s; log {log_path}:\n{tail(log_path)}")


# --------------------------------------------------------------------------
# what a page shows (tests/browser/test_time_to_live.py, benchmarks/)

#: ``(root) => [{traces, drawn}]``, one item per plotly figure under ``root`` in page
#: order: how many traces it holds, and whether plotly has drawn one (a heatmap image, or
#: a scatter/bar trace group). A figure without traces is the blank figure of issue #11.
JS_FIGURES = """(root) => Array.from(document.querySelectorAll(`${root} .js-plotly-plot`)).map(gd => ({
  traces: (gd.data || []).length,
  drawn: (gd.data || []).length > 0 && !!gd.querySelector('.heatmaplayer g.hm image, .cartesianlayer g.trace'),
}))"""
