"""Events mark where a schedule changes course, at the right steps."""

from __future__ import annotations

import numpy as np

from schedlab import compute_curve, parse_schedule
from schedlab.analysis.events import MAX_PER_KIND, find_events


def events(code: str, steps: int, metric=None):
    s = parse_schedule(code)
    return find_events(s.scheduler, compute_curve(s, steps, metric))


def test_step_and_multistep_milestones_are_where_the_lr_drops() -> None:
    assert [e.step for e in events("StepLR(o, step_size=30)", 100)] == [30, 60, 90]
    assert [e.step for e in events("MultiStepLR(o, [80, 30, 30, 150])", 100)] == [30, 80]


def test_sequential_phases_and_their_inner_events_are_offset() -> None:
    found = events("SequentialLR(o, [LinearLR(o, 0.1, total_iters=5), StepLR(o, 10)], [20])",
                   60)
    assert [(e.step, e.kind) for e in found] == [(5, "end"), (20, "phase"), (30, "milestone"),
                                                  (40, "milestone"), (50, "milestone")]


def test_warm_restarts_and_plateau_reductions() -> None:
    assert [e.step for e in events("CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2)",
                                   100)] == [10, 30, 70]
    s = parse_schedule("ReduceLROnPlateau(o, patience=2)")
    table = compute_curve(s, 30, [1.0] * 29)
    found = find_events(s.scheduler, table)
    drops = np.flatnonzero(np.diff(table["lr"].to_numpy()) < 0) + 1
    assert [e.step for e in found] == drops.tolist() and len(drops) >= 3


def test_dense_events_are_thinned() -> None:
    found = events("StepLR(o, step_size=2, gamma=0.999)", 100_000)
    assert len(found) == MAX_PER_KIND
