"""The run store's queries, the same on every kind of store (SQLite, PostgreSQL): the runs,
their queue, their events and metrics. A store class gives ``_exec`` (one statement, ``?``
placeholders, its own transaction), ``path`` (what messages name), ``_kind`` (the column
that says a run's kind) and ``translate`` (its errors as StoreError), and the queue's
claim, which is where the two differ."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

from schedlab.errors import LimitError
from schedlab.jobs.storefile import translated
from schedlab.messages import Text, stored, unstored

# a run is queued, then running, then one of these:
FINISHED = ("done", "stopped", "failed", "interrupted")


@dataclass(frozen=True)
class Caps:
    """Fair use: at most ``per_session`` runs queued or running for one browser session
    (or one user of the command line), and ``total`` for everyone."""

    per_session: int
    total: int

    def check(self, store: Queries, session: str | None) -> None:
        """Raise LimitError when one more run would go beyond a cap."""
        total = store.waiting()
        if total >= self.total:
            raise LimitError(code="error.limit.total", params={"count": total,
                                                               "cap": self.total})
        mine = store.waiting(session) if session is not None else 0
        if mine >= self.per_session:
            raise LimitError(code="error.limit.session", params={"count": mine,
                                                                 "cap": self.per_session})


class Queries:
    """The methods every run store has (see the module's docstring)."""

    _kind = "kind"

    def _exec(self, sql: str, params: tuple = ()) -> Any:
        raise NotImplementedError

    def _transaction(self) -> Any:
        """A context in which the statements are one transaction that holds the queue (no
        other connection queues or claims meanwhile)."""
        raise NotImplementedError

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        cur = self._exec(sql, params)
        return pd.DataFrame.from_records([tuple(r) for r in cur.fetchall()], coerce_float=True,
                                         columns=[d[0] for d in cur.description])

    # --- runs --------------------------------------------------------------------------
    @translated
    def submit(self, label: str, schedule_json: str, config: dict[str, Any],
               kind: str = "train", session: str | None = None,
               caps: Caps | None = None) -> int:
        """Queue a run (``kind``: "train", or "lr-find" for an LR range test); its id.
        With ``caps``, a run beyond them is refused with a LimitError saying why: the
        count and the insert are one transaction, so two servers cannot both pass."""
        with self._transaction():
            if caps is not None:
                caps.check(self, session)
            cur = self._exec(
                "INSERT INTO runs (created, status, label, schedule, config, kind, session) "
                "VALUES (?, 'queued', ?, ?, ?, ?, ?) RETURNING id",
                (time.time(), label, schedule_json, json.dumps(config), kind, session))
            return int(cur.fetchone()[0])

    def waiting(self, session: str | None = None) -> int:
        """How many runs are queued or running (of one session, when given)."""
        where = "" if session is None else " AND session = ?"
        return int(self._exec("SELECT COUNT(*) FROM runs WHERE status IN ('queued', "
                              f"'running'){where}", () if session is None else (session,)
                              ).fetchone()[0])

    @translated
    def summaries(self, kind: str = "train") -> list[dict[str, Any]]:
        """Every run of this kind, newest first, as the ``runs`` command lists them: its
        status, steps stored and final accuracy."""
        rows = self._exec(
            "SELECT r.id, r.label, r.status, r.created, r.started, r.finished, r.device, "
            "r.test_acc, r.error, (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id) "
            f"AS steps FROM runs r WHERE {self._kind} = ? ORDER BY r.id DESC", (kind,))
        return [dict(zip(("id", "label", "status", "created", "started", "finished",
                          "device", "test_acc", "error", "steps"), tuple(r)))
                for r in rows.fetchall()]

    @translated
    def adopt(self, run_id: int, pid: int) -> None:
        """A process other than the claimer trains the run (a Ray task): it is the run's
        worker from now on."""
        self._exec("UPDATE runs SET worker_pid = ? WHERE id = ? AND status = 'running'",
                   (pid, run_id))

    @translated
    def run(self, run_id: int) -> Any:
        """One run's row, or None."""
        return self._exec("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()

    @translated
    def runs(self, kind: str = "train") -> pd.DataFrame:
        """Every run of this kind, newest first."""
        return self._frame(f"SELECT * FROM runs WHERE {self._kind} = ? ORDER BY id DESC",
                           (kind,))

    @translated
    def active(self) -> bool:
        """Whether any run is queued or running."""
        return self._exec("SELECT 1 FROM runs WHERE status IN ('queued', 'running') "
                               "LIMIT 1").fetchone() is not None

    @translated
    def activity(self, kind: str = "train") -> tuple[int, list[tuple[int, str]]]:
        """The newest run's id (0 without runs) and (id, status) of every queued or running
        run of this kind, oldest first: what a page polls to notice runs start and end."""
        newest = self._exec("SELECT COALESCE(MAX(id), 0) FROM runs WHERE "
                                 f"{self._kind} = ?", (kind,)).fetchone()[0]
        return int(newest), [(int(r[0]), r[1]) for r in self._exec(
            "SELECT id, status FROM runs WHERE status IN ('queued', 'running') AND "
            f"{self._kind} = ? ORDER BY id", (kind,))]

    @translated
    def queue_position(self, run_id: int) -> int | None:
        """1 for the next run to start; None unless the run is queued."""
        row = self.run(run_id)
        if row is None or row["status"] != "queued":
            return None
        return int(self._exec("SELECT COUNT(*) FROM runs WHERE status = 'queued' AND "
                                   "id <= ?", (run_id,)).fetchone()[0])

    @translated
    def request_stop(self, run_id: int) -> None:
        """Ask a running run to stop; a queued one is stopped at once."""
        self._exec("UPDATE runs SET stop_requested = 1 WHERE id = ?", (run_id,))
        self._exec("UPDATE runs SET status = 'stopped', finished = ? "
                        "WHERE id = ? AND status = 'queued'", (time.time(), run_id))

    @translated
    def should_stop(self, run_id: int) -> bool:
        """Whether the worker training this run should end it: a stop was asked, or the
        run is no longer running (deleted, or marked interrupted by a supervisor)."""
        row = self._exec("SELECT stop_requested, status FROM runs WHERE id = ?",
                              (run_id,)).fetchone()
        return row is None or bool(row[0]) or row[1] != "running"

    @translated
    def finish(self, run_id: int, status: str, error: Text | str | None = None,
               only_if_running: bool = False) -> None:
        """Give a run its final status (and the reason, for an error)."""
        if status not in FINISHED:
            raise ValueError(f"a run finishes as one of {FINISHED}, not {status!r}")
        guard = " AND status = 'running'" if only_if_running else ""
        self._exec(f"UPDATE runs SET status = ?, finished = ?, error = COALESCE(?, error) "
                        f"WHERE id = ?{guard}", (status, time.time(), stored(error), run_id))

    @translated
    def delete(self, run_id: int) -> bool:
        """Delete a finished run and its metrics; running or queued runs are kept."""
        cur = self._exec(f"DELETE FROM runs WHERE id = ? AND status IN "
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
            self._exec("INSERT INTO steps (run_id, step, epoch, loss, lr, lr_groups, "
                            "momentum, t) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            (run_id, event["step"], event.get("epoch", 0), event["loss"],
                             event["lr"],
                             json.dumps(groups) if groups else None, event.get("momentum"),
                             time.time()))
        elif kind == "epoch":
            self._exec("INSERT INTO epochs (run_id, epoch, train_loss, test_loss, "
                            "test_acc, lr, samples_per_s, elapsed) VALUES (?,?,?,?,?,?,?,?)",
                            (run_id, event["epoch"], event["train_loss"], event["test_loss"],
                             event["test_acc"], event["lr"], event["samples_per_s"],
                             event["elapsed"]))
        elif kind == "notice":
            self._exec("INSERT INTO notices (run_id, t, message) VALUES (?, ?, ?)",
                            (run_id, time.time(), stored(event["message"])))
        elif kind == "start":
            self._exec("UPDATE runs SET device = ?, data = ?, total_steps = ?, "
                            "batches_per_epoch = ? WHERE id = ?",
                            (event["device"], event["data"],
                             event["total_steps"] if "total_steps" in event
                             else event.get("steps"),
                             event.get("batches_per_epoch"), run_id))
        elif kind == "done":  # a run already ended (by force, or interrupted) keeps its end
            self._exec("UPDATE runs SET status = ?, finished = ?, test_acc = ?, "
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
        return [unstored(r[0]) for r in self._exec(
            "SELECT message FROM notices WHERE run_id = ? ORDER BY id", (run_id,))]
