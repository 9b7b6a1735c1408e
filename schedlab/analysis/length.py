"""How long a schedule is, in calls of ``scheduler.step()``: the one place that knows.

Two questions, asked by the checks, the explorer, the Train page and the command line:

* ``natural_length``: after how many calls a schedule has played out whole (a cosine
  reaches eta_min, a warmup and its decay end), so the explorer can draw it whole;
* ``calls_reached``: how far a (possibly nested) scheduler's own counter gets in a run of
  N calls.  torch's loop calls ``scheduler.step()`` after *every* optimizer step, the last
  one included, so OneCycleLR needs ``total_steps >= N`` for N optimizer steps stepped per
  batch; a phase of SequentialLR that is switched away from is stepped one call less.
"""

from __future__ import annotations

import math

from schedlab.messages import Text
from schedlab.spec.catalog import WARMUP, entry
from schedlab.spec.catalog.rules import calls_reached, restart_cycle
from schedlab.spec.horizon import MAX_STEPS, Horizon
from schedlab.spec.schedule import SchedulerSpec

__all__ = ["EPOCHS_AT_MOST", "calls_reached", "fit_horizon", "natural_length",
           "restart_cycle"]
EPOCHS_AT_MOST = 1000  # a pasted length beyond this is taken to count batches


def natural_length(spec: SchedulerSpec, run: int = 1) -> int | None:
    """Calls of ``scheduler.step()`` after which ``spec`` has played out whole, or None
    when it has no length of its own (StepLR, ExponentialLR, LambdaLR, CyclicLR, ...) or
    is only a warmup (a rising LinearLR, a ConstantLR: what follows it is the run).

    ``run``: the run's current length in calls; a schedule that restarts is made to end
    where a restart cycle ends, at or after it."""
    length = entry(spec.name).length(spec, max(1, run))
    return None if length is WARMUP or not length else length


def fit_horizon(spec: SchedulerSpec, horizon: Horizon, in_batches: bool = False,
                told: str | None = None) -> tuple[Horizon, Text | None]:
    """The run over which a pasted scheduler is drawn whole, and a sentence saying what
    changed (None when it has no length of its own, or the run already fits it). Never
    raises: a length the explorer cannot draw leaves the run as it was, and says so.

    A length over ``EPOCHS_AT_MOST`` is counted in batches, as is any length when the run
    is already stepped per batch, the scheduler is made to be (OneCycleLR, CyclicLR), or
    the paste counted in batches itself (``in_batches``: it used ``len(train_loader)``,
    which stands for the run's steps per epoch, so those stay as they are). ``told``:
    "batch" or "epoch" when the code says how it is stepped (Lightning's interval), which
    then decides."""
    length = natural_length(spec, horizon.scheduler_steps)
    if length is None or length == horizon.scheduler_steps:
        return horizon, None
    if length > MAX_STEPS:
        return horizon, Text("note.fit.too-long", {"length": length, "most": MAX_STEPS})
    per_epoch = horizon.steps_per_epoch
    per_batch = in_batches or horizon.step_per == "batch" or length > EPOCHS_AT_MOST or \
        entry(spec.name).made_per_batch(spec.args) or length * per_epoch > MAX_STEPS
    if told is not None and length * per_epoch <= MAX_STEPS:
        per_batch = told == "batch"
    if not per_batch:
        return Horizon(length, per_epoch, "epoch"), Text("note.fit.epochs", {
            "epochs": _count(length, "epoch")})
    left = 0
    if in_batches:  # whole epochs of len(train_loader) batches
        epochs, left = max(1, length // per_epoch), length % per_epoch
        per_epoch = min(per_epoch, length)
    elif own := _own_epochs(spec):  # OneCycleLR sized by its own epochs and steps_per_epoch
        epochs, per_epoch = own
    else:
        per_epoch = _nearest_divisor(length, per_epoch)
        epochs = length // per_epoch
    note = Text("note.fit.batches", {
        "steps": _count(epochs * per_epoch, "step"), "epochs": _count(epochs, "epoch"),
        "per_epoch": _count(per_epoch, "step"),
        "left": Text("note.fit.left", {"left": _count(left, "step")}) if left else ""})
    return Horizon(epochs, per_epoch, "batch"), note


def _own_epochs(spec: SchedulerSpec) -> tuple[int, int] | None:
    """The epochs and steps per epoch a scheduler is sized by, when that is its length."""
    args = spec.args
    if args.get("total_steps") is None and args.get("epochs") and args.get("steps_per_epoch"):
        return args["epochs"], args["steps_per_epoch"]
    return None


def _count(n: int, unit: str) -> Text:
    return Text(f"count.{unit}{'' if n == 1 else 's'}", {"n": n})


def _nearest_divisor(n: int, target: int) -> int:
    """The divisor of ``n`` closest to ``target`` (by ratio): the steps per epoch that
    keep the run's epochs whole while changing the batches per epoch least."""
    best, root = 1, math.isqrt(n)
    for d in range(1, root + 1):
        if n % d:
            continue
        for c in (d, n // d):
            if abs(math.log(c / target)) < abs(math.log(best / target)):
                best = c
    return best
