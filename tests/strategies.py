"""Hypothesis strategies: random valid schedules, described plainly so that both schedlab
and the independent torch reference (tests/torchref.py) can be built from one case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from schedlab.spec.lambdas import Lambda
from schedlab.spec.schedule import OptimizerSpec, Schedule, SchedulerSpec


@dataclass
class Case:
    opt_name: str
    opt_kwargs: dict
    groups: list[dict] | None
    sched: tuple  # (name, kwargs); lambdas as source strings, nested schedulers as tuples

    @property
    def group_count(self) -> int:
        return 1 if self.groups is None else len(self.groups)

    def schedule(self) -> Schedule:
        opt = OptimizerSpec(self.opt_name, dict(self.opt_kwargs),
                            None if self.groups is None else tuple(dict(g) for g in self.groups))
        return Schedule(opt, _spec(self.sched))

    def scale(self) -> float:
        """The largest base lr: the tolerance's absolute term is relative to it."""
        lrs = [self.opt_kwargs.get("lr", 1e-3)] + [g.get("lr", 0) for g in self.groups or []]
        stack = [self.sched]
        while stack:
            _, kw = stack.pop()
            for key in ("max_lr", "base_lr"):
                v = kw.get(key)
                if v is not None:
                    lrs += list(v) if isinstance(v, list) else [v]
            stack += list(kw.get("schedulers", []))
        return max(lrs)


def _spec(sched: tuple) -> SchedulerSpec:
    name, kwargs = sched
    out: dict[str, Any] = {}
    for k, v in kwargs.items():
        if k == "schedulers":
            out[k] = tuple(_spec(s) for s in v)
        elif k in ("lr_lambda", "scale_fn") and v is not None:
            out[k] = tuple(Lambda(s) for s in v) if isinstance(v, list) else Lambda(v)
        elif isinstance(v, list):
            out[k] = tuple(v)
        else:
            out[k] = v
    return SchedulerSpec(name, out)


def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


LAMBDA_TEMPLATES = [
    "lambda epoch: {a} ** epoch",
    "lambda e: min(1.0, (e + 1) / {w})",
    "lambda e: 0.5 * (1 + math.cos(math.pi * min(e, {w}) / {w}))",
    "lambda step: {a} if step < {w} else {a} * 0.1",
    "lambda e: 0.1 ** (e // {w})",
    "lambda x: (x + 1) / {w} if x < {w} else max(0.0, 1 - (x - {w}) / (3 * {w}))",
    "lambda epoch: 1 / math.sqrt(max(epoch, {w}))",
    "lambda e: exp(-{a} * e / {w})",
    "lambda e: {a}",
]
MULT_TEMPLATES = ["lambda epoch: {a}", "lambda e: {a} if e % {w} == 0 else 1.0",
                  "lambda e: 1.0 - {a} / (e + {w})"]


@st.composite
def lambdas(draw, templates=LAMBDA_TEMPLATES) -> str:
    t = draw(st.sampled_from(templates))
    return t.format(a=round(draw(floats(0.5, 0.999)), 4), w=draw(st.integers(1, 60)))


def per_group(draw, strategy, groups: int):
    if groups > 1 and draw(st.booleans()):
        return [draw(strategy) for _ in range(groups)]
    return draw(strategy)


