"""Composites: SequentialLR (one scheduler after another) and ChainedScheduler (together).

Their rules ask each child's own entry: a composite knows no scheduler by name."""

from __future__ import annotations

from schedlab.messages import Text
from schedlab.spec.catalog.base import WARMUP, Event, entry, scheduler
from schedlab.spec.catalog.rules import check_spec, milestone_checks
from schedlab.spec.params import Param


def _child_length(child, run: int):
    return entry(child.name).length(child, run)


def _sequential_length(spec, run):
    marks = list(spec.args["milestones"])
    if marks != sorted(marks):
        return None
    start = marks[-1] if marks else 0
    last = _child_length(spec.args["schedulers"][-1], max(1, run - start))
    return None if last is None or last is WARMUP else start + last


def _chained_length(spec, run):  # every part must end; warmups alongside do not count
    children = spec.args["schedulers"]
    ends = [n for n in (_child_length(c, run) for c in children) if n is not WARMUP]
    restarts = sum(entry(c.name).restarts for c in children)
    if None in ends or not ends or (restarts and len(ends) > 1):
        return None  # unbounded, or restart cycles that end at different steps
    return max(ends)


def _sequential_events(spec, offset, end, lr):
    marks = list(spec.args["milestones"])
    out = []
    starts, stops = [0] + marks, marks + [end - offset]
    for i, child in enumerate(spec.args["schedulers"]):
        if i:
            out.append(Event(offset + marks[i - 1], "phase",
                             Text("event.phase", {"i": i + 1, "name": child.name})))
        lo, hi = offset + starts[i], min(offset + stops[i], end)
        out += [e for e in entry(child.name).events(child, lo, hi, lr) if lo <= e.step < hi]
    return out


def _chained_events(spec, offset, end, lr):
    return [e for child in spec.args["schedulers"]
            for e in entry(child.name).events(child, offset, end, lr)]


def _sequential_checks(spec, start, end, run, first, last):
    yield from milestone_checks(spec, start, end, run, "phases-never-run", "warning",
                                "phase-without-length")
    children = spec.args["schedulers"]
    bounds = [start] + [start + m for m in spec.args["milestones"]] + [end]
    for i, child in enumerate(children):
        lo, hi = max(bounds[i], start), min(bounds[i + 1], end)
        if hi > lo:  # a phase switched away from at its milestone misses one call
            reached = last and (i == len(children) - 1 or bounds[i + 1] > end)
            yield from check_spec(child, lo, hi, run, first=first and i == 0, last=reached)


def _chained_checks(spec, start, end, run, first, last):
    for child in spec.args["schedulers"]:
        yield from check_spec(child, start, end, run, first, last)


def _sequential_fit(kw, f):
    return {"schedulers": (("LinearLR", {"start_factor": 0.1, "total_iters": f.warmup}),
                           ("CosineAnnealingLR", {"T_max": max(1, f.steps - f.warmup)})),
            "milestones": (f.warmup,)}


def _chained_fit(kw, f):
    return {**kw, "schedulers": (("ConstantLR", {"factor": 0.1, "total_iters": f.warmup}),
                                 ("ExponentialLR", {"gamma": f.decay}))}


ENTRIES = (
    scheduler("SequentialLR", "warmup/composite",
              Param("schedulers", "schedulers", widget=False),
              Param("milestones", "int_list", low=0, widget=False),
              length=_sequential_length, events=_sequential_events, checks=_sequential_checks,
              fit=_sequential_fit,
              example_args=(("schedulers", (("LinearLR", {"start_factor": 0.1,
                                                          "total_iters": 5}),
                                            ("CosineAnnealingLR", {"T_max": 95}))),
                            ("milestones", (5,)))),
    scheduler("ChainedScheduler", "warmup/composite",
              Param("schedulers", "schedulers", widget=False),
              Param("optimizer", "optimizer", default=None, widget=False),
              opt=False, last=False,
              length=_chained_length, events=_chained_events, checks=_chained_checks,
              fit=_chained_fit,
              example_args=(("schedulers", (("ConstantLR", {"factor": 0.1, "total_iters": 2}),
                                            ("ExponentialLR", {"gamma": 0.9}))),)),
)
