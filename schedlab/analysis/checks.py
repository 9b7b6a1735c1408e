"""check_schedule: the classic learning-rate schedule mistakes, caught before a long run.

Each check reads the schedule's parameters against the run it will drive, or the curve
torch will produce (computed exactly). Known-good schedules (torch's documentation
examples, a ResNet StepLR, warmup + cosine) give no warnings: a false alarm is a defect.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from schedlab.analysis.length import calls_reached, restart_cycle
from schedlab.engine.cost import check_budget, estimate_curve
from schedlab.engine.curve import compute_curve
from schedlab.engine.cyclic import onecycle_total
from schedlab.errors import ScheduleError
from schedlab.spec.catalog import OPTIMIZERS
from schedlab.spec.horizon import check_steps, synthetic_metric
from schedlab.spec.params import MAX_COUNT
from schedlab.spec.schedule import Schedule, SchedulerSpec

SEVERITIES = ("error", "warning", "info")
NEAR_ZERO = 1e-4  # share of the peak lr below which the lr counts as zero
ZERO_SHARE = 0.5  # share of the run left once the lr is ~0 that deserves a warning
WARMUP_SHARE = 0.25  # share of the run a warmup may take before it is a warning
USUAL_LR = {"SGD": 1.0, "RMSprop": 0.1, "Adam": 1e-2, "AdamW": 1e-2, "NAdam": 1e-2,
            "RAdam": 1e-2, "Adamax": 5e-2, "SparseAdam": 1e-2, "Muon": 0.1}


@dataclass(frozen=True)
class Finding:
    severity: str  # "error", "warning" or "info"
    message: str  # one sentence: what is wrong
    fix: str  # one sentence: what to do
    start: int  # the scheduler steps concerned: start (inclusive) ...
    end: int  # ... to end (exclusive)
    code: str  # a short stable name, e.g. "cosine-rises"

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def check_schedule(schedule: Schedule, steps: int, steps_per_epoch: int | None = None,
                   step_per: str = "epoch", *, lr: np.ndarray | None = None) -> list[Finding]:
    """Findings for ``schedule`` driven by ``steps`` calls of ``scheduler.step()``, made
    once per ``step_per`` ("epoch" or "batch"), with ``steps_per_epoch`` batches an epoch
    (when known: it reveals horizons counted in the wrong unit). Errors first.

    ``lr``: the curve's lr column when the caller has it already (it is computed
    otherwise, with ``synthetic_metric`` for ReduceLROnPlateau)."""
    steps = check_steps(steps)
    if not isinstance(step_per, str) or step_per not in ("epoch", "batch"):
        raise ScheduleError("step_per must be 'epoch' or 'batch'", param="step_per")
    if steps_per_epoch is not None and (not isinstance(steps_per_epoch, int) or
                                        isinstance(steps_per_epoch, bool) or
                                        not 1 <= steps_per_epoch <= MAX_COUNT):
        raise ScheduleError("steps_per_epoch must be a whole number from 1 to 10**12",
                            param="steps_per_epoch")
    if not isinstance(schedule, Schedule):
        raise ScheduleError("check_schedule needs a Schedule (see parse_schedule)")
    if lr is not None:
        try:
            lr = np.asarray(lr, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise ScheduleError("lr must be the curve's lr values", param="lr") from None
        if lr.shape != (steps,):
            raise ScheduleError(f"lr has shape {lr.shape}; {steps} steps need {steps} values",
                                param="lr")
    if lr is None:  # a request too costly to compute is refused, not reported as a finding
        check_budget(estimate_curve(schedule, steps))
    ctx = _Run(schedule, steps, steps_per_epoch, step_per)
    found = list(_spec(schedule.scheduler, 0, steps, ctx, first=True, last=True))
    try:
        if lr is None:
            metric = synthetic_metric(steps) if schedule.scheduler.name == \
                "ReduceLROnPlateau" else None
            lr = compute_curve(schedule, steps, metric)["lr"].to_numpy()
        found += _curve(schedule, lr, found)
    except ScheduleError as exc:  # torch itself would fail on this run
        if not any(f.severity == "error" for f in found):
            found.append(Finding("error", str(exc), "Change the parameter it names.", 0,
                                 steps, "torch-raises"))
    found += _optimizer(schedule, steps)
    unique = {(f.code, f.start, f.message): f for f in found}
    return sorted(unique.values(), key=lambda f: (SEVERITIES.index(f.severity), f.start))


@dataclass
class _Run:
    schedule: Schedule
    steps: int
    per_epoch: int | None
    step_per: str

    def other_unit(self) -> tuple[int, str] | None:
        """The run's length in the unit it is *not* stepped in: (length, unit)."""
        if not self.per_epoch or self.per_epoch == 1:
            return None
        if self.step_per == "epoch":
            return self.steps * self.per_epoch, "batches"
        return max(1, self.steps // self.per_epoch), "epochs"


def _unit(ctx: _Run) -> str:
    return "epochs" if ctx.step_per == "epoch" else "steps"


def _spec(spec: SchedulerSpec, start: int, end: int, ctx: _Run, first: bool, last: bool):
    """Findings for ``spec`` driving rows start..end; ``last``: the run's final
    ``scheduler.step()`` reaches it (not so for a SequentialLR phase switched away from)."""
    kw, name, span = spec.args, spec.name, end - start
    unit = _unit(ctx)
    yield from _horizon(spec, start, end, ctx)
    if name == "CosineAnnealingLR" and kw["T_max"] < span - 1:
        t = kw["T_max"]
        yield Finding("warning", f"CosineAnnealingLR reaches eta_min after T_max={t} of the "
                      f"{span} {unit} it runs, then the lr rises again.",
                      f"Set T_max={span} to anneal over the whole run, or use "
                      "CosineAnnealingWarmRestarts if restarts are intended.",
                      start + t, end, "cosine-rises")
    elif name == "CosineAnnealingWarmRestarts":
        yield from _restarts(kw, start, end, unit)
    elif name == "OneCycleLR":
        total, calls = onecycle_total(kw), calls_reached(span, last)
        if calls > total:
            yield Finding("error", f"OneCycleLR has total_steps={total} but is stepped "
                          f"{calls} times in this run: torch raises 'Tried to step {total + 1} "
                          f"times' at scheduler.step() call {total + 1} and the run stops "
                          "there.", f"Set total_steps={calls} (or epochs and steps_per_epoch "
                          "that multiply to it).", min(start + total + 1, end - 1), end,
                          "onecycle-too-short")
        elif calls < 0.9 * total and not any(
                f.code == "horizon-unit" for f in _horizon(spec, start, end, ctx)):
            yield Finding("warning", f"OneCycleLR is sized for {total} steps but is stepped "
                          f"only {calls} times ({calls / total:.1%}), before the lr "
                          "anneals.", f"Set total_steps={calls} so the cycle ends with "
                          "the run.", start, end, "onecycle-never-anneals")
    elif name == "StepLR" and kw["step_size"] >= span:
        yield Finding("warning", f"StepLR's step_size={kw['step_size']} is at least the "
                      f"{span} {unit} it runs: the lr never decays.",
                      f"Use a step_size below {span} (e.g. {max(1, span // 3)}).",
                      start, end, "milestone-beyond")
    elif name in ("MultiStepLR", "SequentialLR"):
        yield from _milestones(spec, start, end, unit)
    if name in ("LinearLR", "ConstantLR"):
        yield from _warmup(spec, start, end, ctx, first)
    if name in ("CyclicLR", "OneCycleLR") and kw["cycle_momentum"]:
        yield from _cycle_momentum(spec, start, end, ctx)
    if name == "ReduceLROnPlateau" and ctx.step_per == "batch":
        yield Finding("info", "ReduceLROnPlateau is stepped per batch, so patience counts "
                      "batches and the metric must be one per batch.",
                      "Step it once per epoch with the validation loss, as usual.",
                      start, end, "plateau-per-batch")
    if name == "SequentialLR":
        marks = [start + m for m in kw["milestones"]]
        bounds = [start] + marks + [end]
        for i, child in enumerate(kw["schedulers"]):
            lo, hi = max(bounds[i], start), min(bounds[i + 1], end)
            if hi > lo:  # a phase switched away from at its milestone misses one call
                reached = last and (i == len(kw["schedulers"]) - 1 or bounds[i + 1] > end)
                yield from _spec(child, lo, hi, ctx, first=first and i == 0, last=reached)
    elif name == "ChainedScheduler":
        for child in kw["schedulers"]:
            yield from _spec(child, start, end, ctx, first, last)


def _horizon(spec: SchedulerSpec, start: int, end: int, ctx: _Run):
    """A length counted in batches but stepped per epoch, or the other way round."""
    other = ctx.other_unit()
    key = {"CosineAnnealingLR": "T_max", "OneCycleLR": "total_steps", "StepLR": "step_size",
           "CosineAnnealingWarmRestarts": "T_0", "PolynomialLR": "total_iters",
           "CyclicLR": "step_size_up"}.get(spec.name)
    value = _length(spec, key)
    if other is None or value is None:
        return
    span = end - start
    run_other = other[0] * span // ctx.steps
    shown = f"{key}={value:,}" if key in spec.kwargs else f"length ({value:,} steps)"
    if spec.name == "CyclicLR":  # a whole cycle, up and down, against the run
        value *= 2
    looks_other = 0.5 * run_other <= value <= 2 * run_other
    if ctx.step_per == "epoch" and looks_other and value >= 4 * span:
        yield Finding("warning", f"{spec.name}'s {shown} looks counted in "
                      f"batches ({span} epochs x {ctx.per_epoch} batches = {run_other:,}), but "
                      "scheduler.step() is called once per epoch.",
                      "Call scheduler.step() after every batch, or give the length in epochs.",
                      start, end, "horizon-unit")
    elif ctx.step_per == "batch" and looks_other and 4 * value <= span:
        yield Finding("warning", f"{spec.name}'s {shown} looks counted in "
                      f"epochs ({run_other} epochs), but scheduler.step() is called after "
                      "every batch.", "Call scheduler.step() once per epoch, or give the "
                      "length in batches.", start, end, "horizon-unit")


def _length(spec: SchedulerSpec, key: str | None) -> int | None:
    """The schedule's own length parameter (OneCycleLR's may be epochs x steps_per_epoch)."""
    if key is None:
        return None
    if spec.name == "OneCycleLR":
        return onecycle_total(spec.args)
    return spec.args.get(key)


def _restarts(kw: dict, start: int, end: int, unit: str):
    span = end - start
    cycle_start, length = restart_cycle(kw["T_0"], kw["T_mult"], span)
    done = span - cycle_start  # steps of the last cycle that run
    if done < length and done / length < 0.75:
        level = (1 + math.cos(math.pi * (done - 1) / length)) / 2
        yield Finding("warning", f"The run ends {done} {unit} into a {length}-{unit[:-1]} "
                      f"cycle of CosineAnnealingWarmRestarts, with the lr still at {level:.0%} "
                      "of its range.", f"End the run after {cycle_start + length} {unit}, or "
                      "choose T_0 and T_mult so a cycle ends with the run.",
                      start + cycle_start, end, "restart-cut")


def _milestones(spec: SchedulerSpec, start: int, end: int, unit: str):
    marks, span, name = list(spec.kwargs["milestones"]), end - start, spec.name
    late = sorted({m for m in marks if m >= span})
    if late:
        what = "those decays never happen" if name == "MultiStepLR" else \
            "the phases after them never run"
        yield Finding("warning", f"{name} milestone(s) {', '.join(map(str, late))} are at or "
                      f"beyond the end of the run ({span} {unit}): {what}.",
                      f"Keep milestones below {span}, or lengthen the run.",
                      start + min(late[0], span - 1), end, "milestone-beyond")
    if marks != sorted(marks):
        severity = "info" if name == "MultiStepLR" else "warning"
        yield Finding(severity, f"{name} milestones {marks} are not in increasing order.",
                      f"Write them sorted: {sorted(marks)}.", start, end,
                      "milestones-unsorted")
    twice = sorted(m for m, k in Counter(marks).items() if k > 1 and m < span)
    if twice:
        effect = "gamma is applied several times there" if name == "MultiStepLR" else \
            "a phase between them has no length"
        yield Finding("warning", f"{name} milestone(s) {', '.join(map(str, twice))} repeat: "
                      f"{effect}.", "Remove the repeated milestones.",
                      start + twice[0], start + twice[0] + 1, "milestones-repeat")


def _warmup(spec: SchedulerSpec, start: int, end: int, ctx: _Run, first: bool):
    kw, name = spec.args, spec.name
    if name == "LinearLR":
        s, e = kw["start_factor"], kw["end_factor"]
        if s >= e:
            return  # a linear decay, not a warmup
    t, span, run = kw["total_iters"], end - start, ctx.steps
    if first and t > WARMUP_SHARE * run:
        yield Finding("warning", f"The {name} warmup takes {t} of the run's {run} "
                      f"{_unit(ctx)} ({t / run:.0%}).", f"Keep warmup to a few percent of the "
                      f"run (e.g. total_iters={max(1, run // 20)}).", start, start + min(t, span),
                      "warmup-long")
    if name == "LinearLR" and kw["end_factor"] < 1 and first:
        yield Finding("warning", f"The LinearLR warmup ends at end_factor="
                      f"{kw['end_factor']:g} of the base lr: it never reaches the "
                      "base lr.", "Set end_factor=1.0.", start, start + min(t, span),
                      "warmup-short-of-base")
    parent = ctx.schedule.scheduler
    if first and parent.name == "SequentialLR" and parent.kwargs["schedulers"][0] is spec \
            and parent.kwargs["milestones"]:
        m = parent.kwargs["milestones"][0]
        if m < t:
            reached = _linear_level(kw, m - 1) if name == "LinearLR" else kw["factor"]
            yield Finding("warning", f"SequentialLR switches at milestone {m}, before the "
                          f"{name} warmup's total_iters={t}: the lr jumps from {reached:.0%} "
                          "to the next phase's start there.",
                          f"Set milestones=[{t}] (or total_iters={m}).", start + m - 1,
                          start + m + 1, "warmup-cut")
        elif m > t + 1:
            yield Finding("info", f"The lr holds at the warmup's end for {m - t} "
                          f"{_unit(ctx)} before SequentialLR's milestone {m}.",
                          f"Set milestones=[{t}] to start the next phase right after.",
                          start + t, start + m, "warmup-gap")


def _linear_level(kw: dict, k: int) -> float:
    s, e, t = kw["start_factor"], kw["end_factor"], kw["total_iters"]
    return s + (e - s) * min(max(k, 0), t) / t if t else e


def _cycle_momentum(spec: SchedulerSpec, start: int, end: int, ctx: _Run):
    opt = ctx.schedule.optimizer
    if OPTIMIZERS[opt.name].momentum == "momentum" and not opt.kwargs.get("momentum", 0):
        lo, hi = spec.args["base_momentum"], spec.args["max_momentum"]
        yield Finding("warning", f"{spec.name} has cycle_momentum=True, so it sets {opt.name}'s "
                      f"momentum to {lo}-{hi} although the optimizer was made without "
                      "momentum.", f"Set cycle_momentum=False to keep plain {opt.name}, or "
                      "give the optimizer a momentum.", start, end, "cycle-momentum")


def _curve(schedule: Schedule, lr: np.ndarray, found: list[Finding]):
    n = len(lr)
    bad = np.flatnonzero(~np.isfinite(lr))
    if len(bad):
        yield Finding("error", f"The lr becomes {lr[bad[0]]} at step {bad[0]} (a lambda or "
                      "factor gives NaN or infinity).", "Check lr_lambda and the factors for "
                      "divisions by zero and overflow.", int(bad[0]), n, "lr-not-finite")
        return
    negative = np.flatnonzero(lr < 0)
    if len(negative):
        yield Finding("error", f"The lr is negative from step {negative[0]} ({lr[negative[0]]:.3g})"
                      ": the optimizer would climb the loss.", "Make lr_lambda (or the "
                      "factors) non-negative.", int(negative[0]), n, "lr-negative")
    peak = float(lr.max())
    if n > 1 and np.all(lr == lr[0]) and not any(f.code == "milestone-beyond" for f in found):
        yield Finding("warning", f"The lr never changes over the {n} steps: the scheduler has "
                      "no effect in this run.", "Check the scheduler's length and factors "
                      "against the run.", 0, n, "lr-constant")
    elif peak > 0:
        high = np.flatnonzero(lr > NEAR_ZERO * peak)
        first = int(high[-1]) + 1 if len(high) else 0  # from here on, the lr is ~0
        if (n - first) / n > ZERO_SHARE:
            yield Finding("warning", f"The lr decays to nearly zero (under {NEAR_ZERO:g} of "
                          f"its peak) at step {first} and stays there for {(n - first) / n:.0%}"
                          " of the run.", "Decay less steeply (a larger gamma, a longer T_max)"
                          " or shorten the run.", first, n, "lr-near-zero")


def _optimizer(schedule: Schedule, steps: int):
    opt = schedule.optimizer
    usual = USUAL_LR.get(opt.name)
    lrs = [g.get("lr", opt.kwargs.get("lr")) for g in opt.groups or ({},)]
    lrs = [lr for lr in lrs if isinstance(lr, (int, float))]
    if usual and lrs and max(lrs) > usual:
        yield Finding("info", f"A base lr of {max(lrs):g} is high for {opt.name} (usually "
                      f"at most {usual:g}).", f"Check the lr; {opt.name} often diverges "
                      "above that.", 0, steps, "lr-unusual")
