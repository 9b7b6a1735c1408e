"""The training worker: a process the app starts itself, running queued runs one at a time.

It claims the oldest queued run, streams its events into the store, and asks the store
between batches whether the run should stop. Two threads watch over it:

* the heartbeat keeps the worker's row fresh and enforces the hard stop (a run asked to
  stop that has not ended within ``GRACE`` seconds is marked stopped and the worker
  exits). Store errors never kill it: it retries with backoff and logs; when the store
  file is deleted or replaced, or keeps failing for ``STORE_GRACE`` seconds, it ends the
  worker;
* the watchdog touches no store: it ends the worker when the app that started it is gone
  or the heartbeat thread has died, and exits by force if ending cleanly takes longer
  than ``EXIT_GRACE`` seconds.

Ending cleanly means: the current run stops within one batch and is marked interrupted
with the reason (where the store still allows), then the process exits.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from schedlab.errors import StoreError
from schedlab.jobs.pgstore import is_server, located, named
from schedlab.jobs.store import RunStore, connect
from schedlab.jobs.storefile import identity
from schedlab.messages import Text
from schedlab.spec.schedule import Schedule, optimizer_from_dict
from schedlab.training.loop import TrainConfig, describe_error, train
from schedlab.training.lrfind import RangeTest, lr_find
from schedlab.training.warmup import set_threads, warm_up

HEARTBEAT = 0.5  # seconds between heartbeats
GRACE = float(os.environ.get("SCHEDLAB_STOP_GRACE", "5"))  # seconds to stop cleanly
STORE_GRACE = float(os.environ.get("SCHEDLAB_STORE_GRACE", "15"))  # store errors tolerated
EXIT_GRACE = 3.0  # seconds from deciding to end until the process exits, by force if need be
IDLE_POLL = 0.1  # seconds between looks at the queue when idle
STOP_POLL = 0.2  # seconds between looks at a run's stop flag
WATCH = 0.2  # seconds between the watchdog's looks
BEAT_WAIT = 1.0  # seconds a heartbeat waits for a lock before it counts as failed
WRITE_WAIT = 10.0  # seconds a metric write waits for a lock
log = logging.getLogger("schedlab.jobs.worker")


def thread_budget(max_jobs: int) -> int:
    """torch threads per worker: the cores this process may run on, shared by ``max_jobs``
    concurrent runs (at least 1), so that runs share the cores instead of thrashing."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, max_jobs))


def limit_threads() -> int:
    """Give torch the thread budget the app chose (``SCHEDLAB_WORKER_THREADS``, else all
    the cores); the number of threads."""
    threads = int(os.environ.get("SCHEDLAB_WORKER_THREADS") or thread_budget(1))
    set_threads(threads)
    return threads


class Worker:
    """What the training loop and the two watch threads share."""

    def __init__(self, db_path: str | Path, parent: int | None) -> None:
        self.db_path = located(db_path)
        self.parent, self.pid = parent, os.getpid()
        self.identity: tuple[int, int] | None = None  # the file as opened (see gone())
        self.run: int | None = None  # the run being trained
        self.reason: Text | None = None  # why the worker is ending, once it is
        self.ending_since = 0.0
        self.heart: threading.Thread | None = None
        self.retiring = False  # claim no other run: exit once the current one ends

    def retire(self) -> None:
        """The app let this worker go: finish the run in hand, if any, then exit."""
        if not self.retiring:
            self.retiring = True
            log.info("retiring: %s", f"after run {self.run}" if self.run else "idle")

    def end(self, reason: Text) -> None:
        """End the worker: the current run stops within a batch, then the process exits."""
        if self.reason is None:
            self.reason, self.ending_since = reason, time.monotonic()
            log.warning("ending: %s", reason)

    def gone(self) -> bool:
        """Whether the store file was deleted or replaced since the worker opened it (a
        server cannot be)."""
        return not is_server(self.db_path) and identity(self.db_path) != self.identity

    def ending(self) -> Text | None:
        """The reason the worker is ending, or None."""
        return self.reason


