"""Where a schedule changes course: milestones, phase boundaries, restarts, reductions
(each registry entry knows its own; this keeps them few enough to draw)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from schedlab.spec.catalog import Event, entry
from schedlab.spec.catalog.base import MAX_EVENTS as MAX_PER_KIND
from schedlab.spec.schedule import SchedulerSpec

__all__ = ["MAX_PER_KIND", "Event", "find_events"]


def find_events(spec: SchedulerSpec, table: pd.DataFrame) -> list[Event]:
    """The events of a schedule within its curve, at most MAX_PER_KIND of each kind."""
    n = len(table)
    lr = table["lr"].to_numpy()
    found = [e for e in entry(spec.name).events(spec, 0, n, lr) if 0 < e.step < n]
    out: list[Event] = []
    for kind in dict.fromkeys(e.kind for e in found):
        mine = sorted({e.step: e for e in found if e.kind == kind}.values(),
                      key=lambda e: e.step)
        if len(mine) > MAX_PER_KIND:
            keep = np.linspace(0, len(mine) - 1, MAX_PER_KIND).round().astype(int)
            mine = [mine[i] for i in sorted(set(keep.tolist()))]
        out += mine
    return sorted(out, key=lambda e: e.step)
