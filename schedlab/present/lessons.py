"""Ready lessons: each one a prepared explorer view (a share-link state) and its words,
``ui.lessons.<key>.title`` and ``.text`` in ``locale/<lang>.lessons.toml``."""

from __future__ import annotations

from dataclasses import dataclass

from schedlab.present.share import ExplorerState, Pinned, View
from schedlab.source.parse import parse_schedule
from schedlab.spec.horizon import Horizon, MetricSettings


@dataclass(frozen=True)
class Lesson:
    key: str  # its words: ui.lessons.<key>.title and .text
    state: ExplorerState  # what the explorer opens on


def _pin(label: str, code: str, horizon: Horizon, optimizer: str = "SGD(params, lr=0.1)",
         metric: MetricSettings = MetricSettings()) -> Pinned:
    return Pinned(label, parse_schedule(code, optimizer), horizon, metric)


def lessons() -> tuple[Lesson, ...]:
    """Every lesson, in teaching order (built on call: each is checked by parsing)."""
    epochs = Horizon(100, 100, "epoch")
    decay = ExplorerState(
        schedule=parse_schedule("CosineAnnealingLR(optimizer, T_max=99, eta_min=0.001)"),
        horizon=epochs, view=View(momentum=False),
        compare=(_pin("StepLR", "StepLR(optimizer, step_size=34, gamma=0.1)", epochs),
                 _pin("ExponentialLR", "ExponentialLR(optimizer, gamma=0.9545)", epochs)))
    warmup = ExplorerState(
        schedule=parse_schedule(
            "warm = LinearLR(optimizer, start_factor=0.1, total_iters=5)\n"
            "cos = CosineAnnealingLR(optimizer, T_max=95)\n"
            "SequentialLR(optimizer, [warm, cos], milestones=[5])"),
        horizon=epochs, view=View(momentum=False),
        compare=(_pin("no warmup", "CosineAnnealingLR(optimizer, T_max=100)", epochs),))
    onecycle = "OneCycleLR(optimizer, max_lr=0.1, epochs=10, steps_per_epoch=100)"
    per_batch = Horizon(10, 100, "batch")
    stepping = ExplorerState(
        schedule=parse_schedule(onecycle, "SGD(params, lr=0.1, momentum=0.9)"),
        horizon=per_batch,
        compare=(_pin("per epoch (a mistake)", onecycle, Horizon(10, 100, "epoch"),
                      "SGD(params, lr=0.1, momentum=0.9)"),))
    plateau_run = Horizon(60, 100, "epoch")
    metric = MetricSettings(seed=0, noise=0.01, plateau_at=0.3, plateau_length=0.3)
    plateau = ExplorerState(
        schedule=parse_schedule("ReduceLROnPlateau(optimizer, patience=5, cooldown=3, "
                                "threshold=0.01)"),
        horizon=plateau_run, metric=metric, view=View(momentum=False),
        compare=(_pin("patience=2, cooldown=0",
                      "ReduceLROnPlateau(optimizer, patience=2, threshold=0.01)",
                      plateau_run, metric=metric),))
    mnist = ExplorerState(
        schedule=parse_schedule("StepLR(optimizer, step_size=5, gamma=0.5)",
                                "Adam(model.parameters(), lr=0.001)"),
        horizon=Horizon(20, 938, "epoch"))
    cifar = ExplorerState(
        schedule=parse_schedule("StepLR(optimizer, step_size=10, gamma=0.1)",
                                "SGD(model.parameters(), lr=0.1, momentum=0.9)"),
        horizon=Horizon(30, 391, "epoch"))
    return (Lesson("decay-shapes", decay), Lesson("warmup", warmup),
            Lesson("onecycle-stepping", stepping), Lesson("plateau", plateau),
            Lesson("mnist-recipe", mnist), Lesson("cifar-recipe", cifar))
