"""The exports for the HF Trainer, Lightning and timm, each run in its own library: the lr
it trains with at every step is compute_curve's; a schedule that does not map says why."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from schedlab import ScheduleError, compute_curve, parse_schedule
from schedlab.messages import LANGUAGES
from schedlab.present.exports import export
from tests.timmref import timm_scheduler

ADAMW = "AdamW(params, lr=1e-3, weight_decay=0.01)"


def _curve(schedule, epochs: int, per_epoch: int, step_per: str) -> list[float]:
    """The lr of every optimizer step of the run, as the explorer draws it."""
    rows = epochs * per_epoch if step_per == "batch" else epochs
    lrs = compute_curve(schedule, rows)["lr"].tolist()
    return lrs if step_per == "batch" else [lr for lr in lrs for _ in range(per_epoch)]


@pytest.mark.parametrize("code", [
    "get_linear_schedule_with_warmup(optimizer, 5, 40)",
    "get_cosine_schedule_with_warmup(optimizer, 4, 40, num_cycles=1.0)",
    "get_polynomial_decay_schedule_with_warmup(optimizer, 3, 40, lr_end=1e-5, power=2.0)",
    "get_scheduler('cosine_with_min_lr', optimizer, num_warmup_steps=4, num_training_steps=40,"
    " scheduler_specific_kwargs={'min_lr_rate': 0.1})",
    "get_wsd_schedule(optimizer, 4, num_decay_steps=10, num_stable_steps=20)",
    "get_inverse_sqrt_schedule(optimizer, 6)",
    "get_constant_schedule(optimizer)",
])
def test_the_trainer_export_trains_with_the_drawn_lrs(code: str, tmp_path) -> None:
    from transformers import Trainer

    schedule = parse_schedule(code, ADAMW)
    text = export(schedule, "trainer", epochs=4, steps_per_epoch=10, step_per="batch")
    namespace: dict = {}
    exec(compile(text, "<trainer export>", "exec"), namespace)  # our own generated code
    args = namespace["args"]
    args.output_dir = str(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = Trainer(model=torch.nn.Linear(4, 2), args=args)
        trainer.create_optimizer_and_scheduler(num_training_steps=args.max_steps)
    lrs = []
    for _ in range(40):
        lrs.append(trainer.optimizer.param_groups[0]["lr"])
        trainer.optimizer.step()
        trainer.lr_scheduler.step()
    assert lrs == pytest.approx(_curve(schedule, 4, 10, "batch"), rel=1e-12, abs=1e-18)
    assert type(trainer.optimizer).__name__ == "AdamW"


LIGHTNING = [
    ("StepLR(optimizer, step_size=2, gamma=0.5)", "SGD(params, lr=0.1)", "epoch"),
    ("OneCycleLR(optimizer, max_lr=0.1, total_steps=24)", "SGD(params, lr=0.1, momentum=0.9)",
     "batch"),
    ("get_cosine_schedule_with_warmup(optimizer, 3, 24)", ADAMW, "batch"),
    ("CosineLRScheduler(optimizer, t_initial=4, warmup_t=1, warmup_lr_init=1e-4)",
     "SGD(params, lr=0.1)", "epoch"),
    ("TanhLRScheduler(optimizer, t_initial=24, t_in_epochs=False)", "SGD(params, lr=0.1)",
     "batch"),
]


@pytest.mark.slow
@pytest.mark.parametrize("code,optimizer,step_per", LIGHTNING)
def test_the_lightning_export_trains_with_the_drawn_lrs(code, optimizer, step_per,
                                                        tmp_path) -> None:
    import pytorch_lightning as pl

    timm_scheduler()  # `import timm.scheduler` without timm's package init (torchvision)
    schedule = parse_schedule(code, optimizer)
    text = export(schedule, "lightning", epochs=4, steps_per_epoch=6, step_per=step_per)
    namespace: dict = {}
    exec(compile(text, "<lightning export>", "exec"), namespace)
    seen: list[float] = []

    class Run(namespace["Module"]):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch, i):
            seen.append(self.optimizers().param_groups[0]["lr"])
            return self.layer(batch[0]).pow(2).mean()

    data = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.randn(24, 4)), batch_size=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer = pl.Trainer(max_epochs=4, accelerator="cpu", logger=False,
                             enable_checkpointing=False, enable_progress_bar=False,
                             enable_model_summary=False, default_root_dir=tmp_path)
        trainer.fit(Run(), data)
    assert seen == pytest.approx(_curve(schedule, 4, 6, step_per), rel=1e-12, abs=1e-18)
    assert f'"interval": "{"step" if step_per == "batch" else "epoch"}"' in text


@pytest.mark.parametrize("code,step_per", [
    ("CosineLRScheduler(optimizer, t_initial=10, warmup_t=2, warmup_lr_init=1e-4, "
     "cycle_limit=2, lr_min=1e-3)", "epoch"),
    ("CosineLRScheduler(optimizer, t_initial=20, noise_range_t=[4, 16], noise_seed=3)",
     "epoch"),
    ("PolyLRScheduler(optimizer, t_initial=30, power=0.9, t_in_epochs=False, warmup_t=6)",
     "batch"),
    ("TanhLRScheduler(optimizer, t_initial=12)", "epoch"),
    ("StepLRScheduler(optimizer, decay_t=3, decay_rate=0.5, warmup_t=2)", "epoch"),
    ("MultiStepLRScheduler(optimizer, decay_t=[6, 12], decay_rate=0.1, t_in_epochs=False)",
     "batch"),
    ("create_scheduler_v2(optimizer, sched='cosine', num_epochs=10, warmup_epochs=2, "
     "noise=0.5)", "epoch"),
])
def test_the_timm_export_makes_the_drawn_scheduler(code: str, step_per: str) -> None:
    timm_scheduler()
    schedule = parse_schedule(code, "SGD(params, lr=0.1)")
    text = export(schedule, "timm", epochs=20, steps_per_epoch=3, step_per=step_per)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    namespace: dict = {"optimizer": optimizer}
    exec(compile(text, "<timm export>", "exec"), namespace)
    scheduler = namespace["scheduler"]
    rows = 20 * 3 if step_per == "batch" else 20
    lrs = []
    for k in range(rows):  # as timm's train.py: step(epoch + 1) or step_update(updates)
        if k:
            scheduler.step(k) if step_per == "epoch" else scheduler.step_update(k)
        lrs.append(optimizer.param_groups[0]["lr"])
    expected = compute_curve(schedule, rows)["lr"].to_numpy()
    np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=0)


def test_the_timm_export_of_a_plateau_steps_with_the_metric() -> None:
    """timm's PlateauLRScheduler through create_scheduler_v2(sched='plateau'), stepped by
    timm's loop with a validation metric: the drawn curve, reductions included."""
    from schedlab import synthetic_metric

    timm_scheduler()
    schedule = parse_schedule("PlateauLRScheduler(optimizer, mode='min', patience_t=2, "
                              "warmup_t=3, warmup_lr_init=1e-3, decay_rate=0.5)",
                              "SGD(params, lr=0.1)")
    text = export(schedule, "timm", epochs=40, steps_per_epoch=3, step_per="epoch")
    assert "sched='plateau'" in text and "plateau_mode='min'" in text
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    namespace: dict = {"optimizer": optimizer}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # timm warns that the plateau is deprecated
        exec(compile(text, "<timm export>", "exec"), namespace)
    metric = synthetic_metric(40, seed=3)
    lrs = []
    for k in range(40):
        if k:
            namespace["scheduler"].step(k, float(metric[k - 1]))
        lrs.append(optimizer.param_groups[0]["lr"])
    expected = compute_curve(schedule, 40, metric)["lr"].to_numpy()
    np.testing.assert_allclose(lrs, expected, rtol=1e-12, atol=0)
    assert min(lrs) < 0.1 / 2  # it did reduce


