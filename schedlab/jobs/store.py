"""The run store: an embedded SQLite database (WAL) of training runs and their metrics.

Workers write events as they happen; pages read only rows newer than what they have.
Several processes share the file: each statement is its own transaction, and a worker
claims the next queued run inside one ``BEGIN IMMEDIATE``, so two workers never take
the same run. Every failure of SQLite or the OS comes out as a ``StoreError`` (see
``schedlab.jobs.storefile``) whose message names the file and says what to do.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any

import pandas as pd

from schedlab.jobs.storefile import (
    StoreDamaged,
    StoreGone,
    find_damage,
    full,
    identity,
    move_aside,
    translated,
)
from schedlab.jobs.workerrows import WorkerRows
from schedlab.messages import Text, stored, unstored

# a run is queued, then running, then one of these:
FINISHED = ("done", "stopped", "failed", "interrupted")
MIN_FREE = 1 << 20  # bytes free on the store's disk below which no run is started

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL, started REAL, finished REAL,
    status TEXT NOT NULL, label TEXT NOT NULL,
    schedule TEXT NOT NULL, config TEXT NOT NULL,
    device TEXT, data TEXT, total_steps INTEGER, batches_per_epoch INTEGER,
    test_acc REAL, samples_per_s REAL, error TEXT,
    worker_pid INTEGER, stop_requested INTEGER NOT NULL DEFAULT 0,
    kind TEXT NOT NULL DEFAULT 'train');
CREATE TABLE IF NOT EXISTS steps (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step INTEGER NOT NULL, epoch INTEGER NOT NULL, loss REAL, lr REAL, lr_groups TEXT,
    momentum REAL, t REAL NOT NULL);
CREATE INDEX IF NOT EXISTS steps_by_run ON steps (run_id, id);
CREATE TABLE IF NOT EXISTS epochs (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    epoch INTEGER NOT NULL, train_loss REAL, test_loss REAL, test_acc REAL, lr REAL,
    samples_per_s REAL, elapsed REAL);
CREATE INDEX IF NOT EXISTS epochs_by_run ON epochs (run_id, id);
CREATE TABLE IF NOT EXISTS notices (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    t REAL NOT NULL, message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS workers (
    pid INTEGER PRIMARY KEY, started REAL NOT NULL, heartbeat REAL NOT NULL, run_id INTEGER);
"""


def open_store(path: str | Path) -> tuple[RunStore, Text | None]:
    """The app's store, and what was done to make it usable (or None). A damaged file (not
    a database, failing SQLite's check, 0 bytes) is moved aside, kept, and a new store
    started; other problems (read-only, full, no folder) raise StoreError."""
    path = Path(path)
    reason = find_damage(path)
    if reason is None:
        try:
            return RunStore(path), None
        except StoreDamaged as exc:  # the check passed but using it fails (its -wal, say)
            reason = Text("store.damage.damaged", {"detail": str(exc.__cause__ or exc)})
    moved = move_aside(path, reason)
    return RunStore(path), Text("store.note.moved", {"path": str(path), "reason": reason,
                                                     "moved": str(moved)})


