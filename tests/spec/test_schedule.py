"""Schedules survive code and JSON round trips; malformed data is refused cleanly."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedlab import Schedule, ScheduleError, compute_curve, parse_schedule
from schedlab.spec.catalog import SCHEDULERS
from schedlab.spec.examples import example_schedule
from tests.strategies import cases


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_every_example_round_trips_through_code_and_json(name: str) -> None:
    s = example_schedule(name)
    again = parse_schedule(s.to_code())
    assert again == s
    assert Schedule.from_json(json.dumps(s.to_dict())) == s
    assert compute_curve(again, 200).equals(compute_curve(s, 200))


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_schedules_round_trip(name: str, data) -> None:
    s = data.draw(cases(name, 100)).schedule()
    assert parse_schedule(s.to_code()) == s
    assert Schedule.from_json(s.to_json()) == s
    assert hash(Schedule.from_json(s.to_json())) == hash(s)


def test_code_is_canonical_and_readable() -> None:
    s = parse_schedule("warm = LinearLR(opt, 0.1, total_iters=5)\n"
                       "SequentialLR(opt, [warm, CosineAnnealingLR(opt, 95)], [5])",
                       "optim.Adam(model.parameters(), 1e-3, (0.9, 0.98))")
    assert s.to_code() == (
        "optimizer = torch.optim.Adam(params, lr=0.001, betas=(0.9, 0.98))\n"
        "scheduler = torch.optim.lr_scheduler.SequentialLR(\n"
        "    optimizer,\n"
        "    schedulers=[\n"
        "        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=5),\n"
        "        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=95),\n"
        "    ],\n"
        "    milestones=[5],\n"
        ")\n")
    assert s.scheduler.label() == ("SequentialLR(schedulers=[LinearLR(start_factor=0.1, "
                                   "total_iters=5), CosineAnnealingLR(T_max=95)], milestones=[5])")


@pytest.mark.parametrize("data", [
    None, [], "x", {}, {"optimizer": {}, "scheduler": {}},
    {"optimizer": {"name": "SGD"}, "scheduler": {"name": "Nope"}},
    {"optimizer": {"name": "os.system"}, "scheduler": {"name": "StepLR"}},
    {"optimizer": {"name": "SGD"}, "scheduler": {"name": "StepLR", "kwargs": {"step_size": "3"}}},
    {"optimizer": {"name": "SGD"}, "scheduler": {"name": "StepLR", "kwargs": {"step_size": 0}}},
    {"optimizer": {"name": "SGD", "kwargs": {"lr": -1}}, "scheduler": {"name": "StepLR"}},
    {"optimizer": {"name": "SGD", "kwargs": {"params": 1}}, "scheduler": {"name": "StepLR"}},
    {"optimizer": {"name": "SGD", "groups": "x"}, "scheduler": {"name": "StepLR"}},
    {"optimizer": {"name": "SGD", "groups": [{}] * 100},
     "scheduler": {"name": "StepLR", "kwargs": {"step_size": 1}}},
    {"optimizer": {"name": "SGD"}, "scheduler": {"name": "LambdaLR", "kwargs": {
        "lr_lambda": {"lambda": "lambda e: __import__('os')"}}}},
    {"optimizer": {"name": "SGD"}, "scheduler": {"name": "LambdaLR", "kwargs": {
        "lr_lambda": "lambda e: 1"}}},
    {"optimizer": {"name": "SGD"}, "scheduler": {"name": "StepLR", "kwargs": {"step_size": 1}},
     "extra": 1},
])
def test_malformed_data_is_refused(data) -> None:
    with pytest.raises(ScheduleError):
        Schedule.from_dict(data)


def test_deeply_nested_data_is_refused() -> None:
    inner = {"name": "StepLR", "kwargs": {"step_size": 1}}
    for _ in range(50):
        inner = {"name": "ChainedScheduler", "kwargs": {"schedulers": [inner]}}
    with pytest.raises(ScheduleError, match="nested"):
        Schedule.from_dict({"optimizer": {"name": "SGD"}, "scheduler": inner})
    with pytest.raises(ScheduleError, match="JSON"):
        Schedule.from_json("[" * 100000)


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                     lambda c: st.lists(c, max_size=4) | st.dictionaries(
                         st.sampled_from(["name", "kwargs", "groups", "optimizer", "scheduler",
                                          "lambda", "lr", "step_size", "schedulers"]), c,
                         max_size=4), max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_hostile_json_never_escapes_as_another_exception(data) -> None:
    try:
        Schedule.from_dict(data)
    except ScheduleError:
        pass


def test_a_spec_is_checked_when_made_and_never_changes() -> None:
    import copy
    import pickle

    from schedlab.spec.schedule import SchedulerSpec

    given = {"step_size": 30, "gamma": 0.5}
    spec = SchedulerSpec("StepLR", given)
    given["gamma"] = 0.9  # the caller's dict is the caller's: the spec kept a copy
    assert spec.kwargs["gamma"] == 0.5
    with pytest.raises(TypeError, match="cannot be changed"):
        spec.kwargs["gamma"] = 0.1
    with pytest.raises(TypeError):
        spec.kwargs.update(gamma=0.1)
    with pytest.raises(ScheduleError, match="has no parameter 'gama'"):
        SchedulerSpec("StepLR", {"step_size": 30, "gama": 0.5})  # refused when made
    with pytest.raises(ScheduleError, match="needs step_size"):
        SchedulerSpec("StepLR", {})
    for twin in (pickle.loads(pickle.dumps(spec)), copy.deepcopy(spec)):
        assert twin == spec and twin.kwargs == {"step_size": 30, "gamma": 0.5}


def test_per_group_values_are_checked_against_the_optimizer() -> None:
    from schedlab.spec.schedule import OptimizerSpec, Schedule, SchedulerSpec

    spec = SchedulerSpec("OneCycleLR", {"max_lr": (0.1, 0.2), "total_steps": 100})
    Schedule(OptimizerSpec("SGD", {"lr": 0.1}, ({}, {})), spec)
    with pytest.raises(ScheduleError, match="2 values but the optimizer has 1"):
        Schedule(OptimizerSpec("SGD", {"lr": 0.1}), spec)
