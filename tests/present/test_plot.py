"""Decimation keeps every peak and trough; figures stay small whatever the step count."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from schedlab import compute_curve, parse_schedule
from schedlab.analysis.events import find_events
from schedlab.engine.run import run_curve
from schedlab.present.plot import CELLS, MARKS, Series, build_chart, curve_series, decimate
from schedlab.spec.horizon import Horizon
from tests.echarts import lines_of, marks_of


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=3000), st.integers(4, 500))
def test_decimation_keeps_each_buckets_extremes(values: list, budget: int) -> None:
    y = np.array(values)
    idx = decimate(y, budget)
    assert idx[0] == 0 and idx[-1] == len(y) - 1 and np.all(np.diff(idx) > 0)
    if len(y) <= budget:
        assert len(idx) == len(y)
        return
    assert len(idx) <= budget + 2
    kept = set(idx.tolist())
    size = -(-len(y) // max(1, budget // 2))
    for start in range(0, len(y), size):
        window = y[start:start + size]
        assert window.max() in y[[i for i in kept if start <= i < start + size]]
        assert window.min() in y[[i for i in kept if start <= i < start + size]]


def test_a_million_step_cyclic_curve_keeps_every_peak() -> None:
    s = parse_schedule("CyclicLR(optimizer, base_lr=0.001, max_lr=0.1, step_size_up=2500)",
                       "SGD(params, lr=0.1, momentum=0.9)")
    lr = compute_curve(s, 1_000_000)["lr"].to_numpy()
    idx = decimate(lr, 2000)
    kept = lr[idx]
    peaks = np.flatnonzero((kept[1:-1] > kept[:-2]) & (kept[1:-1] >= kept[2:])) + 1
    assert len(peaks) == 200  # 1M steps / (2 x 2500) cycles, not an aliasing pattern
    assert kept.max() == lr.max() and kept.min() == lr.min()


def _size(option: dict) -> int:
    """Bytes sent for a chart: its tables as Arrow (as st.echarts_chart sends them), the
    rest as JSON."""
    tables = sum(len(convert_anything_to_arrow_bytes(d["source"])) for d in option["dataset"])
    rest = {k: v for k, v in option.items() if k != "dataset"}
    return tables + len(json.dumps(rest))


@pytest.mark.parametrize("code", [
    "CyclicLR(optimizer, base_lr=0.001, max_lr=0.1, step_size_up=2500)",
    "CosineAnnealingWarmRestarts(optimizer, T_0=1000, T_mult=1)",
    "LambdaLR(optimizer, lambda s: 0.5 + 0.5 * math.sin(s / 7))",
])
def test_chart_payload_stays_small_at_a_million_steps(code: str) -> None:
    horizon = Horizon(epochs=100, steps_per_epoch=10_000, step_per="batch")
    s = parse_schedule(code, "SGD([{'params': a}, {'params': b, 'lr': 0.01}], lr=0.1, "
                             "momentum=0.9)")
    table, _ = run_curve(s, horizon)
    series = curve_series(table, horizon, "current", 0)
    for i in range(6):  # six pinned comparisons on top
        series += curve_series(table, horizon, f"pinned {i}", i + 1, momentum=False)
    option = build_chart(series, [(series[0], find_events(s.scheduler, table))], log_y=True)
    assert _size(option) <= 250_000
    assert option["yAxis"][0]["type"] == "log"
    assert len(lines_of(option)) == len(series)  # every line drawn, none dropped to fit
    assert option["dataset"][0]["source"].size <= CELLS + len(option["dataset"][0]["source"])


def test_hover_and_axes() -> None:
    horizon = Horizon(epochs=10, steps_per_epoch=50, step_per="epoch")
    s = parse_schedule("StepLR(optimizer, step_size=3)", "Adam(params, lr=0.001)")
    table, _ = run_curve(s, horizon)
    option = build_chart(curve_series(table, horizon, "current", 0), x_unit="epoch")
    lr, mom = option["series"][0], option["series"][1]
    tooltip = option["tooltip"]
    assert tooltip["trigger"] == "axis"  # every line's value at the same step
    assert tooltip["valueFormatter"] == "%.4g"  # 4 significant digits
    assert lr["step"] == "end"  # per-epoch steps drawn as a staircase
    x, y = lines_of(option)["current"]
    assert list(x[:3]) == [0.0, 1.0, 2.0] and x[-1] == pytest.approx(499 / 50)
    assert mom["yAxisIndex"] == 1 and set(lines_of(option)["current · momentum"][1]) == {0.9}
    assert option["xAxis"][0]["name"] == "epoch"
    assert option["xAxis"][0]["axisPointer"]["label"]["precision"] == 3


def test_every_line_has_a_value_at_every_hovered_x() -> None:
    """ECharts' tooltip along x lists only the lines with a point at the hovered x: so
    every line has a value at every x of the table within its own run, the value drawn
    there, and none past its end (a shorter pinned run stops where it stops)."""
    long_run = Horizon(epochs=20, steps_per_epoch=10, step_per="epoch")
    short = Horizon(epochs=12, steps_per_epoch=10, step_per="epoch")
    a = parse_schedule("StepLR(optimizer, step_size=3, gamma=0.5)", "SGD(params, lr=0.1)")
    b = parse_schedule("ExponentialLR(optimizer, gamma=0.8)", "SGD(params, lr=0.05)")
    ta, _ = run_curve(a, long_run)
    tb, _ = run_curve(b, short)
    option = build_chart(curve_series(ta, long_run, "a", 0, momentum=False)
                         + curve_series(tb, short, "b", 1, momentum=False))
    table = option["dataset"][0]["source"]
    steps = table["x"].to_numpy()
    assert np.isfinite(table["y0"]).all()
    inside = steps <= 119
    assert np.isfinite(table["y1"][inside]).all() and np.isnan(table["y1"][~inside]).all()
    # a staircase: the value at any step is the lr of the epoch it falls in
    want_a = ta["lr"].to_numpy()[(steps // 10).astype(int)]
    assert np.array_equal(table["y0"].to_numpy(), want_a)
    want_b = tb["lr"].to_numpy()[(steps[inside] // 10).astype(int)]
    assert np.array_equal(table["y1"].to_numpy()[inside], want_b)


def test_a_log_axis_leaves_gaps_where_the_lr_is_zero() -> None:
    horizon = Horizon(epochs=10, steps_per_epoch=1, step_per="epoch")
    s = parse_schedule("LambdaLR(optimizer, lambda e: 0.0 if e % 3 == 0 else 1.0)",
                       "SGD(params, lr=0.1)")
    table, _ = run_curve(s, horizon)
    option = build_chart(curve_series(table, horizon, "current", 0), log_y=True)
    y = option["dataset"][0]["source"]["y0"].to_numpy()
    assert np.isnan(y[[0, 3, 6, 9]]).all() and (y[[1, 2, 4]] == 0.1).all()
    linear = build_chart(curve_series(table, horizon, "current", 0))
    assert (linear["dataset"][0]["source"]["y0"].to_numpy()[[0, 3]] == 0).all()


def test_labels_are_sent_as_text_and_events_get_their_symbols() -> None:
    horizon = Horizon(epochs=10, steps_per_epoch=5, step_per="epoch")
    s = parse_schedule("MultiStepLR(optimizer, milestones=[3, 6], gamma=0.1)",
                       "SGD(params, lr=0.1)")
    table, _ = run_curve(s, horizon)
    label = "<img src=x onerror=alert(1)> & co"
    series = curve_series(table, horizon, label, 0, momentum=False)
    option = build_chart(series, [(series[0], find_events(s.scheduler, table))])
    names = {s["name"] for s in option["series"]}
    assert names == {label}  # ECharts draws names as text: markup shows as typed
    (marks,) = [s for s in option["series"] if s["type"] == "scatter"]
    assert marks["symbol"] == "diamond"
    events = option["dataset"][marks["datasetIndex"]]["source"]
    assert list(events["x"]) == [15.0, 30.0] and list(events["lr"]) == pytest.approx([
        0.01, 0.001])


def test_shades_and_the_cursor_are_drawn_at_their_steps() -> None:
    horizon = Horizon(epochs=10, steps_per_epoch=5, step_per="epoch")
    table, _ = run_curve(parse_schedule("StepLR(optimizer, 5)", "SGD(params, lr=0.1)"),
                         horizon)
    option = build_chart(curve_series(table, horizon, "current", 0, momentum=False),
                         shades=[(5.0, 20.0, "#d62728", "error")], cursor=12.0, lang="zh")
    first = marks_of(option)
    ((start, end),) = first["markArea"]["data"]
    assert (start["xAxis"], end["xAxis"], start["name"]) == (5.0, 20.0, "错误")
    assert [m["xAxis"] for m in first["markLine"]["data"]] == [12.0]
    assert option["xAxis"][0]["name"] == "优化器步数"


def test_sixteen_groups_get_sixteen_colours() -> None:
    from schedlab.present.plot import COLORS

    assert len(set(COLORS[:16])) == 16


def test_the_lr_axis_starts_at_zero() -> None:
    """ECharts' value axis includes 0 unless told to fit the data (``scale``): a flat lr
    of 0.001 under a ReduceLROnPlateau that never reduces reads as 0.001, not as a line
    in the middle of nowhere."""
    horizon = Horizon(epochs=20, steps_per_epoch=10, step_per="epoch")
    s = parse_schedule("ReduceLROnPlateau(optimizer, patience=2)", "Adam(params, lr=0.001)")
    table, _ = run_curve(s, horizon)
    axis = build_chart(curve_series(table, horizon, "current", 0))["yAxis"][0]
    assert axis["type"] == "value" and not axis.get("scale") and "min" not in axis


def test_the_metric_panel_ends_where_the_lr_does_and_marks_outlive_a_hidden_line() -> None:
    """The metric's last point is a step after the lr's (it is read after the step): both
    x axes end at the same x, so their steps line up. The shades and the cursor sit on a
    series of their own, outside the legend: hiding the current line keeps them."""
    horizon = Horizon(epochs=3, steps_per_epoch=7, step_per="epoch")
    s = parse_schedule("ReduceLROnPlateau(optimizer, patience=0)", "SGD(params, lr=0.1)")
    table, metric = run_curve(s, horizon)
    series = curve_series(table, horizon, "current", 0, momentum=False)
    series.append(Series("metric", metric, horizon, axis="metric"))
    option = build_chart(series, metric_panel=True, shades=[(0.0, 7.0, "#d62728", "error")],
                         cursor=3.0)
    top, bottom = option["xAxis"]
    assert top["max"] == bottom["max"] == 21
    assert MARKS not in option["legend"]["data"] and "current" in option["legend"]["data"]
    assert marks_of(option)["markArea"] and marks_of(option)["markLine"]
    assert "markArea" not in option["series"][0]  # not on the current line
