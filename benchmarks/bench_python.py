"""Python work per edit: chainviz vs the ways people do it today (no kernel, no browser).

chainviz: the time of ``app.set_weight(1, 0, 0, v)``, which ends after the last
byte of the update has been packed and handed to the widget comm (see
:func:`common.install_recording_comm`), and the bytes of every comm message the
edit sent (the figure's update and the small editor/status updates).

Baselines (same panels, same numbers, same edit):
  matplotlib-interact  snapshot + matplotlib figure of the panels + PNG as the inline
                       backend makes it (``print_figure(fig, 'png', bbox_inches='tight')``)
                       + base64 and JSON packing of the display message
  go.Figure-in-Output  snapshot + a new ``go.Figure`` of the whole spec + its
                       ``application/vnd.plotly.v1+json`` mime bundle, JSON-packed
  separate-FigureWidgets  snapshot + one ``batch_update`` per panel's FigureWidget
"""

from __future__ import annotations

import base64
import cProfile
import gc
import pstats
import time

import numpy as np

from common import failed_row, LOG, install_recording_comm, ratio_row, row

SIZES = [(3, 4, 2), (8, 8, 8), (32, 32, 32), (128, 128, 10)]
VALUES = [0.5, -0.3, 1.2, 0.1, -0.8, 0.7, -1.1]  # consecutive values always differ
SECTION = "1. Python work per edit"


def _size(s) -> str:
    return f"({','.join(map(str, s))})"


def time_chainviz(app, runs: int, warmup: int):
    secs, total_bytes, fig_bytes, nmsg = [], [], [], []
    fig_id = app.figure.comm.comm_id
    for k in range(warmup + runs):
        v = VALUES[k % len(VALUES)]
        LOG.clear()
        t0 = time.perf_counter()
        app.set_weight(1, 0, 0, v)  # raises ValueError on a rejected value
        t1 = time.perf_counter()
        if k >= warmup:
            secs.append(t1 - t0)
            total_bytes.append(LOG.total)
            fig_bytes.append(LOG.by_comm(fig_id))
            nmsg.append(len(LOG.messages))
    return secs, total_bytes, fig_bytes, nmsg


def time_baseline(fn, runs: int, warmup: int):
    secs, sizes = [], []
    for k in range(warmup + runs):
        v = VALUES[k % len(VALUES)]
        t0 = time.perf_counter()
        nbytes = fn(v)
        t1 = time.perf_counter()
        if k >= warmup:
            secs.append(t1 - t0)
            sizes.append(nbytes)
    return secs, sizes


def profile_edit(app, edits: int = 20, top: int = 12) -> list[dict]:
    """cProfile of ``edits`` set_weight calls: the functions with the most cumulative time."""
    pr = cProfile.Profile()
    pr.enable()
    for k in range(edits):
        app.set_weight(1, 0, 0, VALUES[k % len(VALUES)])
    pr.disable()
    st = pstats.Stats(pr)
    rows = []
    for (fname, line, func), (cc, nc, tt, ct, callers) in st.stats.items():
        rows.append(dict(function=f"{func} ({fname.split('site-packages/')[-1].split('/work/main/')[-1]}:{line})",
                         cumulative_ms_per_edit=1e3 * ct / edits, self_ms_per_edit=1e3 * tt / edits,
                         calls_per_edit=nc / edits))
    rows.sort(key=lambda r: -r["cumulative_ms_per_edit"])
    return rows[:top]


BASELINE_SIZES = [(3, 4, 2), (32, 32, 32)]  # the sizes with browser budgets


