"""What the explorer keeps and computes at once is bounded in bytes, server-wide."""

from __future__ import annotations

import threading
import time

import numpy as np

from schedlab import compute_curve, parse_schedule
from schedlab.spec.horizon import Horizon, MetricSettings
from schedlab.ui import memory
from schedlab.ui.chart import DRAW_POINTS, _Cache, _draw, _Gate

CYCLIC = parse_schedule("CyclicLR(optimizer, base_lr=0.001, max_lr=0.1, step_size_up=250)",
                        "SGD(params, lr=0.1, momentum=0.9)")


def test_a_drawn_curve_keeps_its_extremes_in_a_few_hundred_kilobytes() -> None:
    horizon = Horizon(100, 10_000, "batch")  # a million steps
    drawn = _draw(CYCLIC, horizon, MetricSettings())
    full = compute_curve(CYCLIC, horizon.scheduler_steps)
    rows, values = drawn.lines["lr"]
    assert len(rows) <= DRAW_POINTS + 2 and rows[0] == 0 and rows[-1] == len(full) - 1
    assert values.max() == full["lr"].max() and values.min() == full["lr"].min()
    assert np.array_equal(values, full["lr"].to_numpy()[rows])  # the real values, not a fit
    assert drawn.nbytes < 400_000 < full.memory_usage().sum()
    assert drawn.summary["peak"] == full["lr"].max() and drawn.rows == len(full)


def test_the_cache_is_bounded_in_bytes_least_recently_used_first() -> None:
    drawn = _draw(CYCLIC, Horizon(10, 100, "batch"), MetricSettings())
    size = drawn.nbytes + 3
    cache = _Cache(limit=3 * size)
    for key in ("aaa", "bbb", "ccc"):
        cache.put((key,), drawn)
    assert cache.get(("aaa",)) is drawn  # now the most recently used
    cache.put(("ddd",), drawn)
    assert cache.get(("bbb",)) is None and cache.get(("aaa",)) is drawn
    assert cache.used <= cache.limit and len(cache.items) == 3


def test_the_gate_holds_computations_to_its_bytes() -> None:
    gate, inside, most = _Gate(100), [0], [0]
    lock = threading.Lock()

    def compute(size: int) -> None:
        size_held = min(size, 100)  # a request larger than the gate runs alone
        with gate.hold(size):
            with lock:
                inside[0] += size_held
                most[0] = max(most[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= size_held

    threads = [threading.Thread(target=compute, args=(s,)) for s in (60, 60, 30, 30, 500)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not any(t.is_alive() for t in threads)  # one larger than the gate still runs
    assert most[0] <= 100 and gate.held == 0


def test_the_process_is_set_up_once_for_a_server() -> None:
    import gc

    glibc = memory._LIBC is not None  # elsewhere nothing to tune, and nothing breaks
    assert memory.tune_process() is glibc and memory.tune_process() is glibc
    assert gc.get_freeze_count() > 10_000  # torch, pandas, plotly: out of the collector
    memory.give_back()
