"""Decays: StepLR, MultiStepLR, ExponentialLR, PolynomialLR, CosineAnnealingLR, LambdaLR,
MultiplicativeLR."""

from __future__ import annotations

from schedlab.messages import Text
from schedlab.spec.catalog.base import GAMMA, Event, finding, scheduler, unit
from schedlab.spec.catalog.rules import ends_at, every, length_param, milestone_checks, unit_param
from schedlab.spec.lambdas import Lambda
from schedlab.spec.params import Param


def _step_events(spec, offset, end, lr):
    kw = spec.args
    return every(offset, end, kw["step_size"], kw["step_size"], "milestone",
                 Text("event.step-size", {"gamma": kw["gamma"]}))


def _step_checks(spec, start, end, run, first, last):
    span, size = end - start, spec.args["step_size"]
    if size >= span:
        yield finding("warning", "milestone-beyond.step-size", start, end, size=size,
                      span=span, unit=unit(run), example=max(1, span // 3))


def _multistep_events(spec, offset, end, lr):
    gamma = spec.args["gamma"]
    return [Event(offset + m, "milestone", Text("event.milestone", {"m": m, "gamma": gamma}))
            for m in sorted(set(spec.args["milestones"])) if m < end - offset]


def _multistep_checks(spec, start, end, run, first, last):
    yield from milestone_checks(spec, start, end, run, "decays-never-happen", "info",
                                "gamma-applied-again")


def _cosine_events(spec, offset, end, lr):
    t = spec.args["T_max"]
    return every(offset, end, 2 * t, t, "end", Text("event.eta-min", {"t": t}))


def _cosine_checks(spec, start, end, run, first, last):
    t, span = spec.args["T_max"], end - start
    if t < span - 1:
        yield finding("warning", "cosine-rises", start + t, end, t=t, span=span,
                      unit=unit(run))


ENTRIES = (
    scheduler("StepLR", "decay",
              Param("step_size", "int", example=30, low=1),
              Param("gamma", "float", default=0.1, **GAMMA),
              events=_step_events, checks=_step_checks,
              unit_length=unit_param("step_size"),
              fit=lambda kw, f: {**kw, "step_size": max(1, f.steps * 3 // 10)}),
    scheduler("MultiStepLR", "decay",
              Param("milestones", "int_list", example=(30, 80), low=0),
              Param("gamma", "float", default=0.1, **GAMMA),
              events=_multistep_events, checks=_multistep_checks,
              fit=lambda kw, f: {**kw, "milestones": tuple(sorted(
                  {max(1, f.steps * 3 // 10), max(1, f.steps * 8 // 10)}))}),
    scheduler("ExponentialLR", "decay",
              Param("gamma", "float", example=0.95, **GAMMA),
              fit=lambda kw, f: {**kw, "gamma": f.decay}),
    scheduler("PolynomialLR", "decay",
              Param("total_iters", "int", default=5, low=0),
              Param("power", "float", default=1.0, low=0),
              length=length_param("total_iters"), unit_length=unit_param("total_iters"),
              events=ends_at("zero"),
              fit=lambda kw, f: {**kw, "total_iters": f.steps}),
    scheduler("CosineAnnealingLR", "decay",
              Param("T_max", "int", example=100, low=1),
              Param("eta_min", "float", default=0.0, low=0),
              length=length_param("T_max"), unit_length=unit_param("T_max"),
              events=_cosine_events,
              checks=_cosine_checks, fit=lambda kw, f: {**kw, "T_max": f.steps}),
    scheduler("LambdaLR", "decay",
              Param("lr_lambda", "lambda", example="lambda epoch: 0.95 ** epoch",
                    per_group=True),
              fit=lambda kw, f: {**kw, "lr_lambda": Lambda(f"lambda epoch: {f.decay} ** epoch")}),
    scheduler("MultiplicativeLR", "decay",
              Param("lr_lambda", "lambda", example="lambda epoch: 0.95", per_group=True),
              fit=lambda kw, f: {**kw, "lr_lambda": Lambda(f"lambda epoch: {f.decay}")}),
)
