"""Where plotly's widget bundle comes from, and how a page gets it.

plotly's ``FigureWidget`` sends its 5 MB front end (``plotly/package_data/widgetbundle.js``,
plotly.js included) inside every figure's widget state, and anywidget compiles each
copy separately (anywidget issue #613). Here the bundle is made a file the Jupyter
server already serves: every labextensions directory on the server's search path is
served under ``<base_url>lab/extensions/`` (JupyterLab, Notebook 7) or
``<base_url>voila/labextensions/`` (Voilà), and the page publishes that URL as
``fullLabextensionsUrl`` in its ``#jupyter-config-data``. A file named by its content
hash there is fetched once per page and cached by the browser.

The copy is placed by the kernel, the first time a figure needs it, in the first
writable labextensions directory of ``sys.prefix`` or of the user's Jupyter data
directory, both on every Jupyter server's search path: so it always matches the
plotly the kernel runs, needs no build step and no server extension (standalone
``voila`` loads none), and a fresh ``pip install`` needs nothing more. A kernel that
cannot write there, or a page that cannot fetch the file, still gets plotly.js: see
:mod:`chainviz.widgets.figure`.
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import config

#: Directory of the copies, under a labextensions directory. It has no package.json,
#: so JupyterLab never takes it for an extension to load.
SUBDIR = "chainviz-plotly/static"


@dataclass(frozen=True)
class Bundle:
    """plotly's widget bundle as installed: ``path``, ``key`` (first 16 hex digits of its SHA-256)."""

    path: Path
    key: str
    plotly_version: str

    @property
    def file_name(self) -> str:
        """The content-hashed name the copy is served under."""
        return f"plotly-widget-{self.plotly_version}.{self.key}.js"

    @property
    def served_path(self) -> str:
        """The copy's path under a server's labextensions URL."""
        return f"{SUBDIR}/{self.file_name}"


@functools.cache
def plotly_bundle() -> Bundle:
    """The widget bundle of the installed plotly: the file ``plotly.basewidget`` sends inline.

    Raises
    ------
    FileNotFoundError
        If the installed plotly has no ``package_data/widgetbundle.js`` (plotly < 6).
    """
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return Bundle(path, digest[:16], plotly.__version__)


def labextension_dirs() -> list[Path]:
    """Labextensions directories a Jupyter server of this environment searches, the
    writable candidates first: ``sys.prefix``'s, then the user's data directory's."""
    out = [Path(sys.prefix) / "share" / "jupyter" / "labextensions"]
    try:
        from jupyter_core.paths import jupyter_data_dir, jupyter_path
    except ImportError:  # a kernel-only environment: ipykernel needs jupyter_core, so rarely
        return out
    out.append(Path(jupyter_data_dir()) / "labextensions")
    out += [Path(p) for p in jupyter_path("labextensions")]
    seen, unique = set(), []
    for p in out:
        key = os.path.normcase(os.path.abspath(p))
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _place(src: Path, dest: Path) -> None:
    """Put a copy of ``src`` at ``dest`` atomically (a hard link when the file system allows)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=dest.parent)
    os.close(fd)
    try:
        os.unlink(tmp)
        try:
            os.link(src, tmp)  # no second 5 MB on disk; plotly's upgrade unlinks its name, not ours
        except OSError:
            import shutil

            shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)  # two kernels placing the same file at once both succeed
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def ensure_served(bundle: Bundle, dirs: list[Path] | None = None) -> Path | None:
    """The copy of ``bundle`` a Jupyter server will serve, placed now if there is none.

    Returns the copy's path, or ``None`` when no candidate directory is writable.
    """
    dirs = labextension_dirs() if dirs is None else dirs
    for d in dirs:
        candidate = d / bundle.served_path
        if candidate.is_file() and candidate.stat().st_size == bundle.path.stat().st_size:
            return candidate
    for d in dirs[:2]:  # sys.prefix's and the user's: never a system directory
        try:
            _place(bundle.path, d / bundle.served_path)
            return d / bundle.served_path
        except OSError:
            continue
    return None


def page_config_frontend() -> bool:
    """False when the kernel runs under a front end without Jupyter page config.

    Colab imports ``google.colab`` into the kernel; VS Code starts kernels with
    ``VSCODE_PID`` set, while a kernel started by a Jupyter server has
    ``JPY_SESSION_NAME`` (a Jupyter server started from VS Code's terminal inherits
    ``VSCODE_PID`` too, so the Jupyter variable wins).
    """
    if "google.colab" in sys.modules:
        return False
    return not ("VSCODE_PID" in os.environ and "JPY_SESSION_NAME" not in os.environ)


def transport() -> str:
    """``"shared"``, ``"inline"`` or ``"plotly"``: how the next figure ships plotly.js (see :mod:`chainviz.config`).

    ``"auto"`` is ``"shared"`` only in a Jupyter page and when a copy of the bundle
    is where a Jupyter server looks (placed now if need be). A ``"shared"`` asked for
    explicitly stays shared: a page that cannot fetch the copy asks the kernel.
    """
    mode = config.plotlyjs_setting()
    if mode == "auto":
        return "shared" if page_config_frontend() and _served() is not None else "inline"
    if mode == "shared":
        _served()
    return mode


@functools.cache
def _served() -> Path | None:
    return ensure_served(plotly_bundle())
