"""What the explorer sends the browser for a long run: about two points per pixel column,
every bucket's lowest and highest value among them, hover at the true steps and values."""

from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from schedlab import compute_curve, parse_schedule
from schedlab.app import HOME
from schedlab.present.share import ExplorerState
from schedlab.spec.horizon import Horizon
from tests.echarts import lines_of, option_of

APP = str(HOME)
OPT = "SGD(params, lr=0.1, momentum=0.9)"
MILLION = Horizon(1000, 1000, "batch")  # a million optimizer steps, stepped per batch
WIDTH = 1000  # pixel columns of a wide plot: each line is at most two points per column


def spec(code: str, horizon: Horizon) -> dict:
    """The chart the page sends for this schedule over this run."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["s"] = ExplorerState(parse_schedule(code, OPT), horizon).encode()
    at.switch_page("pages/explorer.py").run()
    assert not at.exception and not at.error
    return option_of(at)


def test_a_million_step_cyclic_chart_sends_two_points_per_pixel_with_every_extreme() -> None:
    code = "CyclicLR(optimizer, base_lr=0.001, max_lr=0.1, step_size_up=1234)"
    chart = spec(code, MILLION)
    lr = compute_curve(parse_schedule(code, OPT), 1_000_000)["lr"].to_numpy()
    x, y = lines_of(chart)["current"]
    assert len(x) <= 2 * WIDTH + 2  # was 3,500 points a line
    steps = x.astype(np.int64)
    assert np.array_equal(steps, x) and np.array_equal(y, lr[steps])  # true steps, values
    size = -(-len(lr) // WIDTH)
    for start in range(0, len(lr), size):  # the drawn envelope is the true curve's
        inside = y[(x >= start) & (x < start + size)]
        assert inside.max() == lr[start:start + size].max()
        assert inside.min() == lr[start:start + size].min()
    assert chart["_bytes"] < 120_000


def test_a_million_step_staircase_is_drawn_exactly_from_a_few_points() -> None:
    code = "StepLR(optimizer, step_size=100000, gamma=0.5)"
    chart = spec(code, MILLION)
    lr = compute_curve(parse_schedule(code, OPT), 1_000_000)["lr"].to_numpy()
    drawn = lines_of(chart)
    x, y = drawn["current"]
    assert len(x) <= 2 * 10 + 2  # both ends of each of the eleven flat runs
    # the line ECharts draws through them passes through the true lr at every step
    assert np.array_equal(np.interp(np.arange(len(lr)), x, y), lr)
    momentum = drawn["current · momentum"][1]
    assert set(momentum) == {0.9}
    assert chart["_bytes"] < 20_000  # was 121 KB


def test_short_runs_keep_every_step_for_the_hover() -> None:
    chart = spec("StepLR(optimizer, step_size=30, gamma=0.1)", Horizon(100, 100, "epoch"))
    x, _ = lines_of(chart)["current"]
    assert len(x) == 101 and chart["series"][0]["step"] == "end"
