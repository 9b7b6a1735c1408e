"""transformers' schedules: the ``get_*schedule*`` functions of ``transformers.optimization``.

Each returns a torch ``LambdaLR`` (row ``k`` is the base lr times the function's factor
at ``k``); the engine's models are in ``schedlab.engine.hf``. Parameters are listed in the
order of each function's signature (``last_epoch`` sits where transformers put it), so
positional arguments bind as they do in Python. ``get_scheduler(name, ...)`` is not an
entry: parsing resolves it to the function it calls (``schedlab.engine.hf.resolve``).
"""

from __future__ import annotations

from schedlab.messages import Text
from schedlab.spec.catalog.base import LAST, OPT, WARMUP, WARMUP_SHARE, Event, finding, unit
from schedlab.spec.catalog.base import SchedulerInfo
from schedlab.spec.params import Param

MODULE = "transformers"
WARM = Param("num_warmup_steps", "int", example=100, low=0)
TOTAL = Param("num_training_steps", "int", example=1000, low=1)
CYCLES = Param("num_cycles", "float", default=0.5, low=0)
SHAPES = ("linear", "cosine", "1-sqrt")


def wsd_parts(kw: dict) -> tuple[int, int, int]:
    """A warmup-stable-decay's warmup, stable and decay lengths, as transformers derives
    the stable phase (given, or what the training steps leave)."""
    w, d = kw["num_warmup_steps"], kw["num_decay_steps"]
    stable, total = kw.get("num_stable_steps"), kw.get("num_training_steps")
    s = stable if stable is not None else (total - w - d if total is not None else 0)
    return w, s, d


def _length(spec, run):
    kw = spec.args
    if spec.name == "get_wsd_schedule":
        w, s, d = wsd_parts(kw)
        return max(0, w + max(s, 0)) + d
    if "num_training_steps" in kw:
        return kw["num_training_steps"]
    if spec.name == "get_constant_schedule_with_warmup":
        return WARMUP
    return None


def _events(spec, offset, end, lr):
    kw, out = spec.args, []
    w = kw["num_warmup_steps"] if "num_warmup_steps" in kw else 0  # (none: constant)
    if w:
        out.append(Event(offset + w, "phase", Text("event.hf.warmup", {"t": w})))
    if spec.name == "get_wsd_schedule":
        w, s, d = wsd_parts(kw)
        if s > 0:
            out.append(Event(offset + w + s, "phase", Text("event.hf.decay", {"t": w + s})))
        out.append(Event(offset + w + max(s, 0) + d, "end",
                         Text("event.hf.end", {"t": w + max(s, 0) + d})))
    elif "num_training_steps" in kw:
        t = kw["num_training_steps"]
        out.append(Event(offset + t, "end", Text("event.hf.end", {"t": t})))
    return [e for e in out if e.step < end]


def _checks(spec, start, end, run, first, last):
    kw = spec.args
    w = kw["num_warmup_steps"] if "num_warmup_steps" in kw else 0
    steps = run.steps
    if first and w > WARMUP_SHARE * steps:
        yield finding("warning", "warmup-long.hf", start, start + min(w, end - start),
                      name=spec.name, t=w, steps=steps, unit=unit(run), share=w / steps,
                      example=max(1, steps // 20))
    if run.step_per == "epoch" and (w or "num_training_steps" in kw):
        yield finding("info", "hf-per-epoch", start, end, name=spec.name)
    length = _length(spec, steps)
    if isinstance(length, int) and length and length < end - start - 1:
        yield finding("warning", "hf-ends-early", start + length, end, name=spec.name,
                      length=length, span=end - start, unit=unit(run))


def _fit(kw: dict, f) -> dict:
    out = dict(kw)
    if "num_warmup_steps" in out:
        out["num_warmup_steps"] = f.warmup
    if "num_training_steps" in out and out["num_training_steps"] is not None:
        out["num_training_steps"] = f.steps
    if "num_decay_steps" in out:
        out["num_decay_steps"] = max(1, f.steps // 5)
        out["num_training_steps"] = f.steps
    return out


def _entry(name: str, trainer_type: str, *params: Param, holds: bool = False
           ) -> SchedulerInfo:
    """An entry; ``trainer_type``: the name get_scheduler and the HF Trainer know it by."""
    from dataclasses import replace

    ps = (OPT, *params) if any(p.name == "last_epoch" for p in params) else (OPT, *params, LAST)
    return SchedulerInfo(name, "transformers", tuple(replace(p, owner=name) for p in ps),
                         length=_length, events=_events, checks=_checks, fit=_fit,
                         unit_length=_unit_length, per_batch=True, library=MODULE,
                         holds=holds, trainer_type=trainer_type)


def _unit_length(args: dict):
    if "num_training_steps" in args and args["num_training_steps"] is not None:
        return ("num_training_steps", args["num_training_steps"], args["num_training_steps"])
    return None


MIN_LR = Param("min_lr", "float", default=None, low=0, optional=True)
MIN_RATE = Param("min_lr_rate", "float", default=None, example=0.1, low=0, high=1,
                 optional=True)

ENTRIES = (
    _entry("get_constant_schedule", "constant", holds=True),
    _entry("get_constant_schedule_with_warmup", "constant_with_warmup", WARM),
    _entry("get_linear_schedule_with_warmup", "linear", WARM, TOTAL),
    _entry("get_cosine_schedule_with_warmup", "cosine", WARM, TOTAL, CYCLES),
    _entry("get_cosine_with_hard_restarts_schedule_with_warmup", "cosine_with_restarts", WARM,
           TOTAL, Param("num_cycles", "int", default=1, low=1)),
    _entry("get_polynomial_decay_schedule_with_warmup", "polynomial", WARM, TOTAL,
           Param("lr_end", "float", default=1e-7, low=0),
           Param("power", "float", default=1.0, low=0)),
    _entry("get_inverse_sqrt_schedule", "inverse_sqrt", WARM,
           Param("timescale", "int", default=None, low=1, optional=True)),
    _entry("get_cosine_with_min_lr_schedule_with_warmup", "cosine_with_min_lr", WARM, TOTAL,
           CYCLES, LAST, MIN_LR, MIN_RATE),
    _entry("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "cosine_warmup_with_min_lr",
           WARM, TOTAL, CYCLES, LAST, MIN_LR, MIN_RATE,
           Param("warmup_lr_rate", "float", default=None, low=0, high=1, optional=True)),
    _entry("get_wsd_schedule", "warmup_stable_decay", WARM,
           Param("num_decay_steps", "int", example=200, low=0),
           Param("num_training_steps", "int", default=None, example=1000, low=1,
                 optional=True),
           Param("num_stable_steps", "int", default=None, low=0, optional=True),
           Param("warmup_type", "choice", default="linear", choices=SHAPES),
           Param("decay_type", "choice", default="cosine", choices=SHAPES),
           Param("min_lr_ratio", "float", default=0, low=0, high=1),
           CYCLES, LAST),
)
