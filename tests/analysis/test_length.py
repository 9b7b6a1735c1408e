"""A schedule's length: the advice the checks give is the value torch's own loop accepts,
and the explorer's natural length draws a pasted schedule whole."""

from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedlab import check_schedule, parse_schedule
from schedlab.analysis.length import fit_horizon, natural_length
from schedlab.engine.oracle import build_torch
from schedlab.spec.catalog import SCHEDULERS
from schedlab.spec.horizon import Horizon
from tests.strategies import cases

SGD = "SGD(params, lr=0.1, momentum=0.9)"


def torch_loop(code: str, epochs: int, batches: int, step_per: str) -> str | None:
    """pytorch/examples' loop: optimizer.step() every batch, scheduler.step() after every
    batch or every epoch. The error torch raises, or None when the run ends."""
    optimizer, scheduler = build_torch(parse_schedule(code, SGD))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            for _ in range(epochs):
                for _ in range(batches):
                    optimizer.step()
                    if step_per == "batch":
                        scheduler.step()
                if step_per == "epoch":
                    scheduler.step()
        except ValueError as exc:
            return str(exc)
    return None


# (scheduler code, epochs, batches per epoch, step_per): each a run that torch stops
# at its very last scheduler.step(), which the old check let through.
ONE_SHORT = [
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=99)", 10, 10, "batch"),
    ("OneCycleLR(optimizer, max_lr=0.1, epochs=3, steps_per_epoch=62)", 3, 63, "batch"),
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=19)", 20, 50, "epoch"),
    ("SequentialLR(optimizer, [LinearLR(optimizer, 0.1, total_iters=10), "
     "OneCycleLR(optimizer, max_lr=0.1, total_steps=89)], milestones=[10])", 1, 100, "batch"),
    ("SequentialLR(optimizer, [OneCycleLR(optimizer, max_lr=0.1, total_steps=99), "
     "ConstantLR(optimizer)], milestones=[500])", 1, 100, "batch"),
    ("ChainedScheduler([OneCycleLR(optimizer, max_lr=0.1, total_steps=99), "
     "ConstantLR(optimizer, factor=0.5, total_iters=3)])", 4, 25, "batch"),
]


@pytest.mark.parametrize("code,epochs,batches,step_per", ONE_SHORT)
def test_one_step_short_is_an_error_and_its_advice_runs_in_torch(code, epochs, batches,
                                                                 step_per) -> None:
    assert "Tried to step" in torch_loop(code, epochs, batches, step_per)
    rows = epochs * batches if step_per == "batch" else epochs
    schedule = parse_schedule(code, SGD)
    found = [f for f in check_schedule(schedule, rows, batches, step_per)
             if f.code == "onecycle-too-short"]
    assert found and found[0].severity == "error"
    advised = re.search(r"total_steps=(\d+)", found[0].fix).group(1)
    fixed = re.sub(r"total_steps=\d+|epochs=3, steps_per_epoch=62",
                   f"total_steps={advised}", code)
    assert torch_loop(fixed, epochs, batches, step_per) is None
    after = check_schedule(parse_schedule(fixed, SGD), rows, batches, step_per)
    assert not [f for f in after if f.severity == "error"], after


def test_a_phase_switched_away_from_is_stepped_one_call_less() -> None:
    """OneCycleLR as the first phase up to milestone 101 is stepped 100 times: fine."""
    code = ("SequentialLR(optimizer, [OneCycleLR(optimizer, max_lr=0.1, total_steps=100), "
            "ConstantLR(optimizer)], milestones=[101])")
    assert torch_loop(code, 2, 100, "batch") is None
    found = check_schedule(parse_schedule(code, SGD), 200, 100, "batch")
    assert not [f for f in found if f.code == "onecycle-too-short"]


def test_exact_length_gives_no_finding_about_the_length() -> None:
    code = "OneCycleLR(optimizer, max_lr=0.1, total_steps=100)"
    assert torch_loop(code, 1, 100, "batch") is None
    codes = {f.code for f in check_schedule(parse_schedule(code, SGD), 100, 100, "batch")}
    assert not codes & {"onecycle-too-short", "onecycle-never-anneals"}


@pytest.mark.parametrize("code,length", [
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)", 1000),
    ("OneCycleLR(optimizer, max_lr=0.1, epochs=10, steps_per_epoch=391)", 3910),
    ("CosineAnnealingLR(optimizer, T_max=50)", 50),
    ("LinearLR(optimizer, start_factor=0.1, total_iters=8)", None),  # a warmup
    ("LinearLR(optimizer, start_factor=1.0, end_factor=0.01, total_iters=8)", 8),  # a decay
    ("ConstantLR(optimizer, factor=0.5, total_iters=4)", None),
    ("PolynomialLR(optimizer, total_iters=0)", None),
    ("ChainedScheduler([ConstantLR(optimizer, factor=0.1, total_iters=2), "
     "ExponentialLR(optimizer, gamma=0.9)])", None),  # the exponential never ends
    ("ChainedScheduler([CosineAnnealingWarmRestarts(optimizer, T_0=7), "
     "CosineAnnealingWarmRestarts(optimizer, T_0=10)])", None),  # cycles end apart
    ("PolynomialLR(optimizer, total_iters=40, power=2)", 40),
    ("SequentialLR(optimizer, [LinearLR(optimizer, 0.001, total_iters=2000), "
     "CosineAnnealingLR(optimizer, T_max=598000)], milestones=[2000])", 600_000),
    ("ChainedScheduler([ConstantLR(optimizer, factor=0.5, total_iters=3), "
     "CosineAnnealingLR(optimizer, T_max=30)])", 30),
    ("StepLR(optimizer, 30)", None),
    ("LambdaLR(optimizer, lambda e: 0.9 ** e)", None),
    ("SequentialLR(optimizer, [LinearLR(optimizer, 0.1, total_iters=5), "
     "ExponentialLR(optimizer, 0.9)], milestones=[5])", None),
])
def test_natural_length(code: str, length: int | None) -> None:
    assert natural_length(parse_schedule(code, SGD).scheduler) == length


