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

from schedlab.cyclic import onecycle_total
from schedlab.schedule import SchedulerSpec

# Cosine restart cycles walked at most (they grow geometrically when T_mult > 1).
_MAX_CYCLES = 64


def natural_length(spec: SchedulerSpec, run: int = 1) -> int | None:
    """Calls of ``scheduler.step()`` after which ``spec`` has played out whole, or None
    when it has no length of its own (StepLR, ExponentialLR, LambdaLR, CyclicLR, ...).

    ``run``: the run's current length in calls; a schedule that restarts is made to end
    where a restart cycle ends, at or after it."""
    kw, name = spec.kwargs, spec.name
    if name == "OneCycleLR":
        return onecycle_total(kw)
    if name == "CosineAnnealingLR":
        return kw["T_max"]
    if name in ("LinearLR", "ConstantLR", "PolynomialLR"):
        return kw.get("total_iters", 5)
    if name == "CosineAnnealingWarmRestarts":
        return _restart_end(kw["T_0"], kw.get("T_mult", 1), max(1, run))
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
