"""timm's lr schedulers as vectorized values, without timm installed.

timm's schedulers are stateless: the training loop passes the count itself, and the lr is
a function of it. Row ``k`` of a curve is the lr after ``scheduler.step(k)`` (the
default, ``t_in_epochs=True``) or ``scheduler.step_update(k)`` (``t_in_epochs=False``),
as timm's own training script calls them; either way it is the scheduler's value at
``t = k``. The functions below compute it for many counts at once, each group from its
base lr, in the same order of floating-point operations as timm's ``_get_lr``, noise
included (drawn as timm draws it, from a torch generator seeded ``noise_seed + t``).
Where timm would fail (the log of a number <= 0 in a shrinking cycle), the run is
refused with a message.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

import numpy as np
import torch

from schedlab.errors import ScheduleError

CYCLED = ("CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler")
STEPPED = ("StepLRScheduler", "MultiStepLRScheduler")
SCHEDULERS = CYCLED + STEPPED
DEFAULTS: dict[str, dict[str, Any]] = {
    "CosineLRScheduler": {"lr_min": 0.0, "k_decay": 1.0},
    "PolyLRScheduler": {"lr_min": 0.0, "k_decay": 1.0, "power": 0.5},
    "TanhLRScheduler": {"lr_min": 0.0, "lb": -7.0, "ub": 3.0, "k_decay": 1.0},  # (no k_decay)
    "StepLRScheduler": {"decay_rate": 1.0, "warmup_prefix": True},
    "MultiStepLRScheduler": {"decay_rate": 1.0, "warmup_prefix": True},
}
COMMON = {"warmup_t": 0, "warmup_lr_init": 0.0, "warmup_prefix": False, "cycle_mul": 1.0,
          "cycle_decay": 1.0, "cycle_limit": 1, "noise_range_t": None, "noise_pct": 0.67,
          "noise_std": 1.0, "noise_seed": 42}


def initialize(groups: list[dict], kw: dict[str, Any], name: str) -> list[float]:
    """What timm's scheduler constructors do to the param groups (``Groups.groups`` or a
    torch optimizer's): each gets an initial_lr (its lr, where it has none; with
    initialize=False timm reads it and raises KeyError where it is missing), its lr set to
    that, or to warmup_lr_init when there is a warmup. Returns the base values."""
    if not kw["initialize"] and any("initial_lr" not in g for g in groups):
        raise ScheduleError(code="error.timm.initialize", param="initialize",
                            params={"name": name})
    for g in groups:
        g.setdefault("initial_lr", g["lr"])
    bases = [float(g["initial_lr"]) for g in groups]
    for g in groups:
        g["lr"] = kw["warmup_lr_init"] if kw["warmup_t"] else g["initial_lr"]
    return bases


def noise_at(span: Any, t: int) -> bool:
    """Whether timm adds noise at count ``t``: from ``span`` on, or within [a, b)."""
    if span is None:
        return False
    return span[0] <= t < span[1] if isinstance(span, (list, tuple)) else t >= span


def values(name: str, steps: int, kwargs: dict[str, Any], base_lrs: list[float],
           start: int = 0) -> np.ndarray:
    """The lr of every group (columns) at t = start..start+steps-1 of timm's ``name``."""
    kw = {**COMMON, **DEFAULTS[name], **kwargs}
    length = "decay_t" if name == "StepLRScheduler" else \
        "t_initial" if name in CYCLED else None
    if length and not kw[length] > 0:  # timm asserts it, or divides by it
        raise ScheduleError(code="error.timm.length", param=length,
                            params={"name": name, "key": length, "value": kw[length]})
    base = np.asarray(base_lrs, dtype=np.float64)[None, :]
    w = kw["warmup_t"]
    cut = min(max(w - start, 0), steps)  # counts below w warm up: a prefix, sliced
    out = np.empty((steps, base.shape[1]))
    if cut < steps:
        rest = out[cut:]
        if not _runs(name, start + cut, steps - cut, kw, base, rest):
            t = np.arange(start + cut, start + steps, dtype=np.int64)
            after = _after_warmup(name, t, kw, base, rest)
            if after is not rest:  # not written in place
                rest[:] = after
    if cut:
        top = base if name != "TanhLRScheduler" or kw["warmup_prefix"] else \
            _after_warmup(name, np.array([w]), kw, base)  # tanh ramps to its own value
        slope = (top - kw["warmup_lr_init"]) / w
        out[:cut] = kw["warmup_lr_init"] + np.arange(start, start + cut)[:, None] * slope
    return _noisy(out, start, kw)


