"""Compute: chainviz's numpy Jacobian and backward sweep vs autograd; forward vs reverse mode.

No budget (budget "—", ok null): these rows say how the numpy core compares
with an autodiff library on the same net, and whether measured sweep times
follow :func:`chainviz.mode_cost`'s multiply-add counts.

* jacobian+grad: a two-layer sigmoid net with widths ``[w, w, w]`` and an MSE loss;
  chainviz ``net.jacobian(x)`` + ``net.reverse_sweep(x, loss)`` vs autograd
  ``jacobian(f)(x)`` + ``grad(L∘f)(x)`` of the same function (autograd builds the
  Jacobian one reverse pass per output).
* sweeps: :func:`chainviz.core.modes.measure_sweeps` at widths ``[n, 64, 64, 64]`` for
  growing ``n``; the row is the measured forward/reverse time ratio, the note
  gives ``mode_cost``'s predicted multiply-add ratio.
"""

from __future__ import annotations

import time

import numpy as np

from common import ratio_row, row

SECTION = "4. Compute"
WIDTHS = [8, 32, 128, 512, 1024]
SWEEP_NS = [1, 4, 16, 64, 256, 1024]
SWEEP_HIDDEN = (64, 64, 64)


def _time(fn, runs: int, warmup: int = 2) -> list[float]:
    out = []
    for k in range(warmup + runs):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        if k >= warmup:
            out.append(dt)
    return out


#: autograd's Jacobian takes one reverse pass per output: at width 1024 one call takes
#: seconds, so it gets this many runs (and one warm-up) instead of ``runs``.
SLOW_AUTOGRAD_RUNS = 3


def jacobian_rows(runs: int, widths=WIDTHS, log=print) -> list[dict]:
    import autograd
    import autograd.numpy as anp

    import chainviz as cv

    rows = []
    for w in widths:
        rng = np.random.default_rng(0)
        W1 = rng.normal(0, 1 / np.sqrt(w), (w, w))
        W2 = rng.normal(0, 1 / np.sqrt(w), (w, w))
        x = rng.normal(size=w)
        t = rng.normal(size=w)
        net = cv.two_layer(W1, W2, activation="sigmoid")
        loss = cv.MSE(t)

        def ours():
            net.jacobian(x)
            net.reverse_sweep(x, loss)

        def f(v):
            return anp.dot(W2, 1.0 / (1.0 + anp.exp(-anp.dot(W1, v))))

        jac = autograd.jacobian(f)
        g = autograd.grad(lambda v: 0.5 * anp.sum((f(v) - t) ** 2))
        # same numbers: check once
        assert np.allclose(jac(x), net.jacobian(x), atol=1e-8)
        assert np.allclose(g(x), net.reverse_sweep(x, loss)[-1].values, atol=1e-8)

        def theirs():
            jac(x)
            g(x)

        a = _time(ours, runs)
        slow = w >= 1024
        b = _time(theirs, SLOW_AUTOGRAD_RUNS, warmup=1) if slow else _time(theirs, runs)
        rows.append(row(f"jacobian + reverse sweep, chainviz, widths {w}", a, "ms", scale=1e3, section=SECTION,
                        note="net.jacobian(x) + net.reverse_sweep(x, loss), widths [w, w, w], sigmoid, MSE"))
        rows.append(row(f"jacobian + grad, autograd, widths {w}", b, "ms", scale=1e3, section=SECTION,
                        note="autograd.jacobian(f)(x) + autograd.grad(L∘f)(x), same net"
                             + (f"; only {len(b)} runs: one call takes seconds" if slow else "")))
        rows.append(ratio_row(f"jacobian + grad, autograd / chainviz, widths {w}", b, a, section=SECTION))
        log(f"  widths {w}: chainviz {1e3 * np.median(a):.3f} ms, autograd {1e3 * np.median(b):.3f} ms")
    return rows


def sweep_rows(runs: int, ns=SWEEP_NS, hidden=SWEEP_HIDDEN, log=print) -> list[dict]:
    from chainviz.core.modes import measure_sweeps, mode_cost

    rows = []
    for n in ns:
        widths = (n,) + tuple(hidden)
        fwd, rev = [], []
        for k in range(runs):
            tf, tr = measure_sweeps(widths, repeats=1, seed=k)
            fwd.append(tf)
            rev.append(tr)
        cost = mode_cost(widths)
        ratio = [a / b for a, b in zip(fwd, rev)]
        wtxt = "[" + ", ".join(map(str, widths)) + "]"
        rows.append(row(f"forward / reverse sweep time, widths {wtxt}", ratio, "×", section=SECTION,
                        note=f"predicted multiply-add ratio (mode_cost) {cost.madds_ratio:.3g}; "
                             f"medians: forward {1e6 * np.median(fwd):.0f} µs, reverse {1e6 * np.median(rev):.0f} µs"))
        log(f"  sweeps {wtxt}: measured {np.median(ratio):.2f}×, predicted {cost.madds_ratio:.3g}×")
    return rows


def run(runs: int = 25, log=print, widths=WIDTHS, ns=SWEEP_NS) -> list[dict]:
    return jacobian_rows(runs, widths, log) + sweep_rows(runs, ns, log=log)


BLAS_ENV = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


def run_isolated(runs: int = 25, log=print, quick: bool = False) -> list[dict]:
    """:func:`run` in a fresh process with single-threaded BLAS.

    On a shared 2-core machine OpenBLAS's second thread stalls whenever the other
    core is busy (forward mode at widths [1024, 64, 64, 64]: 1.7 ms with one thread,
    9.7 ms with two under load), which would measure the scheduler, not the
    arithmetic that ``mode_cost`` counts. One thread also treats chainviz and
    autograd alike.
    """
    import json
    import os
    import subprocess
    import sys

    env = dict(os.environ, **BLAS_ENV)
    cmd = [sys.executable, __file__, "--runs", str(runs)] + (["--quick"] if quick else [])
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows = None
    for line in p.stdout:
        if line.startswith("ROWS "):
            rows = json.loads(line[5:])
        else:
            log(line.rstrip())
    err = p.stderr.read()
    if p.wait() != 0 or rows is None:
        raise RuntimeError(f"compute benchmark failed ({p.returncode}): {err[-2000:]}")
    for r in rows:
        r["note"] = (r["note"] + "; single-threaded BLAS").lstrip("; ")
    return rows


if __name__ == "__main__":
    import argparse
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    kw = dict(widths=[8, 32, 128], ns=[1, 16, 256]) if a.quick else {}
    out = run(a.runs, log=lambda s: print(s, flush=True), **kw)
    print("ROWS " + json.dumps(out), flush=True)
