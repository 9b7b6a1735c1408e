"""transformers' and timm's schedules as engine models (``Sim``), for ``simulate``.

transformers' functions build a torch ``LambdaLR``: the model is LambdaLR's, its factors
computed by ``schedlab.engine.hf``. timm's schedulers set each group's lr to a value of
the count: the model sets the values ``schedlab.engine.timm`` computes. Both are computed
a chunk of counts at a time, as the other models are.
"""

from __future__ import annotations

import numpy as np

from schedlab.engine import hf, timm
from schedlab.engine.basic import Groups, Sim, Updates


class TransformersSim(Sim):
    """``LambdaLR(optimizer, lambda k: factor(k))``: row k is base lr x factor(k)."""

    closed_form = False
    name = ""

    def step_updates(self, n: int) -> Updates:  # (the counts need not be an array here)
        self.last_epoch += n
        return self._set(self.last_epoch - n + 1, n)

    def updates(self, e, initial):
        return self._set(int(e[0]), len(e))

    def _set(self, start: int, n: int) -> Updates:
        f = hf.factors(self.name, n, _given(self.kw), self.opt.default_lr, start=start)
        if len(self.base_lrs) == 1:  # base_lr * factor, as LambdaLR has it, in place
            return Updates.set(np.multiply(f, self.base_lrs[0], out=f)[:, None])
        return Updates.set(np.stack([b * f for b in self.base_lrs], 1))


class TimmSim:
    """A timm scheduler: the constructor sets each group's lr to its base value (its
    initial_lr, which it sets to the lr when missing), or to warmup_lr_init when there is
    a warmup; after that, row k is the scheduler's value at count k."""

    stride = 1
    name = ""

    def __init__(self, kw: dict, opt: Groups) -> None:
        self.base_lrs = timm.initialize(opt.groups, kw, self.name)
        self.kw = {k: v for k, v in kw.items() if k not in ("t_in_epochs", "initialize")}
        self.count = 0

    def step_updates(self, n: int) -> Updates:
        v = timm.values(self.name, n, self.kw, self.base_lrs, start=self.count + 1)
        self.count += n
        return Updates.set(v)


def transformers_lambda(name: str, kw: dict, lr_init: float):
    """The lambda of transformers' ``name``: the factor at step k, from the engine (what a
    torch LambdaLR calls, once per step)."""
    given = _given(kw)
    hf.factors(name, 1, given, lr_init)  # refuse now what transformers refuses when built

    def factor(k: int) -> float:
        return float(hf.factors(name, 1, given, lr_init, start=int(k))[0])
    return factor


def _given(kw: dict) -> dict:
    """The arguments transformers' function takes (the registry's, last_epoch left out);
    a None that is transformers' own default is passed as it is."""
    return {k: v for k, v in kw.items() if k != "last_epoch"}


def _named(base: type, name: str) -> type:
    return type(name + "Sim", (base,), {"name": name})


MODELS: dict[str, type] = {
    **{name: _named(TransformersSim, name) for name in hf.FACTORS},
    **{name: _named(TimmSim, name) for name in timm.SCHEDULERS},
}


class ValueScheduler:
    """A timm schedule driving a real torch optimizer, without timm installed: every
    ``step()`` sets each group's lr to the engine's next value, so the lr a run trains
    with is the curve's, row for row. ``step()`` is called where the training loop calls
    the scheduler (after every batch, or every epoch)."""

    def __init__(self, name: str, kwargs: dict, optimizer) -> None:
        groups = Groups([float(g["lr"]) for g in optimizer.param_groups], None, None,
                        float(optimizer.defaults["lr"]))
        for g, torch_group in zip(groups.groups, optimizer.param_groups):
            if "initial_lr" in torch_group:
                g["initial_lr"] = float(torch_group["initial_lr"])
        self.optimizer = optimizer
        self.groups = groups
        self.sim = MODELS[name](kwargs, groups)
        self._write()

    def step(self, *_ignored) -> None:
        u = self.sim.step_updates(1)  # each step sets every group's lr (Updates.set)
        for i, g in enumerate(self.groups.groups):
            g["lr"] = float(u.add[0, i])
        self._write()

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.groups.groups]

    def _write(self) -> None:
        for g, torch_group in zip(self.groups.groups, self.optimizer.param_groups):
            torch_group["lr"] = g["lr"]
            torch_group.setdefault("initial_lr", g.get("initial_lr", g["lr"]))


PLATEAU_TORCH = {"decay_rate": "factor", "patience_t": "patience", "threshold": "threshold",
                 "cooldown_t": "cooldown", "mode": "mode", "lr_min": "min_lr"}


def plateau_noise(kw: dict, t: int) -> float:
    """The noise timm's PlateauLRScheduler draws at count ``t`` ("normal": redrawn under
    noise_pct, as the other schedulers; "uniform": one draw within it)."""
    seed = 42 if kw["noise_seed"] is None else kw["noise_seed"]
    if kw["noise_type"] == "normal":
        return timm._noise(seed + t, kw["noise_pct"], kw["noise_std"])
    import torch

    g = torch.Generator()
    g.manual_seed(seed + t)
    return 2 * (torch.rand(1, generator=g).item() - 0.5) * kw["noise_pct"]


class PlateauStepper:
    """timm's PlateauLRScheduler driving a real optimizer without timm: torch's own
    ReduceLROnPlateau, with timm's warmup before it and its noise on top (taken off again
    before the next step), stepped once per epoch with the metric, as timm's loop does."""

    def __init__(self, kw: dict, optimizer) -> None:
        import torch

        self.kw, self.optimizer, self.count, self.restore = kw, optimizer, 0, None
        bases = timm.initialize(optimizer.param_groups, kw, "PlateauLRScheduler")
        self.plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer, **{PLATEAU_TORCH[k]: kw[k] for k in PLATEAU_TORCH})
        w, init = kw["warmup_t"], kw["warmup_lr_init"]
        self.slopes = [(v - init) / w if w else 1 for v in bases]

    def step(self, metric: float | None = None) -> None:
        self.count += 1
        kw, k = self.kw, self.count
        if k <= kw["warmup_t"]:
            for g, s in zip(self.optimizer.param_groups, self.slopes):
                g["lr"] = kw["warmup_lr_init"] + k * s
            return
        if self.restore is not None:
            for g, lr in zip(self.optimizer.param_groups, self.restore):
                g["lr"] = lr
            self.restore = None
        if metric is not None:
            self.plateau.step(metric)
        if timm.noise_at(kw["noise_range_t"], k):
            noise = plateau_noise(kw, k)
            self.restore = [float(g["lr"]) for g in self.optimizer.param_groups]
            for g, old in zip(self.optimizer.param_groups, self.restore):
                g["lr"] = old + old * noise

    def get_last_lr(self) -> list[float]:
        return [g["lr"] for g in self.optimizer.param_groups]
