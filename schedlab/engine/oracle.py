"""Real torch objects for a Schedule: the source of truth.

``build_torch`` makes the actual optimizer and scheduler on placeholder parameters;
``check_with_torch`` lets torch judge a schedule and turns its complaints into
ScheduleError; ``step_torch`` steps the real scheduler (the slow, always-right path).
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

import numpy as np
import torch

from schedlab.errors import ScheduleError
from schedlab.spec.catalog import OPTIMIZERS
from schedlab.spec.schedule import OptimizerSpec, Schedule, SchedulerSpec

_TORCH_ERRORS = (ValueError, TypeError, KeyError, ZeroDivisionError, OverflowError,
                 RuntimeError, IndexError, AttributeError)


def optimizer_signature(name: str) -> inspect.Signature:
    """The signature of ``torch.optim.<name>`` (a catalog optimizer): how torch binds the
    arguments of a pasted optimizer line."""
    return inspect.signature(getattr(torch.optim, name))


def build_optimizer(schedule: Schedule | OptimizerSpec,
                    groups: list[list[torch.Tensor]] | None = None) -> torch.optim.Optimizer:
    """The optimizer (of a schedule, or an optimizer spec alone), on the given parameter
    groups (one per param group) or on placeholder parameters."""
    spec = schedule.optimizer if isinstance(schedule, Schedule) else schedule
    cls = getattr(torch.optim, spec.name)
    if groups is None:  # 2-D placeholders: Muon only takes matrices
        groups = [[torch.zeros(2, 2, requires_grad=True)] for _ in range(spec.group_count)]
    params: Any = groups[0] if spec.groups is None else [
        {"params": g, **overrides} for g, overrides in zip(groups, spec.groups)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return cls(params, **spec.kwargs)
        except ScheduleError:
            raise
        except _TORCH_ERRORS as exc:
            raise ScheduleError(code="error.torch.rejects", param="optimizer", params={
                "name": spec.name, "detail": _first_line(exc)}) from None


def build_scheduler(spec: SchedulerSpec, optimizer: torch.optim.Optimizer) -> Any:
    """The scheduler on ``optimizer``: torch's own class, or for transformers' and timm's
    schedules the engine's model driving the optimizer (neither library is needed)."""
    if spec.info.library == "transformers":  # a LambdaLR, as transformers makes it
        from schedlab.engine.families import transformers_lambda

        return torch.optim.lr_scheduler.LambdaLR(optimizer, transformers_lambda(
            spec.name, spec.args, float(optimizer.defaults["lr"])))
    if spec.name == "PlateauLRScheduler":  # timm's: torch's own plateau inside
        from schedlab.engine.families import PlateauStepper

        return PlateauStepper(spec.args, optimizer)
    if not spec.info.torch:
        from schedlab.engine.families import ValueScheduler

        return ValueScheduler(spec.name, spec.args, optimizer)
    cls = getattr(torch.optim.lr_scheduler, spec.name)
    kwargs = dict(spec.kwargs)
    if "schedulers" in kwargs:
        kwargs["schedulers"] = [build_scheduler(s, optimizer) for s in kwargs["schedulers"]]
    for key in ("lr_lambda", "milestones", "base_lr", "max_lr", "base_momentum",
                "max_momentum", "min_lr"):
        if isinstance(kwargs.get(key), tuple):
            kwargs[key] = list(kwargs[key])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if not spec.info.optimizer_first:
                return cls(kwargs.pop("schedulers"), optimizer=optimizer)
            return cls(optimizer, **kwargs)
        except ScheduleError:
            raise
        except _TORCH_ERRORS as exc:
            raise ScheduleError(code="error.torch.rejects", param="scheduler", params={
                "name": spec.name, "detail": _first_line(exc)}) from None


def build_torch(schedule: Schedule) -> tuple[torch.optim.Optimizer, Any]:
    """The real optimizer and scheduler, constructed as a training script would."""
    optimizer = build_optimizer(schedule)
    return optimizer, build_scheduler(schedule.scheduler, optimizer)


def check_with_torch(schedule: Schedule) -> None:
    """Raise ScheduleError if torch refuses to construct this schedule."""
    build_torch(schedule)


def read_momenta(optimizer: torch.optim.Optimizer, key: str | None) -> list[float] | None:
    if key is None:
        return None
    return [float(g["betas"][0] if key == "betas" else g["momentum"])
            for g in optimizer.param_groups]


def step_torch(schedule: Schedule, steps: int, metric: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray | None]:
    """lr per group and group-0 momentum after 0..steps-1 calls of ``scheduler.step()``."""
    optimizer, scheduler = build_torch(schedule)
    key = OPTIMIZERS[schedule.optimizer.name].momentum
    lrs = np.empty((steps, len(optimizer.param_groups)))
    mom = None if key is None else np.empty(steps)
    plateau = schedule.scheduler.info.needs_metric
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for k in range(steps):
            if k:
                try:
                    scheduler.step(float(metric[k - 1])) if plateau else scheduler.step()
                except ScheduleError:
                    raise
                except _TORCH_ERRORS as exc:
                    raise ScheduleError(code="error.torch.raises", param="scheduler",
                                        params={"step": k, "name": schedule.scheduler.name,
                                                "detail": _first_line(exc)}) from None
            lrs[k] = [g["lr"] for g in optimizer.param_groups]
            if mom is not None:
                mom[k] = read_momenta(optimizer, key)[0]
    return lrs, mom


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
