"""Shared helpers: timing statistics, result rows, the recording comm."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def stats(values) -> tuple[float, float, float]:
    vals = [float(v) for v in values]
    return statistics.median(vals), min(vals), max(vals)


def quartiles(values) -> tuple[float, float]:
    vals = sorted(float(v) for v in values)
    if len(vals) < 4:
        return vals[0], vals[-1]
    q = statistics.quantiles(vals, n=4)
    return q[0], q[2]


def row(name: str, values, unit: str, budget: str = "—", limit=None, cmp: str = "le", note: str = "",
        section: str = "", scale: float = 1.0) -> dict:
    """One results row from raw measurements; ``ok`` compares the median with ``limit``.

    ``cmp`` is ``"le"`` (median must be at most ``limit``) or ``"ge"`` (at least).
    Without a ``limit`` the row has no budget and ``ok`` is ``None``.
    """
    vals = [float(v) * scale for v in values]
    if not vals:
        return dict(name=name, median=None, min=None, max=None, unit=unit, budget=budget, ok=False,
                    runs=0, note=(note + " NO MEASUREMENT").strip(), section=section)
    med, lo, hi = stats(vals)
    ok = None if limit is None else (med <= limit if cmp == "le" else med >= limit)
    return dict(name=name, median=med, min=lo, max=hi, unit=unit, budget=budget, ok=ok, runs=len(vals),
                note=note, section=section)


def ratio_row(name: str, baseline, ours, budget: str = "—", limit=None, note: str = "",
              section: str = "") -> dict:
    """``median(baseline) / median(ours)``; min/max from the quartiles (p25/p75 vs p75/p25)."""
    b, o = [float(v) for v in baseline], [float(v) for v in ours]
    if not b or not o:
        return dict(name=name, median=None, min=None, max=None, unit="×", budget=budget, ok=False,
                    runs=0, note=(note + " NO MEASUREMENT").strip(), section=section)
    med = statistics.median(b) / statistics.median(o)
    b25, b75 = quartiles(b)
    o25, o75 = quartiles(o)
    ok = None if limit is None else med >= limit
    return dict(name=name, median=med, min=b25 / o75, max=b75 / o25, unit="×", budget=budget, ok=ok,
                runs=min(len(b), len(o)),
                note=(note + " (min/max: ratio of quartiles, p25/p75 and p75/p25)").strip(), section=section)


def failed_row(name: str, unit: str, budget: str, error: str, section: str = "") -> dict:
    return dict(name=name, median=None, min=None, max=None, unit=unit, budget=budget, ok=False, runs=0,
                note=f"FAILED: {error}", section=section)


@dataclass
class CommLog:
    """Every message handed to a widget comm: ``(comm_id, bytes)``."""

    messages: list = field(default_factory=list)

    def clear(self) -> None:
        self.messages.clear()

    @property
    def total(self) -> int:
        return sum(b for _, b in self.messages)

    def by_comm(self, comm_id: str) -> int:
        return sum(b for c, b in self.messages if c == comm_id)


LOG = CommLog()


def install_recording_comm() -> CommLog:
    """Make every new widget comm serialize and count what it would send.

    Without a kernel ipywidgets gets the ``comm`` package's ``DummyComm``, which
    drops messages. This replacement does what ipykernel's comm does before a
    message leaves the process: it builds the ``comm_msg`` content and packs it
    with ``jupyter_client``'s JSON packer (the same call ``Session.send`` makes,
    in the kernel's main thread), then counts the bytes plus any binary buffers.
    Header, parent header and the ZMQ/websocket framing (~0.5 KB a message) are
    not counted. Must run before the first widget is created.
    """
    import comm
    from comm.base_comm import BaseComm
    from jupyter_client.session import json_packer

    class RecordingComm(BaseComm):
        def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
            content = dict(data=data or {}, comm_id=self.comm_id, **keys)
            n = len(json_packer(content)) + sum(len(memoryview(b).cast("B")) for b in (buffers or []))
            if msg_type == "comm_msg":
                LOG.messages.append((self.comm_id, n))

    comm.create_comm = lambda *a, **k: RecordingComm(*a, **k)
    return LOG


def dump_json(obj, path: Path) -> None:
    path.write_text(json.dumps(obj, indent=1, default=str) + "\n")
