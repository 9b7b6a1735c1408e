"""transformers' lr schedules as vectorized factors, without transformers installed.

``get_linear_schedule_with_warmup(optimizer, ...)`` and its siblings build a torch
``LambdaLR`` whose lambda maps the step count ``k`` to a factor of each group's base lr;
row ``k`` of a curve is ``base_lr * factor(k)``, as torch's rule for LambdaLR has it. Each
function below computes that factor for many steps at once, in the same order of
floating-point operations as the library's Python lambda (so values agree to the last bit
or two, tested against transformers at every step). Parameters the library would divide
by zero with, or refuse, are refused here with a message saying why.

The factor functions take the step counts, the keyword arguments as transformers names
them, and ``lr_init``: the optimizer's default lr (``optimizer.defaults["lr"]``), which
two schedules read (the polynomial decay's ``lr_end`` and the ``min_lr`` of cosine with a
floor are absolute lrs, turned into factors of it).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from schedlab.errors import ScheduleError

Factor = Callable[[np.ndarray, dict[str, Any], float], np.ndarray]


def _warm_then(k: np.ndarray, warmup: int, after: Callable[[np.ndarray, np.ndarray], None]
               ) -> np.ndarray:
    """The warmup's factors where k < warmup (``k`` ascends: a prefix), then ``after``'s,
    written in place into one array (fresh 100k-value temporaries cost more in page
    faults than the arithmetic). ``after(k_rest, out_rest)`` fills its part."""
    out = np.empty(len(k))
    cut = int(np.searchsorted(k, warmup, side="left"))
    np.divide(k[:cut], float(max(1, warmup)), out=out[:cut])
    if cut < len(k):
        after(k[cut:], out[cut:])
    return out


def _progress_into(k: np.ndarray, kw: dict[str, Any], out: np.ndarray, ahead: float = 0.0
                   ) -> None:
    """``(k - warmup) / max(1, training - warmup)`` into ``out``."""
    w, t = kw["num_warmup_steps"], kw["num_training_steps"]
    np.subtract(k, w, out=out)
    out /= float(max(1, t - w))


def _waves_into(cycles: float, out: np.ndarray) -> None:
    """``_waves`` in place: ``out`` holds the progress and gets the wave."""
    out *= np.pi * float(cycles) * 2.0
    np.cos(out, out=out)
    out += 1.0
    out *= 0.5


def _waves(cycles: float, progress: np.ndarray) -> np.ndarray:
    """The cosine of transformers' decays: from 1, ``cycles`` waves over progress 0..1."""
    return 0.5 * (1.0 + np.cos(np.pi * float(cycles) * 2.0 * progress))


def constant(k, kw, lr_init):
    return np.ones(len(k))


def constant_with_warmup(k, kw, lr_init):
    return _warm_then(k, kw["num_warmup_steps"], lambda kk, out: out.fill(1.0))


def linear(k, kw, lr_init):
    w, t = kw["num_warmup_steps"], kw["num_training_steps"]

    def after(kk, out):  # max(0, (t - k) / max(1, t - w))
        np.subtract(t, kk, out=out)
        out /= float(max(1, t - w))
        np.maximum(out, 0.0, out=out)
    return _warm_then(k, w, after)


def cosine(k, kw, lr_init):
    def after(kk, out):
        _progress_into(kk, kw, out)
        _waves_into(kw["num_cycles"], out)
        np.maximum(out, 0.0, out=out)
    return _warm_then(k, kw["num_warmup_steps"], after)


def cosine_with_hard_restarts(k, kw, lr_init):
    def after(kk, out):  # 0 from progress 1 on; before, max(0, 0.5 (1 + cos(pi ((c p) % 1))))
        _progress_into(kk, kw, out)
        end = int(np.searchsorted(out, 1.0, side="left"))  # progress ascends
        wave = out[:end]
        wave *= float(kw["num_cycles"])
        np.remainder(wave, 1.0, out=wave)  # Python's % for floats
        wave *= np.pi
        np.cos(wave, out=wave)
        wave += 1.0
        wave *= 0.5
        np.maximum(wave, 0.0, out=wave)
        out[end:] = 0.0
    return _warm_then(k, kw["num_warmup_steps"], after)


