"""The training engine: the lr it uses is the lr the explorer draws; stop, seed, devices."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from schedlab import ScheduleError, compute_curve, parse_schedule
from schedlab.training.loop import TrainConfig, Learner, pick_device, train

FAST = dict(data="offline", model="mlp", batch_size=500, log_every=1)  # 8 batches an epoch


def run(code: str, optimizer: str = "SGD(params, lr=0.1, momentum=0.9)", **kw):
    config = TrainConfig(**{**FAST, **kw})
    events = list(train(parse_schedule(code, optimizer), config))
    return events, [e for e in events if e["event"] == "step"], \
        [e for e in events if e["event"] == "epoch"]


@pytest.mark.parametrize("code,step_per", [
    ("OneCycleLR(optimizer, max_lr=0.5, total_steps=24)", "batch"),
    ("SequentialLR(optimizer, [LinearLR(optimizer, 0.1, total_iters=5), "
     "CosineAnnealingLR(optimizer, T_max=19, eta_min=0.001)], milestones=[5])", "batch"),
    ("CyclicLR(optimizer, 0.01, 0.1, step_size_up=3, mode='triangular2')", "batch"),
    ("StepLR(optimizer, step_size=1, gamma=0.5)", "epoch"),
    ("get_cosine_schedule_with_warmup(optimizer, 5, 24)", "batch"),
    ("get_scheduler('warmup_stable_decay', optimizer, num_warmup_steps=3, "
     "num_training_steps=24, scheduler_specific_kwargs={'num_decay_steps': 8})", "batch"),
    ("CosineLRScheduler(optimizer, t_initial=3, warmup_t=1, warmup_lr_init=0.01)", "epoch"),
    ("CosineLRScheduler(optimizer, t_initial=24, t_in_epochs=False, noise_range_t=5)",
     "batch"),
    ("create_scheduler_v2(optimizer, sched='step', num_epochs=3, decay_epochs=1, "
     "decay_rate=0.5)", "epoch"),
])
def test_the_lr_of_every_step_is_the_previewed_curve(code: str, step_per: str) -> None:
    events, steps, _ = run(code, epochs=3, step_per=step_per)
    schedule = parse_schedule(code, "SGD(params, lr=0.1, momentum=0.9)")
    rows = 3 * 8 if step_per == "batch" else 3
    curve = compute_curve(schedule, rows)
    which = [s["step"] if step_per == "batch" else s["epoch"] for s in steps]
    assert [s["step"] for s in steps] == list(range(24))
    assert [s["lr"] for s in steps] == curve["lr"].to_numpy()[which].tolist()
    if "momentum" in curve:
        assert [s["momentum"] for s in steps] == curve["momentum"].to_numpy()[which].tolist()
    assert events[-1]["event"] == "done" and events[-1]["status"] == "done"


def test_transformers_and_timm_schedules_train_without_either_library() -> None:
    """The app and training need neither transformers nor timm: with both made impossible
    to import, a run with each trains at the engine's lrs."""
    code = """
import sys
sys.modules["transformers"] = None  # import transformers now fails
sys.modules["timm"] = None
from schedlab import compute_curve, parse_schedule
from schedlab.training.loop import TrainConfig, train
for line, per in (("get_linear_schedule_with_warmup(optimizer, 4, 16)", "batch"),
                  ("TanhLRScheduler(optimizer, t_initial=2, warmup_t=1)", "epoch")):
    schedule = parse_schedule(line, "AdamW(params, lr=1e-3)")
    config = TrainConfig(data="offline", model="mlp", batch_size=1000, log_every=1,
                         epochs=2, step_per=per)
    steps = [e for e in train(schedule, config) if e["event"] == "step"]
    curve = compute_curve(schedule, 8 if per == "batch" else 2)["lr"].tolist()
    assert [s["lr"] for s in steps] == [curve[s["step"] if per == "batch" else s["epoch"]]
                                        for s in steps], line
print("trained", len(steps))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "trained 8"


def test_timms_plateau_is_fed_the_test_loss_and_trains_at_the_drawn_lrs() -> None:
    """timm's PlateauLRScheduler, without timm: a warmup epoch, then torch's plateau fed
    each epoch's test loss (patience 0: any epoch that does not improve by half cuts)."""
    code = ("PlateauLRScheduler(optimizer, mode='min', patience_t=0, decay_rate=0.5, "
            "threshold=0.5, warmup_t=1, warmup_lr_init=0.01)")
    events, steps, epochs = run(code, epochs=4)
    curve = compute_curve(parse_schedule(code, "SGD(params, lr=0.1, momentum=0.9)"), 4,
                           [e["test_loss"] for e in epochs])
    assert [s["lr"] for s in steps] == curve["lr"].to_numpy()[[s["epoch"] for s in steps]].tolist()
    assert steps[0]["lr"] == 0.01 and steps[-1]["lr"] < 0.1