@st.composite
def sched_kwargs(draw, name: str, groups: int, momentum: bool, steps: int) -> dict:
    """Valid keyword arguments for one scheduler (steps: the curve length to be drawn)."""
    maybe = lambda key, strategy, kw: kw.update({key: draw(strategy)}) if draw(  # noqa: E731
        st.booleans()) else None
    kw: dict[str, Any] = {}
    if name == "StepLR":
        kw["step_size"] = draw(st.integers(1, 50))
        maybe("gamma", floats(0.05, 1.5), kw)
    elif name == "MultiStepLR":
        kw["milestones"] = draw(st.lists(st.integers(0, steps + 5), max_size=6))
        maybe("gamma", floats(0.05, 1.5), kw)
    elif name == "ExponentialLR":
        kw["gamma"] = draw(floats(0.8, 1.02))
    elif name == "PolynomialLR":
        maybe("total_iters", st.integers(0, steps + 10), kw)
        maybe("power", floats(0.0, 3.0), kw)
    elif name == "CosineAnnealingLR":
        kw["T_max"] = draw(st.integers(1, max(2, steps)))
        maybe("eta_min", floats(0.0, 0.05), kw)
    elif name in ("LambdaLR", "MultiplicativeLR"):
        templates = LAMBDA_TEMPLATES if name == "LambdaLR" else MULT_TEMPLATES
        kw["lr_lambda"] = per_group(draw, lambdas(templates), groups)
    elif name == "ConstantLR":
        maybe("factor", floats(0.01, 1.0), kw)
        maybe("total_iters", st.integers(0, steps + 5), kw)
    elif name == "LinearLR":
        maybe("start_factor", floats(0.01, 1.0), kw)
        maybe("end_factor", floats(0.0, 1.0), kw)
        maybe("total_iters", st.integers(0, steps + 5), kw)
    elif name == "CyclicLR":
        kw["base_lr"] = per_group(draw, floats(1e-4, 0.05), groups)
        kw["max_lr"] = per_group(draw, floats(0.01, 0.5), groups)
        maybe("step_size_up", st.integers(1, 40), kw)
        maybe("step_size_down", st.one_of(st.none(), st.integers(0, 40)), kw)
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range", "custom"]))
        if mode == "custom":
            kw["scale_fn"] = draw(st.sampled_from(["lambda x: 1 / (1 + x)", "lambda x: 0.99 ** x"]))
            kw["scale_mode"] = draw(st.sampled_from(["cycle", "iterations"]))
        else:
            kw["mode"] = mode
            if mode == "exp_range":
                kw["gamma"] = draw(floats(0.95, 1.0))
        kw["cycle_momentum"] = momentum and draw(st.booleans())
    elif name == "OneCycleLR":
        kw["max_lr"] = per_group(draw, floats(0.001, 1.0), groups)
        if draw(st.booleans()):
            kw["total_steps"] = draw(st.integers(max(1, steps - 1), steps + 50))
        else:
            kw["steps_per_epoch"] = draw(st.integers(1, 10))
            kw["epochs"] = -(-max(1, steps - 1) // kw["steps_per_epoch"])
        maybe("pct_start", floats(0.05, 0.95), kw)
        maybe("anneal_strategy", st.sampled_from(["cos", "linear"]), kw)
        maybe("three_phase", st.booleans(), kw)
        maybe("div_factor", floats(1.0, 100.0), kw)
        maybe("final_div_factor", floats(1.0, 1e5), kw)
        kw["cycle_momentum"] = momentum and draw(st.booleans())
    elif name == "CosineAnnealingWarmRestarts":
        kw["T_0"] = draw(st.integers(1, 50))
        maybe("T_mult", st.integers(1, 3), kw)
        maybe("eta_min", floats(0.0, 0.01), kw)
    elif name == "ReduceLROnPlateau":
        maybe("mode", st.sampled_from(["min", "max"]), kw)
        maybe("factor", floats(0.0, 0.9), kw)
        maybe("patience", st.integers(0, 8), kw)
        maybe("threshold", floats(0.0, 0.1), kw)
        maybe("threshold_mode", st.sampled_from(["rel", "abs"]), kw)
        maybe("cooldown", st.integers(0, 5), kw)
        maybe("min_lr", floats(0.0, 1e-3), kw)
        maybe("eps", floats(0.0, 1e-3), kw)
    elif name.startswith("get_"):
        kw.update(draw(transformers_kwargs(name, steps)))
    elif name.endswith("LRScheduler"):
        kw.update(draw(timm_kwargs(name, steps)))
    return kw


@st.composite
def transformers_kwargs(draw, name: str, steps: int) -> dict:
    """Valid keyword arguments for one of transformers' schedule functions."""
    maybe = lambda key, strategy, kw: kw.update({key: draw(strategy)}) if draw(  # noqa: E731
        st.booleans()) else None
    kw: dict[str, Any] = {}
    if name == "get_constant_schedule":
        return kw
    w = kw["num_warmup_steps"] = draw(st.integers(0, steps // 2 + 5))
    if name == "get_constant_schedule_with_warmup":
        return kw
    if name == "get_inverse_sqrt_schedule":
        maybe("timescale", st.one_of(st.none(), st.integers(1, 100)), kw)
        return kw
    if name == "get_wsd_schedule":
        d = kw["num_decay_steps"] = draw(st.integers(0, steps // 2 + 5))
        given = draw(st.sampled_from(["total", "stable", "both"]))
        if given != "stable":
            kw["num_training_steps"] = draw(st.integers(max(1, w + d - 5), steps + 20))
        if given != "total":
            kw["num_stable_steps"] = draw(st.integers(0, steps))
        maybe("warmup_type", st.sampled_from(["linear", "cosine", "1-sqrt"]), kw)
        maybe("decay_type", st.sampled_from(["linear", "cosine", "1-sqrt"]), kw)
        maybe("min_lr_ratio", floats(0.0, 0.5), kw)
        maybe("num_cycles", floats(0.0, 2.0), kw)
        return kw
    kw["num_training_steps"] = draw(st.integers(max(1, w), steps + 20))
    if name == "get_cosine_with_hard_restarts_schedule_with_warmup":
        maybe("num_cycles", st.integers(1, 4), kw)
    elif name == "get_polynomial_decay_schedule_with_warmup":
        maybe("lr_end", floats(0.0, 5e-5), kw)  # below every lr drawn (tests/engine/
        # test_hf.py holds the refusal of lr_end >= lr against transformers)
        maybe("power", floats(0.0, 3.0), kw)
    elif name != "get_linear_schedule_with_warmup":
        maybe("num_cycles", floats(0.0, 2.0), kw)
    if "min_lr" in name:
        if draw(st.booleans()):
            kw["min_lr"] = draw(floats(0.0, 1e-3))
        else:
            kw["min_lr_rate"] = draw(floats(0.0, 0.5))
        if name.endswith("lr_rate"):
            maybe("warmup_lr_rate", st.one_of(st.none(), floats(0.0, 0.5)), kw)
    return kw


@st.composite
def timm_kwargs(draw, name: str, steps: int) -> dict:
    """Valid keyword arguments for one of timm's schedulers (cycles that shrink away and
    noise timm cannot draw are refused by both)."""
    maybe = lambda key, strategy, kw: kw.update({key: draw(strategy)}) if draw(  # noqa: E731
        st.booleans()) else None
    kw: dict[str, Any] = {}
    if name == "PlateauLRScheduler":  # metric-driven: torch's plateau after a warmup
        maybe("decay_rate", floats(0.0, 0.9), kw)
        maybe("patience_t", st.integers(0, 8), kw)
        maybe("threshold", floats(0.0, 0.1), kw)
        maybe("cooldown_t", st.integers(0, 5), kw)
        maybe("warmup_t", st.integers(0, 12), kw)
        maybe("warmup_lr_init", floats(0.0, 1e-3), kw)
        maybe("lr_min", floats(0.0, 1e-3), kw)
        maybe("mode", st.sampled_from(["min", "max"]), kw)
        if draw(st.integers(0, 2)) == 0:
            a = draw(st.integers(0, steps))
            kw["noise_range_t"] = a if draw(st.booleans()) else [a, a + draw(st.integers(1, 30))]
            maybe("noise_type", st.sampled_from(["normal", "uniform"]), kw)
            maybe("noise_pct", floats(0.2, 1.0), kw)
            maybe("noise_seed", st.one_of(st.none(), st.integers(0, 1000)), kw)
        return kw
    if name == "StepLRScheduler":
        kw["decay_t"] = draw(st.one_of(st.integers(1, 40), floats(0.5, 40.0)))
        maybe("decay_rate", floats(0.1, 1.0), kw)
    elif name == "MultiStepLRScheduler":
        kw["decay_t"] = sorted(draw(st.lists(st.integers(0, steps + 5), max_size=5)))
        maybe("decay_rate", floats(0.1, 1.0), kw)
    else:
        kw["t_initial"] = draw(st.integers(1, 60))
        maybe("lr_min", floats(0.0, 1e-3), kw)
        maybe("cycle_mul", st.sampled_from([1.0, 0.5, 0.8, 1.5, 2.0]), kw)
        maybe("cycle_decay", floats(0.1, 1.0), kw)
        maybe("cycle_limit", st.integers(1, 4), kw)
        if name != "TanhLRScheduler":
            maybe("k_decay", floats(0.5, 3.0), kw)
        else:
            maybe("lb", floats(-10.0, -1.0), kw)
            maybe("ub", floats(1.0, 5.0), kw)
        if name == "PolyLRScheduler":
            maybe("power", floats(0.2, 3.0), kw)
    maybe("warmup_t", st.integers(0, 12), kw)
    maybe("warmup_lr_init", floats(0.0, 1e-3), kw)
    maybe("warmup_prefix", st.booleans(), kw)
    maybe("t_in_epochs", st.booleans(), kw)
    if draw(st.integers(0, 3)) == 0:
        a = draw(st.integers(0, steps))
        kw["noise_range_t"] = a if draw(st.booleans()) else [a, draw(st.integers(a + 1,
                                                                                 steps + 5))]
        maybe("noise_pct", floats(0.2, 1.0), kw)
        maybe("noise_std", floats(0.1, 2.0), kw)
        maybe("noise_seed", st.integers(0, 1000), kw)
    return kw


BASIC = ["StepLR", "MultiStepLR", "ExponentialLR", "PolynomialLR", "CosineAnnealingLR",
         "LambdaLR", "MultiplicativeLR", "ConstantLR", "LinearLR", "CyclicLR", "OneCycleLR",
         "CosineAnnealingWarmRestarts"]


@st.composite
def optimizers(draw) -> tuple[str, dict, list[dict] | None]:
    name = draw(st.sampled_from(["SGD", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]))
    kw: dict[str, Any] = {"lr": draw(floats(1e-4, 1.0))}
    if name in ("SGD", "RMSprop") and draw(st.booleans()):
        kw["momentum"] = draw(floats(0.5, 0.99))
    if name == "Adam" and draw(st.booleans()):
        kw["betas"] = (draw(floats(0.5, 0.99)), 0.999)
    groups = None
    if draw(st.booleans()):
        groups = [({"lr": draw(floats(1e-4, 1.0))} if draw(st.booleans()) else {})
                  for _ in range(draw(st.integers(1, 3)))]
    return name, kw, groups


@st.composite
def cases(draw, name: str, steps: int) -> Case:
    opt_name, opt_kw, groups = draw(optimizers())
    g = 1 if groups is None else len(groups)
    momentum = opt_name != "Adagrad"
    if name == "SequentialLR":
        n = draw(st.integers(2, 3))
        children = [_child(draw, g, momentum, steps) for _ in range(n)]
        marks = sorted(draw(st.lists(st.integers(0, steps), min_size=n - 1, max_size=n - 1)))
        sched = (name, {"schedulers": children, "milestones": marks})
    elif name == "ChainedScheduler":
        n = draw(st.integers(2, 3))
        sched = (name, {"schedulers": [_child(draw, g, momentum, steps) for _ in range(n)]})
    else:
        sched = (name, draw(sched_kwargs(name, g, momentum, steps)))
    return Case(opt_name, opt_kw, groups, sched)


def _child(draw, groups: int, momentum: bool, steps: int) -> tuple:
    child = draw(st.sampled_from(BASIC))
    return (child, draw(sched_kwargs(child, groups, momentum, steps)))
