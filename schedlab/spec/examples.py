"""A ready-to-draw example of every catalog scheduler (what a fresh widget shows)."""

from __future__ import annotations

from schedlab.spec.catalog import SCHEDULERS
from schedlab.spec.lambdas import Lambda
from schedlab.spec.schedule import OptimizerSpec, Schedule, SchedulerSpec

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


def fitted_spec(name: str, steps: int) -> SchedulerSpec:
    """The example of ``name`` sized for a run of ``steps`` calls of ``scheduler.step()``,
    so that picking a scheduler never greets a newcomer with a warning about the example
    itself: lengths become shares of the run, decays reach about 1% of the base lr."""
    spec = example_spec(name)
    kw = dict(spec.kwargs)
    warmup = max(1, steps // 20)
    decay = _round(0.01 ** (1 / max(1, steps)))  # to 1% of the base lr over the run
    if name == "StepLR":
        kw["step_size"] = max(1, steps * 3 // 10)
    elif name == "MultiStepLR":
        marks = sorted({max(1, steps * 3 // 10), max(1, steps * 8 // 10)})
        kw["milestones"] = tuple(marks)
    elif name == "ExponentialLR":
        kw["gamma"] = decay
    elif name == "LambdaLR":
        kw["lr_lambda"] = Lambda(f"lambda epoch: {decay} ** epoch")
    elif name == "MultiplicativeLR":
        kw["lr_lambda"] = Lambda(f"lambda epoch: {decay}")
    elif name in ("LinearLR", "ConstantLR"):
        kw["total_iters"] = warmup
    elif name == "PolynomialLR":
        kw["total_iters"] = steps
    elif name == "CosineAnnealingLR":
        kw["T_max"] = steps
    elif name == "CosineAnnealingWarmRestarts":
        kw["T_0"] = next((steps // k for k in (4, 3, 2) if steps % k == 0 and steps // k),
                         steps)
    elif name == "CyclicLR":
        kw["step_size_up"] = max(1, steps // 8)
    elif name == "OneCycleLR":
        kw["total_steps"] = steps
    elif name == "ReduceLROnPlateau":
        kw["patience"] = max(1, steps // 25)  # reacts to the synthetic metric's plateau
    elif name == "SequentialLR":
        first = SchedulerSpec("LinearLR", {"start_factor": 0.1, "total_iters": warmup})
        rest = SchedulerSpec("CosineAnnealingLR", {"T_max": max(1, steps - warmup)})
        kw = {"schedulers": (first, rest), "milestones": (warmup,)}
    elif name == "ChainedScheduler":
        kw["schedulers"] = (SchedulerSpec("ConstantLR", {"factor": 0.1,
                                                         "total_iters": warmup}),
                            SchedulerSpec("ExponentialLR", {"gamma": decay}))
    return SchedulerSpec(name, kw)


def _round(gamma: float) -> float:
    """A factor close to 1 written with the digits that matter (0.99954, not 0.9995395...)."""
    digits = 2
    while round(gamma, digits) in (0.0, 1.0) and digits < 12:
        digits += 1
    return round(gamma, digits + 2)
