"""check_schedule finds the classic mistakes, and stays quiet on known-good schedules."""

from __future__ import annotations

import json

import pytest

from schedlab import ScheduleError, check_schedule, compute_curve, parse_schedule
from schedlab.spec.catalog import SCHEDULERS
from schedlab.spec.examples import example_schedule
from tests.timmref import timm_scheduler

SGD = "SGD(params, lr=0.1, momentum=0.9)"

# (scheduler, optimizer, steps, steps_per_epoch, step_per): torch's documentation examples
# over the runs they are written for, a ResNet StepLR, warmup + cosine transformers
KNOWN_GOOD = [
    ("StepLR(optimizer, step_size=30, gamma=0.1)", "SGD(params, lr=0.05)", 100, None, "epoch"),
    ("MultiStepLR(optimizer, milestones=[30, 80], gamma=0.1)", "SGD(params, lr=0.05)", 100,
     None, "epoch"),
    ("ConstantLR(optimizer, factor=0.5, total_iters=4)", "SGD(params, lr=0.05)", 100, None,
     "epoch"),
    ("LinearLR(optimizer, start_factor=0.5, total_iters=4)", "SGD(params, lr=0.05)", 100,
     None, "epoch"),
    ("ExponentialLR(optimizer, gamma=0.95)", SGD, 100, None, "epoch"),
    ("PolynomialLR(optimizer, total_iters=50, power=0.9)", "SGD(params, lr=0.05)", 100, None,
     "epoch"),
    ("LambdaLR(optimizer, lr_lambda=[lambda epoch: epoch // 30, lambda epoch: 0.95 ** epoch])",
     "SGD([{'params': a}, {'params': b}], lr=0.1, momentum=0.9)", 100, None, "epoch"),
    ("MultiplicativeLR(optimizer, lr_lambda=lambda epoch: 0.95)", SGD, 100, None, "epoch"),
    ("SequentialLR(optimizer, schedulers=[ConstantLR(optimizer, factor=0.1, total_iters=2), "
     "ExponentialLR(optimizer, gamma=0.9)], milestones=[2])", SGD, 100, None, "epoch"),
    ("ChainedScheduler([ConstantLR(optimizer, factor=0.1, total_iters=2), "
     "ExponentialLR(optimizer, gamma=0.9)])", SGD, 100, None, "epoch"),
    ("CosineAnnealingLR(optimizer, T_max=100)", SGD, 100, None, "epoch"),
    ("ReduceLROnPlateau(optimizer, 'min')", SGD, 100, None, "epoch"),
    ("CyclicLR(optimizer, base_lr=0.01, max_lr=0.1)", SGD, 3910, 391, "batch"),
    ("OneCycleLR(optimizer, max_lr=0.01, steps_per_epoch=391, epochs=10)", SGD, 3910, 391,
     "batch"),
    ("CosineAnnealingWarmRestarts(optimizer, T_0=10, T_mult=2)", SGD, 150, 391, "epoch"),
    ("StepLR(optimizer, step_size=30, gamma=0.1)", "SGD(params, lr=0.1, momentum=0.9, "
     "weight_decay=1e-4)", 90, 5005, "epoch"),  # ResNet-50 on ImageNet
    ("SequentialLR(optimizer, [LinearLR(optimizer, start_factor=0.001, total_iters=2000), "
     "CosineAnnealingLR(optimizer, T_max=98000, eta_min=1e-5)], milestones=[2000])",
     "AdamW(params, lr=6e-4, betas=(0.9, 0.95), weight_decay=0.1)", 100_000, 2000, "batch"),
    ("LambdaLR(optimizer, lambda step: min((step + 1) / 4000, (4000 / (step + 1)) ** 0.5))",
     "Adam(params, lr=1e-3, betas=(0.9, 0.98))", 100_000, 1000, "batch"),  # Vaswani et al.
    # BERT fine-tuning with the HF Trainer's defaults: 3 epochs of 1,000 optimizer steps
    ("get_linear_schedule_with_warmup(optimizer, num_warmup_steps=300, "
     "num_training_steps=3000)", "AdamW(params, lr=2e-5)", 3000, 1000, "batch"),
    ("get_scheduler('cosine_with_min_lr', optimizer, num_warmup_steps=2000, "
     "num_training_steps=100_000, scheduler_specific_kwargs={'min_lr_rate': 0.1})",
     "AdamW(params, lr=3e-4)", 100_000, 1000, "batch"),
    ("get_wsd_schedule(optimizer, 1000, num_decay_steps=10_000, num_training_steps=50_000)",
     "AdamW(params, lr=1e-3)", 50_000, 1000, "batch"),
    ("get_inverse_sqrt_schedule(optimizer, num_warmup_steps=4000)",
     "Adam(params, lr=1e-3, betas=(0.9, 0.98))", 100_000, 1000, "batch"),
    # timm's ImageNet recipes: 300 epochs of cosine after 5 of warmup, per epoch or update
    ("create_scheduler_v2(optimizer, sched='cosine', num_epochs=300, warmup_epochs=5)",
     "SGD(params, lr=0.5, momentum=0.9)", 300, 2502, "epoch"),
    ("create_scheduler_v2(optimizer, sched='cosine', num_epochs=30, warmup_epochs=1, "
     "step_on_epochs=False, updates_per_epoch=100)", "AdamW(params, lr=1e-3)", 3000, 100,
     "batch"),
    ("StepLRScheduler(optimizer, decay_t=2.4, decay_rate=0.97, warmup_t=3)",
     "RMSprop(params, lr=0.016, momentum=0.9)", 350, 2502, "epoch"),  # EfficientNet
]


