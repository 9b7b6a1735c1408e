"""What the explorer sends the browser for a long run: about two points per pixel column,
every bucket's lowest and highest value among them, hover at the true steps and values."""

from __future__ import annotations

import base64
import json

import numpy as np
from streamlit.testing.v1 import AppTest

from schedlab import compute_curve, parse_schedule
from schedlab.app import HOME
from schedlab.present.share import ExplorerState
from schedlab.spec.horizon import Horizon

APP = str(HOME)
OPT = "SGD(params, lr=0.1, momentum=0.9)"
MILLION = Horizon(1000, 1000, "batch")  # a million optimizer steps, stepped per batch
WIDTH = 1000  # pixel columns of a wide plot: each line is at most two points per column


def spec(code: str, horizon: Horizon) -> dict:
    """The figure the page sends for this schedule over this run."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["s"] = ExplorerState(parse_schedule(code, OPT), horizon).encode()
    at.switch_page("pages/explorer.py").run()
    assert not at.exception and not at.error
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def array(value) -> np.ndarray:
    """A figure array as sent (plotly writes numpy arrays as base64 bytes)."""
    if isinstance(value, dict):
        shape = [int(n) for n in str(value.get("shape", "-1")).split(",")]
        raw = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return raw.reshape(shape)
    return np.asarray(value)


def test_a_million_step_cyclic_chart_sends_two_points_per_pixel_with_every_extreme() -> None:
    code = "CyclicLR(optimizer, base_lr=0.001, max_lr=0.1, step_size_up=1234)"
    figure = spec(code, MILLION)
    lr = compute_curve(parse_schedule(code, OPT), 1_000_000)["lr"].to_numpy()
    line = figure["data"][0]
    x, y, hover = array(line["x"]), array(line["y"]), array(line["customdata"])
    assert len(x) <= 2 * WIDTH + 2  # was 3,500 points a line
    assert np.array_equal(hover[:, 0], x) and np.array_equal(y, lr[x])  # true steps, values
    size = -(-len(lr) // WIDTH)
    for start in range(0, len(lr), size):  # the drawn envelope is the true curve's
        inside = y[(x >= start) & (x < start + size)]
        assert inside.max() == lr[start:start + size].max()
        assert inside.min() == lr[start:start + size].min()
    assert len(json.dumps(figure)) < 120_000


def test_a_million_step_staircase_is_drawn_exactly_from_a_few_points() -> None:
    code = "StepLR(optimizer, step_size=100000, gamma=0.5)"
    figure = spec(code, MILLION)
    lr = compute_curve(parse_schedule(code, OPT), 1_000_000)["lr"].to_numpy()
    lines = [t for t in figure["data"] if t["mode"] == "lines"]
    x, y = array(lines[0]["x"]), array(lines[0]["y"])
    assert len(x) <= 2 * 10 + 2  # both ends of each of the eleven flat runs
    # the line Plotly draws through them passes through the true lr at every step
    assert np.array_equal(np.interp(np.arange(len(lr)), x, y), lr)
    momentum = array(lines[1]["y"])
    assert len(momentum) == 2 and set(momentum) == {0.9}
    assert len(json.dumps(figure)) < 20_000  # was 121 KB


def test_short_runs_keep_every_step_for_the_hover() -> None:
    figure = spec("StepLR(optimizer, step_size=30, gamma=0.1)", Horizon(100, 100, "epoch"))
    line = figure["data"][0]
    assert len(array(line["x"])) == 101 and line["line"]["shape"] == "hv"