def test_restarts_end_where_a_cycle_ends() -> None:
    spec = parse_schedule("CosineAnnealingWarmRestarts(optimizer, T_0=10, T_mult=2)",
                          SGD).scheduler
    assert natural_length(spec, 1) == 10
    assert natural_length(spec, 25) == 30  # cycles end at 10, 30, 70, ...
    assert natural_length(spec, 31) == 70
    flat = parse_schedule("CosineAnnealingWarmRestarts(optimizer, T_0=10)", SGD).scheduler
    assert natural_length(flat, 95) == 100


@pytest.mark.parametrize("code,run,expected", [
    ("SequentialLR(optimizer, [LinearLR(optimizer, 0.001, total_iters=2000), "
     "CosineAnnealingLR(optimizer, T_max=598000)], milestones=[2000])", Horizon(),
     Horizon(6000, 100, "batch")),
    ("OneCycleLR(optimizer, max_lr=0.1, epochs=10, steps_per_epoch=391)", Horizon(),
     Horizon(10, 391, "batch")),
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)", Horizon(30, 391, "epoch"),
     Horizon(2, 500, "batch")),  # 500 is the divisor of 1,000 nearest 391
    ("CosineAnnealingLR(optimizer, T_max=200)", Horizon(), Horizon(200, 100, "epoch")),
    ("CosineAnnealingLR(optimizer, T_max=5000)", Horizon(10, 100, "batch"),
     Horizon(50, 100, "batch")),
    ("StepLR(optimizer, 30)", Horizon(), Horizon()),
    ("CosineAnnealingLR(optimizer, T_max=10**9)", Horizon(), Horizon()),  # too long to draw
])
def test_a_pasted_schedule_gets_a_run_that_draws_it_whole(code, run, expected) -> None:
    fitted, note = fit_horizon(parse_schedule(code, SGD).scheduler, run)
    assert fitted == expected
    assert (note is None) == (code.startswith("StepLR"))
    if "10**9" in code:
        assert "1,000,000,000 steps, more than the 10,000,000" in str(note)


PASTES = [
    "LinearLR(optimizer, total_iters=0)",
    "ConstantLR(optimizer, total_iters=0)",
    "PolynomialLR(optimizer, total_iters=0)",
    "CosineAnnealingLR(optimizer, T_max=1000)",
    "CosineAnnealingLR(optimizer, T_max=1001)",
    "CosineAnnealingLR(optimizer, T_max=9999991)",  # a prime: one epoch of it
    "OneCycleLR(optimizer, max_lr=0.1, total_steps=10000)",
    "OneCycleLR(optimizer, max_lr=0.1, epochs=10, steps_per_epoch=391)",
    "PolynomialLR(optimizer, total_iters=40, power=2)",
    "LinearLR(optimizer, start_factor=1.0, end_factor=0.05, total_iters=300)",
    "CosineAnnealingWarmRestarts(optimizer, T_0=10, T_mult=2)",
    "SequentialLR(optimizer, [LinearLR(optimizer, 0.001, total_iters=2000), "
    "CosineAnnealingLR(optimizer, T_max=598000)], milestones=[2000])",
    "ChainedScheduler([ConstantLR(optimizer, factor=0.1, total_iters=2), "
    "CosineAnnealingLR(optimizer, T_max=30)])",
]
RUNS = [Horizon(), Horizon(100, 20000, "epoch"), Horizon(30, 391, "batch"), Horizon(1, 1)]


@pytest.mark.parametrize("code", PASTES)
@pytest.mark.parametrize("run", RUNS)
def test_a_fitted_run_draws_without_a_finding_about_its_length(code: str, run: Horizon
                                                               ) -> None:
    """Whatever the run before, Apply gives a run the page can draw, and the check has
    nothing to say about the schedule's length in it."""
    schedule = parse_schedule(code, SGD)
    fitted, note = fit_horizon(schedule.scheduler, run)
    assert isinstance(fitted, Horizon)
    if "total_iters=0" in code:  # no length at all: the run stays (the lr is constant)
        assert (fitted, note) == (run, None)
        return
    if note and fitted == run:
        return  # left as it was, and said why
    found = check_schedule(schedule, fitted.scheduler_steps, fitted.steps_per_epoch,
                           fitted.step_per)
    assert not [f for f in found if f.severity != "info" and f.code != "cycle-momentum"], \
        (fitted, found)


@given(case=st.sampled_from(sorted(SCHEDULERS)).flatmap(lambda n: cases(n, 50)),
       epochs=st.integers(1, 10**7), per_epoch=st.integers(1, 10**7),
       per=st.sampled_from(["epoch", "batch"]), counted=st.booleans())
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_fitting_a_run_never_fails(case, epochs, per_epoch, per, counted) -> None:
    if epochs * per_epoch > 10**7:
        per_epoch = max(1, 10**7 // epochs)
    run = Horizon(epochs, per_epoch, per)
    fitted, note = fit_horizon(case.schedule().scheduler, run, in_batches=counted)
    assert isinstance(fitted, Horizon)
    assert note is not None or fitted == run  # a changed run is always said