@pytest.mark.parametrize("scheduler,optimizer,steps,per_epoch,step_per", KNOWN_GOOD)
def test_known_good_schedules_give_no_warnings(scheduler, optimizer, steps, per_epoch,
                                               step_per) -> None:
    findings = check_schedule(parse_schedule(scheduler, optimizer), steps, per_epoch, step_per)
    assert [f for f in findings if f.severity != "info"] == []


MISTAKES = [  # scheduler, optimizer, steps, per_epoch, step_per, code, severity, range
    ("get_linear_schedule_with_warmup(optimizer, 100, 1000)", SGD, 4000, 1000, "batch",
     "hf-ends-early", "warning", (1000, 4000)),  # counted per device: 4 devices forgotten
    ("get_cosine_schedule_with_warmup(optimizer, 1, 10)", SGD, 10, 391, "epoch",
     "hf-per-epoch", "info", (0, 10)),  # Lightning's "interval": "epoch"
    ("CosineLRScheduler(optimizer, t_initial=10, warmup_t=2)", SGD, 10 * 391, 391, "batch",
     "timm-unit", "warning", (0, 10 * 391)),  # epochs stepped per update
    ("PolyLRScheduler(optimizer, t_initial=30, t_in_epochs=False)", SGD, 30, 391, "epoch",
     "timm-unit", "warning", (0, 30)),
    ("CosineLRScheduler(optimizer, t_initial=50, cycle_limit=1)", SGD, 100, None, "epoch",
     "timm-ends-early", "info", (50, 100)),
    ("CosineAnnealingLR(optimizer, T_max=50)", SGD, 100, None, "epoch", "cosine-rises",
     "warning", (50, 100)),
    ("CosineAnnealingWarmRestarts(optimizer, T_0=10, T_mult=2)", SGD, 100, None, "epoch",
     "restart-cut", "warning", (70, 100)),
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)", SGD, 2000, None, "batch",
     "onecycle-too-short", "error", (1001, 2000)),
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)", SGD, 300, None, "batch",
     "onecycle-never-anneals", "warning", (0, 300)),
    ("OneCycleLR(optimizer, max_lr=0.1, epochs=100, steps_per_epoch=391)", SGD, 100, 391,
     "epoch", "horizon-unit", "warning", (0, 100)),
    ("CosineAnnealingLR(optimizer, T_max=39100)", SGD, 100, 391, "epoch", "horizon-unit",
     "warning", (0, 100)),
    ("CosineAnnealingLR(optimizer, T_max=100)", SGD, 39100, 391, "batch", "horizon-unit",
     "warning", (0, 39100)),
    ("StepLR(optimizer, step_size=120)", SGD, 100, None, "epoch", "milestone-beyond",
     "warning", (0, 100)),
    ("MultiStepLR(optimizer, milestones=[30, 150])", SGD, 100, None, "epoch",
     "milestone-beyond", "warning", (99, 100)),
    ("MultiStepLR(optimizer, milestones=[60, 30])", SGD, 100, None, "epoch",
     "milestones-unsorted", "info", (0, 100)),
    ("MultiStepLR(optimizer, milestones=[30, 30, 60])", SGD, 100, None, "epoch",
     "milestones-repeat", "warning", (30, 31)),
    ("SequentialLR(optimizer, [StepLR(optimizer, 10), ExponentialLR(optimizer, 0.9)], "
     "milestones=[120])", SGD, 100, None, "epoch", "milestone-beyond", "warning", (99, 100)),
    ("SequentialLR(optimizer, [LinearLR(optimizer, 0.01, total_iters=10), "
     "CosineAnnealingLR(optimizer, T_max=95)], milestones=[5])", SGD, 100, None, "epoch",
     "warmup-cut", "warning", (4, 6)),
    ("SequentialLR(optimizer, [LinearLR(optimizer, 0.01, total_iters=40), "
     "CosineAnnealingLR(optimizer, T_max=60)], milestones=[40])", SGD, 100, None, "epoch",
     "warmup-long", "warning", (0, 40)),
    ("LinearLR(optimizer, start_factor=0.1, end_factor=0.5, total_iters=5)", SGD, 100, None,
     "epoch", "warmup-short-of-base", "warning", (0, 5)),
    ("ExponentialLR(optimizer, gamma=0.8)", SGD, 100, None, "epoch", "lr-near-zero",
     "warning", (42, 100)),
    ("ConstantLR(optimizer, factor=1.0, total_iters=3)", SGD, 100, None, "epoch",
     "lr-constant", "warning", (0, 100)),
    ("LambdaLR(optimizer, lambda e: 1 - e / 50)", SGD, 100, None, "epoch", "lr-negative",
     "error", (51, 100)),
    ("LambdaLR(optimizer, lambda e: 1 / (e - 20) if e != 20 else inf)", SGD, 100, None,
     "epoch", "lr-not-finite", "error", (20, 100)),
    ("StepLR(optimizer, 30)", "Adam(params, lr=0.1)", 100, None, "epoch", "lr-unusual",
     "info", (0, 100)),
    ("StepLR(optimizer, 30)", "SGD(params, lr=3.0)", 100, None, "epoch", "lr-unusual",
     "info", (0, 100)),
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)", "SGD(params, lr=0.1)", 1001,
     None, "batch", "cycle-momentum", "warning", (0, 1001)),
]


