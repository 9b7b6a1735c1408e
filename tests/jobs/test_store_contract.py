"""What every run store does, the same on SQLite (the embedded default) and on a real
PostgreSQL server (``SCHEDLAB_STORE``): the queue, its claims from several workers and
processes, stops, events and metrics, workers' heartbeats and orphaned runs."""

from __future__ import annotations

import multiprocessing
import threading
import time

import psycopg
import pytest

from schedlab.errors import ConfigError, LimitError, StoreError
from schedlab.jobs.manager import default_store_path
from schedlab.jobs.pgstore import PgStore
from schedlab.jobs.queries import Caps
from schedlab.jobs.store import RunStore, connect
from schedlab.messages import Text
from tests.faults import QUICK, SCHEDULE, error_of
from tests.servers import free_port


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def location(request, tmp_path) -> str:
    """Where a store lives: an SQLite file, or a database on the test's PostgreSQL."""
    if request.param == "sqlite":
        return str(tmp_path / "runs.sqlite3")
    return request.getfixturevalue("pg_url")


def _queue(store, n: int) -> list[int]:
    return [store.submit(f"r{i}", SCHEDULE.to_json(), QUICK.to_dict()) for i in range(n)]


def test_the_location_picks_the_store(location) -> None:
    store = connect(location)
    assert isinstance(store, PgStore if location.startswith("postgresql") else RunStore)
    store.close()


