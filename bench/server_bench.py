"""A classroom on one server: memory and responsiveness with thirty sessions at the caps.

Starts the app (`python -m schedlab app`) on a free localhost port and opens thirty sessions in
Debian's Chromium (one browser, a context each, five loading at a time). Each session
opens its own share link at the page budget: a 10-million-step curve and six compared
schedules, all different, so nothing is shared between sessions through the cache. While
they load, the health endpoint is asked every 100 ms. Measured: the server's RSS before,
at its peak (VmHWM) and once the sessions have closed and Streamlit has let them go
(after its disconnected-session TTL), the time from navigation to a drawn chart, and the
health endpoint's latency. Targets: peak under 1 GB, under 500 MB after; the health
endpoint answers throughout. Writes its table into bench/RESULTS.md.

    python -m bench.server_bench [--sessions 30] [--ttl 20]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from bench.results import machine, write_section
from tests.echarts import FIRST_Y, SERIES

CHROMIUM = os.environ.get("SCHEDLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# points of the explorer chart's first line (0 before the chart)
CHART_Y = f"() => {{ const y = ({FIRST_Y})(); return y ? y.length : 0; }}"
# lines drawn, the chart's marks left out (a link with six compared schedules draws 8:
# its own lr and momentum, and the six)
LINES = (f"() => {{ const all = ({SERIES})(); "
         "return all ? all.filter(s => s.kind === 'line' && s.y.length).length : 0; }")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(root: Path, *options: str, script: Path | None = None
              ) -> tuple[subprocess.Popen, str]:
    """The app of the checkout at ``root`` (`python -m schedlab app` run there, so that
    its own copy loads; `streamlit run app.py` for a baseline from before the app moved into
    the package) on a free port, with a data directory of its own and any further
    ``--server.*`` options (or `streamlit run` of another ``script``); returns it and its
    base URL once its health endpoint answers (SystemExit if it does not within 90 s)."""
    port = free_port()
    env = {**os.environ, "SCHEDLAB_DATA": tempfile.mkdtemp(prefix="schedlab-bench-")}
    app = ["streamlit", "run", str(script)] if script else ["streamlit", "run", "app.py"] \
        if (root / "app.py").exists() else ["schedlab", "app"]
    proc = subprocess.Popen(
        [sys.executable, "-m", *app, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true", *options],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                return proc, base
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise SystemExit(f"the server from {root} did not start") from None
            time.sleep(0.3)


def rss(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0


def session_link(i: int) -> str:
    """A page at the budget: a 10M-step curve and six compared schedules, unique to i."""
    from schedlab import parse_schedule
    from schedlab.engine.cost import check_page, estimate_curve
    from schedlab.present.share import ExplorerState
    from schedlab.spec.horizon import Horizon

    base = ExplorerState(parse_schedule(f"StepLR(optimizer, {30 + i}, gamma={0.5 + i / 100})",
                                        "SGD(params, lr=0.1, momentum=0.9)"),
                         Horizon(100, 100_000, "batch"))
    state = base
    for k in range(6):
        pinned = ExplorerState(parse_schedule(f"CosineAnnealingLR(optimizer, {1000 + 37 * i + k})",
                                              "SGD(params, lr=0.1, momentum=0.9)"),
                               Horizon(50, 10_000, "batch"))
        state = ExplorerState(state.schedule, state.horizon, state.view, state.metric,
                              state.compare + ExplorerState.pin(pinned, f"s{i} p{k}").compare)
    check_page([estimate_curve(s, h.scheduler_steps) for s, h in state.curves()])
    return f"/explorer?s={state.encode()}"


class Health(threading.Thread):
    """Asks /_stcore/health every 100 ms; keeps each answer's latency."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.latencies, self.failures, self.running = base, [], 0, True

    def run(self) -> None:
        while self.running:
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=10) as r:
                    r.read()
                self.latencies.append(time.perf_counter() - t)
            except OSError:
                self.failures += 1
            time.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--batch", type=int, default=5, help="sessions loading at once")
    parser.add_argument("--ttl", type=int, default=None,
                        help="server.disconnectedSessionTTL (default: Streamlit's 120 s)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    ttl = 120 if args.ttl is None else args.ttl
    server, base = start_app(ROOT, *(["--server.disconnectedSessionTTL", str(args.ttl)]
                                     if args.ttl is not None else []))
    links = [session_link(i) for i in range(args.sessions)]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            warm = browser.new_context().new_page()  # the first page loads the modules
            warm.goto(f"{base}/explorer", wait_until="domcontentloaded")
            warm.wait_for_function(CHART_Y, timeout=120_000)
            warm.context.close()
            time.sleep(2)
            before = rss(server.pid)
            health = Health(base)
            health.start()
            contexts, load_times = [], []
            for start in range(0, len(links), args.batch):
                pages = []
                for link in links[start:start + args.batch]:
                    context = browser.new_context()
                    contexts.append(context)
                    page = context.new_page()
                    page.goto(base + link, wait_until="commit")
                    pages.append((page, time.perf_counter()))
                for page, began in pages:
                    page.wait_for_function(f"() => ({LINES})() >= 8", timeout=300_000)
                    load_times.append(time.perf_counter() - began)
                print(f"{len(contexts)} sessions open, RSS {rss(server.pid) / 2**20:.0f} MB",
                      flush=True)
            open_rss, peak = rss(server.pid), rss(server.pid, "VmHWM")
            health.running = False
            health.join()
            for context in contexts:
                context.close()
            # Streamlit keeps a disconnected session for its TTL, and lets expired ones go
            # when the next session disconnects: as in a class, one more visitor comes
            # and goes once the TTL has passed
            time.sleep(ttl + 5)
            visitor = browser.new_context().new_page()
            visitor.goto(f"{base}/explorer", wait_until="domcontentloaded")
            visitor.wait_for_function(CHART_Y, timeout=120_000)
            visitor.context.close()
            browser.close()
        time.sleep(10)
        after = rss(server.pid)
    finally:
        server.terminate()
        server.wait(20)
    lat = sorted(health.latencies)
    p95 = lat[int(0.95 * (len(lat) - 1))]
    loads = sorted(load_times)
    print(f"before {before / 2**20:.0f} MB, open {open_rss / 2**20:.0f} MB, peak "
          f"{peak / 2**20:.0f} MB, after {after / 2**20:.0f} MB; health p95 {p95 * 1000:.0f} "
          f"ms max {lat[-1] * 1000:.0f} ms, failures {health.failures}; page p50 "
          f"{statistics.median(loads):.1f} s max {loads[-1]:.1f} s")
    body = [
        "## A classroom on one server: memory and the health endpoint (`bench/server_bench.py`)",
        "",
        f"Measured {machine()}. `python -m schedlab app` and Debian's Chromium, "
        f"{args.sessions} sessions (a browser context each, {args.batch} loading at once), each "
        "opening its own link at the page budget: a 10,000,000-step StepLR per batch and six "
        "compared cosines (all different, so nothing is shared through the cache). The health "
        "endpoint is asked every 100 ms while they load. *after*: once every session has "
        f"closed and Streamlit has let it go (after its {ttl} s disconnected-session TTL, "
        "expired sessions go when the next visitor leaves; the bench sends one).",
        "",
        "Targets: the server's RSS under 1 GB with every session open, back under 500 MB "
        "after; the health endpoint answering throughout.",
        "",
        "| RSS before | RSS with all open | peak RSS | RSS after | page load p50 / max | "
        "health p95 / max | health failures |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {before / 2**20:.0f} MB | {open_rss / 2**20:.0f} MB | {peak / 2**20:.0f} MB | "
        f"{after / 2**20:.0f} MB | {statistics.median(loads):.1f} s / {loads[-1]:.1f} s | "
        f"{p95 * 1000:.0f} ms / {lat[-1] * 1000:.0f} ms | {health.failures} |",
    ]
    write_section("server_bench", "\n".join(body))


if __name__ == "__main__":
    main()