def serve(db_path: str | Path, parent: int | None = None,
          until_idle: float | None = None) -> None:
    """Run queued runs until the parent process (the app) goes away, or, given
    ``until_idle``, until the queue has been empty for that many seconds."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s worker %(process)d %(levelname)s %(message)s")
    threads = limit_threads()
    worker = Worker(db_path, parent)
    signal.signal(signal.SIGTERM, lambda *_: worker.end(Text("run.end.shutdown")))
    signal.signal(signal.SIGUSR1, lambda *_: worker.retire())
    try:
        store = connect(worker.db_path, timeout=WRITE_WAIT)
    except StoreError:  # the command line says so in one line (into the worker's log when
        raise  # the app started it) and exits 2
    worker.identity = store.identity
    threading.Thread(target=_watchdog, args=(worker,), daemon=True, name="watchdog").start()
    warm_up()  # registered (by the first heartbeat) only once warm
    worker.heart = threading.Thread(target=_heartbeat, args=(worker,), daemon=True,
                                    name="heartbeat")
    worker.heart.start()
    log.info("serving %s with %d torch threads (schedlab from %s)", named(db_path), threads,
             Path(__file__).resolve().parents[1])
    delay, idle_since = IDLE_POLL, time.monotonic()
    try:
        while not worker.ending() and not worker.retiring:
            if until_idle is not None and time.monotonic() - idle_since > until_idle:
                log.info("the queue has been empty for %g s", until_idle)
                break
            try:
                job = store.claim_next(worker.pid)
            except StoreError as exc:  # the heartbeat decides when the store is hopeless
                log.warning("cannot look at the queue: %s", exc)
                delay = min(2 * delay, 2.0)
                time.sleep(delay)
                continue
            delay = IDLE_POLL
            if job is None:
                time.sleep(IDLE_POLL)
                continue
            worker.run = job["id"]
            if not run_job(store, job, worker.ending):
                worker.end(Text("run.end.not-stored"))
            worker.run, idle_since = None, time.monotonic()
    finally:
        try:
            store.forget_worker(worker.pid)
        except StoreError:
            pass  # the app forgets a worker whose heartbeat stopped
    log.info("exiting: %s", worker.reason or "retired")


def run_job(store: RunStore, job, ending: Callable[[], Text | None] = lambda: None) -> bool:
    """Train one claimed run, recording every event; failures become a clear status, and a
    run cut short by ``ending()`` (a reason) is marked interrupted with that reason.
    Returns False when the run's end could not be stored."""
    run_id = job["id"]
    asked = {"at": 0.0, "answer": False, "ended_for": None}

    def stop() -> bool:
        asked["ended_for"] = ending()
        if asked["ended_for"]:
            return True
        now = time.monotonic()
        if now - asked["at"] >= STOP_POLL:
            try:
                asked["answer"] = store.should_stop(run_id)
            except StoreError as exc:  # a passing lock: keep training, writes will tell
                log.warning("cannot read the stop flag of run %s: %s", run_id, exc)
            asked["at"] = now
        return asked["answer"]

    outcome: tuple[str, Text] | None = None
    try:
        if job["kind"] == "lr-find":  # an LR range test: an optimizer and a sweep
            events = lr_find(optimizer_from_dict(json.loads(job["schedule"])),
                             RangeTest.from_dict(json.loads(job["config"])), stop)
        else:
            events = train(Schedule.from_json(job["schedule"]),
                           TrainConfig.from_dict(json.loads(job["config"])), stop)
        for event in events:
            store.record(run_id, event)
    except StoreError as exc:
        outcome = ("failed", Text("run.error.store", {"error": str(exc)}))
    except Exception as exc:  # a worker outlives any one run; the message names the step
        said = describe_error(exc)
        outcome = ("failed", Text("run.error.kept", {"error": said})
                   if hasattr(exc, "stopped_at") else said)
    if asked["ended_for"]:
        outcome = ("interrupted", Text("run.error.kept", {"error": asked["ended_for"]}))
    if outcome is None:
        return True
    log.warning("run %s %s: %s", run_id, *outcome)
    try:
        store.finish(run_id, *outcome)
    except StoreError as exc:
        log.error("cannot store the end of run %s: %s", run_id, exc)
        return False
    return True


def _heartbeat(worker: Worker) -> None:
    """Beat every HEARTBEAT s, whatever the store does (see the module's docstring)."""
    try:
        store: RunStore | None = None
        failing_since: float | None = None
        delay, stop_seen = HEARTBEAT, {}  # run id -> when its stop was first seen
        while True:
            if worker.gone():
                worker.end(Text("run.end.store-gone", {"path": str(worker.db_path)}))
                return
            try:
                store = store or connect(worker.db_path, timeout=BEAT_WAIT)
                run_id = worker.run
                store.beat(worker.pid, run_id)
                _enforce_stop(store, worker, run_id, stop_seen)
                failing_since, delay = None, HEARTBEAT
            except StoreError as exc:
                now = time.monotonic()
                failing_since = failing_since or now
                if now - failing_since > STORE_GRACE:
                    worker.end(Text("run.end.store-failing", {"seconds": STORE_GRACE,
                                                              "error": str(exc)}))
                log.warning("heartbeat failed, retrying in %.1f s: %s", delay, exc)
                delay = min(2 * delay, 2.0)
            time.sleep(delay)
    except BaseException:  # the watchdog sees the thread gone and ends the worker
        log.exception("the heartbeat thread failed")
        raise


def _enforce_stop(store: RunStore, worker: Worker, run_id: int | None,
                  stop_seen: dict[int, float]) -> None:
    """The hard stop: a run asked to stop (or no longer running, for a supervisor) that is
    still training after GRACE s is marked stopped and the worker exits (the app starts
    a fresh one)."""
    if run_id is None or not store.should_stop(run_id):
        return
    first = stop_seen.setdefault(run_id, time.monotonic())
    if time.monotonic() - first > GRACE and worker.run == run_id:
        store.finish(run_id, "stopped", Text("run.error.forced", {"seconds": GRACE}),
                     only_if_running=True)
        store.forget_worker(worker.pid)
        os._exit(0)


def _watchdog(worker: Worker) -> None:
    """No store here: a locked or vanished store must not keep the worker alive."""
    while True:
        if worker.parent is not None and os.getppid() != worker.parent:
            worker.end(Text("run.end.app-gone"))
        if worker.heart is not None and not worker.heart.is_alive():
            worker.end(Text("run.end.heart"))
        if worker.reason and worker.heart is None:  # still warming up: nothing to lose
            log.info("exiting while warming up: %s", worker.reason)
            os._exit(0)
        if worker.reason and time.monotonic() - worker.ending_since > EXIT_GRACE:
            log.error("exiting by force after %g s: %s", EXIT_GRACE, worker.reason)
            os._exit(3)
        time.sleep(WATCH)
