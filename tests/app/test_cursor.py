"""The explorer's step cursor: the exact values torch gives at the step picked, the epoch,
the phase in charge, and a line on the chart there."""

from __future__ import annotations

import pytest
import torch
from streamlit.testing.v1 import AppTest

from schedlab.app import HOME
from schedlab.present.share import ExplorerState
from schedlab.source.parse import parse_schedule
from schedlab.spec.horizon import Horizon
from tests.echarts import marks_of, option_of
from tests.markdown import shown

CODE = ("SequentialLR(optimizer, [LinearLR(optimizer, 0.1, total_iters=5), "
        "CosineAnnealingLR(optimizer, T_max=45)], milestones=[5])")
OPTIMIZER = "SGD([{'params': a}, {'params': b, 'lr': 0.01}], lr=0.1, momentum=0.9)"


def torch_lrs(calls: int) -> list[float]:
    """The lr of both groups after ``calls`` scheduler.step() calls, by torch itself."""
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.01}], lr=0.1, momentum=0.9)
    warm = torch.optim.lr_scheduler.LinearLR(opt, 0.1, total_iters=5)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=45)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[5])
    for _ in range(calls):
        opt.step()
        sched.step()
    return [g["lr"] for g in opt.param_groups]


def explorer(lang: str = "en") -> AppTest:
    state = ExplorerState(schedule=parse_schedule(CODE, OPTIMIZER),
                          horizon=Horizon(50, 10, "epoch"))
    at = AppTest.from_file(str(HOME), default_timeout=60)
    at.query_params["lang"] = lang
    at.query_params["s"] = state.encode()
    return at.run().switch_page("pages/explorer.py").run()


@pytest.mark.parametrize("step", [0, 37, 123, 499])
def test_the_cursor_shows_torchs_values_at_the_step(step) -> None:
    at = explorer()
    at.toggle(key="cursor.on").set_value(True).run()
    at.slider(key="cursor.500").set_value(step).run()
    assert not at.exception
    tiles = {m.label: m.value for m in at.metric}
    calls = step // 10  # stepped once per epoch of 10 batches
    lr, group = torch_lrs(calls)
    assert float(tiles["lr"]) == pytest.approx(lr, rel=1e-5)
    assert float(tiles["lr of group 1"]) == pytest.approx(group, rel=1e-5)
    assert tiles["epoch"] == f"{calls:,}" and float(tiles["momentum"]) == pytest.approx(0.9)
    phase = "Phase 1 is in charge: LinearLR" if calls < 5 else \
        "Phase 2 is in charge: CosineAnnealingLR"
    assert any(shown(c.value).startswith(phase) for c in at.caption)
    marks = marks_of(option_of(at))["markLine"]["data"]  # phases dotted, the cursor not
    assert [m["xAxis"] for m in marks if m["lineStyle"]["type"] == "solid"] == [step]


def test_the_cursor_speaks_chinese() -> None:
    at = explorer("zh")
    at.toggle(key="cursor.on").set_value(True).run()
    at.slider(key="cursor.500").set_value(60).run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "参数组 1 的 lr" in labels
    assert any(shown(c.value).startswith("当前由第 2 阶段负责") for c in at.caption)


def test_the_cursor_counts_reduce_on_plateaus_bad_epochs_as_torch_does() -> None:
    from schedlab.present.lessons import lessons

    lesson = next(lesson for lesson in lessons() if lesson.key == "plateau")
    state = lesson.state
    at = AppTest.from_file(str(HOME), default_timeout=60)
    at.query_params["s"] = state.encode()
    at.run().switch_page("pages/explorer.py").run()
    at.toggle(key="cursor.on").set_value(True).run()
    h = state.horizon
    metric = state.metric.series(h.scheduler_steps)
    spec = state.schedule.scheduler
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **spec.kwargs)
    for calls, value in enumerate(metric[:40], start=1):
        opt.step()
        sched.step(float(value))
        if calls % 7:
            continue
        at.slider(key=f"cursor.{h.total_steps}").set_value(calls * h.steps_per_epoch).run()
        tiles = {m.label: m.value for m in at.metric}
        assert tiles["bad epochs"] == f"{sched.num_bad_epochs} of patience 5"
        assert tiles["cooldown left"] == str(sched.cooldown_counter)
        assert float(tiles["best metric so far"]) == pytest.approx(sched.best, rel=1e-3)
        assert float(tiles["lr"]) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-5)
