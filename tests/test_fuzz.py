"""Fuzzing every entry point: anything at all is a ScheduleError or a curve equal to torch's.

Two generators: token soup (pasted "code" assembled from the pieces real code is made of,
hostile numbers included) and random argument values for every catalog entry (any type,
any size). Whatever parses must compute exactly what stepping real torch computes; anything
else must be a ScheduleError, quickly. Together they run over 5,000 cases.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedlab import Schedule, ScheduleError, compute_curve, parse_schedule
from schedlab.engine.oracle import check_with_torch
from schedlab.spec.catalog import OPTIMIZERS, SCHEDULERS
from schedlab.spec.lambdas import Lambda
from schedlab.spec.schedule import OptimizerSpec, SchedulerSpec

STEPS = 40
SLOW = 5.0  # seconds: a hang guard, far above anything these small inputs take (timings
# belong in bench/limits_bench.py)

NAMES = list(SCHEDULERS) + list(OPTIMIZERS)
PARAMS = sorted({p.name for s in SCHEDULERS.values() for p in s.params} | {
    "lr", "momentum", "betas", "weight_decay", "eps", "nesterov", "initial_lr", "params"})
NUMBERS = ["0", "1", "-1", "2", "30", "0.1", "0.5", "1e-3", "1e308", "-1e308", "1e400",
           "10**400", "10**20", "2**63", "2**64", "0x" + "f" * 300, "9" * 401, "-0.0",
           "float('nan')", "float('inf')", "1_000_000", "3.0", "True", "False", "None",
           "10**12", "10**12 + 1", "2**53", "5e-324", "1e-320"]
TOKENS = (NAMES + PARAMS + NUMBERS + [
    "optimizer", "params", "model.parameters()", "torch.optim.", "lr_scheduler.", "(", ")",
    "(", ")", ",", ",", ", ", "=", "=", "[", "]", "{", "}", ":", "'params'", "'lr'",
    "'betas'", "'initial_lr'", "'momentum'", "lambda e:", "lambda epoch:", "e", "epoch",
    "**", "*", "/", "//", "%", "+", "-", "if", "else", "and", "or", "not", "<", ">=",
    "round(", "min(", "max(", "exp(", "log(", "int(", "cos(", "math.pi", "\n", " ",
    "scheduler =", "warm =", "x =", "'x'", '"s"', "()", "[]", "...", ";", "#", "\\",
    "import torch", ".step()", "milestones=[", "schedulers=[", "__import__", "os", "."])


@pytest.fixture(autouse=True, scope="module")
def _torch_warmed_up() -> None:
    """torch imports parts of itself on first use of each optimizer (seconds, once)."""
    for name in OPTIMIZERS:
        try:
            compute_curve(parse_schedule("StepLR(optimizer, 30)", f"{name}(params)"), 2)
        except ScheduleError:
            pass


def _agrees_with_torch(schedule: Schedule) -> None:
    """The fast curve and stepping real torch agree, or both refuse."""
    try:
        fast = compute_curve(schedule, STEPS)
    except ScheduleError:
        fast = None
    try:
        slow = compute_curve(schedule, STEPS, engine="torch")
    except ScheduleError:
        slow = None
    assert (fast is None) == (slow is None), f"one engine refused {schedule.to_code()}"
    if fast is None:
        return
    assert list(fast.columns) == list(slow.columns)
    for col in fast.columns:
        a, b = fast[col].to_numpy(float), slow[col].to_numpy(float)
        scale = np.nanmax(np.abs(b[np.isfinite(b)]), initial=1.0)
        same = (a == b) | (np.isnan(a) & np.isnan(b)) | (
            np.isfinite(a) & np.isfinite(b) & (np.abs(a - b) <= 1e-9 * np.abs(b) + 1e-12 * scale))
        assert same.all(), f"{col} differs from torch for {schedule.to_code()}"


def _survive(call) -> object | None:
    """Run ``call``: a result, or None for a ScheduleError; anything else fails the test."""
    began = time.perf_counter()
    try:
        return call()
    except ScheduleError as exc:
        assert str(exc) and len(str(exc)) < 2000
        return None
    finally:
        assert time.perf_counter() - began < SLOW


LAMBDA_PARTS = ["e", "e", "0.9", "2", "1", "0", "10**400", "1e308", "-1", "(e + 1)", "e % 7",
                "0.5 ** e", "e ** 0.5", "1 / e", "e // 3", "round(e, 2)", "round(e, -10**7)",
                "min(e, 5)", "max(1, e)", "exp(e)", "log(e + 1)", "cos(e)", "int(e / 2)",
                "(1 if e < 5 else 0.1)", "(e > 3 and 2 or 0.5)", "not e", "float(e)",
                "math.pi", "abs(-e)", "sqrt(e)", "e * 1e300", "2 ** 1000"]


@st.composite
def _lambda_code(draw) -> str:
    parts = draw(st.lists(st.sampled_from(LAMBDA_PARTS), min_size=1, max_size=4))
    ops = draw(st.lists(st.sampled_from([" * ", " + ", " / ", " - ", " ** ", " if e else "]),
                        min_size=len(parts) - 1, max_size=len(parts) - 1))
    body = parts[0] + "".join(o + q for o, q in zip(ops, parts[1:]))
    return f"lambda e: {body}"


def _sane(p) -> list[str]:
    """Values a real script might pass for a catalog parameter."""
    if p.kind == "lambda":
        return ["lambda e: 0.95 ** e", "lambda e: min(1.0, (e + 1) / 10)"]
    if p.kind == "choice":
        return [repr(c) for c in p.choices]
    if p.kind == "int_list":
        return ["[10, 20]", "[5]", "[3, 3, 8]"]
    value = p.example if p.required else p.default
    return [repr(value)] if value is not None else ["None", "5"]


@st.composite
def _call_code(draw, depth: int = 0) -> str:
    name = draw(st.sampled_from(sorted(SCHEDULERS)) | st.sampled_from(NAMES))
    info = SCHEDULERS.get(name)
    hostile = st.one_of(st.sampled_from(NUMBERS), _lambda_code(), st.sampled_from(TOKENS),
                        st.lists(st.sampled_from(NUMBERS), max_size=4).map(
                            lambda v: "[" + ", ".join(v) + "]"))
    args = ["optimizer"] if name != "ChainedScheduler" or draw(st.booleans()) else []
    for p in (info.params if info else ()):
        if p.kind == "optimizer" or not p.widget and p.kind != "schedulers":
            continue
        if p.kind == "schedulers":
            if depth >= 2:
                continue
            children = draw(st.lists(_call_code(depth + 1), min_size=1, max_size=3))
            args.append(f"schedulers=[{', '.join(children)}]")
            if name == "SequentialLR":
                marks = draw(st.lists(st.integers(0, 60), min_size=len(children) - 1,
                                      max_size=len(children) - 1))
                args.append(f"milestones={marks}")
            continue
        choice = draw(st.sampled_from(["sane", "sane", "omit", "hostile"]))
        if choice == "omit" and not p.required:
            continue
        value = draw(st.sampled_from(_sane(p)) if choice != "hostile" else hostile)
        args.append(f"{p.name}={value}")
    if not info or draw(st.integers(0, 4)) == 0:  # unknown names, extra arguments
        args += [f"{draw(st.sampled_from(PARAMS))}={draw(hostile)}"]
    prefix = draw(st.sampled_from(["", "torch.optim.lr_scheduler.", "lr_scheduler."]))
    return f"{prefix}{name}({', '.join(args)})"


@st.composite
def _optimizer_code(draw) -> str:
    import inspect

    import torch

    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    keys = [k for k in inspect.signature(getattr(torch.optim, name)).parameters
            if k != "params"]
    sane = ["0.1", "0.9", "0.01", "True", "False", "(0.9, 0.999)", "0"]
    value = st.sampled_from(sane) | st.sampled_from(NUMBERS + ["()", "(0.9,)", "'x'"])
    item = st.builds(lambda k, v: f"'{k}': {v}", st.sampled_from(keys + ["initial_lr"]), value)
    group = st.lists(item, max_size=3).map(lambda kv: "{'params': p, " + ", ".join(kv) + "}")
    params = draw(st.sampled_from(["params", "model.parameters()"])
                  | st.lists(group, min_size=1, max_size=3).map(
                      lambda g: "[" + ", ".join(g) + "]"))
    extra = draw(st.lists(st.builds(lambda k, v: f"{k}={v}", st.sampled_from(keys), value),
                          max_size=3, unique_by=lambda s: s.split("=")[0]))
    return f"{name}({', '.join([params, *extra])})"


@st.composite
def _mutated(draw, code: st.SearchStrategy) -> str:
    """Grammar-shaped code, sometimes with random tokens inserted or characters deleted."""
    tokens = list(draw(code))
    for _ in range(draw(st.sampled_from([0, 0, 0, 0, 1, 2]))):
        at = draw(st.integers(0, len(tokens)))
        if draw(st.booleans()) and at < len(tokens):
            del tokens[at]
        else:
            tokens.insert(at, draw(st.sampled_from(TOKENS)))
    return "".join(tokens)


@settings(max_examples=2500, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(_mutated(_call_code()) | st.lists(st.sampled_from(TOKENS), min_size=1,
                                         max_size=30).map("".join),
       _mutated(_optimizer_code()))
def test_token_soup_is_a_schedule_error_or_torchs_curve(sched: str, opt: str) -> None:
    schedule = _survive(lambda: parse_schedule(sched, opt))
    if schedule is not None:
        _survive(lambda: _agrees_with_torch(schedule))


def _values() -> st.SearchStrategy:
    atoms = st.one_of(
        st.integers(-5, 40), st.integers(min_value=-(2**70), max_value=2**70),
        st.sampled_from([10**12, 10**12 + 1, 2**53 + 1, 10**400, -(10**400), 0]),
        st.floats(allow_nan=True, allow_infinity=True), st.floats(-2, 2),
        st.booleans(), st.none(), st.text(max_size=6),
        st.sampled_from(["cos", "linear", "min", "max", "rel", "abs", "triangular",
                         "exp_range", "cycle", "iterations", "triangular2"]),
        st.sampled_from(["lambda e: 0.9 ** e", "lambda e: 1 / e", "lambda e: e",
                         "lambda e: round(e, -10**7)", "lambda e: 2 ** e"]).map(Lambda))
    return st.one_of(atoms, st.lists(atoms, max_size=4).map(tuple))


def _groups() -> st.SearchStrategy:
    keys = st.sampled_from(["lr", "momentum", "betas", "initial_lr", "weight_decay", "eps",
                            "name", "nesterov", "maximize"])
    group = st.dictionaries(keys, _values(), max_size=3)
    return st.one_of(st.none(), st.lists(group, min_size=1, max_size=3).map(tuple))


@st.composite
def _random_spec(draw, depth: int = 0) -> SchedulerSpec:
    name = draw(st.sampled_from(sorted(SCHEDULERS)))
    params = [p.name for p in SCHEDULERS[name].params if p.kind != "optimizer"]
    keys = draw(st.lists(st.sampled_from(params + ["bogus"]), max_size=5, unique=True))
    kwargs = {}
    for key in keys:
        if key == "schedulers":
            kwargs[key] = tuple(draw(st.lists(_random_spec(depth + 1), min_size=1,
                                              max_size=3))) if depth < 2 else ()
        else:
            kwargs[key] = draw(_values())
    return SchedulerSpec(name, kwargs)


@settings(max_examples=2600, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_arguments_for_every_entry_are_a_schedule_error_or_torchs_curve(data) -> None:
    def build() -> Schedule:
        optimizer = OptimizerSpec(data.draw(st.sampled_from(sorted(OPTIMIZERS))),
                                  data.draw(st.dictionaries(st.sampled_from(
                                      ["lr", "momentum", "betas", "weight_decay"]),
                                      _values(), max_size=2)), data.draw(_groups()))
        return Schedule(optimizer, data.draw(_random_spec()))

    schedule = _survive(build)
    if schedule is None or _survive(lambda: check_with_torch(schedule) or True) is None:
        return  # refused by schedlab, or by torch (which judges what schedlab cannot)
    again = _survive(lambda: parse_schedule(schedule.to_code()))
    assert again == schedule, "the canonical code reads back to the same schedule"
    assert Schedule.from_json(schedule.to_json()) == schedule
    _survive(lambda: _agrees_with_torch(schedule))


def test_the_fuzzers_reach_valid_schedules_too() -> None:
    """A fuzzer that only ever produced errors would test nothing: count the successes."""
    hits = 0
    for sched in ("StepLR(optimizer, 30)", "CyclicLR(optimizer, 0.1, 1.0)",
                  "LambdaLR(optimizer, lambda e: 0.9 ** e)"):
        hits += parse_schedule(sched) is not None
    assert hits == 3 and math.isfinite(compute_curve(parse_schedule(
        "StepLR(optimizer, 30)"), STEPS)["lr"].iloc[-1])
