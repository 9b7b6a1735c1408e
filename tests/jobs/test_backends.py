"""Both backends, the same tests, with the store on PostgreSQL: local worker processes
(``SCHEDLAB_JOBS=local``) and a real local Ray cluster with 2 CPUs (``ray``). Runs queued
from the command line train after the command has exited, in FIFO order; Stop ends them;
a worker or task that dies leaves its run interrupted, its metrics kept."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from schedlab.jobs.store import connect
from tests.faults import error_of, wait

pytestmark = pytest.mark.slow
QUICK = ["--epochs", "1", "--model", "mlp", "--data", "offline", "--batch-size", "500",
         "--log-every", "1"]
STEP = "StepLR(optimizer, step_size=500)"


@pytest.fixture(params=["local", "ray"])
def backend(request, pg_url, tmp_path):
    """The command line's environment for one backend, and the store."""
    env = {**os.environ, "SCHEDLAB_JOBS": request.param, "SCHEDLAB_STORE": pg_url,
           "SCHEDLAB_DATA": str(tmp_path), "SCHEDLAB_STOP_GRACE": "2"}
    if request.param == "ray":
        env.update(request.getfixturevalue("ray_cluster"))
    yield env, connect(pg_url)
    store = connect(pg_url)  # nothing of this test trains on into the next one
    for row in store.summaries():
        if row["status"] in ("queued", "running"):
            store.request_stop(row["id"])
    wait(lambda: not store.active(), timeout=30, what="the runs to end")
    for row in store.workers():  # a detached local worker would wait a minute for more
        try:
            os.kill(row["pid"], signal.SIGTERM)
        except ProcessLookupError:
            pass


def submit(env, *args: str) -> int:
    done = subprocess.run([sys.executable, "-m", "schedlab", "train", *args, "--submit"],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert line["event"] == "submitted"
    return line["run_id"]


def test_runs_submitted_from_the_command_line_train_after_it_in_order(backend) -> None:
    env, store = backend
    ids = [submit(env, "--scheduler", "CosineAnnealingLR(optimizer, T_max=8)", *QUICK)
           for _ in range(4)]
    wait(lambda: all(store.run(i)["status"] == "done" for i in ids), timeout=240,
         what="four runs on the cluster")
    runs = [store.run(i) for i in ids]
    assert all(r["test_acc"] > 0.5 and len(store.steps(r["id"])) == 8 for r in runs)
    starts = [r["started"] for r in runs]
    assert starts == sorted(starts)  # FIFO
    # locally one worker, on the cluster one run a CPU of its two: never more than two
    spans = [(r["started"], r["finished"]) for r in runs]
    assert max(sum(a <= t < b for a, b in spans) for t, _ in spans) <= 2
    listed = subprocess.run([sys.executable, "-m", "schedlab", "runs", "--format", "json"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert [r["status"] for r in json.loads(listed.stdout)] == ["done"] * 4


def test_stop_ends_a_run_and_a_killed_worker_leaves_its_run_interrupted(backend) -> None:
    env, store = backend
    args = ["--scheduler", STEP, "--epochs", "100", "--model", "mlp", "--data", "offline",
            "--batch-size", "64", "--log-every", "5"]
    stopped = submit(env, *args)
    wait(lambda: len(store.steps(stopped)) >= 2, timeout=180, what="the run training")
    store.request_stop(stopped)
    wait(lambda: store.run(stopped)["status"] == "stopped", timeout=30, what="the stop")
    killed = submit(env, *args)
    wait(lambda: len(store.steps(killed)) >= 2, timeout=180, what="the next run training")
    kept = len(store.steps(killed))
    os.kill(store.run(killed)["worker_pid"], signal.SIGKILL)  # as a machine that dies
    if env["SCHEDLAB_JOBS"] == "local":  # no app runs here: the next command notices
        wait(lambda: store.workers() == [] or all(
            time.time() - w["heartbeat"] > 5 for w in store.workers()), timeout=20,
            what="the heartbeat to go stale")
        submit(env, "--scheduler", STEP, *QUICK)
    wait(lambda: store.run(killed)["status"] == "interrupted", timeout=60,
         what="the run to be marked interrupted")
    assert len(store.steps(killed)) >= kept and "stopped unexpectedly" in error_of(
        store.run(killed))


def test_no_cluster_is_said_before_anything_is_queued(pg_url, tmp_path) -> None:
    env = {**os.environ, "SCHEDLAB_JOBS": "ray", "SCHEDLAB_STORE": pg_url,
           "RAY_ADDRESS": "127.0.0.1:1", "SCHEDLAB_DATA": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "schedlab", "train", "--scheduler", STEP,
                           *QUICK, "--submit"], env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 2 and "no Ray cluster was found" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and connect(pg_url).summaries() == []


def test_an_app_servers_manager_hands_its_queue_to_the_cluster(ray_cluster, pg_url,
                                                               monkeypatch) -> None:
    """The Train page's JobManager with SCHEDLAB_JOBS=ray starts no worker of its own."""
    import ray

    from schedlab.jobs.manager import JobManager
    from tests.faults import QUICK as CONFIG
    from tests.faults import SCHEDULE

    for key, value in {**ray_cluster, "SCHEDLAB_JOBS": "ray"}.items():
        monkeypatch.setenv(key, value)
    manager = JobManager(pg_url)
    try:
        assert manager.supervise() is None and manager.ready and not manager._children
        run_id = manager.submit(SCHEDULE, CONFIG, "from the page")
        wait(lambda: manager.supervise() is None and
             manager.store.run(run_id)["status"] == "done", timeout=240,
             what=f"run {run_id} to train on the cluster")
        assert manager.store.run(run_id)["test_acc"] > 0.5
    finally:
        manager.shutdown()
        ray.shutdown()
