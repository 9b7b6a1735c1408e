"""Train a small MNIST model with a Schedule, as a generator of metric events.

The loop follows the canonical tutorial (``model.train()``, zero_grad, forward, loss,
backward, step; ``model.eval()`` under ``no_grad`` for testing), with the data moved to the
device once and batches sliced there from a seeded permutation. The optimizer and
scheduler are built from the Schedule by the same code that validates it, so the lr each
optimizer step uses is the lr ``compute_curve`` draws.

Events (plain dicts, JSON-ready):
  start   device, data, model, epochs, batches_per_epoch, total_steps
  notice  message (device fallback, offline data)
  step    step (optimizer steps from 0), epoch, loss (mean since the previous step event),
          lr, lr_1.. (further groups), momentum; every log_every steps
  epoch   epoch, train_loss, test_loss, test_acc (0..1), lr, samples_per_s, elapsed
  done    status ("done" or "stopped"), test_acc, samples_per_s, device, data, steps, elapsed

The last optimizer step always has a step event (whatever ``log_every``), so its lr is
stored. An exception raised after training began carries ``stopped_at`` (the optimizer
step being taken, from 1; the run's steps), which ``describe_error`` states.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Iterator

import numpy as np
import torch
from torch import nn

from schedlab.analysis.checks import check_schedule
from schedlab.engine.oracle import build_optimizer, build_scheduler, read_momenta
from schedlab.errors import ConfigError, SchedlabError, ScheduleError
from schedlab.messages import Text
from schedlab.spec.catalog import OPTIMIZERS, UNTRAINABLE_OPTIONS
from schedlab.spec.schedule import OptimizerSpec, Schedule
from schedlab.training.data import Digits, load_digits
from schedlab.training.models import build_model, param_groups

DEVICES = ("auto", "cpu", "cuda", "mps")
MODELS = ("cnn", "mlp")
MEAN, STD = 0.1307, 0.3081  # MNIST pixel statistics, as in the tutorials
EVAL_BATCH = 1000


def describe_error(exc: BaseException) -> Text:
    """A run's failure in one line: a user's mistake in its own words, anything else with
    its type, and where ``train`` raised it part-way, the step it stopped at."""
    if isinstance(exc, SchedlabError):
        text = exc.text
    else:
        text = Text("run.error.unexpected", {"kind": type(exc).__name__, "detail": str(exc)})
    at = getattr(exc, "stopped_at", None)
    return Text("run.error.at-step", {"step": at[0], "steps": at[1], "error": text}) \
        if at else text


class Settings:
    """What a run's settings share (TrainConfig, the range test's): checked fields, and a
    plain dict form for the run store."""

    def _check(self, wholes: tuple[tuple[str, int, int], ...],
               choices: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        """Each whole-number field within its bounds, each other among its choices; the
        first that is not is refused, naming it and what is allowed."""
        for name, low, high in wholes:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ConfigError(param=name, code="error.train.whole", params={
                    "name": name, "low": low, "high": high, "value": f"{value!r:.30}"})
        for name, allowed in choices:
            if getattr(self, name) not in allowed:
                raise ConfigError(param=name, code="error.train.choice", params={
                    "name": name, "allowed": ", ".join(allowed),
                    "value": f"{getattr(self, name)!r:.30}"})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any):
        if not isinstance(data, dict) or not set(data) <= set(cls.__dataclass_fields__):
            raise ConfigError(code="error.train.fields")
        return cls(**data)


@dataclass(frozen=True)
class TrainConfig(Settings):
    epochs: int = 3  # passes over the training set
    batch_size: int = 64  # samples per optimizer step
    model: str = "cnn"  # "cnn" (the tutorial CNN) or "mlp"
    device: str = "auto"  # "auto" (CUDA, then MPS, then CPU), "cpu", "cuda" or "mps"
    step_per: str = "batch"  # scheduler.step() after every "batch" or every "epoch"
    data: str = "auto"  # "auto", "offline" or a directory holding the MNIST .gz files
    log_every: int = 10  # optimizer steps between two step events
    seed: int = 0  # weights, shuffling and dropout

    def __post_init__(self) -> None:
        self._check((("epochs", 1, 1000), ("batch_size", 1, 65536), ("log_every", 1, 10**6),
                     ("seed", 0, 2**32 - 1)),
                    (("model", MODELS), ("device", DEVICES), ("step_per", ("batch", "epoch"))))
        if not isinstance(self.data, str) or not self.data:
            raise ConfigError(param="data", code="error.train.data")


def pick_device(requested: str) -> tuple[torch.device, Text | None]:
    """The device to train on, and a notice when the requested one is not available."""
    cuda, mps = torch.cuda.is_available(), torch.backends.mps.is_available()
    if requested == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu"), None
    if requested == "cuda" and not cuda:
        return torch.device("cpu"), Text("run.notice.no-cuda")
    if requested == "mps" and not mps:
        return torch.device("cpu"), Text("run.notice.no-mps")
    return torch.device(requested), None


def _tensors(digits: Digits, device: torch.device) -> tuple[torch.Tensor, ...]:
    def images(x: np.ndarray) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(x)).to(device=device, dtype=torch.float32)
        return ((t / 255.0 - MEAN) / STD).unsqueeze(1)

    return (images(digits.train_x), torch.from_numpy(digits.train_y).to(device),
            images(digits.test_x), torch.from_numpy(digits.test_y).to(device))


def batches_per_epoch(train_size: int, batch_size: int) -> int:
    """Optimizer steps in an epoch: the last batch may be short."""
    return -(-train_size // batch_size)


def stepped_per(schedule: Schedule, config: TrainConfig) -> str:
    """Where the loop calls ``scheduler.step()``: "epoch" or "batch" (ReduceLROnPlateau is
    always stepped once per epoch, with the test loss)."""
    plateau = schedule.scheduler.info.needs_metric
    return "epoch" if config.step_per == "epoch" or plateau else "batch"


def scheduler_steps(schedule: Schedule, config: TrainConfig, batches_per_epoch: int) -> int:
    """How many values the scheduler takes in this run (rows of its curve)."""
    per_epoch = stepped_per(schedule, config) == "epoch"
    return config.epochs if per_epoch else config.epochs * batches_per_epoch


def check_run(schedule: Schedule, config: TrainConfig, batches_per_epoch: int) -> list:
    """The sanity check of this run (``schedlab.analysis.checks.check_schedule``: its findings,
    errors first); raises ScheduleError with the first error's message and fix."""
    findings = check_schedule(schedule, scheduler_steps(schedule, config, batches_per_epoch),
                              batches_per_epoch, stepped_per(schedule, config))
    for finding in findings:
        if finding.severity == "error":
            raise ScheduleError(code="error.train.finding", params={
                "message": Text(f"finding.{finding.key}.message", finding.params),
                "fix": Text(f"finding.{finding.key}.fix", finding.params)})
    return findings