def test_each_queued_run_goes_to_one_worker_oldest_first(location) -> None:
    store = connect(location)
    ids = _queue(store, 30)
    assert [store.queue_position(i) for i in ids[:3]] == [1, 2, 3]
    assert store.claim_next(7)["id"] == ids[0]  # FIFO
    assert store.queue_position(ids[1]) == 1 and store.queue_position(ids[0]) is None
    claimed: list[int] = []

    def worker(pid: int) -> None:
        own = connect(location)
        while (row := own.claim_next(pid)) is not None:
            claimed.append(row["id"])
        own.close()

    threads = [threading.Thread(target=worker, args=(p,)) for p in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == ids[1:]  # every run once, none twice
    run = store.run(ids[1])
    assert run["status"] == "running" and run["worker_pid"] in (1, 2, 3, 4)
    assert dict(run)["label"] == "r1" and run[0] == ids[1]  # by name and by position


def _claim_all(location: str, pid: int, out) -> None:
    store = connect(location)
    while (row := store.claim_next(pid)) is not None:
        out.put(row["id"])
    store.close()


def test_workers_in_other_processes_never_take_the_same_run(location) -> None:
    """Four processes (as on four machines) claim at once."""
    store = connect(location)
    ids = _queue(store, 60)
    out = multiprocessing.get_context("spawn").Queue()
    procs = [multiprocessing.get_context("spawn").Process(target=_claim_all,
                                                          args=(location, 100 + p, out))
             for p in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    got = []
    while len(got) < len(ids) and not out.empty():
        got.append(out.get(timeout=5))
    assert sorted(got) == ids
    assert {r["status"] for r in map(store.run, ids)} == {"running"}


def test_stops_ends_and_deletes(location) -> None:
    store = connect(location)
    running, queued, other = _queue(store, 3)
    store.claim_next(1)
    assert not store.should_stop(running)
    store.request_stop(queued)  # a queued run stops at once
    assert store.run(queued)["status"] == "stopped" and store.run(queued)["finished"]
    store.request_stop(running)  # a running one is asked
    assert store.should_stop(running) and store.run(running)["status"] == "running"
    assert not store.delete(running)  # still running: kept
    store.finish(running, "stopped", Text("run.error.forced", {"seconds": 5}))
    assert store.run(running)["status"] == "stopped"
    store.finish(running, "done", only_if_running=True)  # its end is kept
    assert store.run(running)["status"] == "stopped"
    with pytest.raises(ValueError):
        store.finish(other, "running")
    assert store.delete(running) and store.run(running) is None
    assert store.should_stop(running)  # deleted: the worker must end it
    assert store.active() and store.activity() == (other, [(other, "queued")])


def test_events_and_metrics_read_from_where_a_page_left_off(location) -> None:
    store = connect(location)
    run_id = _queue(store, 1)[0]
    store.claim_next(1)
    store.record(run_id, {"event": "start", "device": "cpu", "data": "offline",
                          "total_steps": 8, "batches_per_epoch": 8})
    store.record(run_id, {"event": "step", "step": 0, "epoch": 0, "loss": 2.3, "lr": 0.1,
                          "lr_1": 0.01, "momentum": 0.9})
    first = store.steps(run_id)
    store.record(run_id, {"event": "step", "step": 10, "epoch": 0, "loss": float("nan"),
                          "lr": 0.05})
    newer = store.steps(run_id, after=int(first["id"].iloc[-1]))
    assert list(newer["step"]) == [10] and first["lr_groups"].iloc[0] == "[0.01]"
    assert first["momentum"].iloc[0] == 0.9 and first["loss"].dtype == float
    store.record(run_id, {"event": "epoch", "epoch": 0, "train_loss": 1.0, "test_loss": 0.9,
                          "test_acc": 0.8, "lr": 0.05, "samples_per_s": 1000.0,
                          "elapsed": 1.5})
    store.record(run_id, {"event": "notice", "message": Text("data.note.offline")})
    store.record(run_id, {"event": "done", "status": "done", "test_acc": 0.8,
                          "samples_per_s": 1000.0, "device": "cpu", "error": None})
    run = store.run(run_id)
    assert (run["status"], run["total_steps"], run["test_acc"]) == ("done", 8, 0.8)
    assert list(store.epochs(run_id)["test_acc"]) == [0.8]
    assert store.notices(run_id) == [Text("data.note.offline")]
    table = store.runs()
    assert list(table["id"]) == [run_id] and table["status"].iloc[0] == "done"
    assert store.runs(kind="lr-find").empty
    assert not store.active()


def test_workers_beat_and_the_runs_of_dead_ones_are_interrupted(location) -> None:
    store = connect(location)
    mine, lost = _queue(store, 2)
    store.claim_next(11)
    store.claim_next(12)
    store.beat(11, mine)
    store.beat(12, lost)
    assert {r["pid"] for r in store.workers()} == {11, 12}
    assert store.training_pids() == {11, 12}
    assert store.interrupt_orphans({11, 12}) == []
    store.forget_worker(12)
    assert store.interrupt_orphans({11}) == [lost]
    run = store.run(lost)
    assert run["status"] == "interrupted" and "stopped unexpectedly" in error_of(run)
    assert store.run(mine)["status"] == "running"


def test_a_server_that_cannot_be_reached_is_named_without_its_password() -> None:
    port = free_port()  # nobody listens there
    with pytest.raises(StoreError) as caught:
        PgStore(f"postgresql://alice:s3cret@127.0.0.1:{port}/runs", timeout=2)
    said = str(caught.value)
    assert "postgresql://alice@127.0.0.1:" in said and "s3cret" not in said
    assert "cannot be reached" in said and "SCHEDLAB_STORE" in said


def test_the_setting_must_name_a_server(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SCHEDLAB_STORE", "mysql://bob:hunter2@db/runs")
    with pytest.raises(ConfigError) as caught:
        default_store_path()
    assert "postgresql://" in str(caught.value) and "hunter2" not in str(caught.value)
    monkeypatch.setenv("SCHEDLAB_STORE", "")
    assert str(default_store_path()).endswith("runs.sqlite3")
    monkeypatch.setenv("SCHEDLAB_STORE", "postgresql://u@h/db")
    assert default_store_path() == "postgresql://u@h/db"


@pytest.mark.slow
def test_the_schema_carries_its_version_and_a_newer_one_is_refused(pg_url) -> None:
    PgStore(pg_url).close()
    PgStore(pg_url).close()  # a second server on the same database: nothing re-created
    with psycopg.connect(pg_url, autocommit=True) as db:
        assert db.execute("SELECT version FROM schedlab_schema").fetchall() == [(1,)]
        db.execute("UPDATE schedlab_schema SET version = 99")
    with pytest.raises(StoreError, match="newer schedlab"):
        PgStore(pg_url)


@pytest.mark.slow
def test_a_connection_the_server_dropped_is_opened_again(pg_url) -> None:
    store = PgStore(pg_url)
    run_id = store.submit("r", SCHEDULE.to_json(), QUICK.to_dict())
    with psycopg.connect(pg_url, autocommit=True) as admin:  # as a server restart does
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                      "application_name = 'schedlab'")
    time.sleep(0.2)
    with pytest.raises(StoreError, match="cannot be reached|failed"):
        store.run(run_id)  # the call in flight says so ...
    assert store.run(run_id)["label"] == "r"  # ... and the next one reconnects


def test_fair_use_caps_hold_even_when_servers_queue_at_the_same_moment(location) -> None:
    """Ten threads (as ten app servers) queue for two sessions at once: each session gets
    at most its cap, the queue at most its total, and the rest are told why."""
    caps = Caps(per_session=3, total=5)
    store = connect(location)
    store.submit("finished", SCHEDULE.to_json(), QUICK.to_dict(), session="a")
    store.finish(store.claim_next(1)["id"], "done")  # finished runs count for nothing
    accepted, refused = [], []

    def queue(session: str) -> None:
        own = connect(location, timeout=20)
        try:
            accepted.append((session, own.submit("r", SCHEDULE.to_json(), QUICK.to_dict(),
                                                 session=session, caps=caps)))
        except LimitError as exc:
            refused.append(exc.code)
        own.close()

    threads = [threading.Thread(target=queue, args=("ab"[i % 2],)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(accepted) == 5 and len(refused) == 5
    assert max(sum(s == who for s, _ in accepted) for who in "ab") == 3
    assert set(refused) <= {"error.limit.session", "error.limit.total"}
    with pytest.raises(LimitError, match="at most 5 runs"):
        store.submit("r", SCHEDULE.to_json(), QUICK.to_dict(), session="c", caps=caps)
    store.request_stop(accepted[0][1])  # a stopped run frees its place
    store.submit("r", SCHEDULE.to_json(), QUICK.to_dict(), session="c", caps=caps)


@pytest.mark.slow
def test_a_run_whose_machine_vanished_is_interrupted_by_any_server(pg_url) -> None:
    """Another host's worker is judged by its heartbeat: fresh, its run is left alone;
    30 s old, its run is interrupted (its pid means nothing here)."""
    store = PgStore(pg_url)
    run_id = store.submit("r", SCHEDULE.to_json(), QUICK.to_dict())
    store.claim_next(4242)
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE runs SET worker_host = 'gpu-node-7' WHERE id = %s", (run_id,))
        db.execute("INSERT INTO workers (host, pid, started, heartbeat, run_id) VALUES "
                   "('gpu-node-7', 4242, %s, %s, %s)", (time.time(), time.time(), run_id))
    assert store.interrupt_orphans(set()) == [] and store.workers() == []
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute("UPDATE workers SET heartbeat = heartbeat - 31")
    assert store.interrupt_orphans(set()) == [run_id]
    assert store.run(run_id)["status"] == "interrupted"


@pytest.mark.slow
def test_a_read_only_database_is_refused_for_writing_with_why(pg_url) -> None:
    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url, autocommit=True) as db:
        db.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
    with pytest.raises(StoreError, match="cannot be written") as caught:
        PgStore(pg_url)
    assert type(caught.value).__name__ == "StoreReadOnly"


def test_sessions_sharing_a_servers_connection_never_lose_each_others_writes(location) -> None:
    """An app server's sessions share one store: refused runs (rolled back) and other
    sessions' stops, at the same moments, on the same connection."""
    store = connect(location, timeout=20)
    running = _queue(store, 12)
    for _ in running:
        store.claim_next(1)
    caps, errors = Caps(per_session=100, total=15), []

    def queue() -> None:
        for _ in range(3):
            try:
                store.submit("r", SCHEDULE.to_json(), QUICK.to_dict(), session="s", caps=caps)
            except LimitError:
                pass
            except Exception as exc:  # noqa: BLE001 (what must not happen)
                errors.append(exc)

    def stop(run_id: int) -> None:
        try:
            store.request_stop(run_id)
            store.finish(run_id, "stopped")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=queue) for _ in range(8)] + \
        [threading.Thread(target=stop, args=(i,)) for i in running]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert all(store.run(i)["status"] == "stopped" for i in running)  # none rolled back
    assert store.waiting() <= 15 and store.waiting() >= 3  # the cap held, runs got in
