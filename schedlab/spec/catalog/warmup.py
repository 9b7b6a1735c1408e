"""Warmups: ConstantLR and LinearLR (a LinearLR that falls is a decay with a length)."""

from __future__ import annotations

from schedlab.spec.catalog.base import WARMUP, WARMUP_SHARE, entry, finding, scheduler, unit
from schedlab.spec.catalog.rules import ends_at
from schedlab.spec.params import Param


def _linear_length(spec, run):  # a decay has a length; a warmup leads into the run
    kw = spec.args
    return kw["total_iters"] if kw["start_factor"] > kw["end_factor"] else WARMUP


def _warmup_checks(spec, start, end, run, first, last):
    kw, name = spec.args, spec.name
    linear = "start_factor" in kw
    if linear and kw["start_factor"] >= kw["end_factor"]:
        return  # a linear decay, not a warmup
    t, span, steps = kw["total_iters"], end - start, run.steps
    if first and t > WARMUP_SHARE * steps:
        yield finding("warning", "warmup-long", start, start + min(t, span), name=name, t=t,
                      steps=steps, unit=unit(run), share=t / steps,
                      example=max(1, steps // 20))
    if linear and kw["end_factor"] < 1 and first:
        yield finding("warning", "warmup-short-of-base", start, start + min(t, span),
                      end_factor=kw["end_factor"])
    parent = run.schedule.scheduler
    if first and entry(parent.name).switches and parent.kwargs["schedulers"][0] is spec \
            and parent.kwargs["milestones"]:
        m = parent.kwargs["milestones"][0]
        if m < t:
            reached = _linear_level(kw, m - 1) if linear else kw["factor"]
            yield finding("warning", "warmup-cut", start + m - 1, start + m + 1,
                          parent=parent.name, m=m, name=name, t=t, reached=reached)
        elif m > t + 1:
            yield finding("info", "warmup-gap", start + t, start + m, gap=m - t,
                          unit=unit(run), parent=parent.name, m=m, t=t)


def _linear_level(kw: dict, k: int) -> float:
    s, e, t = kw["start_factor"], kw["end_factor"], kw["total_iters"]
    return s + (e - s) * min(max(k, 0), t) / t if t else e


ENTRIES = (
    scheduler("ConstantLR", "warmup/composite",
              Param("factor", "float", default=1.0 / 3, low=0, high=1),
              Param("total_iters", "int", default=5, low=0),
              length=lambda spec, run: WARMUP, events=ends_at("factor"),
              checks=_warmup_checks, fit=lambda kw, f: {**kw, "total_iters": f.warmup}),
    scheduler("LinearLR", "warmup/composite",
              Param("start_factor", "float", default=1.0 / 3, low=0, high=1, low_open=True),
              Param("end_factor", "float", default=1.0, low=0, high=1),
              Param("total_iters", "int", default=5, low=0),
              length=_linear_length, events=ends_at("linear"), checks=_warmup_checks,
              fit=lambda kw, f: {**kw, "total_iters": f.warmup}),
)
