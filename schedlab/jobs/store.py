"""The run store: an embedded SQLite database (WAL) of training runs and their metrics.

Workers write events as they happen; pages read only rows newer than what they have.
Several processes share the file: each statement is its own transaction, and a worker
claims the next queued run inside one ``BEGIN IMMEDIATE``, so two workers never take
the same run. Every failure of SQLite or the OS comes out as a ``StoreError`` (see
``schedlab.jobs.storefile``) whose message names the file and says what to do.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from schedlab.errors import StoreError
from schedlab.jobs.pgstore import is_server
from schedlab.jobs.queries import FINISHED, Queries
from schedlab.jobs.storefile import (
    StoreDamaged,
    StoreGone,
    find_damage,
    full,
    identity,
    move_aside,
    translate,
    translated,
)
from schedlab.jobs.workerrows import WorkerRows
from schedlab.messages import Text

__all__ = ["FINISHED", "MIN_FREE", "RunStore", "connect", "open_store"]
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
    kind TEXT NOT NULL DEFAULT 'train', session TEXT);
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


def connect(location: str | Path, timeout: float = 5.0, readonly: bool = False) -> Any:
    """A connection to the store at ``location``: an SQLite file's path, or a PostgreSQL
    server's ``postgresql://`` URL (``schedlab.jobs.pgstore``)."""
    if is_server(location):
        from schedlab.jobs.pgstore import PgStore
        return PgStore(str(location), timeout=timeout)
    return RunStore(location, timeout=timeout, readonly=readonly)


def open_store(path: str | Path) -> tuple[Any, Text | None]:
    """The app's store, and what was done to make it usable (or None). A damaged file (not
    a database, failing SQLite's check, 0 bytes) is moved aside, kept, and a new store
    started; other problems (read-only, full, no folder, a server out of reach) raise
    StoreError."""
    if is_server(path):
        return connect(path), None
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


class RunStore(Queries, WorkerRows):
    """One connection to the store (make one per process or thread).

    ``timeout`` is how long a statement waits for another connection's lock; ``readonly``
    opens the file for reading only (history of a store that cannot be written)."""

    @translated
    def __init__(self, path: str | Path, timeout: float = 5.0, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.RLock()
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
        if "session" not in columns and not readonly:  # from before the fair-use caps
            self.db.execute("ALTER TABLE runs ADD COLUMN session TEXT")
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
        with self._lock:
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

    def _exec(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self._lock:  # a statement of another thread never lands in a transaction
            return self.db.execute(sql, params)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE: the write lock, held until the block ends (rolled back when it
        fails, never left held); the connection is this thread's meanwhile (the app's
        sessions share one), so no other thread's write is rolled back with it."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def translate(self, exc: BaseException) -> StoreError | None:
        """SQLite's and the OS's errors as the StoreError to show (None: not ours)."""
        return translate(exc, self.path) if isinstance(exc, (sqlite3.Error, OSError)) \
            else None

    # --- the queue -----------------------------------------------------------------------
    @translated
    def claim_next(self, pid: int) -> sqlite3.Row | None:
        """Take the oldest queued run for this worker (FIFO), atomically."""
        with self._lock:
            row = self._claim(pid)
        return None if row is None else self.run(row["id"])

    def _claim(self, pid: int) -> sqlite3.Row | None:
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
        return row

