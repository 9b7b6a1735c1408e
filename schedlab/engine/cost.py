"""What a curve costs, estimated before any work starts, and the budget it must fit.

A classroom shares one server, and anyone can send anyone a link: no input may make it
compute for long or hold much memory. Every request is estimated from the schedule's
structure alone (steps x param groups x the work of each scheduler, plus what parameter
values add: the exact replay of a rising cosine, lambda sizes, stepping torch where no
fast model exists) and refused with a ScheduleError that says what to reduce when it
does not fit. The constants are seconds measured on a 2-core server (bench/limits_bench.py
measures estimate against actual for the worst cases); estimates err on the high side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from schedlab.errors import ScheduleError
from schedlab.spec.lambdas import Lambda
from schedlab.spec.schedule import Schedule, SchedulerSpec

BUDGET_SECONDS = 1.0  # the longest any accepted request may take
MAX_CELLS = 30_000_000  # values in one result table (8 bytes each: 240 MB)
WORKING_BYTES = 16 * 2**20  # memory for intermediates, whatever the number of steps

# seconds per unit of work, measured with `bench/limits_bench.py --calibrate` on a 2-core
# server and raised by a margin (x1.2 to x1.5): estimates must not under-count
CELL = 15e-9  # one value of the result, allocated fresh (page faults), filled and checked
STEP_FIXED = 10e-9  # one scheduler step, whatever the number of groups
STEP = {  # one scheduler step of one param group, model and solver together
    "StepLR": 7e-9, "MultiStepLR": 8e-9, "ExponentialLR": 8e-9, "PolynomialLR": 8e-9,
    "CosineAnnealingLR": 10e-9, "LambdaLR": 5e-9, "MultiplicativeLR": 9e-9,
    "ConstantLR": 7e-9, "LinearLR": 7e-9, "CyclicLR": 10e-9, "OneCycleLR": 13e-9,
    "CosineAnnealingWarmRestarts": 11e-9, "SequentialLR": 15e-9,
    "ChainedScheduler": 35e-9,  # per child: the children's updates are woven and applied
}
FAMILY_STEP = 80e-9  # one count of a transformers or timm model (its values computed once
# for all groups, then set: 35-55 ns measured, x1.5), per group
NOISE_DRAW = 8e-6  # one noisy count of timm's: a seeded torch generator (6 us measured)
NOISE_TRY = 3e-6  # each draw of it, until one falls under noise_pct (1.7-2.2 us measured)
ARRAY_OP = 1.5e-9  # one lambda array operation, per value
PY_CALL = 650e-9  # one Python-level call per value (round with ndigits)
LOOP = 320e-9  # one step of the solver's exact Python loop
NUMPY_CALL = 6e-6  # one numpy call on a short array, with its Python overhead
PLATEAU = 150e-9  # one step of ReduceLROnPlateau's replay
METRIC = 30e-9  # one value of the synthetic validation loss
TORCH_STEP = 3.5e-6  # one scheduler.step() of a real torch scheduler (the fallback)
TORCH_LAMBDA = 5e-6  # one call of a lambda from torch
TORCH_LAMBDA_OP = 1.4e-6  # one operation of that lambda, evaluated on a single value


@dataclass(frozen=True)
class Estimate:
    """What computing one curve takes: seconds, result values, and a chunk size that
    keeps intermediates within WORKING_BYTES."""

    seconds: float
    cells: int
    chunk: int
    steps: int
    why: str  # what makes it expensive, in words ("16 param groups", "stepping torch")

    @property
    def bytes(self) -> int:
        return self.cells * 8 + WORKING_BYTES


def estimate_curve(schedule: Schedule, steps: int) -> Estimate:
    """The cost of ``compute_curve(schedule, steps)``, from the schedule's structure."""
    groups = schedule.group_count
    spec = schedule.scheduler
    cells = steps * (groups + 2)  # lr per group, momentum, step
    seconds = cells * CELL + steps * STEP_FIXED
    if spec.info.needs_metric:  # torch's ReduceLROnPlateau, or timm's with its noise
        seconds += steps * (PLATEAU + METRIC)
        if not spec.info.torch:
            counts, tries = _noise_draws(spec.args, steps)
            seconds += counts * NOISE_DRAW + tries * NOISE_TRY
        return Estimate(seconds, cells, steps, steps, "ReduceLROnPlateau is replayed step "
                        "by step")
    if _needs_torch(spec):
        return estimate_torch(schedule, steps)
    seconds += _model(spec, steps, groups)
    per_step_bytes = 8 * groups * (6 * _stride(spec) + 3 * _depth(spec))
    chunk = int(min(1 << 18, max(1024, WORKING_BYTES // max(per_step_bytes, 1))))
    return Estimate(seconds, cells, chunk, steps, _expensive(spec, groups))


def estimate_torch(schedule: Schedule, steps: int) -> Estimate:
    """The cost of stepping the real torch objects for ``steps`` steps."""
    cells = steps * (schedule.group_count + 2)
    seconds = cells * CELL + steps * (STEP_FIXED + _torch_step(schedule.scheduler))
    return Estimate(seconds, cells, steps, steps, "this schedule is computed by stepping "
                    "torch itself, about a thousand times slower than schedlab's models")


def check_budget(estimate: Estimate) -> None:
    """Refuse, with what to reduce, an estimate beyond the budget."""
    if estimate.cells > MAX_CELLS:
        per = estimate.cells / estimate.steps
        fit = int(MAX_CELLS // per)
        raise ScheduleError(param="steps", code="error.budget.cells", params={
            "steps": estimate.steps, "columns": round(per), "cells": estimate.cells,
            "most": MAX_CELLS, "fit": fit})
    if estimate.seconds > BUDGET_SECONDS:
        fit = max(1, int(estimate.steps * BUDGET_SECONDS / estimate.seconds))
        raise ScheduleError(param="steps", code="error.budget.seconds", params={
            "seconds": estimate.seconds, "why": estimate.why, "most": BUDGET_SECONDS,
            "fit": fit})


def check_page(curves: list[Estimate]) -> None:
    """Several curves drawn together (a page and its comparisons): each within the budget
    on its own, and all of them together within the same time budget (they are computed
    one after another, so memory is one curve's)."""
    for estimate in curves:
        check_budget(estimate)
    total = sum(e.seconds for e in curves)
    if total > BUDGET_SECONDS:
        parts = ", ".join(f"{e.seconds:.1f} s" for e in curves)
        raise ScheduleError(param="compare", code="error.budget.page", params={
            "seconds": total, "count": len(curves), "parts": parts,
            "most": BUDGET_SECONDS})


def _needs_torch(spec: SchedulerSpec) -> bool:
    """Compositions the fast models do not cover (compose.build_sim raises Unsupported)."""
    children = spec.kwargs.get("schedulers") or ()
    if any(c.kwargs.get("schedulers") for c in children):
        return True  # a composite inside a composite
    marks = list(spec.kwargs.get("milestones") or ()) if children else []
    return marks != sorted(marks)


def _torch_step(spec: SchedulerSpec) -> float:
    """Seconds per step of the real torch objects: a SequentialLR steps its active phase,
    a ChainedScheduler every child; lambdas are called from torch value by value."""
    children = [_torch_step(c) for c in spec.kwargs.get("schedulers") or ()]
    total = TORCH_STEP + (max(children, default=0.0) if spec.name == "SequentialLR"
                          else sum(children))
    for f in _lambdas(spec):
        ops, calls, _ = f.size
        total += TORCH_LAMBDA + ops * TORCH_LAMBDA_OP + calls * PY_CALL
    return total


def _model(spec: SchedulerSpec, span: int, groups: int) -> float:
    """Seconds for the fast models and the solver over ``span`` steps."""
    kw = spec.args
    children = kw.get("schedulers") or ()
    if spec.name == "SequentialLR" and children:
        bounds = [0, *kw["milestones"], span]
        seconds = span * groups * STEP[spec.name]
        for i, child in enumerate(children):
            part = max(0, min(span, bounds[i + 1]) - min(span, bounds[i]))
            seconds += _model(child, part, groups) + NUMPY_CALL * groups * 10
        return seconds
    if children:  # ChainedScheduler: every child steps at every step; the solver runs
        # over all their updates in turn
        stride = len(children)
        return (span * groups * STEP[spec.name] * stride
                + sum(_model(c, span, groups) for c in children))
    if not spec.info.torch:
        counts, tries = _noise_draws(kw, span)
        return span * groups * FAMILY_STEP + counts * NOISE_DRAW + tries * NOISE_TRY
    seconds = span * groups * STEP.get(spec.name, 30e-9)
    for i, f in enumerate(_lambdas(spec)):
        ops, calls, _ = f.size
        per_group = isinstance(kw.get("lr_lambda"), tuple)
        times = 1 if spec.name == "CyclicLR" or per_group else groups  # scale_fn: once
        seconds += span * times * (ops * ARRAY_OP + calls * PY_CALL)
    if spec.name == "CosineAnnealingLR" and kw["eta_min"]:
        seconds += groups * _rising_cosine(kw["T_max"], span)
    return seconds


def _noise_draws(kw: dict, span: int) -> tuple[int, float]:
    """The noisy counts among the first ``span`` and the draws they take: each redraws
    until a value falls under noise_pct, on average 1 / P(|N(0, std)| < pct) times (at
    most 10,000, where the engine gives up)."""
    noise = kw.get("noise_range_t")
    if noise is None:
        return 0, 0.0
    start, end = (noise, span) if not isinstance(noise, tuple) else noise
    counts = max(0, min(end, span) - min(start, span))
    std, pct = kw["noise_std"], kw["noise_pct"]
    inside = 1.0 if std == 0 else math.erf(pct / (std * math.sqrt(2)))
    return counts, counts * min(10_000.0, 1 / max(inside, 1e-12))


def _rising_cosine(t: int, span: int) -> float:
    """The solver's exact replay of a cosine that rises again with eta_min > 0, where torch
    amplifies its own rounding. Its three strategies, as the solver prices them (it picks
    the cheapest): a loop over the rising steps, whole periods as a 2-D block (one numpy
    call per step of a period), or a loop over everything."""
    if span <= t + 1:
        return 0.0
    rising = (span - t) / 2
    periods = span / (2 * t)
    runs = rising * LOOP + 2 * periods * NUMPY_CALL
    block = 2.4 * t * (NUMPY_CALL + periods * 10e-9) if periods >= 1 else math.inf
    return min(runs, block, span * LOOP)


def _lambdas(spec: SchedulerSpec) -> list[Lambda]:
    out = []
    for key in ("lr_lambda", "scale_fn"):
        value = spec.kwargs.get(key)
        items = value if isinstance(value, tuple) else (value,)
        out += [f for f in items if isinstance(f, Lambda)]
    return out


def _stride(spec: SchedulerSpec) -> int:
    children = spec.kwargs.get("schedulers") or ()
    return len(children) if spec.name == "ChainedScheduler" else 1


def _depth(spec: SchedulerSpec) -> int:
    """The deepest lambda: its evaluation holds that many arrays at once."""
    depths = [f.size[2] for f in _lambdas(spec)]
    depths += [_depth(c) for c in spec.kwargs.get("schedulers") or ()]
    return max(depths, default=0)


def _expensive(spec: SchedulerSpec, groups: int) -> str:
    parts = []
    if groups > 1:
        parts.append(f"{groups} param groups")
    children = spec.kwargs.get("schedulers") or ()
    if children:
        parts.append(f"{len(children)} schedulers in {spec.name}")
    sizes = [f.size[0] for f in _lambdas(spec)]
    for c in children:
        sizes += [f.size[0] for f in _lambdas(c)]
    if sizes and max(sizes) > 30:
        parts.append(f"a lambda of {max(sizes)} operations")
    if any(f.size[1] for f in _lambdas(spec)):
        parts.append("round(x, n) is exact decimal rounding, value by value")
    if any(s.name == "CosineAnnealingLR" and s.args["eta_min"] for s in (spec, *children)):
        parts.append("a cosine that rises again with eta_min > 0 is replayed step by step "
                     "to match torch's rounding")
    return ", ".join(parts) or "the number of steps"
