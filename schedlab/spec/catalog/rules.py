"""Rules the registry's entries share: lengths read from a parameter, events at regular
steps, where a cosine restart cycle ends, and the checks several schedulers make (a
length in the wrong unit, milestones past the run, CyclicLR's momentum)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from schedlab.messages import Text
from schedlab.spec.catalog.base import MAX_EVENTS, Event, Finding, Run, entry, finding, unit
from schedlab.spec.catalog.optimizers import OPTIMIZERS

if TYPE_CHECKING:
    from schedlab.spec.specs import SchedulerSpec

def length_param(key: str) -> Callable[[SchedulerSpec, int], int]:
    """An entry's ``length``: the parameter that is the schedule's length."""
    return lambda spec, run: spec.args[key]


def unit_param(key: str, compared: int = 1) -> Callable[[dict], tuple[str, int, int]]:
    """An entry's ``unit_length``: the parameter a run's unit is judged by, compared with
    the run's length ``compared`` times over (a CyclicLR cycle is two step_size_up)."""
    return lambda args: (key, args[key], compared * args[key])


def ends_at(what: str) -> Callable[..., list[Event]]:
    """An entry's ``events``: one mark where total_iters ends (``what``: the key of the
    words, ``event.ends.<what>``)."""
    def events(spec: SchedulerSpec, offset: int, end: int, lr: Any) -> list[Event]:
        t = spec.args["total_iters"]
        return [Event(offset + t, "end", Text(f"event.ends.{what}", {"t": t}))]
    return events


def every(offset: int, end: int, period: int, first: int, kind: str, label: Text
          ) -> list[Event]:
    """An event every ``period`` rows from ``first`` on, within offset..end."""
    span = end - offset
    if period <= 0 or first >= span:
        return []
    count = min((span - first - 1) // period + 1, 10 * MAX_EVENTS)
    return [Event(offset + first + i * period, kind, label) for i in range(count)]


def onecycle_total(kw: dict) -> int:
    """OneCycleLR's length: total_steps, or epochs x steps_per_epoch when that is not given."""
    total = kw.get("total_steps")
    return kw["epochs"] * kw["steps_per_epoch"] if total is None else total


_MAX_CYCLES = 64  # cosine restart cycles walked at most (they grow geometrically)


def restart_cycle(t_0: int, t_mult: int, run: int) -> tuple[int, int]:
    """The restart cycle of CosineAnnealingWarmRestarts that holds call ``run``: where it
    starts and how long it is (so it ends at or after ``run``)."""
    if t_mult == 1:  # restarts at every multiple of T_0: no need to walk them
        return (run - 1) // t_0 * t_0 if t_0 < run else 0, t_0
    start, length = 0, t_0
    for _ in range(_MAX_CYCLES):  # cycles grow geometrically: few passes
        if start + length >= run:
            break
        start += length
        length *= t_mult
    return start, length


def calls_reached(rows: int, last: bool) -> int:
    """The highest count a scheduler's own step counter reaches over ``rows`` curve rows:
    ``rows`` when the run's last ``scheduler.step()`` reaches it (``last``), else
    ``rows - 1`` (a SequentialLR phase that is switched away from)."""
    return rows if last else rows - 1


def check_spec(spec: SchedulerSpec, start: int, end: int, run: Run, first: bool,
               last: bool) -> Iterator[Finding]:
    """Every finding for ``spec`` (and, through its entry, its children) over start..end:
    a length counted in the wrong unit, then the entry's own checks."""
    yield from unit_mismatch(spec, start, end, run)
    yield from entry(spec.name).checks(spec, start, end, run, first, last)


def unit_mismatch(spec: SchedulerSpec, start: int, end: int, run: Run) -> Iterator[Finding]:
    """A length counted in batches but stepped per epoch, or the other way round."""
    other = run.other_length()
    own = entry(spec.name).unit_length(spec.args)
    if other is None or own is None:
        return
    key, value, compared = own
    span = end - start
    run_other = other * span // run.steps
    shown = Text("finding.horizon-unit.shown.named", {"key": key, "value": value}) \
        if key in spec.kwargs else Text("finding.horizon-unit.shown.length", {"value": value})
    looks_other = 0.5 * run_other <= compared <= 2 * run_other
    if run.step_per == "epoch" and looks_other and compared >= 4 * span:
        yield finding("warning", "horizon-unit.batches", start, end, name=spec.name,
                      shown=shown, span=span, per_epoch=run.per_epoch, other=run_other)
    elif run.step_per == "batch" and looks_other and 4 * compared <= span:
        yield finding("warning", "horizon-unit.epochs", start, end, name=spec.name,
                      shown=shown, other=run_other)


def milestone_checks(spec: SchedulerSpec, start: int, end: int, run: Run,
                     late_effect: str, unsorted: str, repeat_effect: str
                     ) -> Iterator[Finding]:
    """Milestones beyond the run, out of order or repeated (MultiStepLR, SequentialLR);
    the effects are keys of ``finding.effect`` in the messages."""
    marks, span, name = list(spec.kwargs["milestones"]), end - start, spec.name
    late = sorted({m for m in marks if m >= span})
    if late:
        yield finding("warning", "milestone-beyond.milestones", start + min(late[0], span - 1),
                      end, name=name, late=", ".join(map(str, late)), span=span,
                      unit=unit(run), effect=Text(f"finding.effect.{late_effect}"))
    if marks != sorted(marks):
        yield finding(unsorted, "milestones-unsorted", start, end, name=name,
                      marks=str(marks), sorted=str(sorted(marks)))
    twice = sorted(m for m, k in Counter(marks).items() if k > 1 and m < span)
    if twice:
        yield finding("warning", "milestones-repeat", start + twice[0], start + twice[0] + 1,
                      name=name, twice=", ".join(map(str, twice)),
                      effect=Text(f"finding.effect.{repeat_effect}"))


def cycle_momentum_check(spec: SchedulerSpec, start: int, end: int, run: Run
                         ) -> Iterator[Finding]:
    """cycle_momentum=True on an optimizer made without momentum (CyclicLR, OneCycleLR)."""
    opt = run.schedule.optimizer
    if spec.args["cycle_momentum"] and OPTIMIZERS[opt.name].momentum == "momentum" and \
            not opt.kwargs.get("momentum", 0):
        lo, hi = spec.args["base_momentum"], spec.args["max_momentum"]
        yield finding("warning", "cycle-momentum", start, end, name=spec.name,
                      optimizer=opt.name, low=lo, high=hi)