def polynomial(k, kw, lr_init):
    w, t = kw["num_warmup_steps"], kw["num_training_steps"]
    lr_end, power = kw["lr_end"], kw["power"]
    _divides_by(lr_init)
    if not lr_init > lr_end:
        raise ScheduleError(code="error.hf.lr-end", param="lr_end",
                            params={"lr_end": lr_end, "lr_init": lr_init})

    def after(kk, out):  # k <= t decays: ((lr - lr_end) * remaining ** power + lr_end) / lr
        end = int(np.searchsorted(kk, t, side="right"))  # k ascends
        if t == w and end:
            raise ScheduleError(code="error.hf.no-decay", param="num_training_steps",
                                params={"steps": t})
        if power < 0 and end and kk[end - 1] == t:  # 0.0 ** power at the decay's end
            raise ScheduleError(code="error.hf.power", param="power",
                                params={"power": power, "steps": t})
        decay = out[:end]
        np.subtract(kk[:end], w, out=decay)
        decay /= t - w
        np.subtract(1, decay, out=decay)  # remaining
        decay **= power
        decay *= lr_init - lr_end
        decay += lr_end
        decay /= lr_init
        out[end:] = lr_end / lr_init
    return _warm_then(k, w, after)


def inverse_sqrt(k, kw, lr_init):
    w = kw["num_warmup_steps"]
    scale = kw.get("timescale")
    scale = (w or 10_000) if scale is None else scale

    def after(kk, out):  # 1 / sqrt((k + timescale - warmup) / timescale)
        if scale == 0:  # transformers divides by it
            raise ScheduleError(code="error.hf.timescale", param="timescale",
                                params={"timescale": scale, "step": int(kk[0])})
        np.add(kk, scale - w, out=out)
        out /= scale
        bad = np.flatnonzero(out <= 0)
        if len(bad):  # the root of a number <= 0: transformers raises there
            raise ScheduleError(code="error.hf.timescale", param="timescale", params={
                "timescale": scale, "step": int(kk[bad[0]])})
        np.sqrt(out, out=out)
        np.divide(1.0, out, out=out)
    return _warm_then(k, w, after)


def cosine_with_min_lr(k, kw, lr_init):
    rate = min_lr_rate(kw, lr_init)

    def after(kk, out):  # max(0, wave * (1 - rate) + rate)
        _progress_into(kk, kw, out)
        _waves_into(kw["num_cycles"], out)
        out *= 1 - rate
        out += rate
        np.maximum(out, 0, out=out)
    return _warm_then(k, kw["num_warmup_steps"], after)


def min_lr_rate(kw: dict[str, Any], lr_init: float) -> float:
    """The floor as a share of the optimizer's lr: ``min_lr_rate``, or ``min_lr`` / lr."""
    min_lr, rate = kw.get("min_lr"), kw.get("min_lr_rate")
    if (min_lr is None) == (rate is None):
        raise ScheduleError(code="error.hf.min-lr", param="min_lr")
    if min_lr is not None:
        _divides_by(lr_init)
    return min_lr / lr_init if min_lr is not None else rate


def _divides_by(lr_init: float) -> None:
    if lr_init == 0:  # transformers divides by the optimizer's lr here
        raise ScheduleError(code="error.hf.lr-zero", param="lr")


def cosine_with_min_lr_rate(k, kw, lr_init):
    """The variant whose warmup starts a step early (or at ``warmup_lr_rate``) and whose
    cosine is a step ahead, as transformers writes it."""
    rate = min_lr_rate(kw, lr_init)
    w, t = float(kw["num_warmup_steps"]), float(kw["num_training_steps"])
    start = kw.get("warmup_lr_rate")
    if start is None:
        ramp = (k + 1.0) / max(1.0, w)
    else:
        ramp = float(start) + (1.0 - float(start)) * k / max(1, w - 1)
    progress = (k - w + 1.0) / max(1.0, t - w)
    factor = _waves(kw["num_cycles"], progress) * (1 - rate) + rate
    return np.where(k < w, ramp, np.maximum(0, factor))


