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

from schedlab.curve import MAX_STEPS
from schedlab.cyclic import onecycle_total
from schedlab.horizon import Horizon
from schedlab.schedule import SchedulerSpec

_MAX_CYCLES = 64  # cosine restart cycles walked at most (they grow geometrically)
EPOCHS_AT_MOST = 1000  # a pasted length beyond this is taken to count batches
PER_BATCH = ("OneCycleLR", "CyclicLR")  # schedulers made to be stepped after every batch


def natural_length(spec: SchedulerSpec, run: int = 1) -> int | None:
    """Calls of ``scheduler.step()`` after which ``spec`` has played out whole, or None
    when it has no length of its own (StepLR, ExponentialLR, LambdaLR, CyclicLR, ...).

    ``run``: the run's current length in calls; a schedule that restarts is made to end
    where a restart cycle ends, at or after it."""
    kw, name = spec.args, spec.name
    if name == "OneCycleLR":
        return onecycle_total(kw)
    if name == "CosineAnnealingLR":
        return kw["T_max"]
    if name in ("LinearLR", "ConstantLR", "PolynomialLR"):
        return kw["total_iters"]
    if name == "CosineAnnealingWarmRestarts":
        return _restart_end(kw["T_0"], kw["T_mult"], max(1, run))
    if name == "SequentialLR":
        marks = kw["milestones"]
        last = natural_length(kw["schedulers"][-1], max(1, run - (marks[-1] if marks else 0)))
        return None if last is None or list(marks) != sorted(marks) else \
            (marks[-1] if marks else 0) + last
    if name == "ChainedScheduler":
        lengths = [natural_length(child, run) for child in kw["schedulers"]]
        known = [n for n in lengths if n is not None]
        return max(known) if known else None
    return None


def _restart_end(t_0: int, t_mult: int, run: int) -> int:
    """The end of the first restart cycle that ends at or after ``run`` calls."""
    if t_mult == 1:
        return -(-run // t_0) * t_0
    end, length = t_0, t_0
    for _ in range(_MAX_CYCLES):
        if end >= run:
            break
        length *= t_mult
        end += length
    return end


def calls_reached(rows: int, last: bool) -> int:
    """The highest count a scheduler's own step counter reaches over ``rows`` curve rows:
    ``rows`` when the run's last ``scheduler.step()`` reaches it (``last``), else
    ``rows - 1`` (a SequentialLR phase that is switched away from)."""
    return rows if last else rows - 1


def fit_horizon(spec: SchedulerSpec, horizon: Horizon, in_batches: bool = False
                ) -> tuple[Horizon, str | None]:
    """The run over which a pasted scheduler is drawn whole, and a sentence saying what
    changed (None when it has no length of its own, or the run already fits it).

    A length over ``EPOCHS_AT_MOST`` is counted in batches, as is any length when the run
    is already stepped per batch, the scheduler is made to be (OneCycleLR, CyclicLR), or
    the paste counted in batches itself (``in_batches``: ``len(train_loader)``)."""
    length = natural_length(spec, horizon.scheduler_steps)
    if length is None or length == horizon.scheduler_steps:
        return horizon, None
    if length > MAX_STEPS:
        return horizon, (f"This schedule plays out over {length:,} steps, more than the "
                         f"{MAX_STEPS:,} the explorer draws: the run is left as it was.")
    per_batch = in_batches or horizon.step_per == "batch" or length > EPOCHS_AT_MOST or \
        spec.name in PER_BATCH
    if not per_batch:
        fitted = Horizon(length, horizon.steps_per_epoch, "epoch")
        return fitted, (f"Drawn over the schedule's own length: {length:,} epochs, "
                        "scheduler.step() once per epoch.")
    if spec.name == "OneCycleLR" and spec.args["total_steps"] is None:
        epochs, per_epoch = spec.args["epochs"], spec.args["steps_per_epoch"]
    else:
        per_epoch = _nearest_divisor(length, horizon.steps_per_epoch)
        epochs = length // per_epoch
    fitted = Horizon(epochs, per_epoch, "batch")
    return fitted, (f"Drawn over the schedule's own length: {length:,} steps ({epochs:,} "
                    f"epoch{'s' if epochs != 1 else ''} x {per_epoch:,} steps), "
                    "scheduler.step() after every batch.")


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
