"""Curves for the explorer: computed once per distinct schedule and run, then drawn."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from schedlab.checks import Finding, check_schedule
from schedlab.events import Event, find_events
from schedlab.horizon import Horizon, MetricSettings, per_optimizer_step, run_curve, summarize
from schedlab.schedule import Schedule


@dataclass(frozen=True)
class Bundle:
    """Everything drawn for one schedule over one run (shared, read-only)."""

    table: pd.DataFrame
    metric: np.ndarray | None
    events: list[Event]
    summary: dict
    findings: list[Finding]


@st.cache_resource(max_entries=48, show_spinner=False)
def _bundle(schedule_json: str, horizon: tuple, metric: tuple) -> Bundle:
    schedule = Schedule.from_json(schedule_json)
    h = Horizon(*horizon)
    table, values = run_curve(schedule, h, MetricSettings(*metric))
    findings = check_schedule(schedule, h.scheduler_steps, h.steps_per_epoch, h.step_per,
                              lr=table["lr"].to_numpy())
    return Bundle(table, values, find_events(schedule.scheduler, table), summarize(table, h),
                  findings)


def bundle(schedule: Schedule, horizon: Horizon, metric: MetricSettings) -> Bundle:
    """The curve, metric, events and summary (cached: 1M-step curves are not recomputed
    on every widget change elsewhere)."""
    return _bundle(schedule.to_json(), (horizon.epochs, horizon.steps_per_epoch,
                                        horizon.step_per),
                   (metric.seed, metric.noise, metric.plateau_at, metric.plateau_length))


def csv_maker(schedule: Schedule, horizon: Horizon, metric: MetricSettings):
    """A callable for st.download_button: the per-optimizer-step table as CSV, built only
    when the user asks for it."""
    def make() -> str:
        table = bundle(schedule, horizon, metric).table
        return per_optimizer_step(table, horizon).to_csv(index=False)
    return make
