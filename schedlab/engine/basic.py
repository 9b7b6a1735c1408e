"""Vectorized models of torch's basic lr schedulers.

Each model mirrors one torch scheduler object: what its constructor does to the shared
param groups, its ``last_epoch``, and what each ``step()`` does to every group's lr,
emitted as Updates (see ``schedlab.engine.solver``) for many steps at once. Formulas are written
in the same order of floating-point operations as torch's ``get_lr``, so that the solver
reproduces torch's values, not just the textbook closed form.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from schedlab.errors import ScheduleError
from schedlab.messages import Text
from schedlab.spec.lambdas import Lambda


@dataclass
class Updates:
    """Per-step lr updates ``lr <- r * (lr - eta) + eta + add`` for each group, shape
    (n, groups); ``eta`` and ``add`` are None where they are zero throughout. ``mom`` is the
    group-0 momentum each step sets (NaN: left as it was), or None if no step sets it.
    Arrays may be read-only broadcast views: consumers read them, never write into them."""

    r: np.ndarray
    eta: np.ndarray | None
    add: np.ndarray | None
    mom: np.ndarray | None = None

    @classmethod
    def multiply(cls, f: np.ndarray, groups: int) -> Updates:
        f = np.asarray(f, dtype=float)
        return cls(np.broadcast_to(f.reshape(len(f), -1), (len(f), groups)), None, None)

    @classmethod
    def set(cls, v: np.ndarray, mom: np.ndarray | None = None) -> Updates:
        return cls(np.broadcast_to(0.0, v.shape), None, v, mom)

    def __len__(self) -> int:
        return len(self.r)

    def part(self, key: str) -> np.ndarray:
        """``eta`` or ``add`` as a full array (zeros where None)."""
        value = getattr(self, key)
        return np.broadcast_to(0.0, self.r.shape) if value is None else value


class Groups:
    """The optimizer's param groups as schedulers see and change them (shared state)."""

    def __init__(self, lrs: list[float], momentum: list[float] | None, momentum_key: str | None,
                 default_lr: float | None = None):
        self.groups: list[dict[str, Any]] = [{"lr": lr} for lr in lrs]
        # the optimizer's own lr (``optimizer.defaults["lr"]``), which transformers reads
        self.default_lr = lrs[0] if default_lr is None else default_lr
        self.momentum_key = momentum_key  # "momentum", "betas" or None
        for g, m in zip(self.groups, momentum or []):
            g["momentum"] = m

    def __len__(self) -> int:
        return len(self.groups)

    def values(self, key: str) -> list[Any]:
        return [g[key] for g in self.groups]

    def apply(self, u: Updates) -> None:
        """Apply updates right away (what a constructor's initial step does)."""
        eta, add = u.part("eta"), u.part("add")
        for i, g in enumerate(self.groups):
            for r, e, a in zip(u.r[:, i], eta[:, i], add[:, i]):
                g["lr"] = float(r) * (g["lr"] - float(e)) + float(e) + float(a)
        if u.mom is not None and not np.isnan(u.mom).all():
            self.groups[0]["momentum"] = float(u.mom[~np.isnan(u.mom)][-1])


def _span(e: np.ndarray, lo: int, hi: int) -> slice:
    """The positions of consecutive epochs ``e`` that lie in [lo, hi]."""
    if not len(e):
        return slice(0, 0)
    start = int(np.clip(lo - e[0], 0, len(e)))
    return slice(start, max(start, int(np.clip(hi - e[0] + 1, 0, len(e)))))