def check_trainable(schedule: Schedule | OptimizerSpec) -> None:
    """Raise ScheduleError (param "optimizer") when the training loop cannot drive this
    optimizer (of a schedule, or alone) or one of its options: the catalog says why, so a
    page can refuse before Start with the same words."""
    spec = schedule.optimizer if isinstance(schedule, Schedule) else schedule
    reason = OPTIMIZERS[spec.name].cannot_train_text  # a Text, said in the reader's language
    if reason is not None:
        raise ScheduleError(param="optimizer", code="error.train.optimizer",
                            params={"name": spec.name, "reason": reason})
    for settings in (spec.kwargs, *(spec.groups or ())):
        for option, why in UNTRAINABLE_OPTIONS.items():
            if settings.get(option):
                raise ScheduleError(param="optimizer", code="error.train.option", params={
                    "name": spec.name, "option": option, "reason": why})


def train(schedule: Schedule, config: TrainConfig,
          stop: Callable[[], bool] = lambda: False) -> Iterator[dict[str, Any]]:
    """Train, yielding events as they happen; ``stop()`` is asked before every batch."""
    check_trainable(schedule)  # before the data and the model: seconds of work
    began = time.perf_counter()
    torch.manual_seed(config.seed)
    device, notice = pick_device(config.device)
    digits = load_digits(config.data)
    batches = batches_per_epoch(len(digits.train_x), config.batch_size)
    check_run(schedule, config, batches)  # e.g. OneCycleLR too short: torch would crash
    model = build_model(config.model).to(device)
    if config.model == "cnn" and device.type in ("cpu", "cuda"):
        model = model.to(memory_format=torch.channels_last)  # faster convolutions
    optimizer = build_optimizer(schedule, param_groups(model, schedule.group_count))
    scheduler = build_scheduler(schedule.scheduler, optimizer)
    yield {"event": "start", "device": str(device), "data": digits.name, "model": config.model,
           "epochs": config.epochs, "batches_per_epoch": batches,
           "total_steps": config.epochs * batches}
    for message in (notice, digits.note):
        if message:
            yield {"event": "notice", "message": message}
    state = {"step": 1}  # the optimizer step being taken, from 1
    try:
        run = Learner(model, optimizer, digits, device)
        yield from _loop(schedule, config, stop, run, scheduler, batches, began, state)
    except Exception as exc:  # torch's own error, marked with where it happened
        exc.stopped_at = (state["step"], config.epochs * batches)
        raise


