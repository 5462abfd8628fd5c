"""Every notebook in notebooks/ opens in JupyterLab, runs from top to bottom
without an error output or an uncaught browser error, and every figure it
displays is drawn with all its panels (issue #6, test 1).

What "all its panels" means is derived from the notebook itself: its code is
executed here, in the test process (no kernel, no browser), the objects each
cell displays are collected, and for every plotly figure among them the
visible traces that carry data are counted by type. The page must then show
exactly that many figures, in that order, each with exactly that many heatmap
images, bar traces and scatter traces, and a number printed on every
labelled, non-blank heatmap cell.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import sys
import time
import warnings
from pathlib import Path

import nbformat
import pytest

from .helpers import (
    JS_DRAWN,
    LONG,
    cell_error_outputs,
    open_notebook,
    rendered_panels,
    run_all_cells,
    screenshot,
    shutdown_kernels,
    unexpected_console_errors,
)

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb"))


# -- what the notebook displays, computed in-process -------------------------------------
def _displayed_objects(path: Path) -> list:
    """Run the notebook's code cells in one namespace, like a kernel, and return
    what they display: each cell's last bare expression (if not None) and every
    ``display(...)`` argument, in order."""
    nb = nbformat.read(path, as_version=4)
    shown: list = []
    ns = {"__name__": "__main__", "display": lambda *objs, **kw: shown.extend(objs)}
    for k, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        tree = ast.parse(cell.source, filename=f"{path.name}[{k}]")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, f"{path.name}[{k}]", "exec"), ns)  # noqa: S102 - the repository's own notebook
        if last is not None:
            value = eval(compile(ast.Expression(last.value), f"{path.name}[{k}]", "eval"), ns)  # noqa: S307
            if value is not None:
                shown.append(value)
    return shown


def _figures_of(obj) -> list:
    """The plotly figures an object displays: itself, an explorer's widget tree
    (``.widget``), or an ipywidgets container's children."""
    from plotly.basedatatypes import BaseFigure

    if isinstance(obj, BaseFigure):
        return [obj]
    widget = getattr(obj, "widget", None)
    if widget is not None and widget is not obj:
        return _figures_of(widget)
    out = []
    for child in getattr(obj, "children", ()) or ():
        out.extend(_figures_of(child))
    return out


def _array(values):
    """An array as plotly carries it: a list, an ndarray, or plotly.js's typed-array form
    ``{"dtype", "bdata" (base64), "shape"}``."""
    import base64

    import numpy as np

    if isinstance(values, dict) and "bdata" in values:
        a = np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]).newbyteorder("<"))
        return a.reshape([int(k) for k in str(values.get("shape", a.size)).split(",")]).astype(float)
    return np.asarray(values, dtype=object)


def _has_data(values) -> bool:
    if values is None:
        return False
    a = _array(values).ravel()
    return any(v is not None and not (isinstance(v, float) and v != v) for v in a)


def expected_panels(path: Path) -> list[dict]:
    """Per displayed figure, in display order: how many visible heatmap, bar and
    scatter traces carry data, and how many heatmap cells print a number."""

    cwd = os.getcwd()
    try:
        os.chdir(path.parent)
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")  # the kernel's own run shows warnings as error outputs
            objs = _displayed_objects(path)
    finally:
        os.chdir(cwd)
    figures = [f for o in objs for f in _figures_of(o)]
    out = []
    for fig in figures:
        counts = {"heatmap": 0, "bar": 0, "scatter": 0, "labels": 0}
        for t in fig.data:
            if t.visible is False or t.visible == "legendonly":
                continue
            if t.type == "heatmap":
                if _has_data(t.z):
                    counts["heatmap"] += 1
                    tmpl = t.texttemplate or ""
                    if tmpl.startswith("%{z"):
                        z = _array(t.z).astype(object)
                        counts["labels"] += sum(v is not None and not (isinstance(v, float) and v != v)
                                                for v in z.ravel())
            elif t.type in ("bar", "scatter"):
                if _has_data(t.x) or _has_data(t.y):
                    counts[t.type] += 1
            else:
                raise AssertionError(f"{path.name}: trace type {t.type!r} is not checked by this test yet")
        out.append(counts)
    return out


# -- the test --------------------------------------------------------------------------
@pytest.mark.parametrize("nb_name", NOTEBOOKS)
def test_notebook_runs_and_renders_every_panel(nb_name, lab_server, page):
    t0 = time.monotonic()
    # the copy the server serves (notebooks/ as it was when the session started)
    expected = expected_panels(lab_server.root / nb_name)
    t_expected = time.monotonic() - t0
    try:
        open_notebook(page, lab_server.url, nb_name)
        run_all_cells(page)
        t_run = time.monotonic() - t0 - t_expected

        errors = cell_error_outputs(page)
        assert errors == [], f"{nb_name}: error output in the notebook:\n" + "\n---\n".join(errors)

        # every figure drawn with all its panels (plotly draws after the kernel is idle: wait)
        keys = ("heatmap", "bar", "scatter", "labels")
        try:
            page.wait_for_function(
                f"""([want, keys]) => {{
                    const figs = Array.from(document.querySelectorAll('.jp-Notebook .js-plotly-plot'));
                    if (figs.length !== want.length) return false;
                    return figs.every((gd, i) => {{
                        const got = ({JS_DRAWN})(gd);
                        return keys.every(k => got[k] === want[i][k]);
                    }});
                }}""",
                arg=[expected, list(keys)],
                timeout=LONG,
                polling=250,
            )
        except Exception:  # noqa: BLE001 - report what is drawn instead of a bare timeout
            pass
        drawn = rendered_panels(page)
        screenshot(page, f"notebook-{Path(nb_name).stem}")
        got = [{k: d[k] for k in keys} for d in drawn]
        assert got == expected, (
            f"{nb_name}: figures drawn (heatmap images, bar and scatter traces, cell labels) "
            f"{got} != expected from the notebook's code {expected}")
        for i, d in enumerate(drawn):
            assert d["width"] > 100 and d["height"] > 100, f"{nb_name}: figure #{i} is {d['width']}×{d['height']} px"

        assert unexpected_console_errors(page.console_errors) == []
        print(f"\n{nb_name}: {len(expected)} figure(s), {sum(e['heatmap'] for e in expected)} heatmaps; "
              f"expected in-process {t_expected:.1f} s, open + run all {t_run:.1f} s, "
              f"all drawn {time.monotonic() - t0 - t_expected - t_run:.1f} s later")
    finally:
        try:
            shutdown_kernels(lab_server.url, nb_name)
        except OSError as exc:
            print(f"could not shut the kernel of {nb_name} down: {exc}", file=sys.stderr)
