"""Vectorized models of torch's cyclic schedulers: warm restarts, CyclicLR, OneCycleLR.

These set the lr outright at every step (and CyclicLR/OneCycleLR the momentum), so each
step is a "set" update computed in torch's order of operations.
"""

from __future__ import annotations

import math

import numpy as np

from schedlab.engine.basic import Groups, Sim, Updates, per_group
from schedlab.errors import ScheduleError
from schedlab.spec.catalog.rules import onecycle_total
class WarmRestartsSim(Sim):
    """CosineAnnealingWarmRestarts, stepped without an epoch argument."""

    closed_form = False

    def setup(self) -> None:
        self.T_0 = self.kw["T_0"]
        self.T_i = self.T_0
        self.T_cur = self.last_epoch

    def initial_step(self) -> None:
        # step() with last_epoch < 0 is step(epoch=0): T_i = T_0, T_cur = 0
        self.T_i, self.T_cur, self.last_epoch = self.T_0, 0, 0
        self.opt.apply(self._values(np.array([0]), np.array([self.T_0])))

    def step_updates(self, n: int) -> Updates:
        mult = self.kw["T_mult"]
        if mult == 1:  # T_cur counts 0..T_0-1 over and over
            t_cur = (np.arange(n, dtype=np.int64) + (self.T_cur + 1)) % self.T_i
            t_i = np.broadcast_to(float(self.T_i), (n,))
            self.T_cur = int(t_cur[-1]) if n else self.T_cur
        else:
            cur_parts, len_parts = [], []
            done = 0
            while done < n:  # one pass per cycle: cycles grow geometrically, so few passes
                run = min(n - done, self.T_i - self.T_cur - 1)
                if run > 0:
                    cur_parts.append(np.arange(self.T_cur + 1, self.T_cur + 1 + run))
                    # as floats: T_i grows past int64 when T_mult is large (torch divides
                    # by it as a float too)
                    len_parts.append(np.full(run, float(self.T_i)))
                    self.T_cur += run
                    done += run
                if done < n:  # the restart step
                    self.T_cur, self.T_i = 0, self.T_i * mult
                    cur_parts.append(np.array([0]))
                    len_parts.append(np.array([float(self.T_i)]))
                    done += 1
            t_cur = np.concatenate(cur_parts) if cur_parts else np.empty(0, dtype=int)
            t_i = np.concatenate(len_parts) if len_parts else np.empty(0)
        self.last_epoch += n
        return self._values(t_cur, t_i)

    def jump0(self) -> Updates:
        self.last_epoch = 0
        return self._values(np.array([self.T_cur]), np.array([float(self.T_i)]))

    def _values(self, t_cur: np.ndarray, t_i: np.ndarray) -> Updates:
        eta = self.kw["eta_min"]
        cos = 1 + np.cos(math.pi * t_cur / t_i)
        return Updates.set(np.stack([eta + (b - eta) * cos / 2 for b in self.base_lrs], 1))


class _MomentumMixin:
    opt: Groups
    kw: dict

    def setup_momentum(self, owner: str) -> None:
        self.cycle_momentum = self.kw["cycle_momentum"]
        if not self.cycle_momentum:
            return
        if self.opt.momentum_key is None:
            raise ScheduleError(param="cycle_momentum", code="error.engine.no-momentum",
                                params={"owner": owner})
        n = len(self.opt)
        self.base_m = per_group(self.kw["base_momentum"], n)
        self.max_m = per_group(self.kw["max_momentum"], n)
        for g, hi, lo in zip(self.opt.groups, self.max_m, self.base_m):
            g["momentum"], g["max_momentum"], g["base_momentum"] = hi, hi, lo


