"""Cycles: CyclicLR, OneCycleLR (both made to be stepped after every batch) and
CosineAnnealingWarmRestarts."""

from __future__ import annotations

import math

from schedlab.spec.catalog.base import (GAMMA, MAX_EVENTS, Event, calls_reached,
                                        cycle_momentum_check, finding, onecycle_total,
                                        restart_cycle, scheduler, unit, unit_mismatch,
                                        unit_param)
from schedlab.spec.params import Param


def _cyclic_checks(spec, start, end, run, first, last):
    yield from cycle_momentum_check(spec, start, end, run)


def _onecycle_events(spec, offset, end, lr):
    total = onecycle_total(spec.args)
    peak = int(float(spec.args["pct_start"] * total))
    return [Event(offset + max(peak - 1, 0), "end", "peak lr (end of warm-up)"),
            Event(offset + total, "end", f"total_steps={total}: torch raises after")]


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
    return [Event(offset + s, "restart", "warm restart") for s in starts]


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
        "CyclicLR", "cyclic", "Cycle the lr between base_lr and max_lr (and momentum the "
        "opposite way).",
        Param("base_lr", "float", "lowest lr of the cycle", example=0.001, low=0,
              per_group=True),
        Param("max_lr", "float", "highest lr of the cycle", example=0.1, low=0, per_group=True),
        Param("step_size_up", "float", "steps from base_lr up to max_lr", default=2000, low=1),
        Param("step_size_down", "float", "steps back down (None: same as up)", default=None,
              example=None, low=0, optional=True),
        Param("mode", "choice", "triangular: fixed height; triangular2: halve each cycle; "
              "exp_range: scale by gamma**step", default="triangular",
              choices=("triangular", "triangular2", "exp_range")),
        Param("gamma", "float", "decay of exp_range mode", default=1.0, **GAMMA),
        Param("scale_fn", "lambda", "custom scaling of the cycle height (replaces mode)",
              default=None, optional=True),
        Param("scale_mode", "choice", "what scale_fn receives: the cycle number or the step",
              default="cycle", choices=("cycle", "iterations")),
        Param("cycle_momentum", "bool", "cycle momentum inversely to the lr", default=True),
        Param("base_momentum", "float", "lowest momentum", default=0.8, low=0, high=1,
              per_group=True),
        Param("max_momentum", "float", "highest momentum", default=0.9, low=0, high=1,
              per_group=True),
        per_batch=True, checks=_cyclic_checks,  # a whole cycle, up and down, against the run
        unit_length=unit_param("step_size_up", compared=2),
        fit=lambda kw, f: {**kw, "step_size_up": max(1, f.steps // 8)}),
    scheduler(
        "OneCycleLR", "cyclic", "Warm up to max_lr, then anneal far below the start, over "
        "total_steps (the 1cycle policy).",
        Param("max_lr", "float", "peak lr", example=0.1, low=0, low_open=True, per_group=True),
        Param("total_steps", "int", "steps of the whole cycle (or give epochs and "
              "steps_per_epoch)", default=None, example=1000, low=1, optional=True),
        Param("epochs", "int", "epochs, when total_steps is not given", default=None, low=1,
              optional=True),
        Param("steps_per_epoch", "int", "steps per epoch, when total_steps is not given",
              default=None, low=1, optional=True),
        Param("pct_start", "float", "share of the cycle spent warming up", default=0.3,
              low=0, high=1),
        Param("anneal_strategy", "choice", "shape of the warm-up and the anneal",
              default="cos", choices=("cos", "linear")),
        Param("cycle_momentum", "bool", "cycle momentum inversely to the lr", default=True),
        Param("base_momentum", "float", "momentum at the peak lr", default=0.85, low=0,
              high=1, per_group=True),
        Param("max_momentum", "float", "momentum at the start and end", default=0.95, low=0,
              high=1, per_group=True),
        Param("div_factor", "float", "initial lr = max_lr / div_factor", default=25.0,
              low=0, low_open=True),
        Param("final_div_factor", "float", "final lr = initial lr / final_div_factor",
              default=1e4, low=0, low_open=True),
        Param("three_phase", "bool", "anneal back to the initial lr before the final "
              "descent", default=False),
        per_batch=True, length=lambda spec, run: onecycle_total(spec.args),
        events=_onecycle_events, checks=_onecycle_checks,
        unit_length=lambda a: ("total_steps", onecycle_total(a), onecycle_total(a)),
        fit=lambda kw, f: {**kw, "total_steps": f.steps}),
    scheduler(
        "CosineAnnealingWarmRestarts", "cyclic", "Cosine from the base lr to eta_min, "
        "restarting every T_0 steps (each cycle T_mult times longer).",
        Param("T_0", "int", "steps of the first cycle", example=10, low=1),
        Param("T_mult", "int", "growth of each cycle's length", default=1, low=1),
        Param("eta_min", "float", "lowest lr", default=0.0, low=0),
        restarts=True, length=_restarts_length, events=_restarts_events,
        checks=_restarts_checks, unit_length=unit_param("T_0"),
        fit=lambda kw, f: {**kw, "T_0": _t0(f.steps)}),
)
