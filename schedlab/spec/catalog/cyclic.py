"""Cycles: CyclicLR, OneCycleLR (both made to be stepped after every batch) and
CosineAnnealingWarmRestarts."""

from __future__ import annotations

import math

from schedlab.messages import Text
from schedlab.spec.catalog.base import GAMMA, MAX_EVENTS, Event, finding, scheduler, unit
from schedlab.spec.catalog.rules import (calls_reached, cycle_momentum_check, onecycle_total,
                                         restart_cycle, unit_mismatch, unit_param)
from schedlab.spec.params import Param


def _cyclic_checks(spec, start, end, run, first, last):
    yield from cycle_momentum_check(spec, start, end, run)


def _onecycle_events(spec, offset, end, lr):
    total = onecycle_total(spec.args)
    peak = int(float(spec.args["pct_start"] * total))
    return [Event(offset + max(peak - 1, 0), "end", Text("event.peak")),
            Event(offset + total, "end", Text("event.total-steps", {"total": total}))]


def _onecycle_checks(spec, start, end, run, first, last):
    span = end - start
    total, calls = onecycle_total(spec.args), calls_reached(span, last)
    if calls > total:
        yield finding("error", "onecycle-too-short", min(start + total + 1, end - 1), end,
                      total=total, calls=calls, failing=total + 1)
    elif calls < 0.9 * total and not any(unit_mismatch(spec, start, end, run)):
        yield finding("warning", "onecycle-never-anneals", start, end, total=total,
                      calls=calls, share=calls / total)
    yield from cycle_momentum_check(spec, start, end, run)


def _restarts_length(spec, run):
    return sum(restart_cycle(spec.args["T_0"], spec.args["T_mult"], run))


def _restarts_events(spec, offset, end, lr):
    kw, span = spec.args, end - offset
    starts, length, at = [], kw["T_0"], kw["T_0"]
    while at < span and len(starts) < 10 * MAX_EVENTS:
        starts.append(at)
        length *= kw["T_mult"]
        at += length
    return [Event(offset + s, "restart", Text("event.restart")) for s in starts]


def _restarts_checks(spec, start, end, run, first, last):
    kw, span = spec.args, end - start
    cycle_start, length = restart_cycle(kw["T_0"], kw["T_mult"], span)
    done = span - cycle_start  # steps of the last cycle that run
    if done < length and done / length < 0.75:
        level = (1 + math.cos(math.pi * (done - 1) / length)) / 2
        yield finding("warning", "restart-cut", start + cycle_start, end, done=done,
                      unit=unit(run), length=length, one_unit=unit(run, one=True),
                      level=level, end_at=cycle_start + length)


def _t0(steps: int) -> int:
    """A first cycle that divides the run: a quarter, a third or half of it."""
    return next((steps // k for k in (4, 3, 2) if steps % k == 0 and steps // k), steps)


ENTRIES = (
    scheduler(
        "CyclicLR", "cyclic",
        Param("base_lr", "float", example=0.001, low=0, per_group=True),
        Param("max_lr", "float", example=0.1, low=0, per_group=True),
        Param("step_size_up", "float", default=2000, low=1),
        Param("step_size_down", "float", default=None, example=None, low=0, optional=True),
        Param("mode", "choice", default="triangular",
              choices=("triangular", "triangular2", "exp_range")),
        Param("gamma", "float", default=1.0, **GAMMA),
        Param("scale_fn", "lambda", default=None, optional=True),
        Param("scale_mode", "choice", default="cycle", choices=("cycle", "iterations")),
        Param("cycle_momentum", "bool", default=True),
        Param("base_momentum", "float", default=0.8, low=0, high=1, per_group=True),
        Param("max_momentum", "float", default=0.9, low=0, high=1, per_group=True),
        per_batch=True, checks=_cyclic_checks,  # a whole cycle, up and down, against the run
        unit_length=unit_param("step_size_up", compared=2),
        fit=lambda kw, f: {**kw, "step_size_up": max(1, f.steps // 8)}),
    scheduler(
        "OneCycleLR", "cyclic",
        Param("max_lr", "float", example=0.1, low=0, low_open=True, per_group=True),
        Param("total_steps", "int", default=None, example=1000, low=1, optional=True),
        Param("epochs", "int", default=None, low=1, optional=True),
        Param("steps_per_epoch", "int", default=None, low=1, optional=True),
        Param("pct_start", "float", default=0.3, low=0, high=1),
        Param("anneal_strategy", "choice", default="cos", choices=("cos", "linear")),
        Param("cycle_momentum", "bool", default=True),
        Param("base_momentum", "float", default=0.85, low=0, high=1, per_group=True),
        Param("max_momentum", "float", default=0.95, low=0, high=1, per_group=True),
        Param("div_factor", "float", default=25.0, low=0, low_open=True),
        Param("final_div_factor", "float", default=1e4, low=0, low_open=True),
        Param("three_phase", "bool", default=False),
        per_batch=True, length=lambda spec, run: onecycle_total(spec.args),
        events=_onecycle_events, checks=_onecycle_checks,
        unit_length=lambda a: ("total_steps", onecycle_total(a), onecycle_total(a)),
        fit=lambda kw, f: {**kw, "total_steps": f.steps}),
    scheduler(
        "CosineAnnealingWarmRestarts", "cyclic",
        Param("T_0", "int", example=10, low=1),
        Param("T_mult", "int", default=1, low=1),
        Param("eta_min", "float", default=0.0, low=0),
        restarts=True, length=_restarts_length, events=_restarts_events,
        checks=_restarts_checks, unit_length=unit_param("T_0"),
        fit=lambda kw, f: {**kw, "T_0": _t0(f.steps)}),
)
