"""Server-side time of one explorer rerun after a parameter change, and the chart's size.

Drives the real page with Streamlit's AppTest. For each schedule at 1k, 100k and 1M
optimizer steps (scheduler stepped per batch): the median time of a rerun after a
parameter change (a new value each time, so no cached curve is reused), the median time
of a rerun after a view-only change (log scale: nothing recomputed; the baseline), and the
size of the chart (its ECharts option and Arrow tables). Writes its table into bench/RESULTS.md.

    python -m bench.ui_bench
"""

from __future__ import annotations

import statistics
import time

from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, app_test

from bench.results import machine, write_section
from tests.echarts import option_of
from schedlab import parse_schedule
from schedlab.app import HOME
from schedlab.present.share import ExplorerState
from schedlab.spec.horizon import Horizon

SIZES = (1_000, 100_000, 1_000_000)
REPEATS = 7
OPT = "SGD(params, lr=0.1, momentum=0.9)"


def cases(n: int) -> list[tuple[str, str, str, float]]:
    """(label, scheduler code, widget key of the parameter changed, its first value)."""
    w = max(1, n // 20)
    return [
        ("CyclicLR", f"CyclicLR(optimizer, base_lr=0.001, max_lr=0.1, step_size_up={w // 4})",
         "0.p.CyclicLR.max_lr", 0.1),
        ("SequentialLR (warmup + cosine)",
         f"SequentialLR(optimizer, [LinearLR(optimizer, 0.01, total_iters={w}), "
         f"CosineAnnealingLR(optimizer, T_max={n - w})], milestones=[{w}])",
         "0.ph0.LinearLR.start_factor", 0.01),
        ("CosineAnnealingWarmRestarts",
         f"CosineAnnealingWarmRestarts(optimizer, T_0={max(1, n // 31)}, T_mult=2)",
         "0.p.CosineAnnealingWarmRestarts.eta_min", 0.0),
    ]


# the pages compiled once, as a server keeps them: AppTest makes a new cache at every run,
# so each rerun would also pay for parsing and compiling the scripts (about 15 ms here)
_SCRIPTS = ScriptCache()
app_test.ScriptCache = lambda: _SCRIPTS


def explorer(state: ExplorerState) -> AppTest:
    at = AppTest.from_file(str(HOME), default_timeout=120)
    at.query_params["s"] = state.encode()
    at.switch_page("pages/explorer.py").run()
    assert not at.exception, at.exception
    return at


def timed(action) -> float:
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0


def measure(code: str, key: str, first: float, n: int) -> tuple[float, float, int]:
    epochs, spe = (1, n) if n <= 1000 else (n // 1000, 1000)
    at = explorer(ExplorerState(parse_schedule(code, OPT), Horizon(epochs, spe, "batch")))
    change, view = [], []
    for i in range(REPEATS):
        value = first + (i + 1) * 1e-4
        change.append(timed(lambda: at.number_input(key=key).set_value(value).run()))
        assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
        view.append(timed(lambda: at.toggle(key="0.log").set_value(i % 2 == 0).run()))
    size = option_of(at)["_bytes"]  # its JSON and its Arrow tables
    return statistics.median(change), statistics.median(view), size


def main() -> None:
    rows = []
    for n in SIZES:
        for label, code, key, first in cases(n):
            change, view, size = measure(code, key, first, n)
            rows.append((label, n, change, view, size))
            print(f"{n:>9,} {label:32s} change {change * 1e3:7.1f} ms  view-only "
                  f"{view * 1e3:7.1f} ms  chart {size / 1024:6.1f} KB", flush=True)
    lines = [
        "## Explorer page: rerun time and chart size (`bench/ui_bench.py`)",
        "",
        f"Measured {machine()}. Streamlit AppTest drives the real page (`home.py`, then the "
        "explorer), its scripts compiled once as a server keeps them (AppTest alone "
        f"compiles them at every run). *change*: median of {REPEATS} reruns, each after "
        "setting a parameter to a new value (the curve is recomputed); *view-only*: "
        "median rerun after toggling the log scale (nothing recomputed: the page's own "
        "overhead, the baseline). *chart*: the chart sent to the browser (its ECharts "
        "option as JSON, its tables as Arrow). The scheduler is stepped per batch, so every "
        "optimizer step is a curve point.",
        "",
        "Targets: at most 200 ms per rerun at 100k steps, 400 ms at 1M; chart about 250 KB "
        "at most.",
        "",
        "| schedule | steps | change | view-only | change / view-only | chart |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, n, change, view, size in rows:
        lines.append(f"| {label} | {n:,} | {change * 1e3:.0f} ms | {view * 1e3:.0f} ms | "
                     f"{change / view:.2f} | {size / 1024:.0f} KB |")
    write_section("ui_bench", "\n".join(lines))


if __name__ == "__main__":
    main()
