"""Every optimizer either trains both models or is refused up front, for the reason the
catalog gives; options the loop cannot honour are refused the same way."""

from __future__ import annotations

import math

import pytest

from schedlab.errors import DataError, ScheduleError
from schedlab.source.parse import parse_schedule
from schedlab.spec.catalog import OPTIMIZERS, UNTRAINABLE_OPTIONS
from schedlab.training import loop as training
from schedlab.training.loop import TrainConfig, check_trainable, train

CASES = [(name, model) for name in OPTIMIZERS for model in ("cnn", "mlp")]


def first_steps(optimizer: str, model: str, steps: int = 2) -> list[float]:
    """The losses of the first optimizer steps of a CPU run on the offline subset."""
    schedule = parse_schedule("StepLR(optimizer, step_size=5)", optimizer)
    config = TrainConfig(epochs=1, batch_size=32, model=model, device="cpu", data="offline",
                         log_every=1)
    losses = []
    for event in train(schedule, config):
        if event["event"] == "step":
            losses.append(event["loss"])
            if len(losses) == steps:
                return losses
    raise AssertionError("the run ended early")


@pytest.mark.parametrize("name,model", CASES)
def test_each_optimizer_trains_or_is_refused_for_a_true_reason(name, model,
                                                               monkeypatch) -> None:
    code = f"{name}(params, lr=0.01)"
    reason = OPTIMIZERS[name].cannot_train
    if reason is None:
        assert all(math.isfinite(loss) for loss in first_steps(code, model))
        return
    with pytest.raises(ScheduleError) as caught:
        first_steps(code, model)
    assert str(caught.value) == f"{name} cannot be trained here: {reason}"
    assert caught.value.param == "optimizer"
    # the catalog stays honest: without the check, torch really does fail in training
    monkeypatch.setattr(training, "check_trainable", lambda schedule: None)
    with pytest.raises((TypeError, RuntimeError, ScheduleError)):
        first_steps(code, model)


@pytest.mark.parametrize("option", sorted(UNTRAINABLE_OPTIONS))
def test_options_the_loop_cannot_honour_are_refused(option, monkeypatch) -> None:
    for code in (f"Adam(params, lr=0.01, {option}=True)",
                 f"Adam([{{'params': a}}, {{'params': b, '{option}': True}}], lr=0.01)"):
        with pytest.raises(ScheduleError, match=f"{option}=True"):
            first_steps(code, "mlp")
    assert first_steps(f"Adam(params, lr=0.01, {option}=False)", "mlp")
    monkeypatch.setattr(training, "check_trainable", lambda schedule: None)
    with pytest.raises((RuntimeError, AssertionError)):  # what torch does on the CPU
        first_steps(f"Adam(params, lr=0.01, {option}=True)", "mlp")


def test_the_refusal_comes_before_any_data_is_loaded(monkeypatch) -> None:
    def no_data(source):
        raise DataError("the data was asked for")

    monkeypatch.setattr(training, "load_digits", no_data)
    schedule = parse_schedule("StepLR(optimizer, 5)", "LBFGS(params, lr=1)")
    with pytest.raises(ScheduleError, match="closure"):
        check_trainable(schedule)
    with pytest.raises(ScheduleError, match="closure"):
        next(train(schedule, TrainConfig(data="offline")))
