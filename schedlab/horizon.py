"""The run a schedule is drawn over: epochs, batches per epoch, and where step() is called."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from schedlab.curve import MAX_STEPS, compute_curve, synthetic_metric
from schedlab.errors import ScheduleError
from schedlab.schedule import Schedule

STEP_PER = ("epoch", "batch")


@dataclass(frozen=True)
class Horizon:
    """A training run: ``epochs`` of ``steps_per_epoch`` optimizer steps, with
    ``scheduler.step()`` called once per ``step_per`` ("epoch" or "batch")."""

    epochs: int = 100
    steps_per_epoch: int = 100
    step_per: str = "epoch"

    def __post_init__(self) -> None:
        for name in ("epochs", "steps_per_epoch"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ScheduleError(f"{name} must be a whole number >= 1, got {value!r:.30}",
                                    param=name)
        if self.step_per not in STEP_PER:
            raise ScheduleError(f"step_per must be 'epoch' or 'batch', got {self.step_per!r:.30}",
                                param="step_per")
        if self.epochs * self.steps_per_epoch > MAX_STEPS:
            raise ScheduleError(f"{self.epochs:,} epochs x {self.steps_per_epoch:,} steps is "
                                f"more than {MAX_STEPS:,} optimizer steps", param="epochs")

    @property
    def total_steps(self) -> int:
        """Optimizer steps in the whole run."""
        return self.epochs * self.steps_per_epoch

    @property
    def stride(self) -> int:
        """Optimizer steps between two scheduler steps."""
        return self.steps_per_epoch if self.step_per == "epoch" else 1

    @property
    def scheduler_steps(self) -> int:
        """Rows of the curve: one per value the scheduler sets."""
        return self.total_steps // self.stride

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> Horizon:
        if not isinstance(data, dict) or not set(data) <= {"epochs", "steps_per_epoch",
                                                          "step_per"}:
            raise ScheduleError("horizon must have epochs, steps_per_epoch and step_per")
        return cls(**data)


@dataclass(frozen=True)
class MetricSettings:
    """The synthetic validation loss that drives a ReduceLROnPlateau preview."""

    seed: int = 0
    noise: float = 0.02
    plateau_at: float = 0.3
    plateau_length: float = 0.25

    def series(self, steps: int) -> np.ndarray:
        return synthetic_metric(steps, seed=self.seed, noise=self.noise,
                                plateau_at=self.plateau_at, plateau_length=self.plateau_length)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> MetricSettings:
        if not isinstance(data, dict) or not set(data) <= set(cls.__dataclass_fields__):
            raise ScheduleError("metric settings must have seed, noise, plateau_at, "
                                "plateau_length")
        settings = cls(**data)
        if isinstance(settings.seed, bool) or not isinstance(settings.seed, int) or not \
                0 <= settings.seed < 2**32:
            raise ScheduleError("seed must be a whole number from 0 to 2**32 - 1", param="seed")
        settings.series(2)  # checks the ranges
        return settings


def run_curve(schedule: Schedule, horizon: Horizon,
              metric: MetricSettings | None = None) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The scheduler's values over the run (one row per scheduler step), and the metric
    fed to ReduceLROnPlateau (None for other schedulers)."""
    values = None
    if schedule.scheduler.name == "ReduceLROnPlateau":
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


def summarize(table: pd.DataFrame, horizon: Horizon) -> dict[str, float | int | None]:
    """Peak, final and mean lr (over optimizer steps), and the first optimizer step after
    the peak where the lr is below 10% of it (None if it never is)."""
    lr = table["lr"].to_numpy()
    with np.errstate(over="ignore", invalid="ignore"):  # an lr that overflows: inf
        if not np.isnan(lr).any():  # nan* functions copy the whole curve: only if needed
            peak_at, mean = int(lr.argmax()), float(lr.mean())
        else:
            peak_at = int(np.nanargmax(lr)) if not np.isnan(lr).all() else 0
            mean = float(np.nanmean(lr)) if not np.isnan(lr).all() else float("nan")
    peak = float(lr[peak_at])
    below = np.flatnonzero(lr[peak_at:] < 0.1 * peak)
    return {"peak": peak, "final": float(lr[-1]), "mean": mean,
            "below_10pct": None if not len(below) else int(below[0] + peak_at) * horizon.stride}
