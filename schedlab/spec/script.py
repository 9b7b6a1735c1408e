"""A runnable Python script that reproduces a Schedule's curve with torch itself (and with
transformers or timm for their schedules, as their training loops step them)."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from schedlab.messages import DEFAULT, render
from schedlab.spec.expr import CONSTANTS, FUNCTIONS
from schedlab.spec.lambdas import Lambda
from schedlab.spec.render import optimizer_source, scheduler_source

if TYPE_CHECKING:
    from schedlab.spec.schedule import Schedule, SchedulerSpec

_MATH = {n for n in FUNCTIONS if n not in ("min", "max", "abs", "float", "int", "round")} \
    | set(CONSTANTS)


def script(schedule: Schedule, epochs: int = 100, steps_per_epoch: int = 1,
           step_per: str = "epoch", lang: str = DEFAULT) -> str:
    """Imports, a stand-in model, the optimizer, the scheduler and the training loop, with
    ``scheduler.step()`` where it belongs; running it collects the lr of every step. Its
    comments and its docstring are in ``lang``; the code is the same in every language."""
    def say(key: str, **params) -> str:
        return render(f"script.{key}", params, lang)

    groups = schedule.optimizer.group_count
    plateau = schedule.scheduler.info.needs_metric
    timm = schedule.scheduler.info.library == "timm.scheduler"  # given the count itself
    method = "step_update" if timm and schedule.scheduler.info.made_per_batch(
        schedule.scheduler.args) else "step"
    per_batch = step_per == "batch" and not plateau
    layers = ", ".join(["torch.nn.Linear(16, 16)"] * (groups - 1) + ["torch.nn.Linear(16, 10)"])
    model = f"torch.nn.Sequential({layers})" if groups > 1 else "torch.nn.Linear(16, 10)"
    params = "model.parameters()" if groups == 1 else None
    opt = optimizer_source(schedule.optimizer,
                           params or (lambda i: f"model[{i}].parameters()"))
    lines = [f'"""{say("title", label=schedule.scheduler.label())}', "",
             f'{say("generated")}"""', "", *_imports(schedule.scheduler), "",
             f"model = {model}  # {say('model')}",
             f"optimizer = {opt}",
             f"scheduler = {scheduler_source(schedule.scheduler)}", "",
             f"epochs, steps_per_epoch = {epochs}, {steps_per_epoch}",
             f"lrs = []  # {say('lrs')}",
             *([f"num_updates = 0  # {say('timm-count')}"] if timm and per_batch else []),
             "for epoch in range(epochs):",
             "    for batch in range(steps_per_epoch):",
             "        optimizer.zero_grad()",
             f"        loss = model(torch.randn(8, 16)).pow(2).mean()  # {say('loss')}",
             "        loss.backward()",
             '        lrs.append(optimizer.param_groups[0]["lr"])',
             "        optimizer.step()"]
    if per_batch and timm:
        lines += ["        num_updates += 1",
                  f"        scheduler.{method}(num_updates)  # {say('per-batch')}"]
    elif timm and plateau:  # timm's plateau: the count and the metric
        lines += [f"    val_loss = 1.0  # {say('val-loss')}",
                  f"    scheduler.step(epoch + 1, val_loss)  # {say('plateau')}"]
    elif timm:
        lines.append(f"    scheduler.{method}(epoch + 1)  # {say('per-epoch')}")
    elif per_batch:
        lines.append(f"        scheduler.step()  # {say('per-batch')}")
    elif plateau:
        lines += [f"    val_loss = 1.0  # {say('val-loss')}",
                  f"    scheduler.step(val_loss)  # {say('plateau')}"]
    else:
        lines.append(f"    scheduler.step()  # {say('per-epoch')}")
    lines += ["", f"print({say('summary')!r}.format(len(lrs), lrs[0], lrs[-1]))", ""]
    return "\n".join(lines)


def _imports(spec: SchedulerSpec) -> list[str]:
    """``import torch`` and the math names the lambdas use."""
    bare, dotted = set(), False
    for fn in _lambdas(spec):
        node = ast.parse(fn.source, mode="eval").body
        arg = fn.arg
        for sub in ast.walk(node.body):
            if isinstance(sub, ast.Name) and sub.id in _MATH and sub.id != arg:
                bare.add(sub.id)
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and \
                    sub.value.id == "math":
                dotted = True
    out = (["import math"] if dotted else []) + (
        [f"from math import {', '.join(sorted(bare))}"] if bare else [])
    library = [] if spec.info.torch else [f"import {spec.info.library}"]
    return out + ([""] if out else []) + ["import torch", *library]


def _lambdas(spec: SchedulerSpec):
    for value in spec.kwargs.values():
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, Lambda):
                yield item
            elif hasattr(item, "kwargs"):  # a nested scheduler
                yield from _lambdas(item)
