"""A JupyterLab server on 127.0.0.1 and a Chromium for the browser benchmarks.

Starting and stopping processes is ``tests/browser/servers.py``, shared with the
browser tests (no pytest needed): every Jupyter user directory lives in a
temporary folder, the server runs in its own process group and is stopped by
its PID (SIGTERM, then SIGKILL), and kernels that outlive it by PID too. The
settings here are the benchmark's own (no throttling of hidden pages).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import REPO

sys.path.insert(0, str(REPO / "tests" / "browser"))
from servers import free_port, jupyter_env, stop, tail  # noqa: E402 - after the path it lives on

CHROMIUM = os.environ.get("CHAINVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    # a hidden/occluded page must not be throttled: rAF and timers run at full rate
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
LAB_USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                         "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none",
                                                                    "autoStartDefaultKernel": True},
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Lab:
    """``with Lab(root) as lab:`` serves ``root`` at ``lab.url`` until the block ends."""

    def __init__(self, root: Path, home: Path, timeout: float = 90.0, env: dict[str, str] | None = None,
                 settings: dict | None = None):
        """``env`` is added to the server's (and so its kernels') environment; ``settings``
        to :data:`LAB_USER_SETTINGS` (file name -> JSON)."""
        self.root, self.home, self.timeout = Path(root), Path(home), timeout
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log_path = self.home / "lab.log"
        self.extra_env, self.settings = dict(env or {}), {**LAB_USER_SETTINGS, **(settings or {})}

    def env(self) -> dict[str, str]:
        return {**jupyter_env(self.home), **self.extra_env}

    def start(self) -> "Lab":
        env = self.env()
        for rel, value in self.settings.items():
            p = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(value))
        cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
               f"--port={self.port}", "--ServerApp.token=", "--ServerApp.password=",
               "--ServerApp.port_retries=0", "--allow-root", f"--notebook-dir={self.root}",
               "--LabApp.news_url=", "--ServerApp.open_browser=False"]
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, env=env, cwd=self.root, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.tail()}")
            if self.get("/api/status") is not None:
                return self
            time.sleep(0.3)
        self.stop()
        raise TimeoutError(f"jupyter lab did not answer on {self.url} within {self.timeout} s:\n{self.tail()}")

    def tail(self, n: int = 30) -> str:
        return tail(self.log_path, n)

    def _xsrf(self) -> str:
        """The server's ``_xsrf`` cookie (fetched once): jupyter_server refuses a DELETE or
        POST without it, token or not."""
        if getattr(self, "_xsrf_value", None) is None:
            import http.cookiejar

            jar = http.cookiejar.CookieJar()
            self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                                       urllib.request.HTTPCookieProcessor(jar))
            with self._opener.open(self.url + "/lab", timeout=30) as r:
                r.read()
            self._xsrf_value = next((c.value for c in jar if c.name == "_xsrf"), "")
        return self._xsrf_value

    def request(self, method: str, path: str, body=None, timeout: float = 10.0):
        """JSON of ``method path`` on the server, or None if it failed (a failed change is logged)."""
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        opener = _OPENER
        if method != "GET":
            try:
                headers["X-XSRFToken"] = self._xsrf()
                opener = self._opener
            except OSError:
                pass
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with opener.open(req, timeout=timeout) as r:
                text = r.read().decode()
                return json.loads(text) if text else {}
        except OSError as exc:
            if method != "GET":
                print(f"    {method} {path}: {exc}", file=sys.stderr)
            return None

    def get(self, path: str):
        return self.request("GET", path)

    def kernels(self) -> list[dict]:
        return self.get("/api/kernels") or []

    def stop_all_kernels(self) -> None:
        for s in self.get("/api/sessions") or []:
            self.request("DELETE", f"/api/sessions/{s['id']}")
        for k in self.kernels():
            self.request("DELETE", f"/api/kernels/{k['id']}")

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self._log.close()

    def __enter__(self) -> "Lab":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = {
        "cells": [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
                   "outputs": [], "source": src} for i, src in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                    "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb, indent=1))
