"""Ready lessons: each one a prepared explorer view (a share-link state) and its words,
``ui.lessons.<key>.title`` and ``.text`` in ``locale/<lang>.lessons.toml``; the one the
explorer cannot show (an optimizer rebuilt, its momentum lost) brings its own chart."""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from schedlab.engine.momentum import update_sizes
from schedlab.messages import DEFAULT, render
from schedlab.present.plot import COLORS
from schedlab.present.share import ExplorerState, Pinned, View
from schedlab.source.parse import parse_schedule
from schedlab.spec.horizon import Horizon, MetricSettings


@dataclass(frozen=True)
class Lesson:
    key: str  # its words: ui.lessons.<key>.title and .text
    state: ExplorerState | None  # what the explorer opens on (None: a chart of its own)


def _pin(label: str, code: str, horizon: Horizon, optimizer: str = "SGD(params, lr=0.1)",
         metric: MetricSettings = MetricSettings()) -> Pinned:
    return Pinned(label, parse_schedule(code, optimizer), horizon, metric)


def lessons(lang: str = DEFAULT) -> tuple[Lesson, ...]:
    """Every lesson, in teaching order, its comparisons labelled in ``lang`` (built on
    call: each is checked by parsing)."""
    def label(key: str) -> str:
        return render(f"ui.lessons.pin.{key}", {}, lang)

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
        compare=(_pin(label("no-warmup"), "CosineAnnealingLR(optimizer, T_max=100)",
                      epochs),))
    onecycle = "OneCycleLR(optimizer, max_lr=0.1, epochs=10, steps_per_epoch=100)"
    per_batch = Horizon(10, 100, "batch")
    stepping = ExplorerState(
        schedule=parse_schedule(onecycle, "SGD(params, lr=0.1, momentum=0.9)"),
        horizon=per_batch,
        compare=(_pin(label("per-epoch"), onecycle, Horizon(10, 100, "epoch"),
                      "SGD(params, lr=0.1, momentum=0.9)"),))
    plateau_run = Horizon(60, 100, "epoch")
    metric = MetricSettings(seed=0, noise=0.01, plateau_at=0.3, plateau_length=0.3)
    plateau = ExplorerState(
        schedule=parse_schedule("ReduceLROnPlateau(optimizer, patience=5, cooldown=3, "
                                "threshold=0.01)"),
        horizon=plateau_run, metric=metric, view=View(momentum=False),
        compare=(_pin(label("patience-2"),
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
            Lesson("mnist-recipe", mnist), Lesson("cifar-recipe", cifar),
            Lesson("rebuild-optimizer", None))


REBUILD = dict(lr=0.1, momentum=0.9, steps=60, change_at=30, factor=0.1)


def rebuild_figure(lang: str = DEFAULT) -> go.Figure:
    """The size of each SGD step around an lr cut made two ways, on a constant gradient:
    ``param_groups`` edited (the momentum kept) and the optimizer rebuilt (lost)."""
    def say(key: str) -> str:
        return render(f"ui.lessons.rebuild-optimizer.{key}", {}, lang)

    fig = go.Figure()
    for rebuild, color, dash in ((False, COLORS[0], None), (True, COLORS[1], "dash")):
        sizes = update_sizes(rebuild=rebuild, **REBUILD)
        fig.add_trace(go.Scatter(x=list(range(len(sizes))), y=sizes, mode="lines+markers",
                                 name=say("rebuilt" if rebuild else "edited"),
                                 line={"color": color, "dash": dash}, marker={"size": 4}))
    fig.add_vline(x=REBUILD["change_at"] - 0.5, line_dash="dot", line_color="gray")
    fig.update_xaxes(title_text=say("x"))
    fig.update_yaxes(title_text=say("y"), rangemode="tozero")
    fig.update_layout(height=340, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return fig