@pytest.mark.parametrize("scheduler,optimizer,steps,per_epoch,step_per,code,severity,span",
                         MISTAKES)
def test_classic_mistakes_are_found(scheduler, optimizer, steps, per_epoch, step_per, code,
                                    severity, span) -> None:
    findings = check_schedule(parse_schedule(scheduler, optimizer), steps, per_epoch,
                              step_per)
    match = [f for f in findings if f.code == code]
    assert match, [f.code for f in findings]
    f = match[0]
    assert (f.severity, (f.start, f.end)) == (severity, span)
    assert f.message.endswith(".") and f.fix.endswith(".")
    assert findings == sorted(findings, key=lambda x: ("error", "warning", "info").index(
        x.severity))


def test_bad_arguments() -> None:
    s = example_schedule("StepLR")
    with pytest.raises(ScheduleError, match="steps"):
        check_schedule(s, 0)
    with pytest.raises(ScheduleError, match="step_per"):
        check_schedule(s, 10, step_per="week")
    with pytest.raises(ScheduleError, match="steps_per_epoch"):
        check_schedule(s, 10, steps_per_epoch=0)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
@pytest.mark.parametrize("step_per", ["epoch", "batch"])
def test_exported_scripts_reproduce_the_curve(name: str, step_per: str) -> None:
    """Each catalog scheduler's script, run as written, uses compute_curve's lr."""
    schedule = example_schedule(name)
    if name == "OneCycleLR":
        schedule = parse_schedule("OneCycleLR(optimizer, max_lr=0.1, total_steps=60)", SGD)
    epochs, per_epoch = 12, 5
    code = schedule.to_code("script", epochs=epochs, steps_per_epoch=per_epoch,
                            step_per=step_per)
    timm = SCHEDULERS[name].library == "timm.scheduler"
    if timm:
        timm_scheduler()  # `import timm.scheduler` without timm's package init (torchvision)
    namespace: dict = {}
    exec(compile(code, f"<{name} script>", "exec"), namespace)  # our own generated code
    plateau = SCHEDULERS[name].needs_metric  # the script feeds it val_loss = 1.0
    per_batch = step_per == "batch" and not plateau
    rows = epochs * per_epoch if per_batch else epochs
    metric = [1.0] * rows if plateau else None
    curve = compute_curve(schedule, rows, metric)["lr"].tolist()
    expected = curve if per_batch else [lr for lr in curve for _ in range(per_epoch)]
    assert namespace["lrs"] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert ("scheduler.step()  # per batch" in code) == (per_batch and not timm)
    assert ("scheduler.step(num_updates)  # per batch" in code) == (per_batch and timm)


