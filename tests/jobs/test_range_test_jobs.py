"""LR range tests as jobs: the same queue, workers and store as training runs, kept apart
from the training history; stores from before them keep working."""

from __future__ import annotations

import json
import sqlite3

import pytest

from schedlab.jobs.manager import JobManager
from schedlab.jobs.store import RunStore
from schedlab.source.parse import parse_optimizer
from schedlab.training.lrfind import RangeTest
from tests.faults import QUICK, SCHEDULE, wait

pytestmark = pytest.mark.slow
SWEEP = RangeTest(start_lr=1e-5, end_lr=1.0, steps=30, data="offline", model="mlp")


def test_a_range_test_runs_on_a_worker_and_stays_out_of_the_training_history(tmp_path):
    jobs = JobManager(tmp_path / "runs.sqlite3", max_jobs=1)
    try:
        trained = jobs.submit(SCHEDULE, QUICK, "a training run")
        swept = jobs.submit_range_test(parse_optimizer("Adam(model.parameters(), lr=1e-3)"),
                                       SWEEP, "a sweep")
        wait(lambda: jobs.supervise() or jobs.store.run(swept)["status"] not in (
            "queued", "running"), timeout=240, what="the sweep to end")
        row = jobs.store.run(swept)
        assert row["status"] == "done", row["error"]
        assert row["kind"] == "lr-find" and json.loads(row["config"])["steps"] == 30
        steps = jobs.store.steps(swept)
        assert 2 <= len(steps) <= 30 and steps["lr"].iloc[0] == pytest.approx(1e-5)
        assert steps["loss"].notna().all() and steps["lr"].is_monotonic_increasing
        assert jobs.store.run(trained)["status"] == "done"  # FIFO: the training run first
        assert list(jobs.store.runs()["id"]) == [trained]
        assert list(jobs.store.runs("lr-find")["id"]) == [swept]
        assert [i for i, _ in jobs.store.activity("lr-find")[1]] == []
        assert jobs.store.activity()[0] == trained and jobs.store.activity("lr-find")[0] == swept
    finally:
        jobs.shutdown()


OLD_SCHEMA = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL, started REAL, finished REAL,
    status TEXT NOT NULL, label TEXT NOT NULL,
    schedule TEXT NOT NULL, config TEXT NOT NULL,
    device TEXT, data TEXT, total_steps INTEGER, batches_per_epoch INTEGER,
    test_acc REAL, samples_per_s REAL, error TEXT,
    worker_pid INTEGER, stop_requested INTEGER NOT NULL DEFAULT 0);
INSERT INTO runs (created, status, label, schedule, config)
    VALUES (1.0, 'done', 'from before', '{}', '{}');
"""


@pytest.mark.parametrize("readonly", [False, True])
def test_a_store_from_before_range_tests_keeps_its_runs(tmp_path, readonly) -> None:
    path = tmp_path / "runs.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    db.close()
    store = RunStore(path, readonly=readonly)
    assert list(store.runs()["label"]) == ["from before"]
    assert store.runs("lr-find").empty and store.activity() == (1, [])
    if not readonly:  # the column was added, the old run counted as training
        assert store.run(1)["kind"] == "train"
        swept = store.submit("sweep", "{}", SWEEP.to_dict(), kind="lr-find")
        assert list(store.runs("lr-find")["id"]) == [swept]
