"""The training worker: a process the app starts itself, running queued runs one at a time.

It claims the oldest queued run, streams its events into the store, and asks the store
between batches whether the run should stop. A heartbeat thread keeps the worker's row
fresh, ends the worker when the app that started it is gone, and enforces the hard stop:
a run asked to stop that has not ended within ``GRACE`` seconds is marked stopped and the
worker exits (the app starts a fresh one).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from schedlab.data import load_digits
from schedlab.errors import DataError, ScheduleError
from schedlab.schedule import Schedule
from schedlab.store import RunStore
from schedlab.train import TrainConfig, train

HEARTBEAT = 0.5  # seconds between heartbeats
GRACE = float(os.environ.get("SCHEDLAB_STOP_GRACE", 5.0))  # seconds to stop cleanly
IDLE_POLL = 0.1  # seconds between looks at the queue when idle
STOP_POLL = 0.2  # seconds between looks at a run's stop flag


def serve(db_path: str | Path, parent: int | None = None) -> None:
    """Run queued runs until the parent process (the app) goes away."""
    pid = os.getpid()
    store = RunStore(db_path)
    _warm_up()  # registered (by the first heartbeat) only once warm
    current: dict[str, int | None] = {"run": None}
    threading.Thread(target=_keepalive, args=(db_path, pid, parent, current), daemon=True,
                     name="heartbeat").start()
    try:
        while parent is None or os.getppid() == parent:
            job = store.claim_next(pid)
            if job is None:
                time.sleep(IDLE_POLL)
                continue
            current["run"] = job["id"]
            run_job(store, job)
            current["run"] = None
    finally:
        store.forget_worker(pid)


def run_job(store: RunStore, job) -> None:
    """Train one claimed run, recording every event; failures become a clear status."""
    run_id = job["id"]
    asked = {"at": 0.0, "answer": False}

    def stop() -> bool:
        now = time.monotonic()
        if now - asked["at"] >= STOP_POLL:
            asked["at"], asked["answer"] = now, store.stop_requested(run_id)
        return asked["answer"]

    try:
        schedule = Schedule.from_json(job["schedule"])
        config = TrainConfig.from_dict(json.loads(job["config"]))
        for event in train(schedule, config, stop):
            store.record(run_id, event)
    except (ScheduleError, DataError) as exc:
        store.finish(run_id, "failed", str(exc))
    except Exception as exc:  # a worker outlives any one run
        store.finish(run_id, "failed", f"unexpected error: {type(exc).__name__}: {exc}")


def _keepalive(db_path, pid: int, parent: int | None, current: dict) -> None:
    store = RunStore(db_path)  # this thread's own connection
    stop_seen: dict[int, float] = {}
    while True:
        run_id = current["run"]
        store.beat(pid, run_id)
        if parent is not None and os.getppid() != parent:
            os._exit(0)  # the app is gone; a running run is marked interrupted on restart
        if run_id is not None and store.stop_requested(run_id):
            first = stop_seen.setdefault(run_id, time.monotonic())
            if time.monotonic() - first > GRACE and current["run"] == run_id:
                store.finish(run_id, "stopped", f"stopped by force after {GRACE:g} s",
                             only_if_running=True)
                store.forget_worker(pid)
                os._exit(0)
        time.sleep(HEARTBEAT)


def _warm_up() -> None:
    """Load the default data and take one CNN training step with a scheduler, so the first
    run starts at once (torch imports parts of itself on first use: seconds)."""
    try:
        import torch

        from schedlab.curve import compute_curve
        from schedlab.examples import example_schedule
        from schedlab.model import build_model, param_groups
        from schedlab.oracle import build_optimizer, build_scheduler

        load_digits("auto")
        schedule = example_schedule("StepLR")
        compute_curve(schedule, 2)
        model = build_model("cnn")
        optimizer = build_optimizer(schedule, param_groups(model, 1))
        scheduler = build_scheduler(schedule.scheduler, optimizer)
        model(torch.zeros(64, 1, 28, 28)).sum().backward()
        optimizer.step()
        scheduler.step()
    except (DataError, ScheduleError, RuntimeError):
        pass  # a run that needs them reports the problem itself
