"""Training throughput: schedlab's loop against the classic tutorial loop, in one run.

* reference: the tutorial way: a per-sample Dataset converting each image to a normalized
  float tensor (ToTensor/Normalize style), a DataLoader with batch 64, the same CNN,
  optimizer and scheduler;
* ours: ``schedlab.training.loop.train`` (data on the device once, batches sliced there);
* limit: the same model's forward + backward + step on batches prepared in memory
  beforehand, nothing else in the loop (in the faster of the two memory layouts);
* streaming: ours with every event written to a real SQLite run store, against ours with
  the events dropped;
* first metric: from submitting a run to its first stored metric, with a warm worker;
* threads (``--threads``, its own section): samples/s of worker processes for one run
  alone, one run beside a busy process (a pure-Python loop) and two runs at once, with
  torch's default threads (old) against the app's worker setting (new: the cores shared
  by ``SCHEDLAB_MAX_JOBS`` runs, OpenMP threads that sleep while they wait).

Measurements alternate between the loops (one epoch each, several rounds) and report
medians, on the CPU and, where there is one, on CUDA. Writes into bench/RESULTS.md.

    python -m bench.train_bench [--rounds N] [--threads] [--only-threads]
    python -m bench.train_bench --rounds 21 --section train_bench_gpu   # on a GPU machine
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset

from bench.results import machine, write_section
from schedlab import parse_schedule
from schedlab.engine.oracle import build_optimizer, build_scheduler
from schedlab.jobs.manager import JobManager, worker_env
from schedlab.jobs.store import RunStore
from schedlab.training.data import load_digits
from schedlab.training.loop import MEAN, STD, TrainConfig, train
from schedlab.training.models import CNN

BATCH = 64
OPT = "SGD(params, lr=0.05, momentum=0.9)"
SCHED = "OneCycleLR(optimizer, max_lr=0.1, total_steps=100000)"


class TutorialDataset(Dataset):
    """One sample at a time, converted as torchvision's ToTensor + Normalize would."""

    def __init__(self, images, labels) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int):
        x = torch.from_numpy(self.images[i]).unsqueeze(0).float().div(255)
        return (x - MEAN) / STD, int(self.labels[i])


def reference_epoch(digits, device) -> float:
    schedule = parse_schedule(SCHED, OPT)
    model = CNN().to(device)
    optimizer = build_optimizer(schedule, [list(model.parameters())])
    scheduler = build_scheduler(schedule.scheduler, optimizer)
    loader = DataLoader(TutorialDataset(digits.train_x, digits.train_y), batch_size=BATCH,
                        shuffle=True)
    model.train()
    t0 = time.perf_counter()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
    _sync(device)
    return len(digits.train_x) / (time.perf_counter() - t0)


def limit_epoch(digits, device) -> float:
    """The model alone, in whichever memory layout is faster here (a true ceiling)."""
    return max(_model_only(digits, device, torch.contiguous_format),
               _model_only(digits, device, torch.channels_last))


def _model_only(digits, device, layout) -> float:
    model = CNN().to(device).to(memory_format=layout)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = ((torch.from_numpy(digits.train_x).float() / 255 - MEAN) / STD).unsqueeze(1)
    y = torch.from_numpy(digits.train_y)
    order = torch.randperm(len(x))
    batches = [(x[order[i:i + BATCH]].to(device), y[order[i:i + BATCH]].to(device))
               for i in range(0, len(x), BATCH)]
    model.train()
    _sync(device)
    t0 = time.perf_counter()
    for xb, yb in batches:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        optimizer.step()
    _sync(device)
    return len(x) / (time.perf_counter() - t0)


def ours_epoch(device, store: RunStore | None = None) -> float:
    config = TrainConfig(epochs=1, batch_size=BATCH, model="cnn", device=device.type,
                         log_every=10)
    run_id = store.submit("bench", parse_schedule(SCHED, OPT).to_json(),
                          config.to_dict()) if store else None
    done = None
    for event in train(parse_schedule(SCHED, OPT), config):
        if store:
            store.record(run_id, event)
        done = event
    return done["samples_per_s"]


