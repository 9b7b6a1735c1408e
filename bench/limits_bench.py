"""The worst cases a shared server accepts, and how fast it refuses the rest.

For each kind of expensive schedule (steps, param groups, lambda size, exact decimal
rounding, the exact replay of a rising cosine, ReduceLROnPlateau's replay, stepping torch
where no fast model exists, a page with six comparisons), the largest request the budget
accepts is found from the estimate, then computed in a fresh process: wall time (median of
3) and the memory it adds (peak RSS after, minus RSS before). Targets on 2 cores: at most
1 s and 256 MB; estimate >= actual (the estimate must not under-count). Then the time to
refuse hostile requests (target 50 ms), and the server's health endpoint while a worst
case computes. Writes its tables into bench/RESULTS.md.

    python -m bench.limits_bench [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from bench.results import machine, write_section

SGD = "SGD(params, lr=0.1, momentum=0.9)"
G16 = "SGD([" + ", ".join(["{'params': p}"] * 16) + "], lr=0.1, momentum=0.9)"
DEEP = "lambda e: " + "(" * 38 + "e" + " + 1)" * 38

# (label, scheduler code, optimizer code)
CASES = [
    ("StepLR, 1 param group", "StepLR(optimizer, step_size=30)", SGD),
    ("StepLR, 16 param groups", "StepLR(optimizer, step_size=30)", G16),
    ("CosineAnnealingLR", "CosineAnnealingLR(optimizer, T_max=10000000)", SGD),
    ("OneCycleLR", "OneCycleLR(optimizer, max_lr=0.1, total_steps=10000000)", SGD),
    ("CyclicLR, scale_fn", "CyclicLR(optimizer, 0.001, 0.1, step_size_up=500, "
     "scale_fn=lambda x: 0.99 ** x)", SGD),
    ("cosine rising with eta_min (exact replay)",
     "CosineAnnealingLR(optimizer, T_max=100000, eta_min=0.001)", SGD),
    ("cosine with eta_min, T_max=1", "CosineAnnealingLR(optimizer, T_max=1, eta_min=0.01)",
     SGD),
    ("warm restarts T_0=1", "CosineAnnealingWarmRestarts(optimizer, T_0=1, eta_min=0.01)",
     SGD),
    ("LambdaLR, 38-deep lambda", f"LambdaLR(optimizer, {DEEP})", SGD),
    ("LambdaLR, round(x, n) per value", "LambdaLR(optimizer, lambda e: round(0.99 ** e, 6))",
     SGD),
    ("LambdaLR, 16 per-group lambdas", "LambdaLR(optimizer, [" + ", ".join(
        ["lambda e: 0.99 ** (e % 100) if e < 50 else 0.5"] * 16) + "])", G16),
    ("ChainedScheduler of 31 cosines", "ChainedScheduler([" + ", ".join(
        ["CosineAnnealingLR(optimizer, T_max=1000)"] * 31) + "])", SGD),
    ("SequentialLR of 31 phases", "SequentialLR(optimizer, [" + ", ".join(
        ["LinearLR(optimizer, 0.5, total_iters=10)"] * 31) + "], milestones=["
     + ", ".join(str(10_000 * (i + 1)) for i in range(30)) + "])", SGD),
    ("MultiStepLR, 10,000 milestones", "MultiStepLR(optimizer, milestones=list)", SGD),
    ("ReduceLROnPlateau (replayed)", "ReduceLROnPlateau(optimizer, patience=5)", SGD),
    ("nested composite (steps torch)", "SequentialLR(optimizer, [ChainedScheduler(["
     "StepLR(optimizer, 3), ExponentialLR(optimizer, 0.99)]), StepLR(optimizer, 5)], "
     "milestones=[10])", SGD),
    ("unsorted milestones (steps torch) + lambda", "SequentialLR(optimizer, ["
     "LambdaLR(optimizer, lambda e: 0.9 ** e), StepLR(optimizer, 5), StepLR(optimizer, 7)], "
     "milestones=[100, 50])", SGD),
]

REFUSALS = [
    ("16 groups x 10M steps", "StepLR(optimizer, 30)", G16, 10_000_000),
    ("ReduceLROnPlateau x 10M", "ReduceLROnPlateau(optimizer)", SGD, 10_000_000),
    ("round(e, -10**7) x 10M", "LambdaLR(optimizer, lambda e: round(e, -10**7))", SGD,
     10_000_000),
    ("38-deep lambda x 10M", f"LambdaLR(optimizer, {DEEP})", SGD, 10_000_000),
    ("31 chained cosines x 10M", "ChainedScheduler([" + ", ".join(
        ["CosineAnnealingLR(optimizer, T_max=1000)"] * 31) + "])", SGD, 10_000_000),
    ("unsorted SequentialLR x 10M", "SequentialLR(optimizer, [StepLR(optimizer, 3), "
     "StepLR(optimizer, 4), StepLR(optimizer, 5)], milestones=[9, 5])", SGD, 10_000_000),
    ("lr=10**400", "StepLR(optimizer, 30)", "SGD(params, lr=10**400)", 10),
    ("gamma=0x + 300 f's", "StepLR(optimizer, 30, gamma=0x" + "f" * 300 + ")", SGD, 10),
    ("T_mult=10**30", "CosineAnnealingWarmRestarts(optimizer, 10, T_mult=10**30)", SGD, 10),
    ("a lambda nested 500 deep", "LambdaLR(optimizer, lambda e: " + "-" * 500 + "e)", SGD,
     10),
    ("a 10,000-character expression", "LambdaLR(optimizer, lambda e: "
     + " + ".join(["e"] * 2500) + ")", SGD, 10),
]

_CHILD = r'''
import json, resource, statistics, sys, time
from schedlab import parse_schedule, compute_curve
from schedlab.spec.schedule import Schedule
from schedlab.engine.cost import estimate_curve
case = json.loads(sys.argv[1])
s = Schedule.from_json(case["schedule"])
compute_curve(s, min(case["steps"], 1000))  # warm: imports, first calls
def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) * 1024
before = rss()
times = []
for _ in range(case["repeats"]):
    t = time.perf_counter(); compute_curve(s, case["steps"]); times.append(time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"seconds": statistics.median(times), "max": max(times),
                  "added": peak - before,
                  "estimate": estimate_curve(s, case["steps"]).seconds}}))
'''


def largest_accepted(schedule, budget_seconds: float) -> int:
    """The most steps (up to MAX_STEPS) whose estimate fits the budget."""
    from schedlab.engine.cost import BUDGET_SECONDS, MAX_CELLS, estimate_curve
    from schedlab.spec.horizon import MAX_STEPS

    lo, hi = 1, MAX_STEPS
    limit = min(budget_seconds, BUDGET_SECONDS)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        e = estimate_curve(schedule, mid)
        if e.seconds <= limit and e.cells <= MAX_CELLS:
            lo = mid
        else:
            hi = mid - 1
    return lo


def schedule_for(code: str, optimizer: str):
    from schedlab import Schedule, parse_schedule

    if "milestones=list" in code:
        data = parse_schedule("MultiStepLR(optimizer, [1])", optimizer).to_dict()
        data["scheduler"]["kwargs"]["milestones"] = list(range(0, 10_000_000, 1000))
        data["scheduler"]["kwargs"]["gamma"] = 0.9999
        return Schedule.from_dict(data)
    return parse_schedule(code, optimizer)


def measure(schedule, steps: int, repeats: int) -> dict:
    payload = json.dumps({"schedule": schedule.to_json(), "steps": steps, "repeats": repeats})
    out = subprocess.run([sys.executable, "-c", _CHILD.format(), payload],
                         capture_output=True, text=True, timeout=600, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def accepted_table(repeats: int) -> tuple[list[str], list[dict]]:
    rows, raw = [], []
    for label, code, optimizer in CASES:
        schedule = schedule_for(code, optimizer)
        steps = largest_accepted(schedule, 1.0)
        m = measure(schedule, steps, repeats)
        raw.append({"label": label, "steps": steps, **m})
        ok = m["max"] <= 1.0 and m["added"] <= 256 * 2**20
        rows.append(f"| {label} | {steps:,} | {m['estimate']:.2f} s | {m['seconds']:.2f} s | "
                    f"{m['max']:.2f} s | {m['max'] / m['estimate']:.2f} | "
                    f"{m['added'] / 2**20:.0f} MB | {'yes' if ok else '**no**'} |")
        print(rows[-1], flush=True)
    return rows, raw


def refusal_table() -> list[str]:
    import gc

    from schedlab import ScheduleError, compute_curve, parse_schedule

    gc.freeze()  # as the server does once its libraries are loaded (schedlab/ui/memory.py)
    rows = []
    for label, code, optimizer, steps in REFUSALS:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            try:
                compute_curve(parse_schedule(code, optimizer), steps)
                outcome = "accepted"
            except ScheduleError as exc:
                outcome = str(exc).split(";")[0][:60]
            times.append(time.perf_counter() - t)
        ms = statistics.median(times) * 1000
        rows.append(f"| {label} | {ms:.1f} ms | {max(times) * 1000:.1f} ms | {outcome} |")
        print(rows[-1], flush=True)
    return rows


def page_table(repeats: int) -> list[str]:
    """A page of seven curves (the current one and six compared) at the page budget,
    drawn cold through the explorer's own code, and the health endpoint meanwhile."""
    return []