class CyclicSim(_MomentumMixin, Sim):
    closed_form = False

    def setup(self) -> None:
        n = len(self.opt)
        self.cyc_base = per_group(self.kw["base_lr"], n)
        for g, lr in zip(self.opt.groups, self.cyc_base):
            g["lr"] = lr
        self.max_lrs = per_group(self.kw["max_lr"], n)
        up = float(self.kw["step_size_up"])
        down = self.kw.get("step_size_down")
        down = float(down) if down is not None else up
        self.total = up + down
        self.ratio = up / self.total
        mode = self.kw["mode"]
        self.scale_mode = self.kw["scale_mode"]
        if self.kw.get("scale_fn") is None:
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.setup_momentum("CyclicLR")

    def after_init(self) -> None:
        self.base_lrs = self.cyc_base  # torch replaces base_lrs after the initial step

    def updates(self, e, initial):
        cycle = np.floor(1 + e / self.total)
        x = 1.0 + e / self.total - cycle
        with np.errstate(all="ignore"):
            factor = np.where(x <= self.ratio, x / self.ratio, (x - 1) / (self.ratio - 1))
        scale = self._scale(cycle if self.scale_mode == "cycle" else e.astype(float))
        lrs = np.stack([b + (m - b) * factor * scale
                        for b, m in zip(self.base_lrs, self.max_lrs)], 1)
        mom = None
        if self.cycle_momentum:
            mom = self.max_m[0] - (self.max_m[0] - self.base_m[0]) * factor * scale
        return Updates.set(lrs, mom)

    def _scale(self, x: np.ndarray) -> np.ndarray | float:
        fn = self.kw.get("scale_fn")
        if fn is not None:
            return fn.evaluate(x)
        mode = self.kw["mode"]
        if mode == "triangular":
            return 1.0
        if mode == "triangular2":
            if np.any(x - 1 >= 1024):
                first = int(np.argmax(x - 1 >= 1024))
                raise ScheduleError(param="mode", code="error.engine.triangular2",
                                    params={"power": int(x[first]) - 1,
                                            "cycle": int(x[first])})
            return 1 / (2.0 ** (x - 1))
        gamma = self.kw["gamma"]
        with np.errstate(all="ignore"):
            out = np.power(gamma, x)
        if np.any(np.isinf(out)):
            raise ScheduleError(param="gamma", code="error.engine.exp-range",
                                params={"gamma": gamma,
                                        "step": int(x[np.argmax(np.isinf(out))])})
        return out


class OneCycleSim(_MomentumMixin, Sim):
    closed_form = False

    def setup(self) -> None:
        kw = self.kw
        self.total = total = onecycle_total(kw)
        pct = kw["pct_start"]
        ends = [float(pct * total) - 1]
        keys = [("initial_lr", "max_lr", "max_momentum", "base_momentum")]
        if kw["three_phase"]:
            ends.append(float(2 * pct * total) - 2)
            keys.append(("max_lr", "initial_lr", "base_momentum", "max_momentum"))
            keys.append(("initial_lr", "min_lr", "max_momentum", "max_momentum"))
        else:
            keys.append(("max_lr", "min_lr", "base_momentum", "max_momentum"))
        ends.append(total - 1)
        self.phases = list(zip(ends, keys))
        div, final = kw["div_factor"], kw["final_div_factor"]
        for g, top in zip(self.opt.groups, per_group(kw["max_lr"], len(self.opt))):
            g["initial_lr"] = top / div
            g["max_lr"] = top
            g["min_lr"] = g["initial_lr"] / final
        self.setup_momentum("OneCycleLR")

    def updates(self, e, initial):
        if np.any(e > self.total):
            calls = int(e.max()) + 1  # torch's loop steps after the last batch too
            raise ScheduleError(param="total_steps", code="error.engine.onecycle-short",
                                params={"total": self.total, "calls": calls,
                                        "raised": self.total + 1})
        lrs = np.empty((len(e), len(self.opt)))
        mom = np.full(len(e), np.nan) if self.cycle_momentum else None
        start, done = 0.0, 0
        for i, (end, (lo, hi, mlo, mhi)) in enumerate(self.phases):
            last = i == len(self.phases) - 1
            # e is consecutive, so each phase is one slice: the steps up to end_step
            stop = len(e) if last else done + int(np.count_nonzero(e[done:] <= end))
            if stop > done:
                if end == start:
                    raise ScheduleError(param="pct_start", code="error.engine.onecycle-phase",
                                        params={"phase": i + 1, "pct": self.kw["pct_start"],
                                                "total": self.total})
                pct = (e[done:stop] - start) / (end - start)
                shape = self._shape(pct)
                for j, g in enumerate(self.opt.groups):
                    lrs[done:stop, j] = self._anneal(g[lo], g[hi], shape)
                if mom is not None:
                    g0 = self.opt.groups[0]
                    mom[done:stop] = self._anneal(g0[mlo], g0[mhi], shape)
            done, start = stop, end
        return Updates.set(lrs, mom)

    def _shape(self, pct: np.ndarray) -> np.ndarray:
        """The part of the anneal that does not depend on the end points."""
        if self.kw["anneal_strategy"] == "cos":
            return np.cos(math.pi * pct) + 1
        return pct

    def _anneal(self, start: float, end: float, shape: np.ndarray) -> np.ndarray:
        if self.kw["anneal_strategy"] == "cos":
            return end + (start - end) / 2.0 * shape
        return (end - start) * shape + start
