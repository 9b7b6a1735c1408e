"""Adaptive: ReduceLROnPlateau, whose step() takes the validation metric."""

from __future__ import annotations

import numpy as np

from schedlab.messages import Text
from schedlab.spec.catalog.base import Event, finding, scheduler
from schedlab.spec.params import Param


def _reductions(spec, offset, end, lr):
    return [Event(int(k) + 1, "reduction", Text("event.reduced"))
            for k in np.flatnonzero(np.diff(lr) < 0)]


def _plateau_checks(spec, start, end, run, first, last):
    if run.step_per == "batch":
        yield finding("info", "plateau-per-batch", start, end)


ENTRIES = (
    scheduler(
        "ReduceLROnPlateau", "adaptive",
        Param("mode", "choice", default="min", choices=("min", "max")),
        Param("factor", "float", default=0.1, low=0, high=1, high_open=True),
        Param("patience", "int", default=10, low=0),
        Param("threshold", "float", default=1e-4, low=0),
        Param("threshold_mode", "choice", default="rel", choices=("rel", "abs")),
        Param("cooldown", "int", default=0, low=0),
        Param("min_lr", "float", default=0, low=0, per_group=True),
        Param("eps", "float", default=1e-8, low=0),
        last=False, needs_metric=True, events=_reductions, checks=_plateau_checks,
        # reacts to the synthetic metric's plateau
        fit=lambda kw, f: {**kw, "patience": max(1, f.steps // 25)}),
)