def _runs(name: str, start: int, steps: int, kw: dict, base: np.ndarray,
          out: np.ndarray) -> bool:
    """Counts ``start..start+steps-1``, all past the warmup, a run at a time into ``out``:
    a step schedule is constant between decays, and a cycle is one formula from its start
    to its end. Each run's constants (the decay's power, the cycle's length and offset)
    are computed as timm computes them, in Python; the arrays hold only what varies within
    a run, so a long curve costs one pass over memory and no index arrays. False, with
    nothing written, where runs would be short (a decay at every count, a cycle of a few
    counts) or a cycle's start is not plain: the vectorized formulas serve there."""
    shift = kw["warmup_t"] if kw["warmup_prefix"] else 0
    a, b = start - shift, start - shift + steps  # counts as timm's formula sees them
    runs = _decays(name, a, b, kw) if name in STEPPED else _cycle_starts(a, b, kw)
    if runs is None or len(runs) > max(16, steps // 64):
        return False
    bounds = [a, *(lo for lo, _ in runs[1:]), b]
    if name in STEPPED:
        for (lo, value), hi in zip(runs, bounds[1:]):
            out[lo - a:hi - a] = base * value
        return True
    first, mul, decay = kw["t_initial"], kw["cycle_mul"], kw["cycle_decay"]
    for (lo, i), hi in zip(runs, bounds[1:]):
        into = out[lo - a:hi - a]
        if i >= kw["cycle_limit"]:
            into[:] = kw["lr_min"]
            continue
        if mul == 1:  # timm: t_i = t_initial, t_curr = t - t_initial * i (integers)
            t_i, offset = first, first * i
        else:
            t_i = mul ** i * first
            offset = (1 - mul ** i) / (1 - mul) * first
        t_curr = np.arange(lo, hi, dtype=np.float64)
        t_curr -= offset
        _cycle_values(name, t_curr, t_i, kw, base * decay ** i, into, lo + shift)
    return True


def _decays(name: str, a: int, b: int, kw: dict) -> list[tuple[int, float]] | None:
    """Where each run of a step schedule starts (counts a..b-1 as the formula sees them)
    and its factor, ``decay_rate ** decays`` as timm writes it; None for a fractional
    period, whose boundaries are not whole multiples."""
    rate = kw["decay_rate"]
    if name == "StepLRScheduler":
        d = kw["decay_t"]
        if not float(d).is_integer():
            return None
        if (b - 1) // int(d) - a // int(d) > max(16, (b - a) // 64):  # runs too short
            return None
        starts = [a, *range((a // int(d) + 1) * int(d), b, int(d))]
        return [(lo, rate ** (lo // d)) for lo in starts]
    # bisect_right(decay_t, t + 1) changes only where t + 1 is a milestone (sorted or not)
    milestones = list(kw["decay_t"])
    starts = [a, *sorted({m - 1 for m in milestones if a < m - 1 < b})]
    return [(lo, rate ** bisect_right(milestones, lo + 1)) for lo in starts]


def _cycle_starts(a: int, b: int, kw: dict) -> list[tuple[int, int]] | None:
    """Where each cycle met in counts a..b-1 starts, and its number, as timm numbers the
    cycle of a count; None where a cycle's start is not plain or timm fails (the log of a
    number <= 0, refused by the vectorized path with its message)."""
    first, mul = kw["t_initial"], kw["cycle_mul"]
    last = b - 1
    if mul == 1:
        if last // first - a // first > max(16, (b - a) // 64):  # cycles too short
            return None
        return [(a, a // first), *((j * first, j) for j in range(a // first + 1,
                                                                   last // first + 1))]
    low = a if mul > 1 else last  # where 1 - t / t_initial * (1 - mul) is least
    if 1 - low / first * (1 - mul) <= 0:
        return None
    runs = [(a, _cycle(a, first, mul))]
    for j in range(runs[0][1] + 1, _cycle(last, first, mul) + 1):
        near = int((mul ** j - 1) / (mul - 1) * first)  # where cycle j starts, about
        at = max(a, near - 2)
        if at > a and _cycle(at, first, mul) >= j:
            return None
        while _cycle(at, first, mul) < j:
            at += 1
            if at > near + 3:
                return None
        if at >= b or len(runs) > max(16, (b - a) // 64):
            return None
        runs.append((at, j))
    return runs


def _cycle(t: int, first: int, mul: float) -> int:
    """timm's cycle of count ``t`` (cycle_mul != 1), in its own words."""
    return math.floor(math.log(1 - t / first * (1 - mul), mul))


def _after_warmup(name: str, t: np.ndarray, kw: dict, base: np.ndarray,
                  out: np.ndarray | None = None) -> np.ndarray:
    """The values after the warmup at counts ``t``, vectorized over every count (where
    ``_runs`` does not serve), into ``out`` when given."""
    tt = t - kw["warmup_t"] if kw["warmup_prefix"] else t
    if name in STEPPED:  # base * decay_rate ** (decays so far), in place
        if name == "StepLRScheduler":  # t // decay_t, as a float (exact: the same floor)
            e = np.floor_divide(tt, kw["decay_t"], dtype=np.float64)
        else:  # milestone m counts from t = m - 1, as timm has it
            e = np.searchsorted(np.asarray(kw["decay_t"]), tt + 1, side="right").astype(
                np.float64)
        np.power(kw["decay_rate"], e, out=e)
        return _times_base(e, base, out)
    i, t_i, t_curr = _cycles(tt, kw)
    decay = kw["cycle_decay"]
    top = base * (decay ** i)[:, None] if decay != 1 else base  # (1, groups) broadcasts
    if out is None:
        out = np.empty((len(t), base.shape[1]))
    _cycle_values(name, t_curr, t_i, kw, top, out, int(t[0]) if len(t) else 0)
    over = i >= kw["cycle_limit"]
    if np.any(over):
        out[over] = kw["lr_min"]
    return out


def _times_base(f: np.ndarray, base: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    """Each group's base times ``f`` (one value per count), into ``out`` when given."""
    if out is None:
        if base.shape[1] == 1:
            return np.multiply(f, base[0, 0], out=f)[:, None]
        out = np.empty((len(f), base.shape[1]))
    np.multiply(f[:, None], base, out=out)
    return out


def _cycle_values(name: str, t_curr: np.ndarray, t_i: Any, kw: dict, top: np.ndarray,
                  out: np.ndarray, t0: int) -> None:
    """timm's cosine, poly or tanh into ``out``, from each row's count within its cycle
    (``t_curr``, overwritten) and that cycle's length (``t_i``: one for all rows, or one a
    row), in timm's order of operations (a product or a sum gives the same either way
    round); ``top`` is each group's peak (one row, or one a row), ``t0`` the count of the
    first row (for a message):

    * cosine: ``lr_min + 0.5 * (top - lr_min) * (1 + cos(pi * t_cur ** k / t_i ** k))``
    * poly: ``lr_min + (top - lr_min) * (1 - t_cur ** k / t_i ** k) ** power``
    * tanh: ``lr_min + 0.5 * (top - lr_min) * (1 - tanh(lb * (1 - tr) + ub * tr))``
    """
    lr_min, k = kw["lr_min"], kw["k_decay"]
    shape = t_curr
    if k != 1:  # t ** 1.0 is t exactly: the power is only paid where it changes a value
        shape = _powered(shape, k, t_i, name)
        if np.ndim(t_i):  # a few lengths (one a cycle): each raised as timm does, in Python
            lengths, which = np.unique(t_i, return_inverse=True)
            t_i = np.array([_raised(n, k, name) for n in lengths])[which]
        else:
            t_i = _raised(t_i, k, name)
    if name == "CosineLRScheduler":
        shape *= math.pi
        shape /= t_i
        np.cos(shape, out=shape)
        shape += 1
        scale = 0.5 * (top - lr_min)
    elif name == "PolyLRScheduler":
        shape /= t_i
        np.subtract(1, shape, out=shape)
        below = np.flatnonzero(shape < 0)  # a shrinking cycle's rounding: t_cur past t_i
        if len(below) and not float(kw["power"]).is_integer():  # Python makes it complex
            raise ScheduleError(code="error.timm.complex", param="power", params={
                "power": kw["power"], "t": t0 + int(below[0])})
        shape **= kw["power"]
        scale = top - lr_min
    else:  # tanh: tr = t_cur / t_i; lb * (1. - tr) + ub * tr
        shape /= t_i
        lower = np.subtract(1., shape)
        lower *= kw["lb"]
        shape *= kw["ub"]
        shape += lower
        np.tanh(shape, out=shape)
        np.subtract(1, shape, out=shape)
        scale = 0.5 * (top - lr_min)
    np.multiply(shape[:, None], scale, out=out)
    out += lr_min


def _raised(x: Any, k: float, name: str) -> float:
    """``x ** k`` as timm's Python computes it; where a float cannot hold it, timm raises
    OverflowError: said as a ScheduleError."""
    try:
        return float(x) ** k
    except OverflowError:
        raise ScheduleError(code="error.timm.overflow", param="k_decay", params={
            "name": name, "k": k, "t": float(x)}) from None


def _powered(t_curr: np.ndarray, k: float, t_i: Any, name: str) -> np.ndarray:
    """``t_curr ** k`` in place, as timm's Python computes it where it matters: numpy's
    power can differ from the C library's in the last bit, and at a cycle's last count
    (t_cur a rounding error short of ``t_i``) ``1 - t_cur ** k / t_i ** k`` magnifies that
    bit without bound (Poly's ``** power`` below 1 made it 1e-5 relative there); the few
    counts within a millionth of their cycle's end are raised in Python."""
    near = np.flatnonzero(t_curr >= np.multiply(t_i, 1 - 1e-6))
    exact = [_raised(x, k, name) for x in t_curr[near].tolist()]
    np.power(t_curr, k, out=t_curr)
    t_curr[near] = exact
    return t_curr


def _cycles(tt: np.ndarray, kw: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each count's cycle, that cycle's length and the count within it."""
    first, mul = kw["t_initial"], kw["cycle_mul"]
    if len(tt) and 0 <= tt[0] and tt[-1] < first:  # all in the first cycle (ascending)
        return np.zeros(len(tt), np.int64), np.float64(first), tt.astype(np.float64)
    if mul == 1 or not len(tt):
        i = tt // first
        return i, np.full(len(tt), float(first)), (tt - first * i).astype(np.float64)
    inside = 1 - tt / first * (1 - mul)
    if np.any(inside <= 0):  # timm takes math.log of it
        raise ScheduleError(code="error.timm.cycles", param="cycle_mul", params={
            "mul": mul, "t": int(tt[np.argmax(inside <= 0)])})
    # timm's cycle is floor(math.log(inside, mul)): found here by where the cycles start
    # (mul ** j = inside), then asked of math itself next to each start, where an ulp of
    # the log decides between two cycles
    last = math.floor(math.log(float(inside.max()), mul)) + 1 if mul > 1 else \
        math.floor(math.log(float(inside.min()), mul)) + 1
    powers = [mul ** j for j in range(last + 1)]
    starts = np.array([(p - 1) / (mul - 1) * first for p in powers])
    i = np.searchsorted(starts, tt, side="right") - 1
    low = np.searchsorted(tt, starts - 1, side="left")  # the counts (ascending) within
    high = np.searchsorted(tt, starts + 1, side="right")  # one of each start
    for at in (a for lo, hi in zip(low.tolist(), high.tolist()) for a in range(lo, hi)):
        i[at] = math.floor(math.log(float(inside[at]), mul))
    table = np.array(powers + [mul ** (last + 1)])
    return i, table[i] * first, tt - (1 - table[i]) / (1 - mul) * first


def _noisy(lrs: np.ndarray, start: int, kw: dict) -> np.ndarray:
    """timm's noise on the rows it touches (counts start, start+1, ...): the counts
    ``noise_at`` names, found as a range (a count t >= a is one >= ceil(a))."""
    span = kw["noise_range_t"]
    if span is None:
        return lrs
    lo, hi = (span[0], span[1]) if isinstance(span, (list, tuple)) else (span, math.inf)
    first = max(start, math.ceil(lo))
    last = start + len(lrs) if hi == math.inf else min(start + len(lrs), math.ceil(hi))
    for t in range(first, last):
        noise = _noise(kw["noise_seed"] + t, kw["noise_pct"], kw["noise_std"])
        row = t - start
        lrs[row] = lrs[row] + lrs[row] * noise
    return lrs


def _noise(seed: int, pct: float, std: float) -> float:
    """One draw as timm makes it: normal, scaled, redrawn until under ``pct``."""
    g = torch.Generator()
    g.manual_seed(seed)
    for _ in range(10_000):
        noise = torch.randn(1, generator=g).item() * std
        if abs(noise) < pct:
            return noise
    raise ScheduleError(code="error.timm.noise", param="noise_pct",
                        params={"pct": pct, "std": std})


V2 = {"num_epochs": 300, "decay_epochs": None, "decay_milestones": (90, 180, 270),
      "cooldown_epochs": 0, "decay_rate": 0.1, "min_lr": 0., "warmup_lr": 1e-5,
      "warmup_epochs": 0, "warmup_prefix": False, "noise": None, "noise_pct": 0.67,
      "noise_std": 1., "noise_seed": 42, "cycle_mul": 1., "cycle_decay": 0.1,
      "cycle_limit": 1, "k_decay": 1.0, "decay_fn": None, "stable_timescale": None,
      "patience_epochs": 10, "plateau_mode": "max", "step_on_epochs": True,
      "updates_per_epoch": 0}  # (the last four are for schedules not modelled here)
V2_SCHEDS = ("cosine", "tanh", "step", "constant", "multistep", "poly", "plateau")


def create_v2(sched: str = "cosine", **given: Any) -> tuple[str, dict[str, Any], int, bool]:
    """``create_scheduler_v2(optimizer, sched=..., ...)`` as timm builds it: the scheduler's
    class, its keyword arguments, the number of epochs timm returns to train (cycles,
    cooldown and a warmup prefix included) and whether it is stepped per epoch."""
    if sched not in V2_SCHEDS:
        raise ScheduleError(code="error.timm.sched", param="sched", params={
            "sched": sched, "known": ", ".join(V2_SCHEDS)})
    unknown = sorted(set(given) - set(V2))
    if unknown:
        raise ScheduleError(code="error.timm.argument", param=unknown[0], params={
            "key": unknown[0], "known": ", ".join(V2)})
    a = {**V2, **given}
    per_epoch, per = a["step_on_epochs"], a["updates_per_epoch"]
    scale = 1 if per_epoch else per
    if not per_epoch and per <= 0:  # timm asserts it
        raise ScheduleError(code="error.timm.updates", param="updates_per_epoch")
    decay = 90 if a["decay_epochs"] is None else a["decay_epochs"]
    t_initial = a["num_epochs"] * scale
    noise = a["noise"]
    # a count t is noisy from a on (a <= t), or in [a, b): the same counts as ceil(a) on
    if isinstance(noise, (list, tuple)):
        span = [math.ceil(n * t_initial) for n in noise]
        noise = span[0] if len(span) == 1 else tuple(span)
    elif noise is not None:
        noise = math.ceil(noise * t_initial)
    kw: dict[str, Any] = {"warmup_lr_init": a["warmup_lr"], "warmup_t": a["warmup_epochs"] * scale,
                          "warmup_prefix": a["warmup_prefix"], "noise_range_t": noise,
                          "noise_pct": a["noise_pct"], "noise_std": a["noise_std"],
                          "noise_seed": a["noise_seed"]}
    cycles = {"cycle_mul": a["cycle_mul"], "cycle_decay": a["cycle_decay"],
              "cycle_limit": a["cycle_limit"]}
    if sched in ("cosine", "tanh", "poly"):
        name = {"cosine": "CosineLRScheduler", "tanh": "TanhLRScheduler",
                "poly": "PolyLRScheduler"}[sched]
        kw.update(t_initial=t_initial, lr_min=a["min_lr"], **cycles)
        if sched != "tanh":
            kw["k_decay"] = a["k_decay"]
        if sched == "poly":
            kw["power"] = a["decay_rate"]  # timm's overloading of decay_rate
        mul, n = a["cycle_mul"], max(1, a["cycle_limit"])
        length = t_initial * n if mul == 1.0 else \
            int(math.floor(-t_initial * (mul ** n - 1) / (1 - mul)))
        length += kw["warmup_t"] if a["warmup_prefix"] else 0
        length += a["cooldown_epochs"] * scale
        epochs = length if per_epoch else length // per
    elif sched == "plateau":  # stepped with the metric, once per epoch (timm asserts it)
        if not per_epoch:
            raise ScheduleError(code="error.timm.plateau-epochs", param="step_on_epochs")
        name = "PlateauLRScheduler"
        del kw["warmup_prefix"]  # timm drops it for the plateau
        kw.update(decay_rate=a["decay_rate"], patience_t=a["patience_epochs"], cooldown_t=0,
                  lr_min=a["min_lr"], mode=a["plateau_mode"])
        epochs = a["num_epochs"] + (a["warmup_epochs"] if a["warmup_prefix"] else 0)
    else:
        name = "MultiStepLRScheduler" if sched == "multistep" else "StepLRScheduler"
        if sched == "multistep":
            kw.update(decay_t=[d * scale for d in a["decay_milestones"]],
                      decay_rate=a["decay_rate"])
        else:
            kw.update(decay_t=1 if sched == "constant" else decay * scale,
                      decay_rate=1. if sched == "constant" else a["decay_rate"])
        epochs = a["num_epochs"] + (a["warmup_epochs"] if a["warmup_prefix"] else 0)
    return name, kw, epochs, per_epoch
