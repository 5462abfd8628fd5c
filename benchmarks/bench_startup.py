"""``import chainviz`` (core only) in a fresh process.

Each run starts a new interpreter (``python -c ...``) with the repository on
``PYTHONPATH``; runs alternate between ``import chainviz`` and an empty program
(``pass``), and each row value is the difference of one import run and the
empty run right after it, in wall-clock time. That includes everything a user
waits for (numpy's import too) and excludes the interpreter's own start-up.
The note also gives the time measured inside the process around the import,
and whether plotly or ipywidgets got imported (they must not be).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from common import REPO, row

SECTION = "3. Start-up"
PROBE = ("import time, sys; t = time.perf_counter(); import chainviz; d = time.perf_counter() - t; "
         "import json; print(json.dumps({'inproc': d, 'plotly': 'plotly' in sys.modules, "
         "'ipywidgets': 'ipywidgets' in sys.modules, 'numpy': 'numpy' in sys.modules}))")


def _wall(code: str, env) -> tuple[float, str]:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    dt = time.perf_counter() - t0
    if p.returncode:
        raise RuntimeError(p.stderr[-500:])
    return dt, p.stdout


def run(runs: int = 25, log=print) -> list[dict]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    env.pop("PYTHONSTARTUP", None)
    _wall(PROBE, env)  # write any stale .pyc once; not counted
    _wall("pass", env)
    diffs, inproc, leaks = [], [], set()
    for _ in range(runs):
        a, out = _wall(PROBE, env)
        b, _ = _wall("pass", env)
        info = json.loads(out.strip().splitlines()[-1])
        diffs.append(a - b)
        inproc.append(info["inproc"])
        leaks |= {k for k in ("plotly", "ipywidgets") if info[k]}
    inproc.sort()
    note = (f"median of (python -c 'import chainviz') − (python -c 'pass') wall time, paired runs; "
            f"measured inside the process: median {1e3 * inproc[len(inproc) // 2]:.0f} ms; "
            + (f"ALSO IMPORTED: {', '.join(sorted(leaks))}" if leaks else "plotly and ipywidgets not imported"))
    log(f"  import chainviz: {1e3 * sorted(diffs)[len(diffs) // 2]:.0f} ms (in-process "
        f"{1e3 * inproc[len(inproc) // 2]:.0f} ms)")
    return [row("import chainviz (core only), fresh process", diffs, "s", "≤ 0.3 s", 0.3, section=SECTION,
                note=note)]
