"""compute_curve's contract: columns, step caps, metric handling, invalid parameters."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedlab import (
    MAX_STEPS,
    ScheduleError,
    SchedulerSpec,
    compute_curve,
    parse_schedule,
    synthetic_metric,
)
from schedlab.spec.catalog import SCHEDULERS
from schedlab.spec.examples import EXAMPLE_OPTIMIZER, example_schedule, example_spec
from schedlab.spec.schedule import OptimizerSpec, Schedule


def test_columns_per_group_and_momentum() -> None:
    sgd = compute_curve(parse_schedule("StepLR(o, 5)", "SGD(p, lr=0.1)"), 10)
    assert list(sgd.columns) == ["step", "lr"]
    groups = compute_curve(parse_schedule(
        "StepLR(o, 5)", "Adam([{'params': a}, {'params': b, 'lr': 1.0}, {'params': c}])"), 10)
    assert list(groups.columns) == ["step", "lr", "lr_1", "lr_2", "momentum"]
    assert groups["momentum"].eq(0.9).all()
    cyc = compute_curve(parse_schedule("CyclicLR(o, 0.01, 0.1, step_size_up=5)",
                                       "SGD(p, lr=0.1)"), 11)
    assert cyc["momentum"].tolist()[:6] == pytest.approx([0.9, 0.88, 0.86, 0.84, 0.82, 0.8])


@pytest.mark.parametrize("steps", [0, -1, MAX_STEPS + 1, 2.5, "100", True, None])
def test_step_counts_outside_the_cap_are_refused(steps) -> None:
    with pytest.raises(ScheduleError, match="steps"):
        compute_curve(example_schedule("StepLR"), steps)


def test_one_step_is_the_initial_lr() -> None:
    for name in SCHEDULERS:
        table = compute_curve(example_schedule(name), 1)
        assert len(table) == 1 and table["step"][0] == 0


def test_plateau_uses_the_metric_it_is_given() -> None:
    s = parse_schedule("ReduceLROnPlateau(optimizer, patience=2, factor=0.5)")
    flat = compute_curve(s, 8, metric=[1.0] * 7)
    assert flat["lr"].tolist() == [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]
    better = compute_curve(s, 8, metric=[7, 6, 5, 4, 3, 2, 1])
    assert better["lr"].eq(0.1).all()
    with pytest.raises(ScheduleError, match="metric has 3 values but 8 steps need 7"):
        compute_curve(s, 8, metric=[1, 2, 3])
    with pytest.raises(ScheduleError, match="list of numbers"):
        compute_curve(s, 3, metric=["a", "b"])
    default = compute_curve(s, 500)
    assert default["lr"].iloc[-1] < 0.1  # the synthetic loss plateaus, so the lr drops


def test_synthetic_metric_is_seeded_and_plausible() -> None:
    a, b = synthetic_metric(1000, seed=3), synthetic_metric(1000, seed=3)
    assert np.array_equal(a, b) and not np.array_equal(a, synthetic_metric(1000, seed=4))
    assert a[:50].mean() > a[-50:].mean() > 0
    calm = synthetic_metric(1000, noise=0.0, plateau_at=0.4, plateau_length=0.2)
    assert np.ptp(calm[420:580]) < 1e-12  # flat on the plateau
    assert np.all(np.diff(calm[:400]) < 0)
    with pytest.raises(ScheduleError, match="noise"):
        synthetic_metric(10, noise=-1)


_BAD_VALUES = {
    "int": [0 - 10**6, -1, 2.5, "3", None, True, 10**30 * 1.0],
    "float": [-1.0, math.nan, math.inf, -math.inf, "0.1", None, True],
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_out_of_range_parameters_are_schedule_errors(name: str) -> None:
    """Every catalog parameter refuses values outside its range with a message naming it."""
    base = example_spec(name)
    tried = 0
    for p in SCHEDULERS[name].params:
        if p.kind not in _BAD_VALUES or not p.widget:
            continue
        for value in _BAD_VALUES[p.kind]:
            if p.optional and value is None:
                continue
            if p.kind == "float" and p.low is None and isinstance(value, float) and \
                    math.isfinite(value):
                continue
            kwargs = {**base.kwargs, p.name: value}
            with pytest.raises(ScheduleError, match=p.name):
                compute_curve(Schedule(EXAMPLE_OPTIMIZER, SchedulerSpec(name, kwargs)), 20)
            tried += 1
    assert tried or SCHEDULERS[name].composite or name in (
        "LambdaLR", "MultiplicativeLR", "get_constant_schedule")  # nothing to get wrong


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(SCHEDULERS)), key=st.text(max_size=12),
       value=st.one_of(st.integers(-10**12, 10**12), st.floats(), st.booleans(), st.none(),
                       st.text(max_size=5), st.lists(st.integers(-5, 500), max_size=4)))
def test_any_argument_value_is_accepted_or_refused_cleanly(name, key, value) -> None:
    info = SCHEDULERS[name]
    key = key if not info.params else (key or info.params[-1].name)
    if key not in {p.name for p in info.params} and info.params:
        key = info.params[len(key) % len(info.params)].name
    if key in ("optimizer", "schedulers"):
        return
    try:
        s = Schedule(OptimizerSpec("SGD", {"lr": 0.1}),
                     SchedulerSpec(name, {**example_spec(name).kwargs, key: value}))
        compute_curve(s, 30)
    except ScheduleError:
        pass


def test_torch_quirks_become_clear_errors() -> None:
    with pytest.raises(ScheduleError, match="triangular2.*OverflowError"):
        compute_curve(parse_schedule("CyclicLR(o, 0.01, 0.1, step_size_up=1, "
                                     "mode='triangular2')"), 3000)
    with pytest.raises(ScheduleError, match="ConstantLR.*ZeroDivisionError"):
        compute_curve(parse_schedule("ConstantLR(o, factor=0.0, total_iters=3)"), 10)
    assert compute_curve(parse_schedule("ConstantLR(o, factor=0.0, total_iters=30)"),
                         10)["lr"].eq(0).all()
    with pytest.raises(ScheduleError, match="phase 2 has no length"):
        compute_curve(parse_schedule("OneCycleLR(o, max_lr=0.1, total_steps=10, "
                                     "pct_start=1.0)"), 11)
    with pytest.raises(ScheduleError, match="LinearLR.*total_iters=0"):
        compute_curve(parse_schedule("SequentialLR(o, [StepLR(o, 3), LinearLR(o, "
                                     "total_iters=0)], milestones=[4])"), 10)
