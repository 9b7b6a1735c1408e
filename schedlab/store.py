"""The run store: an embedded SQLite database (WAL) of training runs and their metrics.

Workers write events as they happen; pages read only rows newer than what they have.
Several processes share the file: each statement is its own transaction, and a worker
claims the next queued run inside one ``BEGIN IMMEDIATE``, so two workers never take
the same run.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import pandas as pd

# a run is queued, then running, then one of these:
FINISHED = ("done", "stopped", "failed", "interrupted")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL, started REAL, finished REAL,
    status TEXT NOT NULL, label TEXT NOT NULL,
    schedule TEXT NOT NULL, config TEXT NOT NULL,
    device TEXT, data TEXT, total_steps INTEGER, batches_per_epoch INTEGER,
    test_acc REAL, samples_per_s REAL, error TEXT,
    worker_pid INTEGER, stop_requested INTEGER NOT NULL DEFAULT 0);
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


class RunStore:
    """One connection to the store (make one per process or thread)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                  check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, fast
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- runs --------------------------------------------------------------------------
    def submit(self, label: str, schedule_json: str, config: dict[str, Any]) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (created, status, label, schedule, config) "
            "VALUES (?, 'queued', ?, ?, ?)", (time.time(), label, schedule_json,
                                              json.dumps(config)))
        return int(cur.lastrowid)

    def claim_next(self, pid: int) -> sqlite3.Row | None:
        """Take the oldest queued run for this worker (FIFO), atomically."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            row = self.db.execute("SELECT id FROM runs WHERE status = 'queued' "
                                  "ORDER BY id LIMIT 1").fetchone()
            if row is None:
                return None
            self.db.execute("UPDATE runs SET status = 'running', started = ?, worker_pid = ? "
                            "WHERE id = ?", (time.time(), pid, row["id"]))
            return self.run(row["id"])
        finally:
            self.db.execute("COMMIT")

    def run(self, run_id: int) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()

    def runs(self) -> pd.DataFrame:
        """Every run, newest first."""
        return pd.read_sql_query("SELECT * FROM runs ORDER BY id DESC", self.db)

    def queue_position(self, run_id: int) -> int | None:
        """1 for the next run to start; None unless the run is queued."""
        row = self.run(run_id)
        if row is None or row["status"] != "queued":
            return None
        return int(self.db.execute("SELECT COUNT(*) FROM runs WHERE status = 'queued' AND "
                                   "id <= ?", (run_id,)).fetchone()[0])

    def request_stop(self, run_id: int) -> None:
        """Ask a running run to stop; a queued one is stopped at once."""
        self.db.execute("UPDATE runs SET stop_requested = 1 WHERE id = ?", (run_id,))
        self.db.execute("UPDATE runs SET status = 'stopped', finished = ? "
                        "WHERE id = ? AND status = 'queued'", (time.time(), run_id))

    def stop_requested(self, run_id: int) -> bool:
        row = self.db.execute("SELECT stop_requested FROM runs WHERE id = ?",
                              (run_id,)).fetchone()
        return bool(row and row[0])

    def finish(self, run_id: int, status: str, error: str | None = None,
               only_if_running: bool = False) -> None:
        if status not in FINISHED:
            raise ValueError(f"a run finishes as one of {FINISHED}, not {status!r}")
        guard = " AND status = 'running'" if only_if_running else ""
        self.db.execute(f"UPDATE runs SET status = ?, finished = ?, error = COALESCE(?, error) "
                        f"WHERE id = ?{guard}", (status, time.time(), error, run_id))

    def delete(self, run_id: int) -> bool:
        """Delete a finished run and its metrics; running or queued runs are kept."""
        cur = self.db.execute(f"DELETE FROM runs WHERE id = ? AND status IN "
                              f"({','.join('?' * len(FINISHED))})", (run_id, *FINISHED))
        return cur.rowcount > 0

    # --- events ------------------------------------------------------------------------
    def record(self, run_id: int, event: dict[str, Any]) -> None:
        """Store one event of ``schedlab.train.train`` for this run."""
        kind = event["event"]
        if kind == "step":
            groups = [event[k] for k in sorted(event) if k.startswith("lr_")]
            self.db.execute("INSERT INTO steps (run_id, step, epoch, loss, lr, lr_groups, "
                            "momentum, t) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (run_id, event["step"], event["epoch"], event["loss"], event["lr"],
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
                            (run_id, time.time(), event["message"]))
        elif kind == "start":
            self.db.execute("UPDATE runs SET device = ?, data = ?, total_steps = ?, "
                            "batches_per_epoch = ? WHERE id = ?",
                            (event["device"], event["data"], event["total_steps"],
                             event["batches_per_epoch"], run_id))
        elif kind == "done":
            self.db.execute("UPDATE runs SET status = ?, finished = ?, test_acc = ?, "
                            "samples_per_s = ?, device = ?, error = ? WHERE id = ?",
                            (event["status"], time.time(), event.get("test_acc"),
                             event.get("samples_per_s"), event.get("device"),
                             event.get("error"), run_id))

    def steps(self, run_id: int, after: int = 0) -> pd.DataFrame:
        """Step rows with ``id`` greater than ``after`` (pass the last id you have)."""
        return pd.read_sql_query("SELECT * FROM steps WHERE run_id = ? AND id > ? ORDER BY id",
                                 self.db, params=(run_id, after))

    def epochs(self, run_id: int, after: int = 0) -> pd.DataFrame:
        return pd.read_sql_query("SELECT * FROM epochs WHERE run_id = ? AND id > ? "
                                 "ORDER BY id", self.db, params=(run_id, after))

    def notices(self, run_id: int) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT message FROM notices WHERE run_id = ? "
                                              "ORDER BY id", (run_id,))]

    # --- workers -----------------------------------------------------------------------
    def beat(self, pid: int, run_id: int | None = None) -> None:
        now = time.time()
        self.db.execute("INSERT INTO workers (pid, started, heartbeat, run_id) VALUES "
                        "(?, ?, ?, ?) ON CONFLICT(pid) DO UPDATE SET heartbeat = excluded."
                        "heartbeat, run_id = excluded.run_id", (pid, now, now, run_id))

    def workers(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM workers").fetchall()

    def forget_worker(self, pid: int) -> None:
        self.db.execute("DELETE FROM workers WHERE pid = ?", (pid,))

    def interrupt_orphans(self, live_pids: set[int]) -> list[int]:
        """Mark running runs whose worker is gone as interrupted (their rows are kept)."""
        rows = self.db.execute("SELECT id, worker_pid FROM runs WHERE status = 'running'")
        orphans = [r["id"] for r in rows if r["worker_pid"] not in live_pids]
        for run_id in orphans:
            self.finish(run_id, "interrupted", "the worker process stopped unexpectedly "
                        "(server restart or crash); the metrics stored so far are kept",
                        only_if_running=True)
        return orphans
