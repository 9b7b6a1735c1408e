"""A schedule over a run: its curve (one row per scheduler step), and per optimizer step."""

from __future__ import annotations

import numpy as np
import pandas as pd

from schedlab.engine.curve import compute_curve
from schedlab.spec.horizon import Horizon, MetricSettings
from schedlab.spec.schedule import Schedule


def run_curve(schedule: Schedule, horizon: Horizon,
              metric: MetricSettings | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The scheduler's values over the run (one row per scheduler step), and the metric
    fed to ReduceLROnPlateau (None for other schedulers)."""
    values = None
    if schedule.scheduler.info.needs_metric:
        values = (metric or MetricSettings()).series(horizon.scheduler_steps)
    return compute_curve(schedule, horizon.scheduler_steps, values), values


def per_optimizer_step(table: pd.DataFrame, horizon: Horizon) -> pd.DataFrame:
    """One row per optimizer step (what the CSV export holds): the scheduler's rows
    repeated over the batches they apply to, with the epoch each step falls in."""
    out = table.drop(columns="step").loc[np.repeat(table.index, horizon.stride)]
    out = out.reset_index(drop=True)
    steps = np.arange(len(out), dtype=np.int64)
    out.insert(0, "epoch", steps // horizon.steps_per_epoch)
    out.insert(0, "step", steps)
    return out