@pytest.mark.parametrize("code,style,run,why", [
    ("StepLR(optimizer, 30)", "trainer", "batch", "trainer-not-hf"),
    ("get_cosine_schedule_with_warmup(optimizer, 5, 50)", "trainer", "epoch",
     "trainer-per-epoch"),
    ("get_cosine_schedule_with_warmup(optimizer, 5, 50)", "timm", "batch", "timm-not-timm"),
    ("CosineLRScheduler(optimizer, t_initial=10)", "timm", "batch", "timm-unit"),
    ("CosineLRScheduler(optimizer, t_initial=10, t_in_epochs=False)", "timm", "batch",
     "timm-epochs"),
    ("TanhLRScheduler(optimizer, t_initial=10, lb=-5.0)", "timm", "epoch", "timm-tanh"),
    ("StepLRScheduler(optimizer, decay_t=3, noise_range_t=5)", "timm", "epoch", "timm-noise"),
    ("PlateauLRScheduler(optimizer, cooldown_t=2)", "timm", "epoch", "timm-plateau"),
])
def test_a_schedule_that_does_not_map_says_why(code, style, run, why) -> None:
    schedule = parse_schedule(code, "SGD(params, lr=0.1)")
    with pytest.raises(ScheduleError) as info:
        export(schedule, style, epochs=10, steps_per_epoch=4, step_per=run)
    assert info.value.code == f"error.export.{why}"
    said = {lang: info.value.text.render(lang) for lang in LANGUAGES}
    assert said["en"] != said["zh"] and schedule.scheduler.name in said["en"] + code


def test_every_export_comment_is_in_the_readers_language() -> None:
    schedule = parse_schedule("get_linear_schedule_with_warmup(optimizer, 5, 50)",
                              "SGD(params, lr=0.1)")
    for style in ("trainer", "lightning"):
        en = export(schedule, style, 5, 10, "batch", lang="en")
        zh = export(schedule, style, 5, 10, "batch", lang="zh")
        code = lambda text: [ln.split("#")[0] for ln in text.splitlines()]  # noqa: E731
        assert en != zh and code(en) == code(zh)
