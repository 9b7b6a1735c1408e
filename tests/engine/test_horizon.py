"""Runs: per-epoch vs per-batch stepping, the per-step table, the summary numbers."""

from __future__ import annotations

import numpy as np
import pytest

from schedlab import ScheduleError, parse_schedule
from schedlab.analysis.summary import summarize
from schedlab.engine.run import per_optimizer_step, run_curve
from schedlab.spec.horizon import Horizon


def test_stepping_per_epoch_holds_the_lr_for_a_whole_epoch() -> None:
    s = parse_schedule("CosineAnnealingLR(optimizer, T_max=1000)")
    per_epoch, _ = run_curve(s, Horizon(10, 100, "epoch"))
    per_batch, _ = run_curve(s, Horizon(10, 100, "batch"))
    assert len(per_epoch) == 10 and len(per_batch) == 1000
    table = per_optimizer_step(per_epoch, Horizon(10, 100, "epoch"))
    assert list(table.columns) == ["step", "epoch", "lr"]
    assert len(table) == 1000 and table["epoch"].iloc[-1] == 9
    assert np.all(table["lr"].to_numpy()[:100] == per_epoch["lr"][0])
    # the classic mistake: T_max counted in batches but stepped per epoch barely decays
    assert table["lr"].iloc[-1] > 0.09 > per_batch["lr"].iloc[-1]


def test_summary_numbers() -> None:
    s = parse_schedule("SequentialLR(o, [LinearLR(o, 0.01, total_iters=10), "
                       "ExponentialLR(o, gamma=0.5)], milestones=[10])")
    h = Horizon(20, 5, "epoch")
    table, _ = run_curve(s, h)
    out = summarize(table, h)
    lr = table["lr"].to_numpy()
    assert out["peak"] == lr.max() == 0.1 and out["final"] == lr[-1]
    assert out["mean"] == pytest.approx(lr.mean())
    assert out["below_10pct"] == 14 * 5  # 0.1 * 0.5**4 < 0.01 at scheduler step 14


@pytest.mark.parametrize("kwargs,param", [
    ({"epochs": 0}, "epochs"), ({"steps_per_epoch": -1}, "steps_per_epoch"),
    ({"step_per": "week"}, "step_per"), ({"epochs": 10**5, "steps_per_epoch": 10**3},
                                         "epochs"), ({"epochs": 2.5}, "epochs"),
])
def test_bad_horizons(kwargs: dict, param: str) -> None:
    with pytest.raises(ScheduleError) as err:
        Horizon(**kwargs)
    assert err.value.param == param
