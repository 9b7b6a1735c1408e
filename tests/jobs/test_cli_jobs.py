"""``train --submit`` and ``runs``: queueing from the command line through the configured
store and backend, and listing what the store holds, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from schedlab.jobs.store import connect
from tests.faults import wait

QUICK = ["--scheduler", "CosineAnnealingLR(optimizer, T_max=8)", "--epochs", "1", "--model",
         "mlp", "--data", "offline", "--batch-size", "500", "--log-every", "1"]


def schedlab(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "schedlab", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def settings(request, tmp_path):
    """The environment of a user of the command line: a data folder of their own, and the
    store left to its default (SQLite there) or on the test's PostgreSQL."""
    env = {"SCHEDLAB_DATA": str(tmp_path / "data")}
    if request.param == "postgresql":
        env["SCHEDLAB_STORE"] = request.getfixturevalue("pg_url")
    location = env.get("SCHEDLAB_STORE") or str(tmp_path / "data" / "runs.sqlite3")
    yield env, location
    if os.path.exists(location) or request.param == "postgresql":
        store = connect(location)
        for row in store.workers():  # the detached worker would wait a minute for more
            try:
                os.kill(row["pid"], signal.SIGTERM)
            except ProcessLookupError:
                pass
        store.close()


@pytest.mark.slow
def test_a_submitted_run_trains_after_the_command_has_exited_and_is_listed(settings) -> None:
    env, location = settings
    done = schedlab("train", *QUICK, "--submit", env=env)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert line == {"event": "submitted", "run_id": 1}
    store = connect(location)
    wait(lambda: store.run(1)["status"] == "done", timeout=90, what="the submitted run")
    listed = schedlab("runs", "--format", "json", env=env)
    assert listed.returncode == 0, listed.stderr
    (run,) = json.loads(listed.stdout)
    assert (run["id"], run["status"], run["steps"]) == (1, "done", 8)
    assert run["test_acc"] > 0.5 and run["label"].startswith("CosineAnnealingLR")
    text = schedlab("runs", env=env).stdout.splitlines()
    assert text[0].split() == ["id", "status", "steps", "accuracy", "device", "label"]
    assert text[1].split()[:3] == ["1", "done", "8"]


def test_runs_of_a_store_not_made_yet_is_an_empty_list(tmp_path) -> None:
    env = {"SCHEDLAB_DATA": str(tmp_path / "nothing-here")}
    assert schedlab("runs", "--format", "json", env=env).stdout == "[]\n"
    assert schedlab("runs", env=env).stdout == "no runs yet\n"
    assert not (tmp_path / "nothing-here").exists()  # listing creates nothing


def test_the_session_cap_refuses_a_second_run_from_the_command_line(tmp_path) -> None:
    env = {"SCHEDLAB_DATA": str(tmp_path), "SCHEDLAB_MAX_SESSION_RUNS": "1",
           "SCHEDLAB_JOBS": "local"}
    store = connect(tmp_path / "runs.sqlite3")
    store.beat(os.getpid())  # a live worker "beats" (this test): nothing is started
    first = schedlab("train", *QUICK, "--submit", env=env)
    assert first.returncode == 0, first.stderr
    second = schedlab("train", *QUICK, "--submit", env=env)
    assert second.returncode == 2 and second.stdout == ""
    assert "as many runs queued or running as one session may have (1)" in second.stderr
    assert [r["status"] for r in store.summaries()] == ["queued"]


@pytest.mark.parametrize("key, value, said", [
    ("SCHEDLAB_JOBS", "kubernetes", "SCHEDLAB_JOBS must be one of local, ray"),
    ("SCHEDLAB_STORE", "mysql://bob:hunter2@db/runs", "must be a PostgreSQL URL"),
    ("SCHEDLAB_MAX_SESSION_RUNS", "lots", "whole number from 1 to 100,000"),
    ("SCHEDLAB_MAX_QUEUED_RUNS", "0", "whole number from 1 to 100,000"),
    ("SCHEDLAB_STORE", "postgresql://alice:s3cret@127.0.0.1:1/runs", "cannot be reached"),
])
def test_settings_that_cannot_work_are_refused_in_one_line(tmp_path, key, value, said) -> None:
    done = schedlab("train", *QUICK, "--submit", env={"SCHEDLAB_DATA": str(tmp_path),
                                                      key: value})
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "hunter2" not in done.stderr
    assert "s3cret" not in done.stderr and done.stderr.count("\n") == 1
