"""Workers under store and process faults: they carry on, or end their run and exit."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from schedlab.jobs.manager import JobManager
from schedlab.jobs.store import RunStore
from tests.faults import LONG, SCHEDULE, error_of, exited, wait

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
APP = """
import time
from schedlab.jobs.manager import JobManager
from tests.faults import LONG, SCHEDULE
jobs = JobManager({db!r}, max_jobs=1)
jobs.submit(SCHEDULE, LONG, "orphaned")
while True:  # the Train page's poll
    jobs.supervise()
    time.sleep(1)
"""
BROKEN_HEART = """
from schedlab.jobs import worker
from schedlab.jobs.store import RunStore
beat = RunStore.beat
def broken(self, *args):  # beats until the run streams, then a bug
    if self.run({run_id})["total_steps"]:
        raise RuntimeError("a bug in the heartbeat")
    beat(self, *args)
RunStore.beat = broken
worker.serve({db!r})
"""


@pytest.fixture
def jobs(tmp_path):
    manager = JobManager(tmp_path / "runs.sqlite3", max_jobs=1)
    yield manager
    manager.shutdown()


def training(jobs: JobManager) -> tuple[int, int]:
    """A long run, once it streams metrics: (run id, its worker's pid)."""
    run_id = jobs.submit(SCHEDULE, LONG, "long")
    wait(lambda: len(jobs.store.steps(run_id)) >= 2, what="metrics")
    return run_id, jobs.store.run(run_id)["worker_pid"]


def hold_lock(db: Path, seconds: float) -> None:
    """Another program holding the store's write lock for a while."""
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


def test_a_store_locked_for_a_while_does_not_stop_the_heartbeat_or_the_run(jobs) -> None:
    run_id, pid = training(jobs)
    hold_lock(jobs.db_path, 3.0)  # longer than a heartbeat waits for a lock
    log = jobs.db_path.with_suffix(".worker.log").read_text()
    assert "heartbeat failed, retrying" in log
    count = len(jobs.store.steps(run_id))
    wait(lambda: len(jobs.store.steps(run_id)) > count + 3, what="more metrics")
    wait(lambda: time.time() - jobs.store.workers()[0]["heartbeat"] < 1.0, what="a heartbeat")
    assert jobs.supervise() is None
    assert jobs.store.run(run_id)["status"] == "running" and not exited(pid)


def test_a_store_failing_beyond_the_grace_time_ends_the_run_and_the_worker(
        tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCHEDLAB_STORE_GRACE", "1")
    jobs = JobManager(tmp_path / "runs.sqlite3", max_jobs=1)
    try:
        run_id, pid = training(jobs)
        hold_lock(jobs.db_path, 6.0)
        wait(lambda: exited(pid), timeout=10, what="the worker to exit")
        jobs.supervise()  # as the page's next poll does
        row = jobs.store.run(run_id)
        assert row["status"] == "interrupted" and "metrics stored so far are kept" in error_of(row)
    finally:
        jobs.shutdown()


def test_a_store_deleted_under_a_running_worker_ends_it_and_a_new_store_starts(jobs) -> None:
    _, pid = training(jobs)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{jobs.db_path}{suffix}").unlink(missing_ok=True)
    wait(lambda: exited(pid), timeout=10, what="the worker to exit")
    assert jobs.supervise() is None  # the page's next poll: a new, empty store
    said = str(jobs.notices[-1])
    assert "deleted or replaced" in said and str(jobs.db_path) in said
    assert jobs.store.runs().empty and jobs.db_path.exists()


def test_a_worker_exits_within_10_s_of_its_app_being_killed(tmp_path) -> None:
    db = tmp_path / "runs.sqlite3"
    app = subprocess.Popen([sys.executable, "-c", APP.format(db=str(db))], cwd=ROOT)
    try:
        store = wait(lambda: db.exists() and RunStore(db), what="the store")
        wait(lambda: len(store.steps(1)) >= 2, what="metrics")
        pid = store.run(1)["worker_pid"]
        app.kill()
        app.wait()
        killed = time.monotonic()
        wait(lambda: exited(pid), timeout=10, what="the worker to exit")
        assert time.monotonic() - killed < 10
        row = store.run(1)
        assert row["status"] == "interrupted" and "app that started" in error_of(row)
    finally:
        app.kill()


def test_a_worker_whose_heartbeat_thread_dies_exits(tmp_path) -> None:
    db = tmp_path / "runs.sqlite3"
    store = RunStore(db)
    run_id = store.submit("long", SCHEDULE.to_json(), LONG.to_dict())
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-c", BROKEN_HEART.format(db=str(db), run_id=run_id)],
            cwd=ROOT, stderr=out)
    try:
        assert worker.wait(timeout=90) == 0  # it ended itself, cleanly
        row = store.run(run_id)
        assert row["status"] == "interrupted" and "heartbeat thread stopped" in error_of(row)
        assert "a bug in the heartbeat" in log.read_text()
    finally:
        worker.kill()


def test_shutdown_ends_runs_as_interrupted(jobs) -> None:
    run_id, pid = training(jobs)
    jobs.shutdown()
    assert exited(pid)
    row = jobs.store.run(run_id)
    assert row["status"] == "interrupted" and "asked to shut down" in error_of(row)
    from schedlab.messages import unstored  # kept by its code: a Chinese page says it so

    assert unstored(row["error"]).render("zh") == "收到关闭请求；已保存的指标都会保留"


def test_releasing_the_manager_stops_idle_workers_but_never_a_run(tmp_path) -> None:
    """What clearing the page's cache does: idle workers go, a training one finishes."""
    idle = JobManager(tmp_path / "idle.sqlite3", max_jobs=1)
    idle.supervise()
    pid = wait(lambda: idle.store.workers() and idle.store.workers()[0]["pid"], what="warm")
    idle.release()
    assert exited(pid)
    jobs = JobManager(tmp_path / "runs.sqlite3", max_jobs=1)
    try:
        run_id, pid = training(jobs)
        jobs.release()
        count = len(jobs.store.steps(run_id))
        wait(lambda: len(jobs.store.steps(run_id)) > count + 3, what="more metrics")
        assert jobs.store.run(run_id)["status"] == "running" and not exited(pid)
    finally:
        jobs.shutdown()  # the training worker is still its child


def test_a_run_claimed_just_before_the_release_is_not_interrupted(jobs) -> None:
    """A worker names its run in its heartbeat only every half second; the claim itself
    must already keep the run from being taken for an idle worker's."""
    jobs.supervise()
    wait(lambda: jobs.store.workers(), what="a warm worker")
    run_id = jobs.submit(SCHEDULE, LONG, "just claimed")
    pid = wait(lambda: jobs.store.run(run_id)["worker_pid"], what="the claim", every=0.002)
    jobs.release()
    wait(lambda: len(jobs.store.steps(run_id)) >= 3, what="metrics")
    assert jobs.store.run(run_id)["status"] == "running" and not exited(pid)


def test_a_run_failing_part_way_keeps_its_metrics_and_names_the_step(tmp_path) -> None:
    """Any exception after training began (here from the worker's own stop check, in the
    worker's real loop, on a real store) fails the run at a named step, metrics kept."""
    from schedlab.jobs.worker import run_job
    from schedlab.training.loop import TrainConfig

    store = RunStore(tmp_path / "runs.sqlite3")
    config = TrainConfig(epochs=2, model="mlp", data="offline", batch_size=500, log_every=4)
    run_id = store.submit("fails", SCHEDULE.to_json(), config.to_dict())
    job = store.claim_next(pid=1)
    calls = []

    def ending() -> None:
        calls.append(1)
        if len(calls) == 11:  # asked before each batch: steps 1-10 run, step 11 fails
            raise OSError("the disk went away")

    assert run_job(store, job, ending)
    row = store.run(run_id)
    assert row["status"] == "failed"
    assert error_of(row).startswith("stopped at step 11 of 16: unexpected error: OSError: "
                                   "the disk went away")
    assert "kept" in error_of(row)
    assert list(store.steps(run_id)["step"]) == [0, 4, 8]  # everything stored stays
    assert len(store.epochs(run_id)) == 1
