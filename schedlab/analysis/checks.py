"""check_schedule: the classic learning-rate schedule mistakes, caught before a long run.

Each check reads the schedule's parameters against the run it will drive (the checks
specific to a scheduler live in its registry entry), or the curve torch will produce
(computed exactly). Known-good schedules (torch's documentation
examples, a ResNet StepLR, warmup + cosine) give no warnings: a false alarm is a defect.
"""

from __future__ import annotations

import numpy as np

from schedlab.engine.cost import check_budget, estimate_curve
from schedlab.engine.curve import compute_curve
from schedlab.errors import ScheduleError
from schedlab.spec.catalog import Finding, Run, entry
from schedlab.spec.catalog.base import finding
from schedlab.spec.catalog.rules import check_spec
from schedlab.spec.horizon import check_steps, synthetic_metric
from schedlab.spec.params import MAX_COUNT
from schedlab.spec.schedule import Schedule

__all__ = ["Finding", "SEVERITIES", "check_schedule"]

SEVERITIES = ("error", "warning", "info")
NEAR_ZERO = 1e-4  # share of the peak lr below which the lr counts as zero
ZERO_SHARE = 0.5  # share of the run left once the lr is ~0 that deserves a warning
USUAL_LR = {"SGD": 1.0, "RMSprop": 0.1, "Adam": 1e-2, "AdamW": 1e-2, "NAdam": 1e-2,
            "RAdam": 1e-2, "Adamax": 5e-2, "SparseAdam": 1e-2, "Muon": 0.1}


def check_schedule(schedule: Schedule, steps: int, steps_per_epoch: int | None = None,
                   step_per: str = "epoch", *, lr: np.ndarray | None = None) -> list[Finding]:
    """Findings for ``schedule`` driven by ``steps`` calls of ``scheduler.step()``, made
    once per ``step_per`` ("epoch" or "batch"), with ``steps_per_epoch`` batches an epoch
    (when known: it reveals horizons counted in the wrong unit). Errors first.

    ``lr``: the curve's lr column when the caller has it already (it is computed
    otherwise, with ``synthetic_metric`` for ReduceLROnPlateau)."""
    steps = check_steps(steps)
    if not isinstance(step_per, str) or step_per not in ("epoch", "batch"):
        raise ScheduleError(param="step_per", code="error.check.step-per")
    if steps_per_epoch is not None and (not isinstance(steps_per_epoch, int) or
                                        isinstance(steps_per_epoch, bool) or
                                        not 1 <= steps_per_epoch <= MAX_COUNT):
        raise ScheduleError(param="steps_per_epoch", code="error.check.steps-per-epoch")
    if not isinstance(schedule, Schedule):
        raise ScheduleError(code="error.check.schedule")
    if lr is not None:
        try:
            lr = np.asarray(lr, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            raise ScheduleError(param="lr", code="error.check.lr") from None
        if lr.shape != (steps,):
            raise ScheduleError(param="lr", code="error.check.lr-shape", params={
                "shape": str(lr.shape), "steps": steps})
    if lr is None:  # a request too costly to compute is refused, not reported as a finding
        check_budget(estimate_curve(schedule, steps))
    run = Run(schedule, steps, steps_per_epoch, step_per)
    found = list(check_spec(schedule.scheduler, 0, steps, run, first=True, last=True))
    try:
        if lr is None:
            metric = synthetic_metric(steps) if entry(schedule.scheduler.name).needs_metric \
                else None
            lr = compute_curve(schedule, steps, metric)["lr"].to_numpy()
        found += _curve(schedule, lr, found)
    except ScheduleError as exc:  # torch itself would fail on this run
        if not any(f.severity == "error" for f in found):
            found.append(finding("error", "torch-raises", 0, steps, error=exc.text))
    found += _optimizer(schedule, steps)
    unique = {(f.code, f.start, f.message): f for f in found}
    return sorted(unique.values(), key=lambda f: (SEVERITIES.index(f.severity), f.start))


def _curve(schedule: Schedule, lr: np.ndarray, found: list[Finding]):
    n = len(lr)
    bad = np.flatnonzero(~np.isfinite(lr))
    if len(bad):
        yield finding("error", "lr-not-finite", int(bad[0]), n, value=str(lr[bad[0]]),
                      step=int(bad[0]))
        return
    negative = np.flatnonzero(lr < 0)
    if len(negative):
        yield finding("error", "lr-negative", int(negative[0]), n, step=int(negative[0]),
                      value=float(lr[negative[0]]))
    peak = float(lr.max())
    if n > 1 and lr[0] == 0 and peak > 0:  # a warmup from 0 (transformers' own, #34754)
        idle = int(np.argmax(lr != 0))
        yield finding("info", "first-steps-zero", 0, idle, count=idle)
    if n > 1 and np.all(lr == lr[0]) and not any(f.code == "milestone-beyond" for f in found) \
            and not entry(schedule.scheduler.name).holds:  # a constant schedule means it
        yield finding("warning", "lr-constant", 0, n, n=n)
    elif peak > 0:
        high = np.flatnonzero(lr > NEAR_ZERO * peak)
        first = int(high[-1]) + 1 if len(high) else 0  # from here on, the lr is ~0
        if (n - first) / n > ZERO_SHARE:
            yield finding("warning", "lr-near-zero", first, n, near=NEAR_ZERO, step=first,
                          share=(n - first) / n)


def _optimizer(schedule: Schedule, steps: int):
    opt = schedule.optimizer
    usual = USUAL_LR.get(opt.name)
    lrs = [g.get("lr", opt.kwargs.get("lr")) for g in opt.groups or ({},)]
    lrs = [lr for lr in lrs if isinstance(lr, (int, float))]
    if usual and lrs and max(lrs) > usual:
        yield finding("info", "lr-unusual", 0, steps, lr=max(lrs), optimizer=opt.name,
                      usual=usual)
