"""The LR range test's arithmetic: the sweep, the smoothing, the stop and the hints."""

from __future__ import annotations

import math

import numpy as np
import pytest

from schedlab.analysis.rangetest import Smoother, smooth, suggest, sweep


def test_an_exponential_sweep_multiplies_the_lr_by_one_factor_from_start_to_end() -> None:
    lrs = sweep(1e-7, 10.0, 100, "exp")
    assert lrs[0] == pytest.approx(1e-7) and lrs[-1] == pytest.approx(10.0)
    factor = (10.0 / 1e-7) ** (1 / 99)
    assert np.allclose(lrs[1:] / lrs[:-1], factor)


def test_a_linear_sweep_adds_one_amount_per_step() -> None:
    lrs = sweep(0.01, 1.0, 100, "linear")
    assert lrs[0] == pytest.approx(0.01) and lrs[-1] == pytest.approx(1.0)
    assert np.allclose(np.diff(lrs), 0.99 / 99)


def test_the_smoothed_loss_is_the_bias_corrected_moving_average() -> None:
    losses = [2.3, 2.1, 1.7, 1.9, 1.2]
    beta, average, expected = 0.98, 0.0, []
    for i, x in enumerate(losses, start=1):
        average = beta * average + (1 - beta) * x
        expected.append(average / (1 - beta ** i))
    assert smooth(np.array(losses)) == pytest.approx(expected)
    assert smooth(np.array([5.0]))[0] == pytest.approx(5.0)  # no bias towards 0


def test_the_sweep_stops_once_the_smoothed_loss_exceeds_four_times_its_best() -> None:
    smoother = Smoother(beta=0.0)  # no smoothing: each loss as it is
    assert not smoother.diverged(smoother.add(10.0))  # the first step never stops it
    assert not smoother.diverged(smoother.add(1.0))
    assert not smoother.diverged(smoother.add(4.0))  # 4x the best: not more
    assert smoother.diverged(smoother.add(4.01))
    nan = Smoother()
    assert nan.diverged(nan.add(math.nan))


def test_the_hints_are_the_steepest_fall_and_a_tenth_of_the_lowest_loss() -> None:
    lrs = 10.0 ** np.linspace(-6, 0, 121)  # 20 points per decade
    x = np.log10(lrs)
    # falls fastest at 1e-3, lowest at 1e-1.5, then climbs
    loss = 2 - np.tanh(2 * (x + 3)) + np.where(x > -1.5, 30 * (x + 1.5) ** 2, 0) \
        - 0.2 * np.exp(-((x + 1.5) ** 2) / 0.02)
    hints = suggest(lrs, loss, "exp")
    assert hints["steepest"] == pytest.approx(1e-3, rel=0.13)  # within a grid step
    assert hints["min_div_10"] == pytest.approx(10 ** -1.5 / 10, rel=0.13)


def test_hints_ignore_a_diverged_tail_and_say_none_when_they_cannot_tell() -> None:
    lrs = sweep(1e-4, 1.0, 50, "exp")
    loss = np.linspace(3.0, 1.0, 50)
    loss[-5:] = np.nan  # the loss blew up
    hints = suggest(lrs, loss, "exp")
    assert hints["min_div_10"] == pytest.approx(lrs[44] / 10)
    short = suggest(lrs[:3], loss[:3], "exp")
    assert short["steepest"] is None and short["min_div_10"] == pytest.approx(lrs[2] / 10)
    assert suggest(lrs[:2], np.array([math.nan, math.nan]), "exp") == {
        "steepest": None, "min_div_10": None}


def test_a_linear_sweep_finds_the_steepest_fall_against_the_lr_itself() -> None:
    lrs = sweep(0.001, 1.0, 200, "linear")
    loss = 1 / (1 + np.exp((lrs - 0.3) * 40))  # falls fastest at lr 0.3
    assert suggest(lrs, loss, "linear")["steepest"] == pytest.approx(0.3, abs=0.006)


def test_the_steepest_fall_is_looked_for_before_the_lowest_loss_only() -> None:
    lrs = sweep(1e-6, 10.0, 100, "exp")
    x = np.log10(lrs)
    loss = 2 - np.tanh(2 * (x + 3))  # falls fastest at 1e-3, lowest near 1e-1
    loss[x > -1] = 1.0 + 3 * (x[x > -1] + 1)  # then diverges...
    loss[-4] = 1.5  # ...with a swing down, steeper than the fall, yet above the lowest
    loss[-3:] = 9.0
    hints = suggest(lrs, loss, "exp")
    assert hints["steepest"] == pytest.approx(1e-3, rel=0.2)
