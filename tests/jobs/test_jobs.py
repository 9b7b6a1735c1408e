"""Runs in worker processes the app starts itself: queue, stop, crashes, restarts."""

from __future__ import annotations

import os
import signal
import time

import pytest
import torch

from schedlab.jobs.manager import JobManager, worker_env
from schedlab.jobs.store import RunStore
from schedlab.jobs.worker import limit_threads, thread_budget
from tests.faults import LONG, QUICK, SCHEDULE, error_of, wait

POLL = 1.0  # seconds between two polls of the Train page


@pytest.fixture
def jobs(tmp_path):
    manager = JobManager(tmp_path / "runs.sqlite3", max_jobs=1)
    yield manager
    manager.shutdown()


def status(jobs: JobManager, run_id: int) -> str:
    return jobs.store.run(run_id)["status"]


@pytest.mark.slow
def test_fifo_queue_one_at_a_time_then_results(jobs) -> None:
    first = jobs.submit(SCHEDULE, LONG, "first")
    second = jobs.submit(SCHEDULE, QUICK, "second")
    wait(lambda: status(jobs, first) == "running", what="first run to start")
    assert status(jobs, second) == "queued" and jobs.queue_position(second) == 1
    wait(lambda: not jobs.store.steps(first).empty, what="first metrics")
    jobs.stop(first)
    wait(lambda: status(jobs, second) == "done", what="second run to finish")
    assert status(jobs, first) == "stopped"
    run = jobs.store.run(second)
    assert run["test_acc"] > 0.5 and run["data"] == "MNIST, 5,000-digit offline subset"
    assert len(jobs.store.steps(second)) == 8 and len(jobs.store.epochs(second)) == 1


@pytest.mark.slow
def test_stop_ends_a_run_within_a_batch_and_queued_runs_at_once(jobs) -> None:
    run_id = jobs.submit(SCHEDULE, LONG, "long")
    queued = jobs.submit(SCHEDULE, LONG, "waiting")
    wait(lambda: len(jobs.store.steps(run_id)) >= 2, what="metrics")
    jobs.stop(queued)
    assert status(jobs, queued) == "stopped"
    asked = time.monotonic()
    jobs.stop(run_id)
    wait(lambda: status(jobs, run_id) == "stopped", timeout=10, what="the stop")
    assert time.monotonic() - asked < 2.0  # checked every batch (and every 0.2 s)
    count = len(jobs.store.steps(run_id))
    time.sleep(0.5)
    assert len(jobs.store.steps(run_id)) == count  # nothing more is written


@pytest.mark.slow
def test_a_killed_worker_is_found_by_the_page_poll_and_the_queue_moves_on(jobs,
                                                                         tmp_path) -> None:
    """SIGKILL while the page polls (it supervises once a second): the run is interrupted
    within 5 s with its rows, and the run queued behind it trains."""
    run_id = jobs.submit(SCHEDULE, LONG, "doomed")
    queued = jobs.submit(SCHEDULE, QUICK, "next in line")
    wait(lambda: len(jobs.store.steps(run_id)) >= 3, what="metrics")
    os.kill(jobs.store.run(run_id)["worker_pid"], signal.SIGKILL)
    killed = time.monotonic()
    wait(lambda: jobs.supervise() is None and status(jobs, run_id) == "interrupted",
         timeout=5, every=POLL, what="the run to be marked interrupted")
    assert time.monotonic() - killed < 5
    kept = len(jobs.store.steps(run_id))
    assert kept >= 3 and "stopped unexpectedly" in error_of(jobs.store.run(run_id))
    wait(lambda: jobs.supervise() is None and status(jobs, queued) == "done", every=POLL,
         what="the queued run to train")
    # a server restart: a new manager on the same store keeps the history and trains on
    again = JobManager(tmp_path / "runs.sqlite3", max_jobs=1)
    try:
        assert len(again.store.steps(run_id)) == kept
        after = again.submit(SCHEDULE, QUICK, "after restart")
        wait(lambda: again.store.run(after)["status"] == "done", what="a run after restart")
    finally:
        again.shutdown()


def test_a_run_that_ignores_stop_is_ended_by_force(tmp_path) -> None:
    """The worker's watchdog, with a batch that never ends: the run is marked stopped and
    the worker exits on its own."""
    import subprocess
    import sys

    db = str(tmp_path / "runs.sqlite3")
    store = RunStore(db)
    run_id = store.submit("stuck", SCHEDULE.to_json(), QUICK.to_dict())
    stuck = (f"import os, threading, time\n"
             f"from schedlab.jobs import worker\n"
             f"from schedlab.jobs.store import RunStore\n"
             f"w = worker.Worker({db!r}, None)\n"
             f"store = RunStore({db!r})\n"
             f"w.identity, w.run = store.identity, store.claim_next(os.getpid())['id']\n"
             f"threading.Thread(target=worker._heartbeat, args=(w,), daemon=True).start()\n"
             f"time.sleep(120)  # a batch that never ends\n")
    proc = subprocess.Popen([sys.executable, "-c", stuck],
                            env={**os.environ, "SCHEDLAB_STOP_GRACE": "0.2"})
    try:
        wait(lambda: store.run(run_id)["status"] == "running", what="the claim")
        store.request_stop(run_id)
        assert proc.wait(timeout=20) == 0  # it ended itself
        assert store.run(run_id)["status"] == "stopped"
        assert error_of(store.run(run_id)) == "stopped by force after 0.2 s"
    finally:
        proc.kill()


def test_workers_share_the_cores_among_the_runs_at_once(monkeypatch) -> None:
    """Each worker gets cores / SCHEDLAB_MAX_JOBS torch threads (at least one), and OpenMP
    threads that sleep while they wait, unless the user chose otherwise."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert [thread_budget(n) for n in (1, 2, 3, 16)] == [8, 4, 2, 1]
    env = worker_env(2)
    assert env["SCHEDLAB_WORKER_THREADS"] == "4" and env["OMP_WAIT_POLICY"] == "PASSIVE"
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert worker_env(2)["OMP_WAIT_POLICY"] == "ACTIVE"
    before = torch.get_num_threads()
    monkeypatch.setenv("SCHEDLAB_WORKER_THREADS", "1")
    try:
        assert limit_threads() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