def test_cli_check_exit_codes(capsys) -> None:
    from schedlab.cli import main

    bad = ["check", "--scheduler", "OneCycleLR(optimizer, max_lr=0.1, total_steps=100)",
           "--steps", "500", "--step-per", "batch", "--optimizer", SGD]
    assert main(bad) == 1
    out = capsys.readouterr().out
    assert out.startswith("error: OneCycleLR has total_steps=100") and "fix: " in out
    assert main(["check", "--scheduler", "StepLR(optimizer, 30)", "--steps", "100"]) == 0
    assert capsys.readouterr().out.strip() == "no problems found"
    assert main(["check", "--scheduler", "CosineAnnealingLR(optimizer, T_max=10)", "--steps",
                 "100", "--format", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found[0]["code"] == "cosine-rises" and found[0]["severity"] == "warning"
    assert main(["check", "--scheduler", "StepLR(optimizer, 0)", "--steps", "10"]) == 2
    assert "step_size=0" in capsys.readouterr().err


def test_a_curve_at_hand_is_reused_and_must_fit() -> None:
    s = parse_schedule("CosineAnnealingLR(optimizer, T_max=50)", SGD)
    lr = compute_curve(s, 100)["lr"].to_numpy()
    assert check_schedule(s, 100, lr=lr) == check_schedule(s, 100)
    with pytest.raises(ScheduleError, match=r"lr has shape \(50,\); 100 steps need 100"):
        check_schedule(s, 100, lr=lr[:50])


def test_cli_check_reads_len_train_loader_as_steps_per_epoch(capsys) -> None:
    from schedlab.cli import main

    code = "OneCycleLR(optimizer, max_lr=0.1, epochs=3, steps_per_epoch=len(train_loader))"
    assert main(["check", "--scheduler", code, "--steps", "301", "--steps-per-epoch", "100",
                 "--step-per", "batch", "--optimizer", SGD]) == 1
    assert "total_steps=300 but is stepped 301 times" in capsys.readouterr().out
    assert main(["check", "--scheduler", code, "--steps", "300", "--step-per", "batch"]) == 2
    err = capsys.readouterr().err
    assert "len(train_loader)` is the run's steps per epoch" in err and "--steps-per-epoch" in err


def test_the_exported_script_speaks_the_readers_language_and_runs_the_same() -> None:
    schedule = parse_schedule("ReduceLROnPlateau(optimizer, patience=1)")
    scripts = {lang: schedule.to_code("script", epochs=6, steps_per_epoch=2, lang=lang)
               for lang in ("en", "zh")}
    assert "# your validation loss for this epoch" in scripts["en"]
    assert "# 本 epoch 的验证集 loss" in scripts["zh"] and "your" not in scripts["zh"]
    code = [[line.split("  #")[0] for line in s.splitlines() if not line.startswith(
        ('"""', "Generated", "由", "print"))] for s in scripts.values()]
    assert code[0] == code[1]  # only the words differ
    runs = []
    for script in scripts.values():
        namespace: dict = {}
        exec(compile(script, "<exported>", "exec"), namespace)  # our own generated code
        runs.append(namespace["lrs"])
    assert runs[0] == runs[1] and len(runs[0]) == 12


@pytest.mark.parametrize("scheduler, count", [
    ("LambdaLR(optimizer, lambda step: min(1.0, step / 100))", 1),  # transformers' warmup
    ("LambdaLR(optimizer, lambda epoch: epoch // 30)", 30),  # torch's documented example
    ("LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 100))", None),
    ("LinearLR(optimizer, start_factor=0.001, total_iters=100)", None),
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)", None),
])
def test_steps_at_lr_zero_at_the_start_are_said_as_information(scheduler, count) -> None:
    findings = check_schedule(parse_schedule(scheduler, SGD), 1000, 100, "batch")
    idle = [f for f in findings if f.code == "first-steps-zero"]
    if count is None:
        assert idle == []
        return
    assert [(f.severity, f.start, f.end) for f in idle] == [("info", 0, count)]
    assert f"The first {count:,} optimizer step(s) run at lr 0" in idle[0].message
    assert "(step + 1) / warmup" in idle[0].fix