def run(runs: int = 30, warmup: int = 3, sizes=SIZES, baseline_sizes=BASELINE_SIZES,
        log=print) -> tuple[list[dict], dict]:
    install_recording_comm()
    from jupyter_client.session import json_packer
    import plotly.io as pio

    import chainviz as cv
    from baselines import SeparateFigures, edited_snapshot, mpl_figure, plotly_figure, png_bytes

    rows, extra = [], {"construct_seconds": {}, "profiles": {}, "bytes_breakdown": {}}
    ours = {}
    for sizes_ in sizes:
        name = _size(sizes_)
        t0 = time.perf_counter()
        try:
            app = cv.ChainRuleExplorer(sizes=sizes_)
        except Exception as exc:  # noqa: BLE001 - a size the explorer cannot show is a failed row
            err = f"ChainRuleExplorer(sizes={sizes_}) raised {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
            log(f"  chainviz {name}: {err}")
            rows.append(failed_row(f"Python per edit, chainviz {name}", "ms", "—", err, SECTION))
            continue
        extra["construct_seconds"][name] = time.perf_counter() - t0
        gc.collect()
        secs, tb, fb, nm = time_chainviz(app, runs, warmup)
        ours[name] = secs
        default = sizes_ == (3, 4, 2)
        rows.append(row(f"Python per edit, chainviz {name}", secs, "ms", "≤ 5 ms" if default else "—",
                        5.0 if default else None, scale=1e3, section=SECTION,
                        note=f"set_weight → last byte packed for the comm; {int(np.median(nm))} messages"))
        rows.append(row(f"bytes per edit, chainviz {name}", tb, "B", "≤ 4096 B" if default else "—",
                        4096 if default else None, section=SECTION,
                        note=f"all comm messages; the figure's share: median {int(np.median(fb))} B"))
        log(f"  chainviz {name}: {1e3 * np.median(secs):.2f} ms, {int(np.median(tb))} B "
            f"(construct {extra['construct_seconds'][name]:.2f} s)")
        if default or sizes_ == (32, 32, 32):
            extra["profiles"][name] = profile_edit(app)
            extra["bytes_breakdown"][name] = update_breakdown(app)

        if sizes_ not in baseline_sizes:
            app.figure.close()
            continue
        snap0 = app.snapshot
        net, x, loss = snap0.net, snap0.x, snap0.loss

        def mpl(v):
            fig = mpl_figure(edited_snapshot(net, x, loss, v))
            data = png_bytes(fig)
            msg = {"data": {"image/png": base64.b64encode(data).decode(), "text/plain": repr(fig)},
                   "metadata": {}, "transient": {}}
            return len(json_packer(msg))

        def gofig(v):
            fig = plotly_figure(edited_snapshot(net, x, loss, v))
            bundle = pio.renderers._build_mime_bundle(fig.to_dict(), "plotly_mimetype")
            return len(json_packer({"data": bundle, "metadata": {}, "transient": {}}))

        sep = SeparateFigures(snap0)

        def separate(v):
            LOG.clear()
            sep.update(edited_snapshot(net, x, loss, v))
            return LOG.total

        for label, fn in (("matplotlib-interact", mpl), ("go.Figure-in-Output", gofig),
                          ("separate-FigureWidgets", separate)):
            secs_b, bytes_b = time_baseline(fn, runs, warmup)
            rows.append(row(f"Python per edit, {label} {name}", secs_b, "ms", scale=1e3, section=SECTION,
                            note=f"bytes per edit: median {int(np.median(bytes_b))} B"))
            rows.append(ratio_row(f"Python per edit, {label} / chainviz {name}", secs_b, secs, section=SECTION))
            log(f"  {label} {name}: {1e3 * np.median(secs_b):.1f} ms, {int(np.median(bytes_b))} B")
        for fw in sep.figures.values():
            fw.close()
        app.figure.close()
    return rows, extra


def update_breakdown(app) -> dict:
    """Bytes of each part of one figure update message (W1[0,0] edit)."""
    import json

    from profile_plotly import _capture, _jsonable

    caught = _capture(app, [0.25, 0.35])
    if not caught:
        return {}
    style, layout, traces = caught[-1]
    size = lambda v: len(json.dumps(_jsonable(v), ensure_ascii=False).encode())  # noqa: E731
    return {"traces_restyled": traces,
            "style": {k: size(v) for k, v in style.items()},
            "layout": {k: size(v) for k, v in (layout or {}).items()}}
