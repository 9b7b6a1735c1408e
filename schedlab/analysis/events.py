"""Where a schedule changes course: milestones, phase boundaries, restarts, reductions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from schedlab.engine.cyclic import onecycle_total
from schedlab.spec.schedule import SchedulerSpec

MAX_PER_KIND = 200  # denser events are not worth a marker each; the curve shows them


@dataclass(frozen=True)
class Event:
    step: int  # scheduler-step index (row of the curve)
    kind: str  # "milestone", "phase", "restart", "reduction", "end"
    label: str


def find_events(spec: SchedulerSpec, table: pd.DataFrame) -> list[Event]:
    """The events of a schedule within its curve, at most MAX_PER_KIND of each kind."""
    n = len(table)
    found = [e for e in _events(spec, table, 0, n) if 0 < e.step < n]
    out: list[Event] = []
    for kind in dict.fromkeys(e.kind for e in found):
        mine = sorted({e.step: e for e in found if e.kind == kind}.values(),
                      key=lambda e: e.step)
        if len(mine) > MAX_PER_KIND:
            keep = np.linspace(0, len(mine) - 1, MAX_PER_KIND).round().astype(int)
            mine = [mine[i] for i in sorted(set(keep.tolist()))]
        out += mine
    return sorted(out, key=lambda e: e.step)


def _events(spec: SchedulerSpec, table: pd.DataFrame, offset: int, end: int) -> list[Event]:
    kw, name = spec.args, spec.name
    span = end - offset

    def every(period: int, first: int, kind: str, label: str) -> list[Event]:
        if period <= 0 or first >= span:
            return []
        count = min((span - first - 1) // period + 1, 10 * MAX_PER_KIND)
        return [Event(offset + first + i * period, kind, label) for i in range(count)]

    if name == "StepLR":
        return every(kw["step_size"], kw["step_size"], "milestone",
                     f"x{kw['gamma']:g} (step_size)")
    if name == "MultiStepLR":
        return [Event(offset + m, "milestone", f"milestone {m}: x{kw['gamma']:g}")
                for m in sorted(set(kw["milestones"])) if m < span]
    if name in ("ConstantLR", "LinearLR", "PolynomialLR"):
        t = kw["total_iters"]
        label = {"ConstantLR": "factor ends", "LinearLR": "linear ramp ends",
                 "PolynomialLR": "reaches 0"}[name]
        return [Event(offset + t, "end", f"{label} (total_iters={t})")]
    if name == "CosineAnnealingLR":
        t = kw["T_max"]
        return every(2 * t, t, "end", f"eta_min reached (T_max={t}); rises after")
    if name == "CosineAnnealingWarmRestarts":
        starts, length, at = [], kw["T_0"], kw["T_0"]
        while at < span and len(starts) < 10 * MAX_PER_KIND:
            starts.append(at)
            length *= kw["T_mult"]
            at += length
        return [Event(offset + s, "restart", "warm restart") for s in starts]
    if name == "OneCycleLR":
        total = onecycle_total(kw)
        peak = int(float(kw["pct_start"] * total))
        return [Event(offset + max(peak - 1, 0), "end", "peak lr (end of warm-up)"),
                Event(offset + total, "end", f"total_steps={total}: torch raises after")]
    if name == "ReduceLROnPlateau":
        lr = table["lr"].to_numpy()
        return [Event(int(k) + 1, "reduction", "reduced on plateau")
                for k in np.flatnonzero(np.diff(lr) < 0)]
    if name == "SequentialLR":
        marks = list(kw["milestones"])
        out = []
        starts = [0] + marks
        stops = marks + [span]
        for i, child in enumerate(kw["schedulers"]):
            if i:
                out.append(Event(offset + marks[i - 1], "phase",
                                 f"phase {i + 1}: {child.name}"))
            lo, hi = offset + starts[i], min(offset + stops[i], end)
            out += [e for e in _events(child, table, lo, hi) if lo <= e.step < hi]
        return out
    if name == "ChainedScheduler":
        return [e for child in kw["schedulers"] for e in _events(child, table, offset, end)]
    return []
