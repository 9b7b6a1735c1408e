"""ReduceLROnPlateau's bookkeeping as the step cursor shows it: the bad-epoch counter, the
cooldown left and the best metric after every call, each equal to torch's own."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from schedlab.engine.composite import plateau_trace
from schedlab.source.parse import parse_schedule
from schedlab.spec.horizon import MetricSettings


@pytest.mark.parametrize("code", [
    "ReduceLROnPlateau(optimizer, patience=5, cooldown=3, threshold=0.01)",
    "ReduceLROnPlateau(optimizer, patience=0, threshold_mode='abs', threshold=0.001)",
    "ReduceLROnPlateau(optimizer, mode='max', patience=2, cooldown=1)",
])
def test_the_counters_after_every_call_are_torchs(code) -> None:
    spec = parse_schedule(code).scheduler
    steps = 200
    metric = MetricSettings(seed=3, noise=0.05, plateau_at=0.2, plateau_length=0.4).series(steps)
    trace = plateau_trace(spec.args, metric, steps)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, **spec.kwargs)
    seen = {"bad_epochs": [0], "cooldown_left": [0], "best": [sched.best]}
    for value in metric[:steps - 1]:
        opt.step()
        sched.step(float(value))
        seen["bad_epochs"].append(sched.num_bad_epochs)
        seen["cooldown_left"].append(sched.cooldown_counter)
        seen["best"].append(sched.best)
    assert trace["bad_epochs"].tolist() == seen["bad_epochs"]
    assert trace["cooldown_left"].tolist() == seen["cooldown_left"]
    assert np.array_equal(trace["best"], np.array(seen["best"], dtype=float))
    # the case does exercise the counter (patience=0 cuts at once, so it stays at 0)
    assert max(seen["bad_epochs"]) > 0 or opt.param_groups[0]["lr"] < 0.1
