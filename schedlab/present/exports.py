"""A schedule written for the trainers people use: the HuggingFace Trainer's
``TrainingArguments``, a Lightning ``configure_optimizers``, timm's ``create_scheduler_v2``.

Each export reproduces the schedule exactly as the run steps it, or refuses with a
ScheduleError that says why it does not map (``error.export.*``): an export never
approximates. Tests run each one in its own library and compare with ``compute_curve``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from schedlab.errors import ScheduleError
from schedlab.messages import DEFAULT, render
from schedlab.spec.render import _literal, optimizer_source, scheduler_source

if TYPE_CHECKING:
    from schedlab.spec.schedule import Schedule

STYLES = ("trainer", "lightning", "timm")
_TRAINER_OPTIM = {"AdamW": "adamw_torch", "SGD": "sgd", "Adagrad": "adagrad",
                  "RMSprop": "rmsprop"}


def export(schedule: Schedule, style: str, epochs: int = 100, steps_per_epoch: int = 1,
           step_per: str = "epoch", lang: str = DEFAULT) -> str:
    """The schedule as ``style`` ("trainer", "lightning" or "timm") code for a run of
    ``epochs`` x ``steps_per_epoch`` batches, the scheduler stepped per ``step_per``."""
    def say(key: str, **params: Any) -> str:
        return render(f"export.{key}", params, lang)

    return {"trainer": _trainer, "lightning": _lightning, "timm": _timm}[style](
        schedule, epochs, steps_per_epoch, step_per, say)


def _refuse(style: str, why: str, **params: Any) -> ScheduleError:
    """Why the schedule does not map to ``style`` (the words: error.export.<why>)."""
    return ScheduleError(code=f"error.export.{why}", params=params)


# --- HuggingFace Trainer ------------------------------------------------------------------
def _trainer(schedule, epochs, per_epoch, step_per, say) -> str:
    spec, opt = schedule.scheduler, schedule.optimizer
    if spec.info.trainer_type is None:
        raise _refuse("trainer", "trainer-not-hf", name=spec.name)
    if step_per != "batch":
        raise _refuse("trainer", "trainer-per-epoch", name=spec.name)
    kw = dict(spec.kwargs)
    kw.pop("last_epoch", None)
    warmup = kw.pop("num_warmup_steps", None)
    total = kw.pop("num_training_steps", None)
    if total is None:  # the Trainer passes its own max_steps as num_training_steps: the
        # schedule's own length (WSD's phases), else the run's
        length = spec.info.length(spec, epochs * per_epoch)
        total = length if isinstance(length, int) and length > 0 else epochs * per_epoch
    lines = ["from transformers import TrainingArguments", "",
             "args = TrainingArguments(",
             '    output_dir="out",',
             f"    learning_rate={_literal('lr', opt.kwargs.get('lr', _default_lr(opt.name)))},"]
    optim = _TRAINER_OPTIM.get(opt.name)
    if optim is None:
        lines.append(f"    # {say('trainer-optimizer', name=opt.name)}")
    else:
        lines.append(f'    optim="{optim}",')
        for key, arg in (("weight_decay", "weight_decay"), ("eps", "adam_epsilon")):
            if key in opt.kwargs and opt.name == "AdamW":
                lines.append(f"    {arg}={_literal(key, opt.kwargs[key])},")
        if "betas" in opt.kwargs and opt.name == "AdamW":
            b1, b2 = opt.kwargs["betas"]
            lines += [f"    adam_beta1={b1!r},", f"    adam_beta2={b2!r},"]
    if opt.groups is not None:
        lines.append(f"    # {say('trainer-groups')}")
    lines += [f"    max_steps={total},  # {say('trainer-max-steps')}",
              f'    lr_scheduler_type="{spec.info.trainer_type}",']
    if warmup:
        lines.append(f"    warmup_steps={warmup},")
    if kw:
        items = ", ".join(f'"{k}": {_literal(k, v)}' for k, v in kw.items())
        lines.append(f"    lr_scheduler_kwargs={{{items}}},")
    lines += [")", ""]
    return "\n".join(lines)


def _default_lr(name: str) -> float:
    from schedlab.engine.oracle import optimizer_signature

    return float(optimizer_signature(name).parameters["lr"].default)


# --- Lightning ----------------------------------------------------------------------------
def _lightning(schedule, epochs, per_epoch, step_per, say) -> str:
    spec = schedule.scheduler
    timm = spec.info.library == "timm.scheduler"
    plateau = spec.info.needs_metric
    interval = "epoch" if step_per == "epoch" or plateau else "step"
    opt = optimizer_source(schedule.optimizer, "self.parameters()") if \
        schedule.optimizer.groups is None else optimizer_source(schedule.optimizer)
    imports = ["import pytorch_lightning as pl", "import torch"]
    if not spec.info.torch:
        imports.append(f"import {spec.info.library}")
    config = ['"scheduler": scheduler', f'"interval": "{interval}"', '"frequency": 1']
    if plateau:
        config.append('"monitor": "val_loss"')
    lines = [*imports, "", "", "class Module(pl.LightningModule):",
             f"    # {say('lightning-rest')}", "",
             "    def configure_optimizers(self):"]
    if schedule.optimizer.groups is not None:
        lines.append(f"        # {say('lightning-groups')}")
    lines += [f"        optimizer = {opt}",
              f"        scheduler = {scheduler_source(spec)}",
              '        return {"optimizer": optimizer,',
              '                "lr_scheduler": {' + ", ".join(config) + "}}", ""]
    if timm:  # Lightning steps torch's schedulers; timm's take the count
        method = "step_update" if spec.info.made_per_batch(spec.args) else "step"
        count = "self.current_epoch + 1" if interval == "epoch" else "self.global_step"
        if plateau:
            count += ", metric"
        lines += ["    def lr_scheduler_step(self, scheduler, metric):",
                  f"        # {say('lightning-timm')}",
                  f"        scheduler.{method}({count})", ""]
    return "\n".join(lines)


# --- timm create_scheduler_v2 -------------------------------------------------------------
def _timm(schedule, epochs, per_epoch, step_per, say) -> str:
    spec = schedule.scheduler
    if spec.info.library != "timm.scheduler":
        raise _refuse("timm", "timm-not-timm", name=spec.name)
    kw = spec.args
    on_epochs = not spec.info.made_per_batch(kw)
    if (step_per == "epoch") != on_epochs:
        raise _refuse("timm", "timm-unit", name=spec.name)
    scale = 1 if on_epochs else per_epoch

    def counts(key: str, value: int | float) -> float:
        """A count of the scheduler as epochs (create_scheduler_v2 multiplies by the
        updates per epoch): whole epochs only, or it does not map."""
        if value % scale:
            raise _refuse("timm", "timm-epochs", key=key, value=value, per=scale)
        return value // scale

    given = spec.info.to_v2(kw, counts)
    given.setdefault("num_epochs", max(epochs, 1))  # a step decay has no length of its own
    if kw["warmup_t"]:
        given.update(warmup_epochs=counts("warmup_t", kw["warmup_t"]),
                     warmup_lr=kw["warmup_lr_init"])
        if "warmup_prefix" in kw:  # (the plateau has none)
            given["warmup_prefix"] = kw["warmup_prefix"]
    else:
        given["warmup_epochs"] = 0
    noise = kw["noise_range_t"]
    if noise is not None:
        given["noise"] = _noise_fraction(noise, kw, scale)
        given.update(noise_pct=kw["noise_pct"], noise_std=kw["noise_std"],
                     noise_seed=kw["noise_seed"])
    if not on_epochs:
        given.update(step_on_epochs=False, updates_per_epoch=per_epoch)
    from schedlab.engine.timm import V2  # what create_scheduler_v2 takes when not told

    given = {k: v for k, v in given.items() if k in ("sched", "num_epochs") or
             v != V2.get(k, object())}
    args = ",\n    ".join(["optimizer", *(f"{k}={_literal(k, v)}" for k, v in given.items())])
    return "\n".join(["from timm.scheduler import create_scheduler_v2", "",
                      f"# {say('timm-returns')}",
                      f"scheduler, num_epochs = create_scheduler_v2(\n    {args},\n)", ""])


def _noise_fraction(noise: Any, kw: dict, scale: int) -> Any:
    """timm's noise as create_scheduler_v2 takes it (fractions of t_initial), when some
    fraction gives back exactly the same counts."""
    first = kw.get("t_initial")
    points = noise if isinstance(noise, tuple) else (noise,)
    out = []
    for n in points:
        if first is None:
            raise _refuse("timm", "timm-noise", value=n)
        f = n / first
        if math.ceil(f * first) != n:  # rounding would move it by a count
            raise _refuse("timm", "timm-noise", value=n)
        out.append(f)
    return out if isinstance(noise, tuple) else out[0]
