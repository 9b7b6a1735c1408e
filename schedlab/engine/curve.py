"""compute_curve: the lr (and momentum) torch will use at every step, fast and exact."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from schedlab.engine.basic import Groups
from schedlab.engine.composite import Unsupported, simulate
from schedlab.engine.cost import check_budget, estimate_curve, estimate_torch
from schedlab.engine.oracle import (
    build_optimizer,
    build_scheduler,
    read_momenta,
    step_torch,
)
from schedlab.errors import ScheduleError
from schedlab.spec.catalog import OPTIMIZERS
from schedlab.spec.horizon import check_steps, synthetic_metric
from schedlab.spec.schedule import Schedule


def compute_curve(schedule: Schedule, steps: int, metric: Any = None, *,
                  engine: str = "auto") -> pd.DataFrame:
    """The value in effect at every optimizer step of torch's documented loop.

    Row k holds what the (k+1)-th ``optimizer.step()`` uses in
    ``for ...: optimizer.step(); scheduler.step()``, i.e. the values after k calls of
    ``scheduler.step()``. Columns: ``step`` (0..steps-1), ``lr`` (param group 0),
    ``lr_1``, ``lr_2``, ... (further groups) and ``momentum`` (SGD momentum or Adam's beta1
    of group 0) when the optimizer has a non-zero one.

    ReduceLROnPlateau reads ``metric``, one value per ``scheduler.step()`` (at least
    steps - 1 values); without one it uses ``synthetic_metric(steps)``.

    ``engine``: "auto" computes with vectorized models of torch's schedulers where there is
    one and steps real torch otherwise; "torch" always steps torch; "fast" refuses to fall
    back (for tests and benchmarks).

    The cost is estimated before any work starts (``schedlab.engine.cost``): a request beyond the
    budget (about one second, 30 million values) is a ScheduleError saying what to reduce.

    Example:
        >>> s = parse_schedule("StepLR(optimizer, step_size=2, gamma=0.5)")
        >>> compute_curve(s, 5)["lr"].tolist()
        [0.1, 0.1, 0.05, 0.05, 0.025]
    """
    steps = check_steps(steps)
    if not isinstance(schedule, Schedule):
        raise ScheduleError(code="error.curve.schedule")
    if not isinstance(engine, str) or engine not in ("auto", "torch", "fast"):
        raise ScheduleError(param="engine", code="error.curve.engine",
                            params={"value": f"{engine!r:.40}"})
    estimate = estimate_curve(schedule, steps)
    check_budget(estimate)
    metric = _check_metric(metric, steps) if schedule.scheduler.info.needs_metric else None
    optimizer = build_optimizer(schedule)
    key = OPTIMIZERS[schedule.optimizer.name].momentum
    groups = Groups([float(g["lr"]) for g in optimizer.param_groups],
                    read_momenta(optimizer, key), key, float(optimizer.defaults["lr"]))
    for g, torch_group in zip(groups.groups, optimizer.param_groups):
        if "initial_lr" in torch_group:  # torch's schedulers start from it when it is set
            g["initial_lr"] = float(torch_group["initial_lr"])
    build_scheduler(schedule.scheduler, optimizer)  # torch judges the parameters
    if engine == "torch":
        check_budget(estimate_torch(schedule, steps))
        lrs, mom = step_torch(schedule, steps, metric)
    else:
        try:
            lrs, mom = simulate(schedule.scheduler, groups, steps, metric,
                                chunk=estimate.chunk)
        except Unsupported:
            if engine == "fast":
                raise
            check_budget(estimate_torch(schedule, steps))  # should the estimate have missed
            lrs, mom = step_torch(schedule, steps, metric)
    return _frame(lrs, mom)



def _check_metric(metric: Any, steps: int) -> np.ndarray:
    if metric is None:
        return synthetic_metric(steps)
    if isinstance(metric, (str, bytes, dict, set)) or not hasattr(metric, "__len__"):
        raise ScheduleError(param="metric", code="error.metric.list")
    try:
        values = np.asarray(metric, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ScheduleError(param="metric", code="error.metric.list") from None
    if values.ndim != 1:
        raise ScheduleError(param="metric", code="error.metric.shape",
                            params={"shape": str(values.shape)})
    if len(values) < steps - 1:
        raise ScheduleError(param="metric", code="error.metric.count", params={
            "count": len(values), "steps": steps, "needed": steps - 1})
    return values


def _frame(lrs: np.ndarray, mom: np.ndarray | None) -> pd.DataFrame:
    # copy=False: the columns are the computed arrays themselves (a 10M-step curve would
    # otherwise be held twice)
    columns: dict[str, np.ndarray] = {"step": np.arange(len(lrs), dtype=np.int64),
                                      "lr": lrs[:, 0]}
    for g in range(1, lrs.shape[1]):
        columns[f"lr_{g}"] = lrs[:, g]
    if mom is not None and mom.strides == (0,):  # one value throughout (simulate)
        if mom[0] != 0:
            columns["momentum"] = np.array(mom)
    elif mom is not None and np.any(mom != 0):
        columns["momentum"] = mom
    return pd.DataFrame(columns, copy=False)

