"""Decimation keeps every peak and trough; figures stay small whatever the step count."""

from __future__ import annotations

import numpy as np
import plotly.io as pio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedlab import compute_curve, parse_schedule
from schedlab.analysis.events import find_events
from schedlab.engine.run import run_curve
from schedlab.present.plot import build_figure, curve_series, decimate
from schedlab.spec.horizon import Horizon


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


def _json_size(fig) -> int:
    return len(pio.to_json(fig, validate=False))


@pytest.mark.parametrize("code", [
    "CyclicLR(optimizer, base_lr=0.001, max_lr=0.1, step_size_up=2500)",
    "CosineAnnealingWarmRestarts(optimizer, T_0=1000, T_mult=1)",
    "LambdaLR(optimizer, lambda s: 0.5 + 0.5 * math.sin(s / 7))",
])
def test_figure_payload_stays_small_at_a_million_steps(code: str) -> None:
    horizon = Horizon(epochs=100, steps_per_epoch=10_000, step_per="batch")
    s = parse_schedule(code, "SGD([{'params': a}, {'params': b, 'lr': 0.01}], lr=0.1, "
                             "momentum=0.9)")
    table, _ = run_curve(s, horizon)
    series = curve_series(table, horizon, "current", 0)
    for i in range(6):  # six pinned comparisons on top
        series += curve_series(table, horizon, f"pinned {i}", i + 1, momentum=False)
    fig = build_figure(series, [(series[0], find_events(s.scheduler, table))], log_y=True)
    assert _json_size(fig) <= 250_000
    assert fig.layout.yaxis.type == "log"


def test_hover_and_axes() -> None:
    horizon = Horizon(epochs=10, steps_per_epoch=50, step_per="epoch")
    s = parse_schedule("StepLR(optimizer, step_size=3)", "Adam(params, lr=0.001)")
    table, _ = run_curve(s, horizon)
    fig = build_figure(curve_series(table, horizon, "current", 0), x_unit="epoch")
    lr, mom = fig.data[0], fig.data[1]
    assert "step %{customdata[0]}" in lr.hovertemplate and "epoch %{customdata[1]}" in \
        lr.hovertemplate and "%{y:.4g}" in lr.hovertemplate  # 4 significant digits
    assert fig.layout.hovermode == "x unified"  # every line's value at the same step
    assert lr.line.shape == "hv"  # per-epoch steps drawn as a staircase
    assert list(lr.x)[:3] == [0.0, 1.0, 2.0] and lr.x[-1] == pytest.approx(499 / 50)
    assert mom.yaxis == "y2" and set(mom.y) == {0.9}
    assert fig.layout.xaxis.title.text == "epoch"


def test_sixteen_groups_get_sixteen_colours() -> None:
    from schedlab.present.plot import COLORS

    assert len(set(COLORS[:16])) == 16


@pytest.mark.parametrize("lr, low, high", [(0.001, 0.0, 0.001), (5.0, 0.0, 5.0)])
def test_a_flat_lr_is_drawn_at_its_value_not_at_zero(lr: float, low: float, high: float
                                                     ) -> None:
    """Plotly centres a constant line on a range of +-1: Adam's lr=0.001 under a
    ReduceLROnPlateau that never reduces would sit on the 0 tick, reading as lr 0."""
    horizon = Horizon(epochs=20, steps_per_epoch=10, step_per="epoch")
    s = parse_schedule("ReduceLROnPlateau(optimizer, patience=2)", f"Adam(params, lr={lr})")
    table, _ = run_curve(s, horizon)
    y_range = build_figure(curve_series(table, horizon, "current", 0)).layout.yaxis.range
    assert y_range is not None and y_range[0] <= low and high < y_range[1] <= 1.5 * high
    assert build_figure(curve_series(table, horizon, "current", 0),
                        log_y=True).layout.yaxis.range is None  # a log axis shows decades


def test_a_changing_lr_keeps_plotlys_range() -> None:
    horizon = Horizon(epochs=20, steps_per_epoch=10, step_per="epoch")
    table, _ = run_curve(parse_schedule("StepLR(optimizer, 5)", "Adam(params, lr=0.001)"),
                         horizon)
    assert build_figure(curve_series(table, horizon, "current", 0)).layout.yaxis.range is None
