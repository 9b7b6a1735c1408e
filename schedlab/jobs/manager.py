"""Jobs: what the app uses to queue, start, stop and watch training runs.

The app never trains in its own process. ``JobManager.supervise`` (cheap: the Train page
calls it on every poll) keeps ``SCHEDLAB_MAX_JOBS`` (default 1) worker processes alive,
starting them itself; at most that many runs train at once and the rest wait in FIFO
order. A worker that died (SIGKILL, a crash, a server restart) or stopped beating is
found at the next look: its run is marked interrupted, metrics kept, and a fresh worker
takes the queue on. The store is opened with its damage set aside
(``schedlab.jobs.store.open_store``), and every reason it cannot be written is returned as a
``StoreError`` to show.

The store is ``SCHEDLAB_STORE`` (a PostgreSQL server) when it is set, shared by every app
server and worker that names it; with ``SCHEDLAB_JOBS=ray`` no worker is started here:
the cluster's dispatcher (``schedlab.jobs.raybackend``) trains the queue, and this manager
only makes sure it runs. Runs beyond the fair-use caps (``caps_setting``) are refused
when queued.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from schedlab.errors import ConfigError, StoreError
from schedlab.jobs.backends import alive, jobs_setting, start_worker
from schedlab.jobs.pgstore import is_server, located, named, shown
from schedlab.jobs.queries import Caps
from schedlab.jobs.store import RunStore, open_store
from schedlab.jobs.storefile import StoreDamaged, StoreReadOnly
from schedlab.jobs.worker import thread_budget
from schedlab.messages import Text
from schedlab.spec.schedule import OptimizerSpec, Schedule, optimizer_to_dict
from schedlab.training.data import data_dir
from schedlab.training.loop import TrainConfig
from schedlab.training.lrfind import RangeTest

STALE = 5.0  # seconds without a heartbeat after which a worker not started here is dead
HUNG = 15.0  # seconds without a heartbeat after which a worker of ours is killed as hung
STARTUP = 120.0  # seconds a new worker may take to warm up before it counts as hung
RESPAWN_CAP = 30.0  # longest wait before starting again workers that keep dying at start


@dataclass
class _Child:
    """A worker process started here."""

    proc: subprocess.Popen
    started: float = field(default_factory=time.monotonic)
    beat: bool = False  # seen beating once: warm, and no start-up failure


def default_store_path() -> str | Path:
    """The app's run store: ``SCHEDLAB_STORE`` (a PostgreSQL server's URL) when it is set,
    else ``runs.sqlite3`` in the data directory."""
    text = os.environ.get("SCHEDLAB_STORE", "").strip()
    if not text:
        return data_dir() / "runs.sqlite3"
    if not is_server(text):
        raise ConfigError(code="error.server.store", params={"value": shown_setting(text)})
    return text


def shown_setting(text: str) -> str:
    """A setting's value as a message quotes it: short, and a URL without its password."""
    text = shown(text) if "://" in text else text
    return repr(text if len(text) <= 80 else text[:77] + "...")


def caps_setting() -> Caps | None:
    """Fair use: ``SCHEDLAB_MAX_SESSION_RUNS`` (runs queued or running per browser session)
    and ``SCHEDLAB_MAX_QUEUED_RUNS`` (for everyone), each 1 to 100,000; None (no cap, the
    embedded default) when neither is set."""
    values = []
    for key in ("SCHEDLAB_MAX_SESSION_RUNS", "SCHEDLAB_MAX_QUEUED_RUNS"):
        text = os.environ.get(key, "").strip()
        try:
            value = int(text) if text else None
        except ValueError:
            value = 0
        if value is not None and not 1 <= value <= 100_000:
            raise ConfigError(code="error.server.cap", params={"key": key,
                                                              "value": shown_setting(text)})
        values.append(value)
    if values == [None, None]:
        return None
    return Caps(values[0] or 100_000, values[1] or 100_000)


def max_jobs_setting() -> int:
    """``SCHEDLAB_MAX_JOBS``: how many runs train at once (1 to 16, default 1)."""
    text = os.environ.get("SCHEDLAB_MAX_JOBS", "1")
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 16:
        raise ConfigError(code="error.server.max-jobs", params={"value": repr(text)})
    return value


