"""A damaged, read-only or full run store: set aside or explained, and nothing lost."""

from __future__ import annotations

import re

import pytest

from schedlab.errors import StoreError
from schedlab.jobs.manager import JobManager
from schedlab.jobs.store import RunStore, open_store
from schedlab.jobs.storefile import StoreFull, StoreReadOnly
from schedlab.jobs.worker import run_job
from schedlab.training.loop import TrainConfig
from tests.faults import (
    DAMAGE,
    QUICK,
    SCHEDULE,
    error_of,
    garbage,
    make_sqlite_read_only,
    real_store,
)

MOVED = re.compile(r"runs\.damaged-\d{8}-\d{6}\.sqlite3$")


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_store_is_moved_aside_and_a_new_one_started(tmp_path, kind) -> None:
    path = tmp_path / "runs.sqlite3"
    make, words = DAMAGE[kind]
    make(path)
    before = path.read_bytes()
    store, said = open_store(path)
    note = str(said)
    moved = [p for p in tmp_path.iterdir() if MOVED.search(p.name)]
    assert len(moved) == 1 and moved[0].read_bytes() == before  # kept as it was
    assert words in note and str(path) in note and str(moved[0]) in note
    assert str(moved[0]) in said.render("zh") and "训练记录库" in said.render("zh")
    run_id = store.submit("fresh", SCHEDULE.to_json(), QUICK.to_dict())  # the new one works
    assert list(store.runs()["id"]) == [run_id]


def test_a_sound_store_is_left_alone(tmp_path) -> None:
    path = tmp_path / "runs.sqlite3"
    real_store(path, runs=3)
    store, note = open_store(path)
    assert note is None and len(store.runs()) == 3
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == []


def test_a_damaged_store_in_a_folder_that_refuses_the_move_says_what_to_do(
        tmp_path, monkeypatch) -> None:
    path = tmp_path / "runs.sqlite3"
    garbage(path)

    def refuse(*_):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("schedlab.jobs.storefile.os.rename", refuse)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    message = str(caught.value)
    assert str(path) in message and "could not be moved aside" in message
    assert "SCHEDLAB_DATA" in message and path.exists()


def test_a_read_only_store_keeps_its_history_and_refuses_new_runs(tmp_path,
                                                                  monkeypatch) -> None:
    path = tmp_path / "runs.sqlite3"
    real_store(path, runs=2)
    make_sqlite_read_only(monkeypatch)
    jobs = JobManager(path, max_jobs=1)
    problem = jobs.reload()
    assert isinstance(problem, StoreReadOnly)
    assert str(path) in str(problem) and "writable" in str(problem)
    assert len(jobs.store.runs()) == 2  # the history is still there to see
    assert not jobs.ready
    with pytest.raises(StoreReadOnly):
        jobs.submit(SCHEDULE, QUICK, "refused")


def test_a_store_that_fills_up_mid_run_fails_the_run_with_the_reason(tmp_path) -> None:
    path = tmp_path / "runs.sqlite3"
    store = RunStore(path)
    many = TrainConfig(epochs=5, model="mlp", data="offline", batch_size=64, log_every=1)
    store.submit("fills the disk", SCHEDULE.to_json(), many.to_dict())
    job = store.claim_next(pid=1)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # no new page: the disk is full
    assert run_job(store, job)  # the run ended and that end was stored
    row = store.run(job["id"])
    assert row["status"] == "failed"
    assert "could not be stored" in error_of(row) and "full" in error_of(row)
    assert str(path) in error_of(row)
    with pytest.raises(StoreFull, match="free some space"):
        store.check_writable()
