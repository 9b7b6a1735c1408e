"""compute_curve agrees with stepping real torch, at every step, for random valid schedules."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedlab import ScheduleError, compute_curve, synthetic_metric
from schedlab.spec.catalog import SCHEDULERS
from tests.strategies import Case, cases
from tests.torchref import assert_close, torch_curve

ALL = sorted(SCHEDULERS)


def compare(case: Case, steps: int, metric=None, engine: str = "auto") -> None:
    """Both agree value for value, or both refuse (torch raising, schedlab ScheduleError)."""
    try:
        ref = torch_curve(case.opt_name, case.opt_kwargs, case.groups, case.sched, steps,
                          metric)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError) as exc:
        with pytest.raises(ScheduleError):
            compute_curve(case.schedule(), steps, metric, engine=engine)
        return exc
    table = compute_curve(case.schedule(), steps, metric, engine=engine)
    lrs, mom = ref
    assert list(table["step"]) == list(range(steps))
    for g in range(case.group_count):
        col = "lr" if g == 0 else f"lr_{g}"
        assert_close(table[col].to_numpy(), lrs[:, g], case.scale(), f"{col} of {case}")
    if mom is not None and np.any(mom != 0):
        assert_close(table["momentum"].to_numpy(), mom, 1.0, f"momentum of {case}")
    else:
        assert "momentum" not in table.columns
    return None


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.integers(1, 250))
def test_random_schedules_match_torch(name: str, data, steps: int) -> None:
    case = data.draw(cases(name, steps))
    metric = None
    if SCHEDULERS[name].needs_metric:
        metric = synthetic_metric(steps, seed=data.draw(st.integers(0, 10**6)),
                                  noise=data.draw(st.floats(0, 0.3)))
    compare(case, steps, metric)


@pytest.mark.parametrize("name", [n for n in ALL if not SCHEDULERS[n].needs_metric])
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), steps=st.integers(2, 120))
def test_fast_engine_needs_no_torch_fallback(name: str, data, steps: int) -> None:
    """Every catalog scheduler (composites of basic ones included) has a vectorized model."""
    case = data.draw(cases(name, steps))
    compare(case, steps, engine="fast")


# Examples from torch's documentation, with the values its docstrings print.
DOC_CASES = [
    ("StepLR(optimizer, step_size=30, gamma=0.1)", "SGD(params, lr=0.05)",
     {0: 0.05, 29: 0.05, 30: 0.005, 59: 0.005, 60: 0.0005, 89: 0.0005}),
    ("MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)", "SGD(params, lr=0.05)",
     {0: 0.05, 29: 0.05, 30: 0.005, 79: 0.005, 80: 0.0005}),
    ("ConstantLR(optimizer, factor=0.5, total_iters=4)", "SGD(params, lr=0.05)",
     {0: 0.025, 1: 0.025, 3: 0.025, 4: 0.05}),
    ("LinearLR(optimizer, start_factor=0.5, total_iters=4)", "SGD(params, lr=0.05)",
     {0: 0.025, 1: 0.03125, 2: 0.0375, 3: 0.04375, 4: 0.05}),
    ("SequentialLR(optimizer, schedulers=[ConstantLR(optimizer, factor=0.1, total_iters=2), "
     "ExponentialLR(optimizer, gamma=0.9)], milestones=[2])", "SGD(params, lr=1.0)",
     {0: 0.1, 1: 0.1, 2: 1.0, 3: 0.9, 4: 0.81}),
    ("ChainedScheduler([ConstantLR(optimizer, factor=0.1, total_iters=2), "
     "ExponentialLR(optimizer, gamma=0.9)])", "SGD(params, lr=1.0)",
     {0: 0.1, 1: 0.09, 2: 0.81, 3: 0.729, 4: 0.6561}),
    ("PolynomialLR(optimizer, total_iters=4, power=1.0)", "SGD(params, lr=0.001)",
     {0: 0.001, 1: 0.00075, 2: 0.0005, 3: 0.00025, 4: 0.0}),
    ("CosineAnnealingLR(optimizer, T_max=10)", "SGD(params, lr=0.1)",
     {0: 0.1, 5: 0.05, 10: 0.0, 15: 0.05, 20: 0.1}),
    ("OneCycleLR(optimizer, max_lr=0.01, total_steps=100)", "SGD(params, lr=0.1, momentum=0.9)",
     {0: 0.0004, 29: 0.01, 99: 4e-08}),
]


@pytest.mark.parametrize("scheduler,optimizer,expected", DOC_CASES)
def test_documented_values(scheduler: str, optimizer: str, expected: dict) -> None:
    from schedlab import parse_schedule

    table = compute_curve(parse_schedule(scheduler, optimizer), max(expected) + 1)
    for step, lr in expected.items():
        assert table["lr"][step] == pytest.approx(lr, rel=1e-9, abs=1e-15), f"step {step}"


def test_momentum_follows_onecycle_inversely() -> None:
    from schedlab import parse_schedule

    table = compute_curve(parse_schedule("OneCycleLR(opt, max_lr=0.1, total_steps=100)",
                                         "SGD(params, lr=0.1, momentum=0.9)"), 100)
    peak = int(table["lr"].idxmax())
    assert table["momentum"][0] == pytest.approx(0.95)
    assert table["momentum"][peak] == pytest.approx(0.85)
    assert table["momentum"].iloc[-1] == pytest.approx(0.95)


@pytest.mark.parametrize("name", [n for n in ALL if not SCHEDULERS[n].needs_metric])
def test_initial_lr_in_a_param_group_gives_torchs_values(name: str) -> None:
    """torch's schedulers start from a group's initial_lr when it has one (LambdaLR gives
    initial_lr x factor, not lr x factor); so does schedlab."""
    from schedlab.spec.examples import example_spec
    from schedlab.spec.schedule import OptimizerSpec, Schedule

    groups = ({"initial_lr": 5.0}, {"lr": 0.01, "initial_lr": 0.5}, {"lr": 0.02})
    case = Case("SGD", {"lr": 0.1, "momentum": 0.9}, [dict(g) for g in groups],
                (name, {}))
    schedule = Schedule(OptimizerSpec("SGD", {"lr": 0.1, "momentum": 0.9}, groups),
                        example_spec(name))
    ref = torch_curve("SGD", {"lr": 0.1, "momentum": 0.9}, [dict(g) for g in groups],
                      _plain(schedule.scheduler), 150, None)
    table = compute_curve(schedule, 150)
    for g in range(3):
        assert_close(table["lr" if g == 0 else f"lr_{g}"].to_numpy(), ref[0][:, g],
                     case.scale() + 5.0, f"group {g} of {name}")
    if name == "LambdaLR":
        assert table["lr"].iloc[0] == 5.0 * 0.95 ** 0  # initial_lr x factor, as torch


def _plain(spec) -> tuple:
    """A SchedulerSpec as the (name, kwargs) tuples tests/torchref.py builds from."""
    from schedlab.spec.lambdas import Lambda

    out = {}
    for key, value in spec.kwargs.items():
        if key == "schedulers":
            out[key] = [_plain(s) for s in value]
        elif isinstance(value, Lambda):
            out[key] = value.source
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return (spec.name, out)