def _sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def first_metric(rounds: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        jobs = JobManager(Path(tmp) / "runs.sqlite3", max_jobs=1)
        try:
            jobs.supervise()
            deadline = time.monotonic() + 120
            while not jobs.store.workers():  # registered once warm
                if time.monotonic() > deadline:
                    raise RuntimeError("the worker did not start")
                time.sleep(0.05)
            waits = []
            schedule = parse_schedule(SCHED, OPT)
            for _ in range(rounds):
                t0 = time.perf_counter()
                run_id = jobs.submit(schedule, TrainConfig(epochs=1, log_every=10), "first")
                while jobs.store.steps(run_id).empty:
                    time.sleep(0.002)
                waits.append(time.perf_counter() - t0)
                jobs.stop(run_id)
                while jobs.store.run(run_id)["status"] == "running":
                    time.sleep(0.02)
            return waits
        finally:
            jobs.shutdown()


# --- threads: worker processes sharing the cores ----------------------------------------
SCENARIOS = (("one run alone", 1, False), ("one run beside a busy process", 1, True),
             ("two runs at once", 2, False))  # (name, concurrent runs, busy process)
BUSY = "while True:\n    pass\n"
THREAD_EPOCHS = 3  # timed epochs per run (after one untimed)


def one_run(epochs: int) -> None:
    """In a worker-like process: warm up, say "ready", wait for "go" on stdin, then print
    the median samples/s of ``epochs`` epochs as JSON."""
    from schedlab.jobs.worker import limit_threads

    if "SCHEDLAB_WORKER_THREADS" in os.environ:  # the new setting, as a worker applies it
        limit_threads()
    schedule = parse_schedule(SCHED, OPT)
    for _ in train(schedule, TrainConfig(epochs=1, batch_size=BATCH, log_every=10)):
        pass
    print("ready", flush=True)
    sys.stdin.readline()
    config = TrainConfig(epochs=epochs, batch_size=BATCH, log_every=10)
    speeds = [e["samples_per_s"] for e in train(schedule, config) if e["event"] == "epoch"]
    print(json.dumps({"samples_per_s": statistics.median(speeds),
                      "threads": torch.get_num_threads()}), flush=True)


def thread_round(runs: int, busy: bool, new: bool) -> list[dict]:
    """One measurement: ``runs`` worker-like processes started together once all are
    warm (beside a busy process if asked), with the old or the new thread setting."""
    old_env = {k: v for k, v in os.environ.items()
               if k not in ("OMP_WAIT_POLICY", "OMP_NUM_THREADS", "SCHEDLAB_WORKER_THREADS")}
    procs = [subprocess.Popen([sys.executable, __file__, "--one-run"],
                              env=worker_env(runs) if new else old_env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
             for _ in range(runs)]
    for p in procs:
        while p.stdout.readline().strip() != "ready":
            if p.poll() is not None:
                raise RuntimeError("a measured run failed")
    hog = subprocess.Popen([sys.executable, "-c", BUSY]) if busy else None
    try:
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        return [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    finally:
        if hog:
            hog.kill()
            hog.wait()


def threads_section(rounds: int) -> str:
    """Measure every scenario with both settings, alternating, and render the table."""
    got: dict[tuple[str, bool], list[list[dict]]] = {}
    load = os.getloadavg()[0]  # other programs on the machine skew every row
    for r in range(rounds):
        for name, runs, busy in SCENARIOS:
            for new in (False, True):
                got.setdefault((name, new), []).append(thread_round(runs, busy, new))
                print("threads", r, name, "new" if new else "old",
                      [round(x["samples_per_s"]) for x in got[name, new][-1]], flush=True)
    return render_threads(got, rounds, load)


def render_threads(got: dict, rounds: int, load: float) -> str:
    def per_run(name: str, new: bool) -> tuple[float, int]:
        speeds = [x["samples_per_s"] for one in got[name, new] for x in one]
        return statistics.median(speeds), got[name, new][0][0]["threads"]

    cores = len(os.sched_getaffinity(0))
    lines = [
        "## Training threads: runs sharing the cores (`bench/train_bench.py --threads`)",
        "",
        f"Measured {machine()}, {cores} cores available to this process. Each run is a "
        f"worker-like process training the tutorial CNN (batch {BATCH}, {THREAD_EPOCHS} timed "
        f"epochs after one untimed); runs of one measurement start together. *old*: torch's "
        f"default threads and OpenMP wait policy; *new*: what the app gives its workers "
        f"(cores / `SCHEDLAB_MAX_JOBS` threads, at least 1, and `OMP_WAIT_POLICY=PASSIVE`), "
        f"with `SCHEDLAB_MAX_JOBS` = the runs at once. The busy process is a pure-Python "
        f"loop. Median samples/s per run over {rounds} rounds, old and new alternating. "
        f"Both settings use the same threads in the first two rows: there the difference is "
        f"the wait policy alone.",
        "",
        f"Load average (1 min) when it began: {load:.1f}" + (
            " (the machine was shared: other programs competed for the cores)."
            if load > 0.5 else "."),
        "",
        "| scenario | old threads | old samples/s | new threads | new samples/s | new / old |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, runs, _ in SCENARIOS:
        (old, old_t), (new, new_t) = per_run(name, False), per_run(name, True)
        each = " per run" if runs > 1 else ""
        lines.append(f"| {name} | {old_t} | {old:,.0f}/s{each} | {new_t} | {new:,.0f}/s{each} "
                     f"| {new / old:.2f}x |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", action="store_true",
                        help="also measure worker threads (writes its own section)")
    parser.add_argument("--only-threads", action="store_true",
                        help="measure worker threads only")
    parser.add_argument("--section", default="train_bench",
                        help="the RESULTS.md section written: train_bench_gpu on a lent GPU "
                             "machine, so that this machine's CPU figures stay beside it")
    parser.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_run:
        one_run(THREAD_EPOCHS)
        return
    if args.threads or args.only_threads:
        write_section("train_threads", threads_section(args.rounds))
    if args.only_threads:
        return
    digits = load_digits("auto")
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available()
                                       else [])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(Path(tmp) / "bench.sqlite3")
        for device in devices:
            reference_epoch(digits, device)  # one untimed round each: allocators,
            limit_epoch(digits, device)  # kernels and imports warm up
            ours_epoch(device)
            got = {"reference": [], "limit": [], "ours": [], "ours + store": []}
            for r in range(args.rounds):
                got["reference"].append(reference_epoch(digits, device))
                got["limit"].append(limit_epoch(digits, device))
                got["ours"].append(ours_epoch(device))
                got["ours + store"].append(ours_epoch(device, store))
                print(device, r, {k: round(v[-1]) for k, v in got.items()}, flush=True)
            med = {k: statistics.median(v) for k, v in got.items()}
            rows.append((device.type, med, got))
    waits = first_metric(args.rounds)
    print("first metric", [round(w, 3) for w in waits])
    write_section(args.section, render(rows, waits, digits, args.rounds, args.section))


def render(rows, waits, digits, rounds: int, section: str = "train_bench") -> str:
    gpu = f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    title = "## Training throughput (`bench/train_bench.py`)" if section == "train_bench" \
        else f"## Training throughput, `{section}` (`bench/train_bench.py --section {section}`)"
    lines = [
        title,
        "",
        f"Measured {machine()}{gpu}, torch threads {torch.get_num_threads()}. Data: "
        f"{digits.name} "
        f"({len(digits.train_x):,} training digits), the tutorial CNN, batch {BATCH}, SGD "
        f"with momentum, OneCycleLR stepped per batch. Median of {rounds} rounds of one epoch "
        "each, the loops alternating. Samples/s count training time only.",
        "",
        "Targets (CPU, batch 64): ours at least 1.5x the reference and at least 90% of the "
        "limit; streaming to the store costs at most 5%; first metric within 1 s of Start "
        "with a warm worker.",
        "",
        "| device | reference | ours | limit | ours / reference | ours / limit | "
        "store overhead |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for device, m, _ in rows:
        overhead = 1 - m["ours + store"] / m["ours"]
        lines.append(f"| {device} | {m['reference']:,.0f}/s | {m['ours']:,.0f}/s | "
                     f"{m['limit']:,.0f}/s | {m['ours'] / m['reference']:.2f}x | "
                     f"{m['ours'] / m['limit']:.0%} | {overhead:+.1%} |")
    if not torch.cuda.is_available():
        lines.append("| cuda | not measured: no GPU on this machine (a lent GPU machine "
                     "writes `train_bench_gpu`) | | | | | |")
    lines += ["", f"First stored metric after Start, warm worker: median "
                  f"{statistics.median(waits) * 1e3:.0f} ms (max {max(waits) * 1e3:.0f} ms, "
                  f"{len(waits)} runs)."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
