"""Composite schedulers (SequentialLR, ChainedScheduler), ReduceLROnPlateau, and the
simulation that turns a scheduler spec into per-step lr and momentum arrays."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

import numpy as np

from schedlab.engine.basic import (
    ConstantSim,
    CosineSim,
    ExponentialSim,
    Groups,
    LambdaSim,
    LinearSim,
    MultiplicativeSim,
    MultiStepSim,
    PolynomialSim,
    Sim,
    StepSim,
    Updates,
    per_group,
)
from schedlab.engine.cyclic import CyclicSim, OneCycleSim, WarmRestartsSim
from schedlab.engine import timm
from schedlab.engine.families import MODELS, PLATEAU_TORCH, plateau_noise
from schedlab.engine.solver import run_ops
from schedlab.spec.schedule import SchedulerSpec

BASIC: dict[str, type[Sim]] = {
    "LambdaLR": LambdaSim, "MultiplicativeLR": MultiplicativeSim, "StepLR": StepSim,
    "MultiStepLR": MultiStepSim, "ConstantLR": ConstantSim, "LinearLR": LinearSim,
    "ExponentialLR": ExponentialSim, "PolynomialLR": PolynomialSim,
    "CosineAnnealingLR": CosineSim, "CosineAnnealingWarmRestarts": WarmRestartsSim,
    "CyclicLR": CyclicSim, "OneCycleLR": OneCycleSim, **MODELS,
}


class Unsupported(Exception):
    """The fast path has no model for this schedule; step torch instead."""


class SequentialSim:
    """SequentialLR over basic schedulers with sorted milestones."""

    stride = 1

    def __init__(self, kw: dict, opt: Groups, children: list[Sim]) -> None:
        self.milestones = list(kw["milestones"])
        if self.milestones != sorted(self.milestones):
            raise Unsupported("unsorted milestones")
        self.children = children
        self.last_epoch = 0
        for g in opt.groups:  # SequentialLR resets the lr, undoes the children's first step,
            g["lr"] = g["initial_lr"]  # and redoes it for the scheduler active at step 0
        for child in children:
            child.last_epoch -= 1
        children[bisect_right(self.milestones, 0)].initial_step()

    def step_updates(self, n: int) -> Updates:
        t = np.arange(self.last_epoch + 1, self.last_epoch + 1 + n)
        self.last_epoch += n
        which = np.searchsorted(np.array(self.milestones, dtype=np.int64), t, side="right")
        bounds = [0, *(np.flatnonzero(np.diff(which)) + 1).tolist(), n]
        parts = []
        for a, b in zip(bounds[:-1], bounds[1:]):
            i = int(which[a])
            child = self.children[i]
            if i > 0 and self.milestones[i - 1] == t[a]:
                parts.append(child.jump0())
                a += 1
            if b > a:
                parts.append(child.step_updates(b - a))
        return _concat(parts)


class ChainedSim:
    """ChainedScheduler: every child steps in turn at each step."""

    def __init__(self, children: list[Sim]) -> None:
        self.children = children
        self.stride = len(children)

    def step_updates(self, n: int) -> Updates:
        parts = [c.step_updates(n) for c in self.children]
        groups = parts[0].r.shape[1]

        def weave(arrays: list[np.ndarray | None], fill: float, shape: tuple) -> np.ndarray | None:
            """Interleave per step: child 1, child 2, ... (torch's order within a step)."""
            if all(a is None for a in arrays):
                return None
            full = [np.broadcast_to(fill, shape) if a is None else a for a in arrays]
            return np.stack(full, 1).reshape((n * self.stride,) + shape[1:])

        return Updates(weave([p.r for p in parts], 0.0, (n, groups)),
                       weave([p.eta for p in parts], 0.0, (n, groups)),
                       weave([p.add for p in parts], 0.0, (n, groups)),
                       weave([p.mom for p in parts], np.nan, (n,)))


def _concat(parts: list[Updates]) -> Updates:
    def join(key: str, fill: float) -> np.ndarray | None:
        arrays = [getattr(p, key) for p in parts]
        if all(a is None for a in arrays):
            return None
        shape = (lambda p: p.r.shape) if key != "mom" else (lambda p: (len(p),))
        return np.concatenate([np.broadcast_to(fill, shape(p)) if a is None else a
                               for p, a in zip(parts, arrays)])

    return Updates(join("r", 0.0), join("eta", 0.0), join("add", 0.0), join("mom", np.nan))


def build_sim(spec: SchedulerSpec, opt: Groups, nested: bool = False):
    """Construct models in torch's order: a composite's children before the composite."""
    if spec.name in BASIC:
        return BASIC[spec.name](spec.args, opt)
    if nested or spec.name == "ReduceLROnPlateau":
        raise Unsupported(f"{spec.name} inside a composite")
    children = [build_sim(child, opt, nested=True) for child in spec.kwargs["schedulers"]]
    if spec.name == "SequentialLR":
        return SequentialSim(spec.args, opt, children)
    return ChainedSim(children)


def simulate(spec: SchedulerSpec, opt: Groups, steps: int,
             metric: np.ndarray | None = None, chunk: int = 1 << 18
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """lr per group (steps x groups) and group-0 momentum (or None) after 0..steps-1 steps.

    The updates are generated and applied ``chunk`` scheduler steps at a time: the models
    carry their state from one chunk to the next (as torch's objects do), so the result is
    the same, and memory beyond the result stays bounded whatever the number of steps."""
    if spec.name == "ReduceLROnPlateau":
        return run_plateau(spec.args, opt, steps, metric)
    if spec.name == "PlateauLRScheduler":  # timm's: a warmup, then torch's replay
        return run_timm_plateau(spec.args, opt, steps, metric)
    sim = build_sim(spec, opt)
    lr0 = opt.values("lr")
    m0 = opt.groups[0].get("momentum")
    out = np.empty((steps, len(opt)))
    out[0] = lr0
    mom = None  # the momentum column, written from the first update that moves it
    stride, last = sim.stride, m0
    done = 1
    while done < steps:
        n = min(chunk, steps - done)
        u = sim.step_updates(n)
        if stride == 1 and u.eta is None and u.add is not None and u.r.strides == (0, 0) \
                and u.r.size and u.r.flat[0] == 0:  # every step sets the lr (Updates.set)
            np.add(u.add, 0.0, out=out[done:done + n])  # (as run_ops would: -0.0 is 0.0)
            done += n
            mom, last = _momentum(u, mom, last, done - n, n, stride, steps)
            continue
        for g in range(len(opt)):
            eta = None if u.eta is None else u.eta[:, g]
            add = None if u.add is None else u.add[:, g]
            out[done:done + n, g] = run_ops(u.r[:, g], eta, add, out[done - 1, g]
                                            )[stride - 1::stride]
        mom, last = _momentum(u, mom, last, done, n, stride, steps)
        done += n
    if mom is None and m0 is not None:  # never moved: one value, not a column of copies
        mom = np.broadcast_to(np.float64(m0), (steps,))
    return out, mom


def _momentum(u: Updates, mom: np.ndarray | None, last, done: int, n: int,
              stride: int, steps: int) -> tuple[np.ndarray | None, float | None]:
    """Rows done..done+n of the momentum column from the updates, the column allocated
    (rows before filled with the value so far) at the first update that moves it; the
    column and the last value."""
    if last is None:  # the optimizer has no momentum
        return mom, last
    if u.mom is None or np.isnan(u.mom).all():  # nothing here moves the momentum
        if mom is not None:
            mom[done:done + n] = last
        return mom, last
    if mom is None:
        mom = np.empty(steps)
        mom[:done] = last
    m = np.concatenate(([last], u.mom))  # carry the last value set forward over the steps
    known = np.where(np.isnan(m), 0, np.arange(len(m)))  # that set none
    m = m[np.maximum.accumulate(known)]
    mom[done:done + n] = m[1:][stride - 1::stride]
    return mom, float(m[-1])


def _replay(kw: dict, metric: np.ndarray, steps: int, reduce: Callable[[int], None],
            trace: dict[str, np.ndarray] | None = None) -> None:
    """ReduceLROnPlateau's bookkeeping exactly as torch keeps it, over the ``steps - 1``
    calls ``scheduler.step(metric[k - 1])``: ``reduce(k)`` where the k-th call cuts the lr,
    and, given ``trace``, its rows k filled with the state after that call. Each decision
    depends on the one before, so this is a plain loop; the lrs play no part in it."""
    mode, threshold = kw["mode"], kw["threshold"]
    rel = kw["threshold_mode"] == "rel"
    patience, cooldown = kw["patience"], kw["cooldown"]
    minimize = mode == "min"
    best = float("inf") if minimize else float("-inf")
    # torch's is_better: a < best * (1 - threshold), a < best - threshold, and for max mode
    # a > best * (threshold + 1), a > best + threshold (the same float operations)
    scale = (1.0 - threshold) if minimize else (threshold + 1.0)
    shift = -threshold if minimize else threshold
    bad = counter = 0
    for k, current in enumerate(metric[: steps - 1].tolist(), start=1):
        bound = best * scale if rel else best + shift
        if (current < bound) if minimize else (current > bound):
            best, bad = current, 0
        else:
            bad += 1
        if counter > 0:
            counter -= 1
            bad = 0
        if bad > patience:
            reduce(k)
            counter, bad = cooldown, 0
        if trace is not None:
            trace["bad_epochs"][k], trace["cooldown_left"][k], trace["best"][k] = \
                bad, counter, best


def plateau_trace(kw: dict, metric: np.ndarray, steps: int) -> dict[str, np.ndarray]:
    """ReduceLROnPlateau's state after each call, one array per quantity (row k: after k
    calls; row 0 before any): bad epochs, cooldown left, best metric so far."""
    trace = {"bad_epochs": np.zeros(steps, np.int64),
             "cooldown_left": np.zeros(steps, np.int64),
             "best": np.full(steps, np.inf if kw["mode"] == "min" else -np.inf)}
    _replay(kw, metric, steps, lambda k: None, trace)
    return trace


def run_plateau(kw: dict, opt: Groups, steps: int,
                metric: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """ReduceLROnPlateau's lrs, step by step exactly as torch runs it: only the steps where
    the lr changes are noted, and the table is filled from those at the end."""
    factor, eps = kw["factor"], kw["eps"]
    min_lrs = per_group(kw["min_lr"], len(opt))
    lrs = opt.values("lr")
    changed_at, values = [0], [list(lrs)]

    def reduce(k: int) -> None:
        moved = False
        for i, old in enumerate(lrs):
            new = max(old * factor, min_lrs[i])
            if old - new > eps:
                lrs[i], moved = new, True
        if moved:
            changed_at.append(k)
            values.append(list(lrs))

    _replay(kw, metric, steps, reduce)
    which = np.searchsorted(np.array(changed_at), np.arange(steps), side="right") - 1
    out = np.array(values, dtype=float)[which]
    m0 = opt.groups[0].get("momentum")
    return out, None if m0 is None else np.full(steps, float(m0))


def run_timm_plateau(kw: dict, opt: Groups, steps: int, metric: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """timm's PlateauLRScheduler over ``steps`` rows, ``step(k, metric[k - 1])`` at row k
    as timm's loop calls it: a linear warmup to the base lr up to count warmup_t, then
    torch's ReduceLROnPlateau from the lr the warmup left, noise on top of each step's lr
    (taken off again before the next one)."""
    base = np.array(timm.initialize(opt.groups, kw, "PlateauLRScheduler"))
    w, init = kw["warmup_t"], kw["warmup_lr_init"]
    out = np.empty((steps, len(base)))
    out[0] = opt.values("lr")  # what the constructor set
    warm = min(w, steps - 1)  # rows 1..warm warm up (count <= warmup_t)
    if warm >= 1:
        slope = [(v - init) / w for v in base.tolist()]
        counts = np.arange(1, warm + 1, dtype=np.float64)[:, None]
        out[1:warm + 1] = init + counts * np.array(slope)[None, :]
    start = warm  # the plateau steps from the row the warmup ended on
    if start + 1 < steps:
        groups = Groups(out[start].tolist(), None, None)
        torch_kw = {PLATEAU_TORCH[k]: kw[k] for k in PLATEAU_TORCH}
        torch_kw.update(threshold_mode="rel", eps=1e-8)
        lrs, _ = run_plateau(torch_kw, groups, steps - start, metric[start:])
        out[start + 1:] = lrs[1:]
    if kw["noise_range_t"] is not None:
        for row in range(max(start + 1, 1), steps):
            if timm.noise_at(kw["noise_range_t"], row):
                n = plateau_noise(kw, row)
                out[row] = out[row] + out[row] * n
    m0 = opt.groups[0].get("momentum")
    return out, None if m0 is None else np.full(steps, float(m0))
