"""The run store's rows about its workers: heartbeats, the run each one trains, and the
runs whose worker is gone (part of ``RunStore``; a store of another kind has the same)."""

from __future__ import annotations

import sqlite3
import time

from schedlab.jobs.storefile import translated
from schedlab.messages import Text

ORPHANED = Text("run.error.orphaned")  # a run whose worker is gone


class WorkerRows:
    """``RunStore``'s methods on the workers table (it gives ``db``, ``path`` and
    ``finish``)."""

    @translated
    def beat(self, pid: int, run_id: int | None = None) -> None:
        """Register or refresh a worker's heartbeat (and the run it trains)."""
        now = time.time()
        self.db.execute("INSERT INTO workers (pid, started, heartbeat, run_id) VALUES "
                        "(?, ?, ?, ?) ON CONFLICT(pid) DO UPDATE SET heartbeat = excluded."
                        "heartbeat, run_id = excluded.run_id", (pid, now, now, run_id))

    @translated
    def workers(self) -> list[sqlite3.Row]:
        """Every registered worker's row."""
        return self.db.execute("SELECT * FROM workers").fetchall()

    @translated
    def training_pids(self) -> set[int]:
        """The workers with a run in hand: a claim names its worker at once, before the
        worker's next heartbeat says so."""
        rows = self.db.execute("SELECT worker_pid AS pid FROM runs WHERE status = 'running' "
                               "UNION SELECT pid FROM workers WHERE run_id IS NOT NULL")
        return {r["pid"] for r in rows.fetchall() if r["pid"] is not None}

    @translated
    def forget_worker(self, pid: int) -> None:
        """Remove a worker's row (it has ended)."""
        self.db.execute("DELETE FROM workers WHERE pid = ?", (pid,))

    @translated
    def interrupt_orphans(self, live_pids: set[int], reason: Text = ORPHANED) -> list[int]:
        """Mark running runs whose worker is gone as interrupted (their rows are kept)."""
        rows = self.db.execute("SELECT id, worker_pid FROM runs WHERE status = 'running'")
        orphans = [r["id"] for r in rows.fetchall() if r["worker_pid"] not in live_pids]
        for run_id in orphans:
            self.finish(run_id, "interrupted", reason, only_if_running=True)
        return orphans
