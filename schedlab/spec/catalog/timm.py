"""timm's schedulers: the classes of ``timm.scheduler`` that schedlab models exactly.

timm's schedulers are stateless: the training loop passes the count, ``step(epoch)`` once
per epoch (``t_in_epochs=True``, the default) or ``step_update(num_updates)`` after every
optimizer update (``t_in_epochs=False``). Row ``k`` of a curve is the lr at count ``k``;
row 0 is what the constructor sets (``warmup_lr_init`` when there is a warmup, else the
optimizer's lr). The engine's models are in ``schedlab.engine.timm``. Parameters are in
the order of each class's signature, so positional arguments bind as in Python.
"""

from __future__ import annotations

import math
from dataclasses import replace

from schedlab.errors import ScheduleError
from schedlab.messages import Text
from schedlab.spec.catalog.base import OPT, WARMUP_SHARE, Event, SchedulerInfo, finding, unit
from schedlab.spec.catalog.rules import every
from schedlab.spec.params import Param

MODULE = "timm.scheduler"


def _warmup(prefix: bool) -> tuple[Param, ...]:
    return (Param("warmup_t", "int", default=0, low=0),
            Param("warmup_lr_init", "float", default=0.0, low=0),
            Param("warmup_prefix", "bool", default=prefix),
            Param("t_in_epochs", "bool", default=True))


NOISE = (Param("noise_range_t", "span", default=None, optional=True, low=0),
         Param("noise_pct", "float", default=0.67, low=0, low_open=True),
         Param("noise_std", "float", default=1.0, low=0),
         Param("noise_seed", "int", default=42, low=0),)
CYCLES = (Param("lr_min", "float", default=0.0, low=0),
          Param("cycle_mul", "float", default=1.0, low=0, low_open=True),
          Param("cycle_decay", "float", default=1.0, low=0, low_open=True),
          Param("cycle_limit", "int", default=1, low=1))
K_DECAY = Param("k_decay", "float", default=1.0, low=0, low_open=True)
INITIALIZE = Param("initialize", "bool", default=True, widget=False)
FIRST = Param("t_initial", "int", example=100, low=1)


def cycled_length(kw: dict) -> int:
    """Counts until the last cycle ends (the warmup before it when it is a prefix), the
    length ``create_scheduler_v2`` returns as its number of epochs."""
    first, mul, n = kw["t_initial"], kw["cycle_mul"], max(1, kw["cycle_limit"])
    length = first * n if mul == 1.0 else \
        int(math.floor(-first * (mul ** n - 1) / (1 - mul)))  # timm's get_cycle_length
    return length + (kw["warmup_t"] if kw["warmup_prefix"] else 0)


def _length(spec, run):
    return cycled_length(spec.args) if "t_initial" in spec.args else None


def _events(spec, offset, end, lr):
    kw, out = spec.args, []
    w = kw["warmup_t"]
    if w:
        out.append(Event(offset + w, "phase", Text("event.timm.warmup", {"t": w})))
    shift = w if kw["warmup_prefix"] else 0
    if spec.name == "StepLRScheduler":
        size = kw["decay_t"]
        if size >= 1 and float(size).is_integer() and kw["decay_rate"] != 1:
            out += every(offset + shift, end, int(size), int(size), "milestone",
                         Text("event.timm.decay", {"rate": kw["decay_rate"]}))
    elif spec.name == "MultiStepLRScheduler":
        out += [Event(offset + shift + m - 1, "milestone",
                      Text("event.timm.decay", {"rate": kw["decay_rate"]}))
                for m in sorted(set(kw["decay_t"])) if 0 <= shift + m - 1 < end - offset]
    elif "t_initial" in kw:
        at, length, i = shift, kw["t_initial"], 0
        while i < kw["cycle_limit"] and at + length < end - offset and i < 64:
            at += int(length)
            out.append(Event(offset + at, "restart" if i + 1 < kw["cycle_limit"] else "end",
                             Text("event.timm.cycle", {"t": at})))
            length *= kw["cycle_mul"]
            i += 1
    return sorted((e for e in out if e.step < end), key=lambda e: e.step)


