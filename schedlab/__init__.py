"""schedlab: see exactly what a PyTorch learning-rate schedule does, step by step.

The public API:

* ``parse_schedule(scheduler, optimizer)``: pasted PyTorch code -> Schedule
* ``compute_curve(schedule, steps, metric=None)``: per-step lr/momentum DataFrame
* ``synthetic_metric(steps, ...)``: a seeded loss curve for ReduceLROnPlateau previews
* ``check_schedule(schedule, steps, ...)``: the classic schedule mistakes, as Findings
* ``SchedlabError``: every problem explained to a user, with a message saying what is
  allowed; its kinds ``ScheduleError`` (schedules, pasted code; ``LinkError`` for share
  links), ``ConfigError`` (training and server settings) and ``DataError`` (MNIST files)
* ``catalog``: every scheduler's parameters (type, default, range, help)

Names are imported when first used, so ``import schedlab`` (or the run store alone)
does not pull in torch, pandas or plotly.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOMES = {
    "parse_schedule": "schedlab.source.parse", "compute_curve": "schedlab.engine.curve",
    "synthetic_metric": "schedlab.spec.horizon", "MAX_STEPS": "schedlab.spec.horizon",
    "check_schedule": "schedlab.analysis.checks", "Finding": "schedlab.analysis.checks",
    "ScheduleError": "schedlab.errors", "SchedlabError": "schedlab.errors",
    "ConfigError": "schedlab.errors", "LinkError": "schedlab.errors",
    "DataError": "schedlab.errors", "Lambda": "schedlab.spec.lambdas",
    "OptimizerSpec": "schedlab.spec.schedule", "Schedule": "schedlab.spec.schedule",
    "SchedulerSpec": "schedlab.spec.schedule",
}

__all__ = sorted([*_HOMES, "catalog"])
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "catalog":
        return importlib.import_module("schedlab.spec.catalog")
    if name not in _HOMES:
        raise AttributeError(f"module 'schedlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value  # found once, then an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES, "catalog"])
