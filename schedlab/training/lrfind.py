"""The learning-rate range test on MNIST, as a generator of events (the CLI prints them as
JSON lines; a worker stores them like a training run's).

The optimizer given is built on the model, then for each of ``steps`` batches every param
group's lr is set to the swept lr (times the group's own lr over the first group's, so
per-layer ratios are kept) before ``optimizer.step()``. The loss of each batch is smoothed
(``schedlab.analysis.rangetest``) and the sweep stops early once it diverges.

Events (plain dicts, JSON-ready):
  start   device, data, model, steps, start_lr, end_lr, mode, batch_size
  notice  message (device fallback, offline data)
  step    step (from 0), lr (the first group's, used by this step), loss, smoothed
  done    status ("done" or "stopped"), suggestions {steepest, min_div_10}, stopped_early,
          steps (taken), best_loss and best_lr (of the smoothed loss), device, data, elapsed
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np
import torch

from schedlab.analysis.rangetest import MODES, Smoother, suggest, sweep
from schedlab.engine.oracle import build_optimizer
from schedlab.errors import ConfigError
from schedlab.spec.schedule import OptimizerSpec
from schedlab.training.data import load_digits
from schedlab.training.loop import (DEVICES, MODELS, Learner, Settings, batches_per_epoch,
                                    check_trainable, pick_device)
from schedlab.training.models import build_model, param_groups

MAX_SWEEP_STEPS = 10_000
MAX_LR = 1e6


@dataclass(frozen=True)
class RangeTest(Settings):
    """What one sweep does; every field is checked when it is made."""

    start_lr: float = 1e-7
    end_lr: float = 10.0
    steps: int = 100  # optimizer steps (batches), unless it stops early
    mode: str = "exp"  # "exp" (a constant factor per step) or "linear"
    data: str = "auto"  # as TrainConfig.data
    model: str = "cnn"
    batch_size: int = 64
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        self._check((("steps", 2, MAX_SWEEP_STEPS), ("batch_size", 1, 65536),
                     ("seed", 0, 2**32 - 1)), ())
        for name in ("start_lr", "end_lr"):
            value = getattr(self, name)
            if value is None:
                raise ConfigError(param=name, code="error.lrfind.missing", params={
                    "name": name, "most": MAX_LR})
            if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                    not math.isfinite(value) or not 0 < value <= MAX_LR:
                raise ConfigError(param=name, code="error.lrfind.lr", params={
                    "name": name, "most": MAX_LR, "value": f"{value!r:.30}"})
        if self.end_lr <= self.start_lr:
            raise ConfigError(param="end_lr", code="error.lrfind.order", params={
                "start": self.start_lr, "end": self.end_lr})
        self._check((), (("mode", MODES), ("model", MODELS), ("device", DEVICES)))


def lr_find(optimizer: OptimizerSpec, test: RangeTest,
            stop: Callable[[], bool] = lambda: False) -> Iterator[dict[str, Any]]:
    """Run the sweep, yielding events as they happen; ``stop()`` is asked before every
    batch."""
    check_trainable(optimizer)
    began = time.perf_counter()
    torch.manual_seed(test.seed)
    device, notice = pick_device(test.device)
    digits = load_digits(test.data)
    model = build_model(test.model).to(device)
    torch_optimizer = build_optimizer(optimizer, param_groups(model, optimizer.group_count))
    base = [g["lr"] for g in torch_optimizer.param_groups]
    ratios = [lr / base[0] if base[0] else 1.0 for lr in base]
    lrs = sweep(test.start_lr, test.end_lr, test.steps, test.mode)
    yield {"event": "start", "device": str(device), "data": digits.name, "model": test.model,
           "steps": test.steps, "start_lr": test.start_lr, "end_lr": test.end_lr,
           "mode": test.mode, "batch_size": test.batch_size}
    for message in (notice, digits.note):
        if message:
            yield {"event": "notice", "message": message}
    learner = Learner(model, torch_optimizer, digits, device)
    shuffle = torch.Generator().manual_seed(test.seed)
    per_epoch = batches_per_epoch(len(digits.train_x), test.batch_size)
    smoother, smoothed, status, early = Smoother(), [], "done", False
    order = torch.randperm(len(digits.train_x), generator=shuffle)
    model.train()
    for step, lr in enumerate(lrs):
        if stop():
            status = "stopped"
            break
        b = step % per_epoch
        if b == 0 and step:  # a new pass over the data, freshly shuffled
            order = torch.randperm(len(digits.train_x), generator=shuffle)
        for group, ratio in zip(torch_optimizer.param_groups, ratios):
            group["lr"] = float(lr) * ratio
        loss, moved = learner.batch(order[b * test.batch_size:(b + 1) * test.batch_size])
        if moved:
            yield {"event": "notice", "message": moved}
        smoothed.append(smoother.add(loss))
        yield {"event": "step", "step": step, "lr": float(lr), "loss": _number(loss),
               "smoothed": _number(smoothed[-1])}
        if smoother.diverged(smoothed[-1]):
            early = step < test.steps - 1
            break
    taken = len(smoothed)
    values = np.array(smoothed, float)
    finite = np.isfinite(values)
    best = int(np.argmin(np.where(finite, values, np.inf))) if finite.any() else None
    yield {"event": "done", "status": status,
           "suggestions": suggest(lrs[:taken], values, test.mode),
           "stopped_early": early, "steps": taken,
           "best_loss": None if best is None else float(values[best]),
           "best_lr": None if best is None else float(lrs[best]),
           "device": str(learner.device), "data": digits.name,
           "elapsed": time.perf_counter() - began}


def _number(value: float) -> float | None:
    """A loss as JSON can hold it: None for NaN or infinity (the sweep stops there)."""
    return value if math.isfinite(value) else None