SHAPES = ("linear", "cosine", "1-sqrt")  # a warmup-stable-decay's warmup and decay


def wsd(k, kw, lr_init):
    """Warmup, stable, decay: each phase a share of the steps, then min_lr_ratio."""
    w, d = kw["num_warmup_steps"], kw["num_decay_steps"]
    stable, total = kw.get("num_stable_steps"), kw.get("num_training_steps")
    if stable is None and total is None:
        raise ScheduleError(code="error.hf.wsd-length", param="num_training_steps")
    for key in ("warmup_type", "decay_type"):
        if kw[key] not in SHAPES:
            raise ScheduleError(code="error.hf.wsd-shape", param=key, params={
                "key": key, "value": kw[key], "allowed": ", ".join(map(repr, SHAPES))})
    s = total - w - d if stable is None else stable  # the stable phase's own length wins
    r = kw["min_lr_ratio"]
    # the phases, in place on slices (k ascends; the first phase that holds wins, as in
    # transformers' if/elif): warmup k < w, stable k < w + s, decay k < w + s + d, floor
    c1 = int(np.searchsorted(k, w, side="left"))
    c2 = max(c1, int(np.searchsorted(k, w + s, side="left")))
    c3 = max(c2, int(np.searchsorted(k, w + s + d, side="left")))
    out = np.empty(len(k))
    up, down = out[:c1], out[c2:c3]
    np.divide(k[:c1], float(max(1, w)), out=up)
    if kw["warmup_type"] == "cosine":  # 0.5 * (1 - cos(pi p))
        up *= np.pi
        np.cos(up, out=up)
        np.subtract(1.0, up, out=up)
        up *= 0.5
    elif kw["warmup_type"] == "1-sqrt":  # 1 - sqrt(max(1 - p, 0))
        np.subtract(1.0, up, out=up)
        np.maximum(up, 0.0, out=up)
        np.sqrt(up, out=up)
        np.subtract(1.0, up, out=up)
    out[c1:c2] = 1.0
    np.subtract(k[c2:c3], w + s, out=down)  # (k - w - s), exact in floats
    down /= float(max(1, d))
    if kw["decay_type"] == "linear":
        np.subtract(1.0, down, out=down)
    elif kw["decay_type"] == "cosine":
        _waves_into(kw["num_cycles"], down)
    else:  # 1 - sqrt(max(p, 0))
        np.maximum(down, 0.0, out=down)
        np.sqrt(down, out=down)
        np.subtract(1.0, down, out=down)
    for part in (up, down):  # max(0, shape * (1 - r) + r)
        part *= 1.0 - r
        part += r
        np.maximum(part, 0.0, out=part)
    out[c3:] = float(r)
    return out


FACTORS: dict[str, Factor] = {
    "get_constant_schedule": constant,
    "get_constant_schedule_with_warmup": constant_with_warmup,
    "get_linear_schedule_with_warmup": linear,
    "get_cosine_schedule_with_warmup": cosine,
    "get_cosine_with_hard_restarts_schedule_with_warmup": cosine_with_hard_restarts,
    "get_polynomial_decay_schedule_with_warmup": polynomial,
    "get_inverse_sqrt_schedule": inverse_sqrt,
    "get_cosine_with_min_lr_schedule_with_warmup": cosine_with_min_lr,
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": cosine_with_min_lr_rate,
    "get_wsd_schedule": wsd,
}
# get_scheduler(name, ...): the function each name stands for (those modelled here)
NAMES = {"linear": "get_linear_schedule_with_warmup",
         "cosine": "get_cosine_schedule_with_warmup",
         "cosine_with_restarts": "get_cosine_with_hard_restarts_schedule_with_warmup",
         "polynomial": "get_polynomial_decay_schedule_with_warmup",
         "constant": "get_constant_schedule",
         "constant_with_warmup": "get_constant_schedule_with_warmup",
         "inverse_sqrt": "get_inverse_sqrt_schedule",
         "cosine_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup",
         "cosine_warmup_with_min_lr": "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
         "warmup_stable_decay": "get_wsd_schedule"}
