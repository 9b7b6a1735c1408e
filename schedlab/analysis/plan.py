"""The training plan behind "steps per epoch": how many optimizer steps a trainer takes.

A schedule's length is counted in optimizer steps, and the mistakes people report most come
from computing that count by hand: gradient accumulation or the number of devices
forgotten, ``drop_last`` ignored, ``warmup_ratio`` rounded another way. ``TrainingPlan``
computes it the way HuggingFace's Trainer does on accelerate (the arithmetic of
``Trainer.set_initial_training_values`` and ``TrainingArguments.get_warmup_steps``, and
the length of accelerate's sharded batch sampler), each step with its formula in words,
so a page can show how the number came about.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from schedlab.errors import ConfigError
from schedlab.messages import Text

MOST = 10**12  # samples, batches, devices or steps: anything larger is a typo


@dataclass(frozen=True)
class TrainingPlan:
    """A run as a trainer is told about it. ``max_steps`` > 0 wins over ``epochs``, as in
    the Trainer; ``warmup`` is a count of steps (>= 1) or a share of them (< 1)."""

    dataset_size: int
    batch_size: int  # per device
    devices: int = 1
    accumulation: int = 1  # gradient_accumulation_steps
    drop_last: bool = False
    epochs: float = 3.0  # num_train_epochs
    max_steps: int = -1
    warmup: float = 0.0  # warmup_steps, or warmup_ratio when below 1

    def __post_init__(self) -> None:
        for key in ("dataset_size", "batch_size", "devices", "accumulation"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MOST:
                raise ConfigError(code="error.plan.whole", param=key,
                                  params={"key": key, "value": value, "most": MOST})
        if not (isinstance(self.max_steps, int) and self.max_steps <= MOST):
            raise ConfigError(code="error.plan.whole", param="max_steps", params={
                "key": "max_steps", "value": self.max_steps, "most": MOST})
        if self.max_steps <= 0 and not (0 < self.epochs <= MOST):
            raise ConfigError(code="error.plan.epochs", param="epochs",
                              params={"value": self.epochs})
        if not 0 <= self.warmup <= MOST:
            raise ConfigError(code="error.plan.warmup", param="warmup",
                              params={"value": self.warmup})
        if self.batches_per_device == 0:
            raise ConfigError(code="error.plan.no-batch", param="batch_size", params={
                "size": self.dataset_size, "batch": self.batch_size,
                "devices": self.devices})

    @property
    def batches(self) -> int:
        """Batches of the whole dataset (``len`` of the un-sharded loader)."""
        whole, rest = divmod(self.dataset_size, self.batch_size)
        return whole if self.drop_last else whole + (rest > 0)

    @property
    def batches_per_device(self) -> int:
        """``len(train_loader)`` on each device: accelerate deals the batches out in turn,
        and every device gets as many as the first (the last ones repeat the start) unless
        drop_last drops the uneven end."""
        whole, rest = divmod(self.batches, self.devices)
        return whole if self.drop_last or not rest else whole + 1

    @property
    def steps_per_epoch(self) -> int:
        """Optimizer steps per epoch: a step every ``accumulation`` batches, the last
        partial group included (the Trainer steps at the epoch's end), at least one."""
        whole, rest = divmod(self.batches_per_device, self.accumulation)
        return max(whole + (rest > 0), 1)

    @property
    def total_steps(self) -> int:
        """The optimizer steps of the run: ``max_steps``, else epochs x steps per epoch
        rounded up (a fractional epoch is a share of its steps)."""
        if self.max_steps > 0:
            return self.max_steps
        return math.ceil(self.epochs * self.steps_per_epoch)

    @property
    def warmup_steps(self) -> int:
        """``warmup_steps`` as given (>= 1), else that share of the run, rounded up."""
        if self.warmup >= 1:
            return int(self.warmup)
        return math.ceil(self.total_steps * self.warmup)

    def forgotten(self, length: int) -> str | None:
        """What a schedule of ``length`` optimizer steps left out of the plan, if it fits
        the run only without it: "accumulation", "devices" or "both" (each step then
        counted as a batch of one device); None when it fits, or fits no such plan."""
        if length == self.total_steps:
            return None
        for what, changes in (("accumulation", {"accumulation": 1}),
                              ("devices", {"devices": 1}),
                              ("both", {"accumulation": 1, "devices": 1})):
            if length == replace(self, **changes).total_steps:
                return what
        return None

    def explained(self) -> list[Text]:
        """How each number came about, one line each, to show beside the run."""
        return [
            Text("plan.batches-" + ("floor" if self.drop_last else "ceil"), {
                "size": self.dataset_size, "batch": self.batch_size, "batches": self.batches}),
            Text("plan.per-device", {"batches": self.batches, "devices": self.devices,
                                     "per": self.batches_per_device}),
            Text("plan.steps", {"per": self.batches_per_device, "acc": self.accumulation,
                                "steps": self.steps_per_epoch}),
            Text("plan.total-max" if self.max_steps > 0 else "plan.total", {
                "epochs": self.epochs, "steps": self.steps_per_epoch,
                "total": self.total_steps}),
            Text("plan.warmup-steps" if self.warmup >= 1 else "plan.warmup-ratio", {
                "ratio": self.warmup, "total": self.total_steps,
                "warmup": self.warmup_steps}),
        ]
