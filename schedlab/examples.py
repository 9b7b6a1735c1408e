"""A ready-to-draw example of every catalog scheduler (what a fresh widget shows)."""

from __future__ import annotations

from schedlab.catalog import SCHEDULERS
from schedlab.lambdas import Lambda
from schedlab.schedule import OptimizerSpec, Schedule, SchedulerSpec

EXAMPLE_OPTIMIZER = OptimizerSpec("SGD", {"lr": 0.1, "momentum": 0.9})

# Composites have no single "example value"; these are the classic pairings.
_COMPOSITES = {
    "SequentialLR": lambda: {
        "schedulers": (SchedulerSpec("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
                       SchedulerSpec("CosineAnnealingLR", {"T_max": 95})),
        "milestones": (5,)},
    "ChainedScheduler": lambda: {
        "schedulers": (SchedulerSpec("ConstantLR", {"factor": 0.1, "total_iters": 2}),
                       SchedulerSpec("ExponentialLR", {"gamma": 0.9}))},
}


def example_spec(name: str) -> SchedulerSpec:
    """The scheduler with its catalog example values for the arguments torch requires."""
    if name in _COMPOSITES:
        return SchedulerSpec(name, _COMPOSITES[name]())
    kwargs = {}
    for p in SCHEDULERS[name].params:
        if p.required and p.kind != "optimizer":
            value = p.example
            if p.kind == "lambda":
                value = Lambda(value)
            elif isinstance(value, list):
                value = tuple(value)
            kwargs[p.name] = value
        elif p.optional and p.example is not None:
            kwargs[p.name] = p.example
    return SchedulerSpec(name, kwargs)


def example_schedule(name: str, optimizer: OptimizerSpec = EXAMPLE_OPTIMIZER) -> Schedule:
    return Schedule(optimizer, example_spec(name))