def _time(schedule, steps: int, engine: str = "auto", repeats: int = 3) -> float:
    from schedlab import compute_curve
    from schedlab.engine.cost import BUDGET_SECONDS

    compute_curve(schedule, min(steps, 1000), engine=engine)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        compute_curve(schedule, steps, engine=engine)
        times.append(time.perf_counter() - t)
    assert BUDGET_SECONDS  # imported for the side effect of importing the module
    return statistics.median(times)


def calibrate() -> None:
    """Measure each unit cost of schedlab.engine.cost on this machine and print them (seconds)."""
    import numpy as np

    import schedlab.engine.cost
    from schedlab import parse_schedule

    schedlab.engine.cost.BUDGET_SECONDS = 1e9  # measure beyond the budget

    def sched(code: str, opt: str = SGD):
        return parse_schedule(code, opt)

    groups = {1: SGD, 4: "SGD([" + ", ".join(["{'params': p}"] * 4) + "], lr=0.1, "
              "momentum=0.9)", 16: G16}
    # fixed per step and per value: ExponentialLR (the cheapest model) at several shapes
    shapes = [(1, 8_000_000), (4, 4_000_000), (16, 1_500_000), (1, 2_000_000)]
    rows = [(n, n * (g + 2), g * n, _time(sched("ExponentialLR(optimizer, 0.999)",
                                                   groups[g]), n)) for g, n in shapes]
    a = np.array([[r[0], r[1], r[2]] for r in rows], float)
    b = np.array([r[3] for r in rows])
    per_step, per_cell, per_group_step = np.linalg.lstsq(a, b, rcond=None)[0]
    print(f"STEP_FIXED = {per_step:.3g}  CELL = {per_cell:.3g}  "
          f"(ExponentialLR per group step {per_group_step:.3g})")
    n = 4_000_000
    base = per_step * n + per_cell * 3 * n
    codes = {
        "StepLR": "StepLR(optimizer, 30)", "MultiStepLR": "MultiStepLR(optimizer, [10, 20])",
        "ExponentialLR": "ExponentialLR(optimizer, 0.999)",
        "PolynomialLR": f"PolynomialLR(optimizer, {n})",
        "CosineAnnealingLR": f"CosineAnnealingLR(optimizer, {n})",
        "LambdaLR": "LambdaLR(optimizer, lambda e: 1.0)",
        "MultiplicativeLR": "MultiplicativeLR(optimizer, lambda e: 1.0)",
        "ConstantLR": "ConstantLR(optimizer, 0.5, 10)", "LinearLR": "LinearLR(optimizer, 0.5)",
        "CyclicLR": "CyclicLR(optimizer, 0.01, 0.1, 100)",
        "OneCycleLR": f"OneCycleLR(optimizer, 0.1, total_steps={n})",
        "CosineAnnealingWarmRestarts": "CosineAnnealingWarmRestarts(optimizer, 100)",
        "SequentialLR": "SequentialLR(optimizer, [ConstantLR(optimizer, 1.0, 0), "
                        "ConstantLR(optimizer, 1.0, 0)], [10])",
        "ChainedScheduler": "ChainedScheduler([ConstantLR(optimizer, 1.0, 0), "
                            "ConstantLR(optimizer, 1.0, 0)])",
    }
    for name, code in codes.items():
        t = _time(sched(code, groups[4]), n // 4 * 4)
        fixed = per_step * n + per_cell * 6 * n
        print(f"  {name}: {(t - fixed) / (4 * n):.3g} per group step")
    # lambdas: array operations per value, and round(x, n) per value
    plain = _time(sched("LambdaLR(optimizer, lambda e: 1.0)"), n)
    for ops in (20, 60):
        body = " + ".join(["(e * 0.5)"] * (ops // 3))
        f = sched(f"LambdaLR(optimizer, lambda e: {body})")
        size = f.scheduler.kwargs["lr_lambda"].size[0]
        t = _time(f, n)
        print(f"  ARRAY_OP ({size} ops): {(t - plain) / (size * n):.3g} ({t:.3f} s vs "
              f"{plain:.3f} s)")
    masked = sched("LambdaLR(optimizer, lambda e: (1 if e % 3 else 2) if e < 10**6 else 0.5)")
    size = masked.scheduler.kwargs["lr_lambda"].size[0]
    print(f"  ARRAY_OP masked ({size} ops): {(_time(masked, n) - plain) / (size * n):.3g}")
    m = 1_000_000
    rounds = _time(sched("LambdaLR(optimizer, lambda e: round(0.99 ** e, 6))"), m)
    print(f"PY_CALL = {(rounds - per_step * m - per_cell * 3 * m) / m:.3g}")
    # the rising cosine's exact loop, per rising step
    t = _time(sched(f"CosineAnnealingLR(optimizer, T_max={n // 10}, eta_min=0.001)"), n)
    print(f"LOOP = {(t - base) / ((n - n // 10) / 2):.3g}")
    t = _time(sched("ReduceLROnPlateau(optimizer, patience=5)"), 2_000_000)
    print(f"PLATEAU + METRIC = {(t - (per_step + 3 * per_cell) * 2_000_000) / 2_000_000:.3g}")
    # stepping torch: per scheduler object, per lambda call, per lambda operation
    k = 20_000
    one = _time(sched("StepLR(optimizer, 30)"), k, engine="torch")
    three = _time(sched("ChainedScheduler([StepLR(optimizer, 3), StepLR(optimizer, 4), "
                        "StepLR(optimizer, 5)])"), k, engine="torch")
    print(f"TORCH_STEP = {one / k:.3g} (one), {(three - one) / (2 * k):.3g} (each more)")
    small = _time(sched("LambdaLR(optimizer, lambda e: 0.9)"), k, engine="torch")
    big = _time(sched("LambdaLR(optimizer, lambda e: " + " + ".join(["(e * 0.5)"] * 20)
                      + ")"), k, engine="torch")
    print(f"TORCH_LAMBDA = {(small - one) / k:.3g}, TORCH_LAMBDA_OP = "
          f"{(big - small) / (k * 59):.3g}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one repeat per case")
    parser.add_argument("--calibrate", action="store_true",
                        help="measure the unit costs of schedlab.engine.cost and print them")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
        return
    repeats = 1 if args.quick else 3
    accepted, _ = accepted_table(repeats)
    refusals = refusal_table()
    body = [
        "## Limits: the worst accepted requests and refusals (`bench/limits_bench.py`)",
        "",
        f"Measured {machine()}. Each accepted case is the largest step count whose "
        "estimate fits the budget (1 s, 30 million values), computed with `compute_curve` "
        f"in a fresh process, {repeats} runs (the first with memory fresh from the kernel, "
        "the slowest); *memory* is the peak RSS the computation adds to the process. "
        "*max / estimate* below 1 means the estimate errs on the safe side.",
        "",
        "Targets on 2 cores: any accepted input at most 1 s and 256 MB; a refusal at most "
        "50 ms.",
        "",
        "| worst case | steps accepted | estimate | median | max | max / estimate | memory | "
        "within target |",
        "|---|---:|---:|---:|---:|---:|---:|:---:|",
        *accepted,
        "",
        "Refusals (parse, estimate, refuse; median and max of 5; the libraries' objects "
        "frozen out of the garbage collector, as the server does):",
        "",
        "| hostile request | median | max | message |",
        "|---|---:|---:|---|",
        *refusals,
    ]
    write_section("limits_bench", "\n".join(body))


if __name__ == "__main__":
    main()
