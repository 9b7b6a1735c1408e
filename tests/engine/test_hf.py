"""transformers' schedules in the engine against transformers itself, at every step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import transformers
from hypothesis import given, settings
from hypothesis import strategies as st

from schedlab import ScheduleError
from schedlab.engine.hf import FACTORS, NAMES, SHAPES, factors, resolve

LR = 0.1
WARMUP_AND_LENGTH = ("get_linear_schedule_with_warmup", "get_cosine_schedule_with_warmup",
                     "get_cosine_with_hard_restarts_schedule_with_warmup",
                     "get_polynomial_decay_schedule_with_warmup",
                     "get_cosine_with_min_lr_schedule_with_warmup")


def stepped(name: str, steps: int, kwargs: dict, lr: float = LR,
            groups: tuple[float, ...] = ()) -> np.ndarray:
    """The lr of every group after 0..steps-1 calls of step(), as torch runs the library's
    scheduler."""
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]}] + [
        {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": g} for g in groups]
    optimizer = torch.optim.SGD(params, lr=lr)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "num_stable_steps will be used", ...
        scheduler = getattr(transformers, name)(optimizer, **kwargs)
        for k in range(steps):
            if k:
                optimizer.step()
                scheduler.step()
            rows.append([g["lr"] for g in optimizer.param_groups])
    return np.array(rows)


def engine(name: str, steps: int, kwargs: dict, lr: float = LR,
           groups: tuple[float, ...] = ()) -> np.ndarray:
    f = factors(name, steps, kwargs, lr)
    return np.stack([base * f for base in (lr, *groups)], 1)


def test_every_function_is_modelled() -> None:
    assert set(FACTORS) <= set(dir(transformers))
    assert len(FACTORS) == 10


@pytest.mark.parametrize("name", sorted(FACTORS))
def test_each_schedule_matches_transformers_at_every_step(name: str) -> None:
    kwargs = {"get_constant_schedule": {},
              "get_constant_schedule_with_warmup": {"num_warmup_steps": 7},
              "get_inverse_sqrt_schedule": {"num_warmup_steps": 7}}.get(
        name, {"num_warmup_steps": 7, "num_training_steps": 50})
    if name.startswith("get_cosine_with_min_lr_schedule_with_warmup"):
        kwargs["min_lr"] = 1e-3
    if name == "get_wsd_schedule":
        kwargs = {"num_warmup_steps": 7, "num_decay_steps": 20, "num_training_steps": 60}
    np.testing.assert_allclose(engine(name, 80, kwargs, groups=(0.5, 3e-4)),
                               stepped(name, 80, kwargs, groups=(0.5, 3e-4)),
                               rtol=1e-9, atol=0)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(WARMUP_AND_LENGTH), warmup=st.integers(0, 40),
       length=st.integers(1, 120), cycles=st.floats(0, 6, allow_nan=False),
       power=st.floats(0.1, 4), floor=st.floats(0, 1), steps=st.integers(1, 160))
def test_random_parameters_match_transformers(name, warmup, length, cycles, power, floor,
                                              steps) -> None:
    kwargs = {"num_warmup_steps": warmup, "num_training_steps": length}
    if "hard_restarts" in name:
        kwargs["num_cycles"] = max(1, int(cycles))
    elif "cosine" in name:
        kwargs["num_cycles"] = cycles
    if "polynomial" in name:
        kwargs.update(power=power, lr_end=LR * floor * 0.999)
    if "min_lr" in name:
        kwargs["min_lr_rate"] = floor
    try:
        ours = engine(name, steps, kwargs)
    except ScheduleError:  # refused: transformers fails on the same run
        with pytest.raises((ZeroDivisionError, ValueError)):
            stepped(name, steps, kwargs)
        return
    np.testing.assert_allclose(ours, stepped(name, steps, kwargs), rtol=1e-9, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(warmup=st.integers(0, 50), timescale=st.one_of(st.none(), st.integers(1, 10_000)),
       steps=st.integers(1, 300))
def test_inverse_sqrt_matches_transformers(warmup, timescale, steps) -> None:
    kwargs = {"num_warmup_steps": warmup, "timescale": timescale}
    np.testing.assert_allclose(engine("get_inverse_sqrt_schedule", steps, kwargs),
                               stepped("get_inverse_sqrt_schedule", steps, kwargs), rtol=1e-9)


@pytest.mark.parametrize("name, kwargs, lr, library_error", [
    ("get_polynomial_decay_schedule_with_warmup",
     {"num_warmup_steps": 2, "num_training_steps": 10, "lr_end": 0.5}, 0.1, ValueError),
    ("get_polynomial_decay_schedule_with_warmup",
     {"num_warmup_steps": 10, "num_training_steps": 10}, 0.1, ZeroDivisionError),
    ("get_cosine_with_min_lr_schedule_with_warmup",
     {"num_warmup_steps": 2, "num_training_steps": 10}, 0.1, ValueError),
    ("get_cosine_with_min_lr_schedule_with_warmup",
     {"num_warmup_steps": 2, "num_training_steps": 10, "min_lr": 1e-3, "min_lr_rate": 0.1},
     0.1, ValueError),
    ("get_polynomial_decay_schedule_with_warmup",
     {"num_warmup_steps": 2, "num_training_steps": 10, "power": -1.0}, 0.1, ZeroDivisionError),
    ("get_polynomial_decay_schedule_with_warmup",
     {"num_warmup_steps": 2, "num_training_steps": 10, "lr_end": -1e-7}, 0.0,
     ZeroDivisionError),
    ("get_cosine_with_min_lr_schedule_with_warmup",
     {"num_warmup_steps": 2, "num_training_steps": 10, "min_lr": 0.0}, 0.0, ZeroDivisionError),
    ("get_inverse_sqrt_schedule", {"num_warmup_steps": 0, "timescale": -5}, 0.1,
     ZeroDivisionError),
    ("get_wsd_schedule", {"num_warmup_steps": 2, "num_training_steps": 10}, 0.1, TypeError),
    ("get_cosine_schedule_with_warmup",
     {"num_warmup_steps": 2, "num_training_steps": 10, "num_cycle": 2}, 0.1, TypeError),
])
def test_what_transformers_refuses_is_refused_with_a_reason(name, kwargs, lr,
                                                             library_error) -> None:
    with pytest.raises(library_error):
        stepped(name, 20, kwargs, lr)
    with pytest.raises(ScheduleError) as caught:
        factors(name, 20, kwargs, lr)
    assert caught.value.text.render("zh") != str(caught.value)  # said in both languages


def test_a_million_steps_are_computed_at_once() -> None:
    f = factors("get_cosine_schedule_with_warmup", 1_000_000,
                {"num_warmup_steps": 2_000, "num_training_steps": 1_000_000}, LR)
    assert f.shape == (1_000_000,) and f[2_000] == 1.0 and f[-1] < 1e-10


@settings(max_examples=150, deadline=None)
@given(warmup=st.integers(0, 30), stable=st.one_of(st.none(), st.integers(0, 40)),
       decay=st.integers(0, 50), extra=st.integers(-20, 20), up=st.sampled_from(SHAPES),
       down=st.sampled_from(SHAPES), ratio=st.one_of(st.just(0), st.floats(0, 1)),
       cycles=st.floats(0, 3), steps=st.integers(1, 150))
def test_warmup_stable_decay_matches_transformers(warmup, stable, decay, extra, up, down,
                                                  ratio, cycles, steps) -> None:
    kwargs = {"num_warmup_steps": warmup, "num_decay_steps": decay,
              "num_training_steps": warmup + decay + 30 + extra, "num_stable_steps": stable,
              "warmup_type": up, "decay_type": down, "min_lr_ratio": ratio,
              "num_cycles": cycles}
    np.testing.assert_allclose(engine("get_wsd_schedule", steps, kwargs),
                               stepped("get_wsd_schedule", steps, kwargs), rtol=1e-9)


@settings(max_examples=80, deadline=None)
@given(warmup=st.integers(0, 30), length=st.integers(1, 100),
       start=st.one_of(st.none(), st.floats(0, 1)), rate=st.floats(0, 1),
       steps=st.integers(1, 150))
def test_cosine_with_a_warmup_rate_matches_transformers(warmup, length, start, rate,
                                                        steps) -> None:
    name = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
    kwargs = {"num_warmup_steps": warmup, "num_training_steps": length,
              "warmup_lr_rate": start, "min_lr_rate": rate}
    np.testing.assert_allclose(engine(name, steps, kwargs), stepped(name, steps, kwargs),
                               rtol=1e-9)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_get_scheduler_by_name_is_the_function_it_names(name: str) -> None:
    extra = {"cosine_with_min_lr": {"min_lr_rate": 0.05},
             "cosine_warmup_with_min_lr": {"min_lr": 1e-3},
             "warmup_stable_decay": {"num_decay_steps": 10},
             "polynomial": {"power": 2.0}}.get(name, {})
    args = {"num_warmup_steps": 5, "num_training_steps": 40,
            "scheduler_specific_kwargs": extra}
    params = [torch.nn.Parameter(torch.zeros(1))]
    optimizer = torch.optim.SGD(params, lr=LR)
    library = transformers.get_scheduler(name, optimizer, **args)
    rows = [optimizer.param_groups[0]["lr"]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(49):
            optimizer.step()
            library.step()
            rows.append(optimizer.param_groups[0]["lr"])
    function, kwargs = resolve(name, **args)
    np.testing.assert_allclose(LR * factors(function, 50, kwargs, LR), rows, rtol=1e-9)


def test_get_scheduler_names_what_it_cannot_model_or_misses() -> None:
    with pytest.raises(ScheduleError, match="no schedule named 'cosine_warm'.*linear, cosine"):
        resolve("cosine_warm", 5, 50)
    with pytest.raises(ScheduleError, match="needs num_training_steps"):
        resolve("linear", 5)
    with pytest.raises(ValueError, match="requires `num_training_steps`"):
        transformers.get_scheduler("linear", torch.optim.SGD(
            [torch.nn.Parameter(torch.zeros(1))], lr=LR), num_warmup_steps=5)


def test_a_negative_timescale_runs_as_far_as_transformers_runs_it() -> None:
    kwargs = {"num_warmup_steps": 0, "timescale": -5}
    np.testing.assert_allclose(engine("get_inverse_sqrt_schedule", 5, kwargs),
                               stepped("get_inverse_sqrt_schedule", 5, kwargs), rtol=1e-9)


def test_get_scheduler_refuses_an_argument_given_twice() -> None:
    with pytest.raises(ScheduleError, match="num_training_steps is passed by get_scheduler"):
        resolve("linear", 2, 10, {"num_training_steps": 99})
    with pytest.raises(TypeError, match="multiple values"):
        transformers.get_scheduler("linear", torch.optim.SGD(
            [torch.nn.Parameter(torch.zeros(1))], lr=LR), num_warmup_steps=2,
            num_training_steps=10, scheduler_specific_kwargs={"num_training_steps": 99})


@pytest.mark.parametrize("code", [
    "SequentialLR(optimizer, [get_constant_schedule_with_warmup(optimizer, 10), "
    "ExponentialLR(optimizer, 0.97)], milestones=[30])",
    "ChainedScheduler([get_cosine_schedule_with_warmup(optimizer, 5, 60), "
    "StepLR(optimizer, 20, 0.5)])",
])
def test_transformers_schedules_inside_torchs_composites_match_torch(code: str) -> None:
    """transformers' schedules are LambdaLRs: torch's SequentialLR and ChainedScheduler
    take them as phases, and the engine steps them as torch does."""
    import transformers.optimization as hf_lib

    from schedlab import compute_curve, parse_schedule

    schedule = parse_schedule(code, "SGD(params, lr=0.1)")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    first = (hf_lib.get_constant_schedule_with_warmup(optimizer, 10) if "Sequential" in code
             else hf_lib.get_cosine_schedule_with_warmup(optimizer, 5, 60))
    second = (torch.optim.lr_scheduler.ExponentialLR(optimizer, 0.97) if "Sequential" in code
              else torch.optim.lr_scheduler.StepLR(optimizer, 20, 0.5))
    composite = (torch.optim.lr_scheduler.SequentialLR(optimizer, [first, second], [30])
                 if "Sequential" in code else
                 torch.optim.lr_scheduler.ChainedScheduler([first, second]))
    rows = []
    for k in range(80):
        if k:
            optimizer.step()
            composite.step()
        rows.append(optimizer.param_groups[0]["lr"])
    np.testing.assert_allclose(compute_curve(schedule, 80)["lr"], rows, rtol=1e-9, atol=1e-15)
