"""Training throughput: schedlab's loop against the classic tutorial loop, in one run.

* reference: the tutorial way: a per-sample Dataset converting each image to a normalized
  float tensor (ToTensor/Normalize style), a DataLoader with batch 64, the same CNN,
  optimizer and scheduler;
* ours: ``schedlab.train.train`` (data on the device once, batches sliced there);
* limit: the same model's forward + backward + step on batches prepared in memory
  beforehand, nothing else in the loop (in the faster of the two memory layouts);
* streaming: ours with every event written to a real SQLite run store, against ours with
  the events dropped;
* first metric: from submitting a run to its first stored metric, with a warm worker.

Measurements alternate between the loops (one epoch each, several rounds) and report
medians, on the CPU and, where there is one, on CUDA. Writes into bench/RESULTS.md.

    python bench/train_bench.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.results import machine, write_section  # noqa: E402
from schedlab import parse_schedule  # noqa: E402
from schedlab.data import load_digits  # noqa: E402
from schedlab.jobs import JobManager  # noqa: E402
from schedlab.model import CNN  # noqa: E402
from schedlab.oracle import build_optimizer, build_scheduler  # noqa: E402
from schedlab.store import RunStore  # noqa: E402
from schedlab.train import MEAN, STD, TrainConfig, train  # noqa: E402

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
            jobs.ensure_workers()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
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
    write_section("train_bench", render(rows, waits, digits, args.rounds))


def render(rows, waits, digits, rounds: int) -> str:
    lines = [
        "## Training throughput (`bench/train_bench.py`)",
        "",
        f"Measured {machine()}, torch threads {torch.get_num_threads()}. Data: {digits.name} "
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
        lines.append("| cuda | not measured: no GPU on this machine | | | | | |")
    lines += ["", f"First stored metric after Start, warm worker: median "
                  f"{statistics.median(waits) * 1e3:.0f} ms (max {max(waits) * 1e3:.0f} ms, "
                  f"{len(waits)} runs)."]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