def worker_env(max_jobs: int) -> dict[str, str]:
    """The environment a worker starts with: its share of the cores, and OpenMP threads
    that sleep rather than spin while they wait (spinning threads thrash when another
    process wants the core: see bench/RESULTS.md)."""
    env = {**os.environ, "SCHEDLAB_WORKER_THREADS": str(thread_budget(max_jobs))}
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read by OpenMP when torch loads
    return env


class JobManager:
    """Queues, starts, stops and watches the runs of one store (one per server)."""

    def __init__(self, db_path: str | Path | None = None, max_jobs: int | None = None):
        location = db_path or default_store_path()
        self.db_path = located(location)
        self.max_jobs = max_jobs or max_jobs_setting()
        self.caps = caps_setting()
        self.backend = jobs_setting()
        self._dispatched = False  # the cluster's dispatcher was found or started
        self.notices: list[Text] = []  # what was done to the store: every session sees them
        self.generation = 0  # counts the store files used: run ids restart with a new one
        self.store: RunStore | None = None  # None when the file cannot even be read
        self.problem: StoreError | None = None  # why it could not be opened for writing
        self.ready = False  # a worker of ours has started (warm and beating)
        self._suspect = False  # the page saw damage: check the file at the next reload
        self._children: dict[int, _Child] = {}
        self._lock = threading.RLock()
        self._respawn_at, self._early_deaths = 0.0, 0
        self._open()

    @property
    def where(self) -> str:
        """The store as messages name it (a server without its password)."""
        return named(self.db_path)

    # --- the store -----------------------------------------------------------------------
    def _open(self) -> None:
        before = None
        if self.store is not None:
            before = self.store.identity
            self.store.close()
        self.store, self.problem = None, None
        try:
            self.store, note = open_store(self.db_path)
            if note:
                self.notices.append(note)
        except StoreReadOnly as exc:  # its history can still be shown
            self.problem = exc
            if is_server(self.db_path):  # a server's read-only user reads it as usual
                return
            try:
                self.store = RunStore(self.db_path, readonly=True)
            except StoreError:
                pass
        except StoreError as exc:
            self.problem = exc
        if self.store is None or self.store.identity != before:
            self.generation += 1

    def reload(self) -> StoreError | None:
        """On a page load: try again a store that could not be used (the user may have
        fixed it), then ``supervise``."""
        with self._lock:
            if self.store is None or self.store.readonly or self._suspect:
                self._suspect = False
                self._open()
        return self.supervise()

    def report(self, exc: StoreError) -> None:
        """A page met this error: at the next reload the file is opened again, its damage
        set aside (a connection opened read-only stays so even once the file is fixed)."""
        if isinstance(exc, (StoreDamaged, StoreReadOnly)):
            self._suspect = True

    # --- supervision ---------------------------------------------------------------------
    def supervise(self) -> StoreError | None:
        """Reap finished workers, mark the runs of dead or hung ones interrupted, and start
        workers up to the limit. Returns why no run can be stored now, else None."""
        with self._lock:
            self._reap()
            if self.store is not None and not self.store.readonly and self.store.gone():
                self.notices.append(Text("store.note.replaced", {"path": self.where}))
                self._open()
            if self.store is None or self.store.readonly:
                return self.problem
            try:
                self.store.check_writable()
                live = self._live_workers()
                self.store.interrupt_orphans(live)
            except StoreError as exc:  # no worker is started for a store it cannot write
                self.report(exc)
                return exc
            if self.backend == "ray":  # the cluster's dispatcher trains the queue
                return self._dispatch()
            if time.monotonic() >= self._respawn_at:
                for _ in range(self.max_jobs - len(live)):
                    self._spawn()
            return None

    def _dispatch(self) -> StoreError | None:
        """SCHEDLAB_JOBS=ray: make sure the store's dispatcher runs on the cluster (looked
        up once, then trusted: Ray restarts it); why runs cannot train, as a StoreError
        the page shows, when there is no cluster."""
        if not self._dispatched:
            try:
                from schedlab.jobs.raybackend import ensure_dispatcher
                ensure_dispatcher(self.db_path)
            except ConfigError as exc:
                return StoreError(path=self.where, code=exc.code, params=exc.params)
            self._dispatched = True
        self.ready = True
        return None

    def _reap(self) -> None:
        for pid, child in list(self._children.items()):
            if child.proc.poll() is not None:  # reaped: a dead child must not look alive
                del self._children[pid]
                if not child.beat:  # it died before it ever worked: do not loop on that
                    self._back_off()

    def _back_off(self) -> None:
        self._early_deaths += 1
        self._respawn_at = time.monotonic() + min(RESPAWN_CAP, 2.0 ** self._early_deaths)

    def _live_workers(self) -> set[int]:
        """Workers with a fresh heartbeat, and ours still warming up. Ours that stopped
        beating are killed (hung); the rows of dead workers are forgotten."""
        now, live, rows = time.time(), set(), self.store.workers()
        for row in rows:
            pid, child = row["pid"], self._children.get(row["pid"])
            age = now - row["heartbeat"]
            if (age < HUNG) if child is not None else (age < STALE and alive(pid)):
                live.add(pid)
                if child is not None and not child.beat:
                    child.beat, self._early_deaths = True, 0
                continue
            if child is not None:
                self._kill(child)
            self.store.forget_worker(pid)
        beating = {row["pid"] for row in rows}
        for pid, child in list(self._children.items()):
            if pid not in beating and time.monotonic() - child.started > STARTUP:
                self._kill(child)  # it never got warm
        self.ready = any(child.beat for child in self._children.values())
        return live | {pid for pid in self._children if pid not in beating}

    def _kill(self, child: _Child) -> None:
        child.proc.kill()
        child.proc.wait()
        self._children.pop(child.proc.pid, None)

    def _spawn(self) -> None:
        try:  # the app's interpreter, environment and folder: the schedlab it imports
            proc = start_worker(self.db_path, parent=os.getpid(),
                                env=worker_env(self.max_jobs))
        except OSError:
            self._back_off()
            return
        self._children[proc.pid] = _Child(proc)

    # --- runs ----------------------------------------------------------------------------
    def submit(self, schedule: Schedule, config: TrainConfig, label: str,
               session: str | None = None) -> int:
        """Queue a run; it starts as soon as a worker is free. Beyond the fair-use caps
        (``caps_setting``) of its browser ``session``, a LimitError says why."""
        run_id = self._writable().submit(label[:200], schedule.to_json(), config.to_dict(),
                                         session=session, caps=self.caps)
        self.supervise()
        return run_id

    def submit_range_test(self, optimizer: OptimizerSpec, test: RangeTest, label: str,
                          session: str | None = None) -> int:
        """Queue an LR range test; the same workers, queue and caps as training runs."""
        run_id = self._writable().submit(label[:200], json.dumps(optimizer_to_dict(optimizer)),
                                         test.to_dict(), kind="lr-find", session=session,
                                         caps=self.caps)
        self.supervise()
        return run_id

    def stop(self, run_id: int) -> None:
        """Ask a run to stop (a queued one stops at once)."""
        self._writable().request_stop(run_id)

    def delete(self, run_id: int) -> bool:
        """Delete a finished run and its metrics."""
        return self._writable().delete(run_id)

    def queue_position(self, run_id: int) -> int | None:
        """1 for the next queued run to start; None unless the run is queued."""
        return None if self.store is None else self.store.queue_position(run_id)

    def _writable(self) -> RunStore:
        if self.store is None or self.store.readonly:
            raise self.problem or StoreError(path=self.where, code="error.store.not-open",
                                             params={"path": self.where})
        return self.store

    def release(self) -> None:
        """Let this manager go (the page's cache dropped it): every worker it started is
        told to retire (claim no other run); the idle ones exit, one that is training
        finishes its run first, and the next manager counts it among the live workers
        meanwhile, so clearing a cache never interrupts a run."""
        with self._lock:
            for child in self._children.values():
                child.proc.send_signal(signal.SIGUSR1)  # a no-op for one that has exited
            deadline = time.monotonic() + 10
            for pid, child in list(self._children.items()):
                while child.proc.poll() is None and time.monotonic() < deadline \
                        and pid not in self._training():
                    time.sleep(0.05)
                if child.proc.poll() is not None:
                    self._children.pop(pid, None)
                # else training (it exits after its run), or slow to notice: it still will

    def _training(self) -> set[int]:
        """The pids of the workers with a run in hand (none when the store cannot say)."""
        try:
            return self.store.training_pids() if self.store is not None else set()
        except StoreError:
            return set()

    def shutdown(self) -> None:
        """Stop the workers started here (tests, and a clean server exit): each ends its
        run as interrupted, or is killed after 10 s."""
        with self._lock:
            for child in self._children.values():
                child.proc.terminate()
            for child in list(self._children.values()):
                try:
                    child.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self._kill(child)
            self._children.clear()
