"""The LR range test on the offline MNIST digits: the lr torch's optimizer really used at
each step, the early stop, the hints, and the command line's JSON lines."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from schedlab.analysis.rangetest import sweep
from schedlab.errors import ConfigError
from schedlab.source.parse import parse_optimizer
from schedlab.training.lrfind import RangeTest, lr_find

SHORT = dict(data="offline", model="mlp", batch_size=64)


@pytest.fixture
def used_lrs(monkeypatch):
    """The lr of every param group at each ``optimizer.step()`` torch takes."""
    seen: list[list[float]] = []
    for cls in (torch.optim.SGD, torch.optim.Adam):
        step = cls.step

        def spy(self, *args, _step=step, **kwargs):
            seen.append([g["lr"] for g in self.param_groups])
            return _step(self, *args, **kwargs)

        monkeypatch.setattr(cls, "step", spy)
    return seen


def test_each_step_trains_at_the_swept_lr_and_reports_it(used_lrs) -> None:
    test = RangeTest(start_lr=1e-5, end_lr=1e-1, steps=40, **SHORT)
    events = list(lr_find(parse_optimizer("SGD(model.parameters(), lr=0.1)"), test))
    steps = [e for e in events if e["event"] == "step"]
    assert [e["step"] for e in steps] == list(range(40))
    assert [e["lr"] for e in steps] == pytest.approx(list(sweep(1e-5, 1e-1, 40, "exp")))
    assert [lrs[0] for lrs in used_lrs] == pytest.approx([e["lr"] for e in steps])
    # an untrained 10-class model starts near ln(10); the smoothed loss follows it
    assert steps[0]["loss"] == pytest.approx(np.log(10), abs=0.3)
    assert steps[0]["smoothed"] == pytest.approx(steps[0]["loss"])
    done = events[-1]
    assert done["event"] == "done" and done["status"] == "done" and done["steps"] == 40
    assert done["stopped_early"] is False
    assert set(done["suggestions"]) == {"steepest", "min_div_10"}
    assert 1e-5 <= done["suggestions"]["steepest"] <= 1e-1
    assert done["best_loss"] == pytest.approx(min(e["smoothed"] for e in steps))


def test_param_groups_keep_their_ratio_to_the_first_group(used_lrs) -> None:
    optimizer = parse_optimizer("SGD([{'params': a}, {'params': b, 'lr': 0.01}], lr=0.1)")
    test = RangeTest(start_lr=1e-4, end_lr=1e-2, steps=10, **SHORT)
    list(lr_find(optimizer, test))
    assert len(used_lrs) == 10
    for first, second in used_lrs:
        assert second == pytest.approx(first / 10)


def test_a_diverging_sweep_stops_early_once_the_loss_takes_off() -> None:
    test = RangeTest(start_lr=1e-3, end_lr=1e4, steps=200, **SHORT)
    events = list(lr_find(parse_optimizer("SGD(model.parameters(), lr=0.1)"), test))
    steps, done = [e for e in events if e["event"] == "step"], events[-1]
    assert done["stopped_early"] is True and done["steps"] == len(steps) < 200
    last = steps[-1]["smoothed"]
    assert last is None or last > 4 * done["best_loss"]
    assert done["best_lr"] < steps[-1]["lr"]


def test_a_sweep_asked_to_stop_ends_as_stopped() -> None:
    asked = iter([False] * 5 + [True])
    events = list(lr_find(parse_optimizer("Adam(model.parameters(), lr=1e-3)"),
                          RangeTest(steps=50, **SHORT), lambda: next(asked)))
    assert events[-1]["status"] == "stopped" and events[-1]["steps"] == 5


@pytest.mark.parametrize("fields, words", [
    (dict(start_lr=0.0), "start_lr"),
    (dict(start_lr=1.0, end_lr=0.1), "greater than start_lr"),
    (dict(end_lr=float("inf")), "end_lr"),
    (dict(steps=1), "steps"),
    (dict(mode="cubic"), "mode"),
])
def test_a_bad_sweep_is_refused_saying_what_is_allowed(fields, words) -> None:
    with pytest.raises(ConfigError, match=words):
        RangeTest(**fields)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schedlab", "lr-find", *args],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_the_command_line_prints_a_line_per_step_then_the_hints() -> None:
    done = _cli("--optimizer", "optim.Adam(model.parameters(), lr=1e-3)", "--steps", "30",
                "--start-lr", "1e-6", "--end-lr", "1", "--data", "offline", "--model", "mlp",
                "--mode", "exp", "--batch-size", "64", "--seed", "3")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["event"] == "start" and lines[0]["steps"] == 30
    steps = [e for e in lines if e["event"] == "step"]
    assert len(steps) >= 2 and set(steps[0]) == {"event", "step", "lr", "loss", "smoothed"}
    assert steps[0]["lr"] == pytest.approx(1e-6)
    last = lines[-1]
    assert last["event"] == "done" and isinstance(last["stopped_early"], bool)
    assert set(last["suggestions"]) == {"steepest", "min_div_10"}


@pytest.mark.parametrize("args, words", [
    (["--optimizer", "SGD(params, lr=0.1)", "--start-lr", "0"], "positive"),
    (["--optimizer", "SGD(params, lr=0.1)", "--end-lr", "1e-9"], "greater than start_lr"),
    (["--optimizer", "SGD(params, lr=0.1)", "--mode", "cubic"], "invalid choice"),
    (["--optimizer", "SGD(params, lr=0.1)", "--steps", "1"], "steps"),
    (["--optimizer", "Adamm(params, lr=0.1)"], "Adamm"),
    (["--optimizer", "LBFGS(params)"], "closure"),
    ([], "--optimizer"),
])
def test_bad_input_exits_2_with_one_line(args, words) -> None:
    done = _cli(*args, "--data", "offline")
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr, done.stderr
