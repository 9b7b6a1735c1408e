"""Jobs: what the app uses to queue, start, stop and watch training runs.

The app never trains in its own process. ``JobManager.ensure_workers`` keeps
``SCHEDLAB_MAX_JOBS`` (default 1) worker processes alive, starting them itself; at most
that many runs train at once and the rest wait in FIFO order. Runs whose worker died
(a server restart, a crash, SIGKILL) are marked interrupted, their metrics kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from schedlab.data import data_dir
from schedlab.errors import ScheduleError
from schedlab.schedule import Schedule
from schedlab.store import RunStore
from schedlab.train import TrainConfig

STALE = 5.0  # seconds without a heartbeat after which a worker counts as dead
ROOT = Path(__file__).resolve().parent.parent


def default_store_path() -> Path:
    return data_dir() / "runs.sqlite3"


def max_jobs_setting() -> int:
    text = os.environ.get("SCHEDLAB_MAX_JOBS", "1")
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 16:
        raise ScheduleError(f"SCHEDLAB_MAX_JOBS must be 1 to 16, not {text!r}")
    return value


class JobManager:
    def __init__(self, db_path: str | Path | None = None, max_jobs: int | None = None):
        self.db_path = Path(db_path or default_store_path())
        self.max_jobs = max_jobs or max_jobs_setting()
        self.store = RunStore(self.db_path)
        self._procs: dict[int, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def submit(self, schedule: Schedule, config: TrainConfig, label: str) -> int:
        """Queue a run; it starts as soon as a worker is free."""
        run_id = self.store.submit(label[:200], schedule.to_json(), config.to_dict())
        self.ensure_workers()
        return run_id

    def stop(self, run_id: int) -> None:
        self.store.request_stop(run_id)

    def delete(self, run_id: int) -> bool:
        return self.store.delete(run_id)

    def queue_position(self, run_id: int) -> int | None:
        return self.store.queue_position(run_id)

    def live_workers(self) -> set[int]:
        """Workers with a fresh heartbeat (and processes started here not yet registered)."""
        with self._lock:
            for pid, proc in list(self._procs.items()):
                if proc.poll() is not None:  # reap: a dead child must not look alive
                    del self._procs[pid]
            now, live = time.time(), set()
            for row in self.store.workers():
                if now - row["heartbeat"] < STALE and _alive(row["pid"]):
                    live.add(row["pid"])
                else:
                    self.store.forget_worker(row["pid"])
            return live | set(self._procs)

    def ensure_workers(self) -> set[int]:
        """Mark orphaned runs interrupted and start workers up to the limit."""
        live = self.live_workers()
        self.store.interrupt_orphans(live)
        with self._lock:
            for _ in range(self.max_jobs - len(live)):
                proc = self._spawn()
                self._procs[proc.pid] = proc
                live.add(proc.pid)
        return live

    def _spawn(self) -> subprocess.Popen:
        log = open(self.db_path.with_suffix(".worker.log"), "ab")
        return subprocess.Popen(
            [sys.executable, "-m", "schedlab", "worker", "--db", str(self.db_path),
             "--parent", str(os.getpid())],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)  # a Ctrl-C in the app's terminal is the app's alone

    def shutdown(self) -> None:
        """Stop the workers started here (tests, and a clean server exit)."""
        with self._lock:
            for proc in self._procs.values():
                proc.terminate()
            for proc in self._procs.values():
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            self._procs.clear()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