DEFAULTS: dict[str, dict[str, Any]] = {  # the keyword arguments' defaults, as transformers'
    "get_cosine_schedule_with_warmup": {"num_cycles": 0.5},
    "get_cosine_with_hard_restarts_schedule_with_warmup": {"num_cycles": 1},
    "get_polynomial_decay_schedule_with_warmup": {"lr_end": 1e-7, "power": 1.0},
    "get_inverse_sqrt_schedule": {"timescale": None},
    "get_cosine_with_min_lr_schedule_with_warmup": {"num_cycles": 0.5, "min_lr": None,
                                                    "min_lr_rate": None},
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": {
        "num_cycles": 0.5, "min_lr": None, "min_lr_rate": None, "warmup_lr_rate": None},
    "get_wsd_schedule": {"num_training_steps": None, "num_stable_steps": None,
                         "warmup_type": "linear", "decay_type": "cosine", "min_lr_ratio": 0,
                         "num_cycles": 0.5},
}


_NEEDS = {"num_warmup_steps": set(FACTORS) - {"get_constant_schedule"},
          "num_training_steps": set(FACTORS) - {"get_constant_schedule",
                                                "get_constant_schedule_with_warmup",
                                                "get_inverse_sqrt_schedule",
                                                "get_wsd_schedule"},
          "num_decay_steps": {"get_wsd_schedule"}}


def resolve(name: str, num_warmup_steps: int | None = None,
            num_training_steps: int | None = None,
            scheduler_specific_kwargs: dict[str, Any] | None = None) -> tuple[str, dict]:
    """``get_scheduler(name, optimizer, ...)`` as the function it calls and that function's
    keyword arguments, passed on the way transformers passes them."""
    if name not in NAMES:
        raise ScheduleError(code="error.hf.name", param="name", params={
            "name": name, "known": ", ".join(NAMES)})
    function, extra = NAMES[name], dict(scheduler_specific_kwargs or {})
    if name == "constant":
        return function, {}
    if num_warmup_steps is None:
        raise ScheduleError(code="error.hf.needs", param="num_warmup_steps",
                            params={"name": name, "key": "num_warmup_steps"})
    if name == "constant_with_warmup":
        return function, {"num_warmup_steps": num_warmup_steps}
    given = {"num_warmup_steps", "num_training_steps"} & set(extra)
    if given:  # transformers passes these itself: "got multiple values"
        raise ScheduleError(code="error.hf.twice", param=min(given),
                            params={"key": min(given)})
    if name == "inverse_sqrt":
        return function, {"num_warmup_steps": num_warmup_steps, **extra}
    if name != "warmup_stable_decay" and num_training_steps is None:
        raise ScheduleError(code="error.hf.needs", param="num_training_steps",
                            params={"name": name, "key": "num_training_steps"})
    return function, {"num_warmup_steps": num_warmup_steps,
                      "num_training_steps": num_training_steps, **extra}


def factors(name: str, steps: int, kwargs: dict[str, Any], lr_init: float,
            start: int = 0) -> np.ndarray:
    """The factor of the base lr at step counts start..start+steps-1 of transformers'
    ``name``."""
    needs = sorted(key for key, users in _NEEDS.items() if name in users)
    known = set(needs) | set(DEFAULTS.get(name, {}))
    for key in [k for k in needs if k not in kwargs] + sorted(set(kwargs) - known):
        raise ScheduleError(code="error.hf.argument", param=key, params={
            "name": name, "key": key, "known": ", ".join(sorted(known)) or "-"})
    kw = {**DEFAULTS.get(name, {}), **kwargs}
    k = np.arange(start, start + steps, dtype=np.float64)
    return np.asarray(FACTORS[name](k, kw, float(lr_init)), dtype=np.float64)