def test_param_groups_and_plateau_fed_with_the_test_loss() -> None:
    code = "ReduceLROnPlateau(optimizer, patience=0, factor=0.5, threshold=0.5)"
    opt = "SGD([{'params': a}, {'params': b, 'lr': 0.2}], lr=0.05)"
    events, steps, epochs = run(code, opt, epochs=4)
    curve = compute_curve(parse_schedule(code, opt), 4, [e["test_loss"] for e in epochs])
    assert [s["lr"] for s in steps] == curve["lr"].to_numpy()[[s["epoch"] for s in steps]].tolist()
    assert [s["lr_1"] for s in steps] == curve["lr_1"].to_numpy()[
        [s["epoch"] for s in steps]].tolist()
    assert steps[-1]["lr"] < 0.05  # the loss stopped improving by half: reduced


def test_training_learns_and_reports() -> None:
    events, _, epochs = run("StepLR(optimizer, 10)", epochs=2, log_every=4)
    start, done = events[0], events[-1]
    assert start["event"] == "start"
    assert start["device"] == ("cuda" if torch.cuda.is_available() else "cpu")  # auto
    assert start["data"] == "MNIST, 5,000-digit offline subset" and start["total_steps"] == 16
    assert epochs[-1]["test_acc"] > 0.8 and 0 <= epochs[-1]["test_acc"] <= 1
    assert done["test_acc"] == epochs[-1]["test_acc"] and done["samples_per_s"] > 0
    assert done["steps"] == 16


def test_same_seed_same_run_and_stop_ends_within_a_batch() -> None:
    _, a, _ = run("StepLR(optimizer, 10)", epochs=1, seed=3)
    _, b, _ = run("StepLR(optimizer, 10)", epochs=1, seed=3)
    _, c, _ = run("StepLR(optimizer, 10)", epochs=1, seed=4)
    assert [s["loss"] for s in a] == [s["loss"] for s in b] != [s["loss"] for s in c]
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 3

    events = list(train(parse_schedule("StepLR(optimizer, 10)"), TrainConfig(**FAST), stop))
    assert [e["step"] for e in events if e["event"] == "step"] == [0, 1, 2]
    assert events[-1]["status"] == "stopped" and events[-1]["steps"] == 3


def test_devices_and_the_cpu_fallback(monkeypatch) -> None:
    assert pick_device("cpu") == (torch.device("cpu"), None)
    if not torch.cuda.is_available():
        device, notice = pick_device("cuda")
        assert device.type == "cpu" and "CUDA is not available" in str(notice)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        assert pick_device("auto")[0].type == "cuda"


def test_out_of_memory_moves_the_run_to_the_cpu(monkeypatch) -> None:
    from schedlab.training.data import offline_subset

    model = torch.nn.Linear(784, 10)
    run_ = Learner(torch.nn.Sequential(torch.nn.Flatten(), model),
                torch.optim.SGD(model.parameters(), lr=0.1), offline_subset(),
                torch.device("cpu"))
    run_.device = torch.device("cuda")  # pretend the run is on a GPU that fills up
    real, calls = run_._batch, []

    def flaky(idx):
        calls.append(1)
        if len(calls) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory")
        return real(idx)

    monkeypatch.setattr(run_, "_batch", flaky)
    loss, notice = run_.batch(torch.arange(64))
    assert np.isfinite(loss) and "continuing on the CPU" in str(notice)
    assert run_.device.type == "cpu"