def _every(e: np.ndarray, period: int, start: int) -> slice:
    """The positions of consecutive epochs ``e`` at start, start + period, ..."""
    if not len(e):
        return slice(0, 0)
    first = start if e[0] <= start else start + -(-(int(e[0]) - start) // period) * period
    return slice(first - int(e[0]), len(e), period)


def per_group(value: Any, n: int) -> list[Any]:
    return list(value) if isinstance(value, tuple) else [value] * n


class Sim:
    """Base model of ``torch.optim.lr_scheduler.LRScheduler``."""

    closed_form = True  # torch defines _get_closed_form_lr (used at SequentialLR milestones)
    stride = 1  # updates per step (a ChainedScheduler makes one per child)

    def __init__(self, kw: dict[str, Any], opt: Groups) -> None:
        self.kw = kw
        self.opt = opt
        self.last_epoch = -1
        self.setup()
        for g in opt.groups:
            g.setdefault("initial_lr", g["lr"])
        self.base_lrs = opt.values("initial_lr")
        self.initial_step()
        self.after_init()

    def setup(self) -> None:
        """Constructor work torch does before LRScheduler.__init__."""

    def after_init(self) -> None:
        """Constructor work torch does after LRScheduler.__init__."""

    def initial_step(self) -> None:
        self.last_epoch += 1
        self.opt.apply(self.updates(np.array([self.last_epoch]), initial=True))

    def step_updates(self, n: int) -> Updates:
        epochs = np.arange(self.last_epoch + 1, self.last_epoch + 1 + n)
        self.last_epoch += n
        return self.updates(epochs, initial=False)

    def jump0(self) -> Updates:
        """``_update_lr(0)``: what SequentialLR does when this scheduler's phase starts."""
        self.last_epoch = 0
        if self.closed_form:
            base = np.array(self.base_lrs, dtype=float)[None, :]
            return Updates.set(base * self.closed_factor())
        return self.updates(np.array([0]), initial=False)

    def closed_factor(self) -> np.ndarray:
        return np.float64(1.0)

    def updates(self, e: np.ndarray, initial: bool) -> Updates:
        raise NotImplementedError

    def mul(self, f: np.ndarray) -> Updates:
        return Updates.multiply(f, len(self.opt))

    def lambdas(self) -> list[Lambda]:
        return per_group(self.kw["lr_lambda"], len(self.opt))


def _zero_division(name: str, what: str, **params: Any) -> ScheduleError:
    return ScheduleError(code="error.engine.zero-division", params={
        "name": name, "what": Text(f"error.engine.divides.{what}", params)})


class LambdaSim(Sim):
    closed_form = False

    def updates(self, e, initial):
        v = np.stack([b * f.evaluate(e) for b, f in zip(self.base_lrs, self.lambdas())], 1)
        return Updates.set(v)


class MultiplicativeSim(Sim):
    closed_form = False

    def updates(self, e, initial):
        if initial:
            return self.mul(np.ones(len(e)))
        return Updates(np.stack([f.evaluate(e) for f in self.lambdas()], 1), None, None)


class StepSim(Sim):
    def updates(self, e, initial):
        s, gamma = self.kw["step_size"], self.kw["gamma"]
        f = np.ones(len(e))
        f[_every(e, s, start=s)] = gamma  # at the non-zero multiples of step_size
        return self.mul(f)

    def closed_factor(self):
        return np.float64(self.kw["gamma"] ** (0 // self.kw["step_size"]))


class MultiStepSim(Sim):
    def updates(self, e, initial):
        gamma = self.kw["gamma"]
        counts = Counter(self.kw["milestones"])
        marks = np.array(sorted(counts), dtype=np.int64)
        factors = np.array([gamma ** counts[m] for m in marks.tolist()] + [1.0])
        at = np.minimum(np.searchsorted(marks, e), len(marks))
        hit = np.zeros(len(e), dtype=bool)
        hit[at < len(marks)] = marks[at[at < len(marks)]] == e[at < len(marks)]
        return self.mul(np.where(hit, factors[at], 1.0))

    def closed_factor(self):
        passed = sum(1 for m in self.kw["milestones"] if m <= 0)
        return np.float64(self.kw["gamma"] ** passed)


class ConstantSim(Sim):
    def updates(self, e, initial):
        f, t = self.kw["factor"], self.kw["total_iters"]
        if f == 0 and np.any((e == t) & (e != 0)):
            raise _zero_division("ConstantLR", "factor", step=t)
        back = 1.0 / f if f != 0 else 0.0
        return self.mul(np.where(e == 0, f, np.where(e != t, 1.0, back)))

    def closed_factor(self):
        f, t = self.kw["factor"], self.kw["total_iters"]
        return np.float64(f + (0 >= t) * (1 - f))


class LinearSim(Sim):
    def updates(self, e, initial):
        s, end = self.kw["start_factor"], self.kw["end_factor"]
        t = self.kw["total_iters"]
        f = np.ones(len(e))
        f[e == 0] = s
        if not initial:
            ramp = _span(e, 1, t)
            f[ramp] = 1.0 + (end - s) / (t * s + (e[ramp] - 1) * (end - s))
        return self.mul(f)

    def closed_factor(self):
        s, end = self.kw["start_factor"], self.kw["end_factor"]
        t = self.kw["total_iters"]
        if t == 0:
            raise _zero_division("LinearLR", "phase")
        return np.float64(s + (end - s) * min(t, 0) / t)


class ExponentialSim(Sim):
    def updates(self, e, initial):
        return self.mul(np.full(len(e), 1.0 if initial else self.kw["gamma"]))

    def closed_factor(self):
        return np.float64(self.kw["gamma"] ** 0)


class PolynomialSim(Sim):
    def updates(self, e, initial):
        t, p = self.kw["total_iters"], self.kw["power"]
        f = np.ones(len(e))
        if not initial:
            decay = _span(e, 1, t)
            x = e[decay]
            f[decay] = np.power((1.0 - x / t) / (1.0 - (x - 1) / t), p)
        return self.mul(f)

    def closed_factor(self):
        t, p = self.kw["total_iters"], self.kw["power"]
        if t == 0:
            raise _zero_division("PolynomialLR", "phase")
        return np.float64((1.0 - min(t, 0) / t) ** p)


class CosineSim(Sim):
    def updates(self, e, initial):
        t, eta = self.kw["T_max"], self.kw["eta_min"]
        n, groups = len(e), len(self.opt)
        if initial:
            return self.mul(np.ones(n))
        restart = _every(e, 2 * t, start=t + 1)  # where (e - 1 - t) % (2 * t) == 0
        # torch's ratio (1 + cos(pi*e/t)) / (1 + cos(pi*(e-1)/t)); e runs consecutively, so
        # one cosine array serves both (the arguments are computed exactly as torch does)
        ends = 1 + np.cos(math.pi * np.arange(e[0] - 1, e[-1] + 1) / t)
        with np.errstate(all="ignore"):
            ratio = ends[1:] / ends[:-1]
        step = np.array([(b - eta) * (1 - math.cos(math.pi / t)) / 2 for b in self.base_lrs])
        ratio[restart] = 1.0
        r = np.broadcast_to(ratio[:, None], (n, groups))
        etas = add = None
        if eta:
            etas = np.full(n, float(eta))
            etas[restart] = 0.0
            etas = np.broadcast_to(etas[:, None], (n, groups))
        if len(ratio[restart]):
            add = np.zeros((n, groups))
            add[restart] = step
        return Updates(r, etas, add)

    def jump0(self):
        self.last_epoch = 0
        t, eta = self.kw["T_max"], self.kw["eta_min"]
        v = [eta + (b - eta) * (1 + math.cos(math.pi * 0 / t)) / 2 for b in self.base_lrs]
        return Updates.set(np.array([v]))