class RunStore(WorkerRows):
    """One connection to the store (make one per process or thread).

    ``timeout`` is how long a statement waits for another connection's lock; ``readonly``
    opens the file for reading only (history of a store that cannot be written)."""

    @translated
    def __init__(self, path: str | Path, timeout: float = 5.0, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        if readonly:
            self.db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                      timeout=timeout, isolation_level=None,
                                      check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                      check_same_thread=False)
        self.identity = identity(self.path)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA foreign_keys=ON")
        if not readonly:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, fast
            self.db.executescript(_SCHEMA)
        columns = {r[1] for r in self.db.execute("PRAGMA table_info(runs)")}
        if "kind" not in columns and not readonly:  # a store from before the range test
            self.db.execute("ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'train'")
            columns.add("kind")
        # a read-only store from before then holds training runs only
        self._kind = "kind" if "kind" in columns else "'train'"

    def close(self) -> None:
        try:
            self.db.close()
        except sqlite3.Error:
            pass  # closing a connection to a broken file: nothing left to save

    # --- the file ----------------------------------------------------------------------
    def gone(self) -> bool:
        """True when the file this connection opened was deleted or replaced since (the
        connection would go on writing into a file nobody will read)."""
        return self.identity is None or identity(self.path) != self.identity

    @translated
    def check_writable(self) -> None:
        """Raise the StoreError that keeps a run from being stored now (read-only, full,
        gone); return quietly when runs can be stored."""
        if self.gone():
            raise StoreGone(path=str(self.path), code="error.store.gone",
                            params={"path": str(self.path)})
        self.db.execute("BEGIN IMMEDIATE")
        try:  # a write that changes nothing: SQLite refuses it on a read-only store
            self.db.execute("UPDATE workers SET pid = pid WHERE 0")
        finally:
            self.db.execute("ROLLBACK")
        pages = [self.db.execute(f"PRAGMA {p}").fetchone()[0]
                 for p in ("page_count", "max_page_count", "freelist_count")]
        if pages[1] - pages[0] + pages[2] < 16:
            raise full(self.path, Text("store.detail.page-limit"))
        free = shutil.disk_usage(self.path.parent).free
        if free < MIN_FREE:
            raise full(self.path, Text("store.detail.free", {"kib": free // 1024}))

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        cur = self.db.execute(sql, params)
        return pd.DataFrame.from_records([tuple(r) for r in cur.fetchall()], coerce_float=True,
                                         columns=[d[0] for d in cur.description])

    # --- runs --------------------------------------------------------------------------
    @translated
    def submit(self, label: str, schedule_json: str, config: dict[str, Any],
               kind: str = "train") -> int:
        """Queue a run (``kind``: "train", or "lr-find" for an LR range test); its id."""
        cur = self.db.execute(
            "INSERT INTO runs (created, status, label, schedule, config, kind) "
            "VALUES (?, 'queued', ?, ?, ?, ?)", (time.time(), label, schedule_json,
                                                 json.dumps(config), kind))
        return int(cur.lastrowid)

    @translated
    def claim_next(self, pid: int) -> sqlite3.Row | None:
        """Take the oldest queued run for this worker (FIFO), atomically."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            row = self.db.execute("SELECT id FROM runs WHERE status = 'queued' "
                                  "ORDER BY id LIMIT 1").fetchone()
            if row is not None:
                self.db.execute("UPDATE runs SET status = 'running', started = ?, "
                                "worker_pid = ? WHERE id = ?", (time.time(), pid, row["id"]))
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # never leave the write lock held after a failure
                self.db.execute("ROLLBACK")
            raise
        return None if row is None else self.run(row["id"])

    @translated
    def run(self, run_id: int) -> sqlite3.Row | None:
        """One run's row, or None."""
        return self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()

    @translated
    def runs(self, kind: str = "train") -> pd.DataFrame:
        """Every run of this kind, newest first."""
        return self._frame(f"SELECT * FROM runs WHERE {self._kind} = ? ORDER BY id DESC",
                           (kind,))

    @translated
    def active(self) -> bool:
        """Whether any run is queued or running."""
        return self.db.execute("SELECT 1 FROM runs WHERE status IN ('queued', 'running') "
                               "LIMIT 1").fetchone() is not None

    @translated
    def activity(self, kind: str = "train") -> tuple[int, list[tuple[int, str]]]:
        """The newest run's id (0 without runs) and (id, status) of every queued or running
        run of this kind, oldest first: what a page polls to notice runs start and end."""
        newest = self.db.execute("SELECT COALESCE(MAX(id), 0) FROM runs WHERE "
                                 f"{self._kind} = ?", (kind,)).fetchone()[0]
        return int(newest), [(int(r[0]), r[1]) for r in self.db.execute(
            "SELECT id, status FROM runs WHERE status IN ('queued', 'running') AND "
            f"{self._kind} = ? ORDER BY id", (kind,))]

    @translated
    def queue_position(self, run_id: int) -> int | None:
        """1 for the next run to start; None unless the run is queued."""
        row = self.run(run_id)
        if row is None or row["status"] != "queued":
            return None
        return int(self.db.execute("SELECT COUNT(*) FROM runs WHERE status = 'queued' AND "
                                   "id <= ?", (run_id,)).fetchone()[0])

    @translated
    def request_stop(self, run_id: int) -> None:
        """Ask a running run to stop; a queued one is stopped at once."""
        self.db.execute("UPDATE runs SET stop_requested = 1 WHERE id = ?", (run_id,))
        self.db.execute("UPDATE runs SET status = 'stopped', finished = ? "
                        "WHERE id = ? AND status = 'queued'", (time.time(), run_id))

    @translated
    def should_stop(self, run_id: int) -> bool:
        """Whether the worker training this run should end it: a stop was asked, or the
        run is no longer running (deleted, or marked interrupted by a supervisor)."""
        row = self.db.execute("SELECT stop_requested, status FROM runs WHERE id = ?",
                              (run_id,)).fetchone()
        return row is None or bool(row[0]) or row[1] != "running"

    @translated
    def finish(self, run_id: int, status: str, error: Text | str | None = None,
               only_if_running: bool = False) -> None:
        """Give a run its final status (and the reason, for an error)."""
        if status not in FINISHED:
            raise ValueError(f"a run finishes as one of {FINISHED}, not {status!r}")
        guard = " AND status = 'running'" if only_if_running else ""
        self.db.execute(f"UPDATE runs SET status = ?, finished = ?, error = COALESCE(?, error) "
                        f"WHERE id = ?{guard}", (status, time.time(), stored(error), run_id))

    @translated
    def delete(self, run_id: int) -> bool:
        """Delete a finished run and its metrics; running or queued runs are kept."""
        cur = self.db.execute(f"DELETE FROM runs WHERE id = ? AND status IN "
                              f"({','.join('?' * len(FINISHED))})", (run_id, *FINISHED))
        return cur.rowcount > 0

    # --- events ------------------------------------------------------------------------
    @translated
    def record(self, run_id: int, event: dict[str, Any]) -> None:
        """Store one event of ``schedlab.training.loop.train`` (or of an LR range test,
        ``schedlab.training.lrfind.lr_find``: its steps have no epoch) for this run."""
        kind = event["event"]
        if kind == "step":
            groups = [event[k] for k in sorted(event) if k.startswith("lr_")]
            self.db.execute("INSERT INTO steps (run_id, step, epoch, loss, lr, lr_groups, "
                            "momentum, t) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (run_id, event["step"], event.get("epoch", 0), event["loss"],
                             event["lr"],
                             json.dumps(groups) if groups else None, event.get("momentum"),
                             time.time()))
        elif kind == "epoch":
            self.db.execute("INSERT INTO epochs (run_id, epoch, train_loss, test_loss, "
                            "test_acc, lr, samples_per_s, elapsed) VALUES (?,?,?,?,?,?,?,?)",
                            (run_id, event["epoch"], event["train_loss"], event["test_loss"],
                             event["test_acc"], event["lr"], event["samples_per_s"],
                             event["elapsed"]))
        elif kind == "notice":
            self.db.execute("INSERT INTO notices (run_id, t, message) VALUES (?, ?, ?)",
                            (run_id, time.time(), stored(event["message"])))
        elif kind == "start":
            self.db.execute("UPDATE runs SET device = ?, data = ?, total_steps = ?, "
                            "batches_per_epoch = ? WHERE id = ?",
                            (event["device"], event["data"],
                             event["total_steps"] if "total_steps" in event
                             else event.get("steps"),
                             event.get("batches_per_epoch"), run_id))
        elif kind == "done":  # a run already ended (by force, or interrupted) keeps its end
            self.db.execute("UPDATE runs SET status = ?, finished = ?, test_acc = ?, "
                            "samples_per_s = ?, device = ?, error = ? WHERE id = ? AND "
                            "status = 'running'",
                            (event["status"], time.time(), event.get("test_acc"),
                             event.get("samples_per_s"), event.get("device"),
                             stored(event.get("error")), run_id))

    @translated
    def steps(self, run_id: int, after: int = 0) -> pd.DataFrame:
        """Step rows with ``id`` greater than ``after`` (pass the last id you have)."""
        return self._frame("SELECT * FROM steps WHERE run_id = ? AND id > ? ORDER BY id",
                           (run_id, after))

    @translated
    def epochs(self, run_id: int, after: int = 0) -> pd.DataFrame:
        """Epoch rows with ``id`` greater than ``after``."""
        return self._frame("SELECT * FROM epochs WHERE run_id = ? AND id > ? ORDER BY id",
                           (run_id, after))

    @translated
    def notices(self, run_id: int) -> list[Text]:
        """The run's notices (device fallback, offline data), oldest first."""
        return [unstored(r[0]) for r in self.db.execute(
            "SELECT message FROM notices WHERE run_id = ? ORDER BY id", (run_id,))]