def test_a_schedule_torch_would_crash_on_is_refused_before_training() -> None:
    with pytest.raises(ScheduleError, match="Tried to step"):
        run("OneCycleLR(optimizer, max_lr=0.1, total_steps=10)", epochs=2)


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schedlab", "train", *args],
                          capture_output=True, text=True, timeout=300)


def test_cli_prints_json_lines() -> None:
    out = cli("--scheduler", "CosineAnnealingLR(optimizer, T_max=16)", "--epochs", "2",
              "--batch-size", "500", "--model", "mlp", "--data", "offline", "--log-every", "5")
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("epoch") == 2
    assert [e["step"] for e in events if e["event"] == "step"] == [0, 5, 10, 15]
    assert {"step", "epoch", "loss", "lr"} <= set(events[1])
    assert {"train_loss", "test_loss", "test_acc", "lr"} <= set(events[kinds.index("epoch")])
    done = events[-1]
    assert done["status"] == "done" and 0 < done["test_acc"] <= 1
    assert {"samples_per_s", "device", "data"} <= set(done)


@pytest.mark.parametrize("args,message", [
    (["--scheduler", "StepLR(optimizer, 0)"], "step_size=0"),
    (["--scheduler", "StepLR(optimizer, 5)", "--epochs", "0"], "epochs"),
    (["--scheduler", "StepLR(optimizer, 5)", "--data", "/nonexistent"], "no such directory"),
    (["--scheduler", "StepLR(optimizer, 5)", "--model", "resnet"], "invalid choice"),
    (["--scheduler", "StepLR(optimizer, 5)", "--optimizer", "SGD([{'params': a}, "
      "{'params': b}, {'params': c}], lr=0.1)", "--model", "mlp"], "at most 2 param groups"),
])
def test_cli_bad_input_exits_2(args: list, message: str, capsys) -> None:
    from schedlab.cli import main

    try:
        code = main(["train", "--data", "offline", *args])
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err


def test_the_last_step_and_its_lr_are_logged_whatever_log_every() -> None:
    code = "CosineAnnealingLR(optimizer, T_max=8, eta_min=0.001)"
    _, steps, _ = run(code, epochs=1, log_every=5)  # 8 steps: 0 and 5 by the interval
    curve = compute_curve(parse_schedule(code, "SGD(params, lr=0.1, momentum=0.9)"), 8)
    assert [s["step"] for s in steps] == [0, 5, 7]
    assert steps[-1]["lr"] == curve["lr"].iloc[-1]  # the final lr, as the explorer draws it


def test_a_stopped_run_logs_the_last_step_it_took() -> None:
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 3

    events = list(train(parse_schedule("StepLR(optimizer, 10)"),
                        TrainConfig(**{**FAST, "log_every": 100}), stop))
    assert [e["step"] for e in events if e["event"] == "step"] == [0, 2]
    assert events[-1]["status"] == "stopped" and events[-1]["steps"] == 3


def test_an_error_of_the_sanity_check_refuses_before_training() -> None:
    # the lr goes negative at step 11 of 16: torch would train on, the check says no
    events = train(parse_schedule("LambdaLR(optimizer, lambda s: 1 - s / 10)"),
                   TrainConfig(**{**FAST, "epochs": 2}))
    with pytest.raises(ScheduleError, match="negative") as caught:
        next(events)
    assert "lr" in str(caught.value)


@pytest.mark.parametrize("total_steps,refused", [(15, True), (16, False)])
def test_onecycle_needs_total_steps_of_at_least_the_optimizer_steps(total_steps: int,
                                                                    refused: bool) -> None:
    """torch's loop of 16 optimizer steps stepped per batch calls scheduler.step() 16
    times: OneCycleLR needs total_steps >= 16."""
    schedule = parse_schedule(f"OneCycleLR(optimizer, max_lr=0.1, total_steps={total_steps})")
    events = train(schedule, TrainConfig(**{**FAST, "epochs": 2, "log_every": 100}))
    if refused:
        with pytest.raises(ScheduleError, match="total_steps"):
            next(events)
    else:
        assert list(events)[-1]["status"] == "done"
