"""The training plan against the libraries that do the counting: accelerate's sharded
batch sampler and the HuggingFace Trainer's own arithmetic."""

from __future__ import annotations

import types

import pytest
from accelerate.data_loader import BatchSamplerShard
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.data import BatchSampler
from transformers import Trainer, TrainingArguments

from schedlab.analysis.plan import TrainingPlan
from schedlab.errors import ConfigError


class _Loader:
    """A dataloader of a known length (all the Trainer asks of it here)."""

    def __init__(self, length: int, samples: int) -> None:
        self.length, self.samples = length, samples

    def __len__(self) -> int:
        return self.length


def trainer_counts(plan: TrainingPlan, tmp_path) -> tuple[int, int, int]:
    """(optimizer steps per epoch, max_steps, warmup steps) as the Trainer computes them."""
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=plan.batch_size,
                             gradient_accumulation_steps=plan.accumulation,
                             num_train_epochs=plan.epochs, max_steps=plan.max_steps,
                             warmup_steps=plan.warmup, report_to=[])
    world = plan.devices
    fake = types.SimpleNamespace(
        get_total_train_batch_size=lambda a: a.per_device_train_batch_size *
        a.gradient_accumulation_steps * world,
        get_sp_size=lambda: 1, num_examples=lambda loader: loader.samples)
    loader = _Loader(plan.batches_per_device, plan.dataset_size)
    (_, per_epoch, _, _, _, _, max_steps) = Trainer.set_initial_training_values(
        fake, args, loader)
    return per_epoch, max_steps, args.get_warmup_steps(max_steps)


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 5000), batch=st.integers(1, 300), devices=st.integers(1, 9),
       drop_last=st.booleans())
def test_batches_per_device_are_what_accelerate_deals_out(size, batch, devices,
                                                          drop_last) -> None:
    try:
        plan = TrainingPlan(size, batch, devices=devices, drop_last=drop_last)
    except ConfigError:  # drop_last leaves a device without a batch: the run takes no step
        assert drop_last and size // batch < devices
        return
    sampler = BatchSampler(range(size), batch, drop_last)
    lengths = {len(BatchSamplerShard(sampler, num_processes=devices, process_index=i,
                                     split_batches=False, even_batches=True))
               for i in range(devices)}
    assert lengths == {plan.batches_per_device}


@settings(max_examples=60, deadline=None)
@given(size=st.integers(1, 100_000), batch=st.integers(1, 256), devices=st.integers(1, 8),
       acc=st.integers(1, 64), epochs=st.sampled_from((1.0, 3.0, 2.5, 0.3)),
       max_steps=st.sampled_from((-1, -1, 7, 1000)),
       warmup=st.sampled_from((0.0, 0.03, 0.1, 0.5, 10.0, 500.0)))
def test_steps_and_warmup_are_the_trainers(tmp_path_factory, size, batch, devices, acc,
                                            epochs, max_steps, warmup) -> None:
    plan = TrainingPlan(size, batch, devices=devices, accumulation=acc, epochs=epochs,
                        max_steps=max_steps, warmup=warmup)
    got = trainer_counts(plan, tmp_path_factory.mktemp("args"))
    assert (plan.steps_per_epoch, plan.total_steps, plan.warmup_steps) == got


def test_the_forgotten_accumulation_and_devices_are_visible_in_the_count() -> None:
    """The classic mistake: len(train_loader) * epochs as the schedule's length, four times
    and eight times too long here."""
    plan = TrainingPlan(50_000, 32, devices=4, accumulation=8, epochs=3, warmup=0.06)
    assert (plan.batches, plan.batches_per_device, plan.steps_per_epoch) == (1563, 391, 49)
    assert (plan.total_steps, plan.warmup_steps) == (147, 9)
    lines = [t.render() for t in plan.explained()]
    assert lines[2] == ("391 batches / gradient accumulation 8, rounded up: 49 optimizer "
                        "steps per epoch")
    assert "向上取整" in plan.explained()[3].render("zh")


@pytest.mark.parametrize("kwargs, message", [
    ({"dataset_size": 0, "batch_size": 8}, "dataset_size=0 is not allowed"),
    ({"dataset_size": 100, "batch_size": 8, "devices": 2.5}, "devices=2.5"),
    ({"dataset_size": 100, "batch_size": 8, "epochs": 0}, "epochs=0"),
    ({"dataset_size": 100, "batch_size": 8, "warmup": -1}, "warmup=-1"),
    ({"dataset_size": 10, "batch_size": 64, "drop_last": True}, "no device gets a whole batch"),
])
def test_a_plan_that_cannot_be_run_says_why(kwargs, message) -> None:
    with pytest.raises(ConfigError, match=message):
        TrainingPlan(**kwargs)


@pytest.mark.parametrize("length, what", [(147, None), (1173, "accumulation"),
                                          (588, "devices"), (4689, "both"), (1000, None)])
def test_a_schedules_length_tells_what_the_plan_forgot(length, what) -> None:
    """147 is the true run; 4,689 = len(DataLoader(dataset)) x 3 epochs, on one device
    without accumulation, the length people compute by hand."""
    plan = TrainingPlan(50_000, 32, devices=4, accumulation=8, epochs=3)
    assert plan.forgotten(length) == what
