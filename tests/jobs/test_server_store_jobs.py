"""Runs on a PostgreSQL store: real worker processes train from it, and two app servers'
job managers on the same store see each other's runs live and either can stop them."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from schedlab.jobs.manager import JobManager
from tests.faults import LONG, QUICK, SCHEDULE, wait

pytestmark = pytest.mark.slow


@pytest.fixture
def two_servers(pg_url):
    first, second = JobManager(pg_url, max_jobs=1), JobManager(pg_url, max_jobs=1)
    yield first, second
    first.shutdown()
    second.shutdown()


def test_a_run_queued_on_one_server_trains_and_the_other_sees_and_stops(two_servers) -> None:
    a, b = two_servers
    done = a.submit(SCHEDULE, QUICK, "from server A")
    wait(lambda: b.store.run(done)["status"] == "done", what="the run to train")
    run = b.store.run(done)
    assert run["test_acc"] > 0.5 and len(b.store.steps(done)) == 8
    assert run["worker_pid"] in {*a._children, *b._children}  # a worker of either server
    long = b.submit(SCHEDULE, LONG, "from server B")
    wait(lambda: len(a.store.steps(long)) >= 2, what="metrics seen from server A")
    assert a.store.activity() == (long, [(long, "running")])
    a.stop(long)  # the other server stops it
    wait(lambda: b.store.run(long)["status"] == "stopped", timeout=10, what="the stop")


def test_the_worker_gets_the_password_from_its_environment_not_its_command_line(
        pg_url, tmp_path) -> None:
    """``ps`` shows every process's arguments to every user of the machine."""
    manager = JobManager(pg_url.replace("schedlab@", "schedlab:not-needed@"), max_jobs=1)
    try:
        wait(lambda: manager.supervise() is None and manager.ready, what="a worker")
        pid = next(iter(manager._children))
        argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        assert b"not-needed" not in b" ".join(argv) and argv[argv.index(b"--db") + 1] == b"env"
        run_id = manager.submit(SCHEDULE, QUICK, "trust auth ignores the password")
        wait(lambda: manager.store.run(run_id)["status"] == "done", what="the run")
    finally:
        manager.shutdown()


def test_the_worker_command_refuses_env_without_a_server_url(tmp_path) -> None:
    env = {**os.environ, "SCHEDLAB_STORE": str(tmp_path / "runs.sqlite3")}
    done = subprocess.run([sys.executable, "-m", "schedlab", "worker", "--db", "env"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "SCHEDLAB_STORE must be a PostgreSQL URL" in done.stderr
    assert "Traceback" not in done.stderr