def _checks(spec, start, end, run, first, last):
    kw = spec.args
    w, steps = kw["warmup_t"], run.steps
    if first and w > WARMUP_SHARE * steps:
        yield finding("warning", "warmup-long.timm", start, start + min(w, end - start),
                      name=spec.name, t=w, steps=steps, unit=unit(run), share=w / steps,
                      example=max(1, steps // 20))
    in_epochs = kw["t_in_epochs"]
    if in_epochs and run.step_per == "batch" or not in_epochs and run.step_per == "epoch":
        yield finding("warning", "timm-unit." + ("epochs" if in_epochs else "updates"),
                      start, end, name=spec.name)
    if "t_initial" in kw:
        length = cycled_length(kw)
        if length < end - start - 1:
            yield finding("info", "timm-ends-early", start + length, end, name=spec.name,
                          length=length, span=end - start, unit=unit(run),
                          lr_min=kw["lr_min"])


def _fit(kw: dict, f) -> dict:
    out = dict(kw)
    if "t_initial" in out:
        out["t_initial"] = f.steps
    if "decay_t" in out:
        out["decay_t"] = tuple(sorted({max(1, f.steps * 3 // 10), max(1, f.steps * 8 // 10)})) \
            if isinstance(out["decay_t"], tuple) else max(1, f.steps * 3 // 10)
    if out.get("warmup_t"):
        out["warmup_t"] = f.warmup
    if f.per_batch:  # stepped after every update: step_update(), counting updates
        out["t_in_epochs"] = False
    return out


def _unit_length(args: dict):
    if "t_initial" in args:
        return ("t_initial", args["t_initial"], args["t_initial"])
    return None


def _cycled_v2(sched: str):
    """create_scheduler_v2's arguments for a cosine, poly or tanh (``counts`` turns a
    count into epochs, or refuses)."""
    def to_v2(kw: dict, counts) -> dict:
        out = {"sched": sched, "num_epochs": counts("t_initial", kw["t_initial"]),
               "min_lr": kw["lr_min"], "cycle_mul": kw["cycle_mul"],
               "cycle_decay": kw["cycle_decay"], "cycle_limit": kw["cycle_limit"]}
        if "k_decay" in kw:
            out["k_decay"] = kw["k_decay"]
        if "power" in kw:
            out["decay_rate"] = kw["power"]  # create_scheduler_v2 passes it as power
        if "lb" in kw and (kw["lb"], kw["ub"]) != (-7.0, 3.0):  # it has no lb or ub
            raise ScheduleError(code="error.export.timm-tanh",
                                params={"lb": kw["lb"], "ub": kw["ub"]})
        return out
    return to_v2


def _step_v2(kw: dict, counts) -> dict:
    return {"sched": "step", "decay_epochs": counts("decay_t", kw["decay_t"]),
            "decay_rate": kw["decay_rate"]}


def _multistep_v2(kw: dict, counts) -> dict:
    return {"sched": "multistep", "decay_rate": kw["decay_rate"],
            "decay_milestones": [counts("decay_t", m) for m in kw["decay_t"]]}


def _entry(name: str, to_v2, *params: Param) -> SchedulerInfo:
    ps = (OPT, *params, INITIALIZE)
    return SchedulerInfo(name, "timm", tuple(replace(p, owner=name) for p in ps),
                         length=_length, events=_events, checks=_checks, fit=_fit,
                         unit_length=_unit_length, library=MODULE, to_v2=to_v2,
                         batch_rule=lambda args: not args["t_in_epochs"])


def _plateau_events(spec, offset, end, lr):
    import numpy as np

    out = []
    w = spec.args["warmup_t"]
    if w:
        out.append(Event(offset + w, "phase", Text("event.timm.warmup", {"t": w})))
    if spec.args["noise_range_t"] is None:  # a noisy lr falls at every step
        out += [Event(int(k) + 1, "reduction", Text("event.reduced"))
                for k in np.flatnonzero(np.diff(lr) < 0) if k + 1 > w]
    return [e for e in out if e.step < end]


def _plateau_checks(spec, start, end, run, first, last):
    kw, steps = spec.args, run.steps
    if first and kw["warmup_t"] > WARMUP_SHARE * steps:
        yield finding("warning", "warmup-long.timm", start, start + min(kw["warmup_t"],
                                                                        end - start),
                      name=spec.name, t=kw["warmup_t"], steps=steps, unit=unit(run),
                      share=kw["warmup_t"] / steps, example=max(1, steps // 20))
    if run.step_per == "batch":
        yield finding("info", "plateau-per-batch.timm", start, end)


def _plateau_v2(kw: dict, counts) -> dict:
    """create_scheduler_v2's arguments for the plateau, which it makes with cooldown_t=0,
    timm's default threshold and normal noise: anything else does not map."""
    for key, made in (("cooldown_t", 0), ("threshold", 1e-4), ("noise_type", "normal")):
        if kw[key] != made:
            raise ScheduleError(code="error.export.timm-plateau",
                                params={"key": key, "value": kw[key], "made": made})
    return {"sched": "plateau", "decay_rate": kw["decay_rate"],
            "patience_epochs": kw["patience_t"], "min_lr": kw["lr_min"],
            "plateau_mode": kw["mode"]}


PLATEAU = SchedulerInfo(
    "PlateauLRScheduler", "timm", tuple(replace(p, owner="PlateauLRScheduler") for p in (
        OPT, Param("decay_rate", "float", default=0.1, low=0, high=1, high_open=True),
        Param("patience_t", "int", default=10, low=0),
        Param("threshold", "float", default=1e-4, low=0),
        Param("cooldown_t", "int", default=0, low=0),
        Param("warmup_t", "int", default=0, low=0),
        Param("warmup_lr_init", "float", default=0.0, low=0),
        Param("lr_min", "float", default=0.0, low=0),
        Param("mode", "choice", default="max", example="min", choices=("min", "max")),
        Param("noise_range_t", "span", default=None, optional=True, low=0),
        Param("noise_type", "choice", default="normal", choices=("normal", "uniform")),
        Param("noise_pct", "float", default=0.67, low=0, low_open=True),
        Param("noise_std", "float", default=1.0, low=0),
        Param("noise_seed", "int", default=None, low=0, optional=True),
        INITIALIZE)),
    library=MODULE, needs_metric=True, events=_plateau_events, checks=_plateau_checks,
    to_v2=_plateau_v2,
    fit=lambda kw, f: {**kw, "patience_t": max(1, f.steps // 25)})

ENTRIES = (
    _entry("CosineLRScheduler", _cycled_v2("cosine"), FIRST, *CYCLES, *_warmup(False),
           *NOISE, K_DECAY),
    _entry("PolyLRScheduler", _cycled_v2("poly"), FIRST,
           Param("power", "float", default=0.5, low=0), *CYCLES, *_warmup(False), *NOISE, K_DECAY),
    _entry("TanhLRScheduler", _cycled_v2("tanh"), FIRST, Param("lb", "float", default=-7.0),
           Param("ub", "float", default=3.0), *CYCLES, *_warmup(False), *NOISE),
    _entry("StepLRScheduler", _step_v2,
           Param("decay_t", "float", example=30, low=0, low_open=True),
           Param("decay_rate", "float", default=1.0, example=0.1, low=0),
           *_warmup(True), *NOISE),
    _entry("MultiStepLRScheduler", _multistep_v2,
           Param("decay_t", "int_list", example=(30, 80), low=0),
           Param("decay_rate", "float", default=1.0, example=0.1, low=0),
           *_warmup(True), *NOISE),
    PLATEAU,
)