def _loop(schedule: Schedule, config: TrainConfig, stop: Callable[[], bool], run: Learner,
          scheduler: Any, batches: int, began: float,
          state: dict[str, int]) -> Iterator[dict[str, Any]]:
    """The epochs and batches of ``train``."""
    plateau = schedule.scheduler.info.needs_metric  # stepped with the test loss
    per_batch = stepped_per(schedule, config) == "batch"
    key = OPTIMIZERS[schedule.optimizer.name].momentum
    model, optimizer, digits = run.model, run.optimizer, run.digits
    last = config.epochs * batches - 1
    lrs: list[float] = []
    momenta: list[float] | None = None
    shuffle = torch.Generator().manual_seed(config.seed)
    step, acc, trained, train_time = 0, None, 0, 0.0
    for epoch in range(config.epochs):
        model.train()
        order = torch.randperm(len(digits.train_x), generator=shuffle)
        t0 = time.perf_counter()
        epoch_loss, window, window_n = 0.0, 0.0, 0
        for b in range(batches):
            state["step"] = step + 1
            if stop():
                if window_n:  # the last step taken is always stored
                    yield _step(step - 1, epoch, window / window_n, lrs, momenta)
                yield _done("stopped", acc, trained, train_time, run, digits, step, began)
                return
            lrs = [g["lr"] for g in optimizer.param_groups]  # what this step uses
            momenta = read_momenta(optimizer, key)
            loss, moved = run.batch(order[b * config.batch_size:(b + 1) * config.batch_size])
            if moved:
                yield {"event": "notice", "message": moved}
            if per_batch:
                scheduler.step()
            window += loss
            window_n += 1
            epoch_loss += loss
            trained += min(config.batch_size, len(digits.train_x) - b * config.batch_size)
            if step % config.log_every == 0 or step == last:
                yield _step(step, epoch, window / window_n, lrs, momenta)
                window, window_n = 0.0, 0
            step += 1
        epoch_time = time.perf_counter() - t0
        train_time += epoch_time
        test_loss, acc = run.evaluate()
        last_lr = lrs[0]
        if plateau:
            scheduler.step(test_loss)
        elif not per_batch:
            scheduler.step()
        yield {"event": "epoch", "epoch": epoch, "train_loss": epoch_loss / batches,
               "test_loss": test_loss, "test_acc": acc, "lr": last_lr,
               "samples_per_s": len(digits.train_x) / max(epoch_time, 1e-9),  # training only
               "elapsed": time.perf_counter() - began}
    yield _done("done", acc, trained, train_time, run, digits, step, began)


class Learner:
    """The model, optimizer and data on one device; moves to the CPU if CUDA runs out.
    (The training loop's and the LR range test's.)"""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, digits: Digits,
                 device: torch.device) -> None:
        self.model, self.optimizer, self.digits, self.device = model, optimizer, digits, device
        self.x, self.y, self.test_x, self.test_y = _tensors(digits, device)

    def batch(self, idx: torch.Tensor) -> tuple[float, Text | None]:
        try:
            return self._batch(idx), None
        except torch.OutOfMemoryError:
            if self.device.type == "cpu":
                raise
            self._to_cpu()
            return self._batch(idx), Text("run.notice.out-of-memory")

    def _batch(self, idx: torch.Tensor) -> float:
        idx = idx.to(self.device)
        self.optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(self.model(self.x[idx]), self.y[idx])
        loss.backward()
        self.optimizer.step()
        return float(loss.detach())

    def _to_cpu(self) -> None:
        self.device = torch.device("cpu")
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        self.model.to(self.device)
        for state in self.optimizer.state.values():
            for k, v in state.items():
                if isinstance(v, torch.Tensor):
                    state[k] = v.to(self.device)
        self.x, self.y, self.test_x, self.test_y = _tensors(self.digits, self.device)

    def evaluate(self) -> tuple[float, float]:
        self.model.eval()
        total, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, len(self.test_x), EVAL_BATCH):
                out = self.model(self.test_x[i:i + EVAL_BATCH])
                target = self.test_y[i:i + EVAL_BATCH]
                total += float(nn.functional.cross_entropy(out, target, reduction="sum"))
                correct += int((out.argmax(1) == target).sum())
        return total / len(self.test_x), correct / len(self.test_x)


def _step(step: int, epoch: int, loss: float, lrs: list[float],
          momenta: list[float] | None) -> dict[str, Any]:
    event = {"event": "step", "step": step, "epoch": epoch, "loss": loss, "lr": lrs[0]}
    for i, lr in enumerate(lrs[1:], start=1):
        event[f"lr_{i}"] = lr
    if momenta:
        event["momentum"] = momenta[0]
    return event


def _done(status: str, acc: float | None, trained: int, train_time: float, run: Learner,
          digits: Digits, steps: int, began: float) -> dict[str, Any]:
    return {"event": "done", "status": status, "test_acc": acc,
            "samples_per_s": trained / train_time if train_time else None,
            "device": str(run.device), "data": digits.name, "steps": steps,
            "elapsed": time.perf_counter() - began}
