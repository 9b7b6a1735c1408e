"""Curves for the explorer: computed once per distinct schedule and run, kept as drawn.

A whole class shares one server, so what is kept is bounded in bytes, not entries: for
each curve only what the page draws (about DRAW_POINTS points per line, keeping every
bucket's extremes), its events, summary and findings; never the full table (a 10M-step
curve is 240 MB, its drawing about 100 KB). Computing is gated by memory too: curves being
computed at the same moment hold at most COMPUTE_BYTES together, so thirty students at the
caps wait their turn instead of taking the server's memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import streamlit as st

from schedlab.analysis.checks import Finding, check_schedule
from schedlab.analysis.events import Event, find_events
from schedlab.analysis.summary import summarize
from schedlab.engine.composite import plateau_trace
from schedlab.engine.cost import estimate_curve
from schedlab.engine.curve import compute_curve
from schedlab.engine.run import per_optimizer_step, run_curve
from schedlab.errors import ScheduleError
from schedlab.present.plot import LINE_POINTS, decimate, outline
from schedlab.spec.horizon import Horizon, MetricSettings
from schedlab.spec.schedule import Schedule
from schedlab.ui.memory import give_back

DRAW_POINTS = LINE_POINTS  # points kept per line: about twice a wide chart's pixels
CACHE_BYTES = 256 * 2**20  # drawn curves kept, server-wide
COMPUTE_BYTES = 320 * 2**20  # curves being computed at once, server-wide
CSV_ROWS = 1_048_575  # rows of a CSV download: a spreadsheet's limit


@dataclass(frozen=True)
class Drawn:
    """Everything the page shows of one schedule over one run (shared, read-only)."""

    rows: int  # scheduler steps in the curve
    lines: dict[str, tuple[np.ndarray, np.ndarray]]  # column -> (rows kept, values)
    metric: tuple[np.ndarray, np.ndarray] | None  # the synthetic metric, decimated
    events: list[Event]
    event_lr: np.ndarray  # the lr at each event
    summary: dict
    findings: list[Finding]

    @property
    def nbytes(self) -> int:
        arrays = [a for pair in self.lines.values() for a in pair] + [self.event_lr]
        arrays += list(self.metric or ())
        text = sum(len(f.message) + len(f.fix) for f in self.findings)
        return sum(a.nbytes for a in arrays) + 200 * len(self.events) + 2 * text + 4096


class _Cache:
    """Least recently used first out, bounded by the bytes of what it holds."""

    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self.items: OrderedDict[tuple, Drawn] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Drawn | None:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            return None

    def put(self, key: tuple, value: Drawn) -> None:
        size = value.nbytes + len(key[0])
        with self.lock:
            if key in self.items or size > self.limit:
                return
            self.items[key] = value
            self.used += size
            while self.used > self.limit:
                old_key, old = self.items.popitem(last=False)
                self.used -= old.nbytes + len(old_key[0])


class _Gate:
    """A semaphore counted in bytes: a computation waits until its memory is free."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.held = capacity, 0
        self.free = threading.Condition()

    @contextmanager
    def hold(self, size: int) -> Iterator[None]:
        size = min(size, self.capacity)  # the budget keeps any one below it anyway
        with self.free:
            self.free.wait_for(lambda: self.held + size <= self.capacity)
            self.held += size
        try:
            yield
        finally:
            with self.free:
                self.held -= size
                idle = self.held == 0
                self.free.notify_all()
            if idle:
                give_back()


@st.cache_resource(show_spinner=False)
def _shared() -> tuple[_Cache, _Gate]:
    """One cache and one gate per server process, shared by every session."""
    return _Cache(CACHE_BYTES), _Gate(COMPUTE_BYTES)


def drawn(schedule: Schedule, horizon: Horizon, metric: MetricSettings) -> Drawn:
    """The curve as drawn (cached server-wide; computed within the memory gate)."""
    key = (schedule.to_json(), (horizon.epochs, horizon.steps_per_epoch, horizon.step_per),
           (metric.seed, metric.noise, metric.plateau_at, metric.plateau_length))
    cache, gate = _shared()
    found = cache.get(key)
    if found is not None:
        return found
    with gate.hold(estimate_curve(schedule, horizon.scheduler_steps).bytes):
        found = cache.get(key)  # another session may have drawn it while this one waited
        if found is None:
            found = _draw(schedule, horizon, metric)
            cache.put(key, found)
    return found


def _draw(schedule: Schedule, horizon: Horizon, metric: MetricSettings) -> Drawn:
    table, values = run_curve(schedule, horizon, metric)
    lr = table["lr"].to_numpy()
    findings = check_schedule(schedule, horizon.scheduler_steps, horizon.steps_per_epoch,
                              horizon.step_per, lr=lr)
    events = find_events(schedule.scheduler, table)
    lines = {}
    for column in table.columns:
        if column != "step":
            values_of = table[column].to_numpy()
            kept = outline(values_of, DRAW_POINTS)
            lines[column] = (kept, values_of[kept].copy())  # copies: the table goes
    kept_metric = None
    if values is not None:
        kept = decimate(values, DRAW_POINTS)
        kept_metric = (kept, values[kept].copy())
    return Drawn(len(table), lines, kept_metric, events,
                 lr[np.array([e.step for e in events], dtype=np.int64)].copy(),
                 summarize(table, horizon), findings)


def csv_rows(horizon: Horizon) -> int:
    """Rows of the per-optimizer-step CSV of this run."""
    return horizon.scheduler_steps * horizon.stride


def csv_maker(schedule: Schedule, horizon: Horizon, metric: MetricSettings):
    """A callable for st.download_button: the per-optimizer-step table as CSV, built only
    when the user asks for it (runs longer than CSV_ROWS are refused before)."""
    def make() -> str:
        if csv_rows(horizon) > CSV_ROWS:
            raise ScheduleError(code="error.ui.csv-rows", params={"most": CSV_ROWS})
        _, gate = _shared()
        with gate.hold(estimate_curve(schedule, horizon.scheduler_steps).bytes):
            table, _ = run_curve(schedule, horizon, metric)
            return per_optimizer_step(table, horizon).to_csv(index=False)
    return make


@st.cache_data(show_spinner=False, max_entries=256)
def values_at(schedule: Schedule, horizon: Horizon, metric: MetricSettings,
              row: int) -> dict[str, float]:
    """The exact values of one row of the curve (the step cursor's): computed up to that
    row, within the memory gate, kept for the rows a class looks at."""
    _, gate = _shared()
    with gate.hold(estimate_curve(schedule, row + 1).bytes):
        values = None
        if schedule.scheduler.info.needs_metric:
            values = metric.series(horizon.scheduler_steps)[:row + 1]
        table = compute_curve(schedule, row + 1, values)
    out = {k: float(v) for k, v in table.iloc[-1].items() if k != "step"}
    if values is not None:  # ReduceLROnPlateau: the metric, and its bookkeeping so far
        out["metric"] = float(values[row])
        trace = plateau_trace(schedule.scheduler.args, values, row + 1)
        out.update({k: float(v[row]) for k, v in trace.items()})
    return out
