"""The run a schedule is drawn over: epochs, batches per epoch, and where step() is called."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from schedlab.errors import ScheduleError

STEP_PER = ("epoch", "batch")
MAX_STEPS = 10_000_000  # the longest run (in optimizer steps) schedlab draws


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
                raise ScheduleError(param=name, code="error.run.whole", params={
                    "name": name, "value": f"{value!r:.30}"})
        if self.step_per not in STEP_PER:
            raise ScheduleError(param="step_per", code="error.run.step-per",
                                params={"value": f"{self.step_per!r:.30}"})
        if self.epochs * self.steps_per_epoch > MAX_STEPS:
            raise ScheduleError(param="epochs", code="error.run.too-long", params={
                "epochs": self.epochs, "per_epoch": self.steps_per_epoch, "most": MAX_STEPS})

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
            raise ScheduleError(code="error.run.fields")
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
            raise ScheduleError(code="error.metric.fields")
        settings = cls(**data)
        if isinstance(settings.seed, bool) or not isinstance(settings.seed, int) or not \
                0 <= settings.seed < 2**32:
            raise ScheduleError(param="seed", code="error.metric.seed-32")
        settings.series(2)  # checks the ranges
        return settings


def check_steps(steps: Any) -> int:
    """A step count within 1..MAX_STEPS, or ScheduleError."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise ScheduleError(param="steps", code="error.steps.whole",
                            params={"value": f"{steps!r:.40}"})
    if not 1 <= steps <= MAX_STEPS:
        raise ScheduleError(param="steps", code="error.steps.range",
                            params={"steps": steps, "most": MAX_STEPS})
    return int(steps)


def synthetic_metric(steps: int, *, seed: int = 0, noise: float = 0.02,
                     plateau_at: float = 0.3, plateau_length: float = 0.25,
                     start: float = 2.3, floor: float = 0.05) -> np.ndarray:
    """A plausible validation-loss curve for previews of ReduceLROnPlateau.

    The loss falls from ``start`` towards ``floor``, stalls on a plateau from
    ``plateau_at`` for ``plateau_length`` (fractions of the run), then falls again and
    flattens out; ``noise`` is the relative spread of seeded Gaussian noise.
    """
    steps = check_steps(steps)
    for name, value, low, high in (("noise", noise, 0, 1), ("plateau_at", plateau_at, 0, 1),
                                   ("plateau_length", plateau_length, 0, 1)):
        if not isinstance(value, (int, float)) or not low <= value <= high:
            raise ScheduleError(param=name, code="error.metric.range", params={
                "name": name, "value": f"{value!r:.40}", "low": low, "high": high})
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or \
            not 0 <= seed < 2**64:
        raise ScheduleError(param="seed", code="error.metric.seed-64",
                            params={"value": f"{seed!r:.40}"})
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in (start, floor)) or not 0 < floor < start:
        raise ScheduleError(param="floor", code="error.metric.floor")
    stall_from, stall_to = plateau_at, min(1.0, plateau_at + plateau_length)
    span = max(1.0 - (stall_to - stall_from), 1e-9)
    rng = np.random.default_rng(seed)
    out = np.empty(steps)
    for a in range(0, steps, 1 << 18):  # in pieces: a few arrays of this size, not the run's
        b = min(steps, a + (1 << 18))
        t = np.arange(a, b, dtype=float) / max(steps, 1)
        progress = t - np.clip(t - stall_from, 0.0, stall_to - stall_from)  # frozen on the
        loss = floor + (start - floor) * np.exp(-5.0 * progress / span)  # plateau
        out[a:b] = loss * np.clip(1.0 + noise * rng.standard_normal(b - a), 0.05, None)
    return out
