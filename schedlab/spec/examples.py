"""A ready-to-draw example of every registry scheduler (what a fresh widget shows), and the
same example fitted to a run."""

from __future__ import annotations

from typing import Any

from schedlab.spec.catalog import SCHEDULERS, Fit
from schedlab.spec.lambdas import Lambda
from schedlab.spec.schedule import OptimizerSpec, Schedule, SchedulerSpec

EXAMPLE_OPTIMIZER = OptimizerSpec("SGD", {"lr": 0.1, "momentum": 0.9})


def example_spec(name: str) -> SchedulerSpec:
    """The scheduler with its catalog example values for the arguments torch requires (a
    composite: its entry's classic pairing)."""
    info = SCHEDULERS[name]
    if info.example_args:
        return SchedulerSpec(name, _specs(dict(info.example_args)))
    kwargs = {}
    for p in info.params:
        if p.required and p.kind != "optimizer":
            value = p.example
            if p.kind == "lambda":
                value = Lambda(value)
            elif isinstance(value, list):
                value = tuple(value)
            kwargs[p.name] = value
        elif p.example is not None:  # a default the example shows another value for
            kwargs[p.name] = p.example
    return SchedulerSpec(name, kwargs)


def example_schedule(name: str, optimizer: OptimizerSpec = EXAMPLE_OPTIMIZER) -> Schedule:
    return Schedule(optimizer, example_spec(name))


def fitted_spec(name: str, steps: int, per_batch: bool = False) -> SchedulerSpec:
    """The example of ``name`` sized for a run of ``steps`` calls of ``scheduler.step()``,
    so that picking a scheduler never greets a newcomer with a warning about the example
    itself: lengths become shares of the run, decays reach about 1% of the base lr, and a
    scheduler that counts epochs or updates (timm's) counts what the run steps it by."""
    fit = Fit(steps, max(1, steps // 20), _round(0.01 ** (1 / max(1, steps))), per_batch)
    kwargs = SCHEDULERS[name].fit(dict(example_spec(name).kwargs), fit)
    return SchedulerSpec(name, _specs(kwargs))


def _specs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Nested schedulers given as (name, kwargs) pairs made into specs."""
    if "schedulers" in kwargs:
        kwargs = {**kwargs, "schedulers": tuple(
            s if isinstance(s, SchedulerSpec) else SchedulerSpec(*s)
            for s in kwargs["schedulers"])}
    return kwargs


def _round(gamma: float) -> float:
    """A factor close to 1 written with the digits that matter (0.99954, not 0.9995395...)."""
    digits = 2
    while round(gamma, digits) in (0.0, 1.0) and digits < 12:
        digits += 1
    return round(gamma, digits + 2)
