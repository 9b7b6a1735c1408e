"""The test oracle: step real torch objects, built here independently of schedlab.

transformers' schedules are made by transformers' own functions and timm's by timm's own
classes (``tests/timmref.py``), stepped as each library's training loop steps them.
Lambdas are compiled by Python itself from the test's own (trusted) source strings, so the
reference shares nothing with schedlab's evaluator or models.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import torch

MOMENTUM_KEY = {"SGD": "momentum", "RMSprop": "momentum", "Adam": "betas", "AdamW": "betas",
                "NAdam": "betas", "RAdam": "betas", "Adamax": "betas", "Adagrad": None}


def py_lambda(source: str):
    return eval(source, {"math": math, **{k: getattr(math, k) for k in (
        "cos", "sin", "tan", "exp", "log", "log2", "log10", "sqrt", "floor", "ceil", "pi",
        "e", "inf")}})


def _torch_value(key: str, value: Any) -> Any:
    if key in ("lr_lambda", "scale_fn") and value is not None:
        return [py_lambda(v) for v in value] if isinstance(value, list) else py_lambda(value)
    return value


def build(opt_name: str, opt_kwargs: dict, groups: list[dict] | None, sched: tuple):
    params = [torch.zeros(2, 2, requires_grad=True)] if groups is None else [
        {"params": [torch.zeros(2, 2, requires_grad=True)], **g} for g in groups]
    optimizer = getattr(torch.optim, opt_name)(params, **opt_kwargs)
    return optimizer, _build_sched(sched, optimizer)


def _build_sched(sched: tuple, optimizer):
    name, kwargs = sched
    if name.startswith("get_"):
        import transformers.optimization

        return getattr(transformers.optimization, name)(optimizer, **kwargs)
    if name.endswith("LRScheduler"):
        from tests.timmref import timm_scheduler

        return getattr(timm_scheduler(), name)(optimizer, **kwargs)
    cls = getattr(torch.optim.lr_scheduler, name)
    kw = {k: _torch_value(k, v) for k, v in kwargs.items() if k != "schedulers"}
    if name == "ChainedScheduler":
        return cls([_build_sched(s, optimizer) for s in kwargs["schedulers"]])
    if name == "SequentialLR":
        kw["schedulers"] = [_build_sched(s, optimizer) for s in kwargs["schedulers"]]
    return cls(optimizer, **kw)


def torch_curve(opt_name: str, opt_kwargs: dict, groups: list[dict] | None, sched: tuple,
                steps: int, metric=None) -> tuple[np.ndarray, np.ndarray | None]:
    """lr per group and group-0 momentum after 0..steps-1 scheduler steps, from torch."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optimizer, scheduler = build(opt_name, opt_kwargs, groups, sched)
        key = MOMENTUM_KEY[opt_name]
        lrs, mom = [], []
        for k in range(steps):
            if k:
                optimizer.step()
                if sched[0] == "ReduceLROnPlateau":
                    scheduler.step(metric[k - 1])
                elif sched[0] == "PlateauLRScheduler":  # timm's loop: the count and metric
                    scheduler.step(k, metric[k - 1])
                elif sched[0].endswith("LRScheduler"):  # timm: the count is passed in
                    if sched[1].get("t_in_epochs", True):
                        scheduler.step(k)  # timm's loop: step(epoch + 1) after an epoch
                    else:
                        scheduler.step_update(k)  # ... step_update(num_updates)
                else:
                    scheduler.step()
            lrs.append([g["lr"] for g in optimizer.param_groups])
            g0 = optimizer.param_groups[0]
            if key:
                mom.append(g0["betas"][0] if key == "betas" else g0["momentum"])
    return np.array(lrs, dtype=float), (np.array(mom, dtype=float) if key else None)


def assert_close(ours: np.ndarray, ref: np.ndarray, scale: float, what: str) -> None:
    """The project's tolerance: |ours - torch| <= 1e-9*|torch| + 1e-12*(largest base lr)."""
    ours, ref = np.asarray(ours, float), np.asarray(ref, float)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != {ref.shape}"
    both_nan = np.isnan(ours) & np.isnan(ref)
    same_inf = np.isinf(ref) & (ours == ref)
    err = np.abs(ours - ref)
    bad = ~(both_nan | same_inf | (err <= 1e-9 * np.abs(ref) + 1e-12 * scale))
    if bad.any():
        k = int(np.argmax(bad))
        raise AssertionError(f"{what}: first mismatch at step {k}: ours {ours[k]!r}, torch "
                             f"{ref[k]!r} ({int(bad.sum())} steps differ)")
