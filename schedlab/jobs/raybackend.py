"""Runs on a Ray cluster (``SCHEDLAB_JOBS=ray``): the cluster that Ray's own discovery
finds (``RAY_ADDRESS``, else the one ``ray start --head`` runs on this machine). Ray is
imported only here, and only then.

A queued run belongs to the cluster: one detached dispatcher actor per store (named after
it, restarted by Ray should it die) claims the queue oldest first, as many runs at once as
the cluster has room for, and starts each as a Ray task with its resources (a GPU for a
CUDA run, or for "auto" where the cluster has GPUs; a CPU otherwise). The task trains
with the same code as a local worker, writing its events straight to the shared store
and beating as a worker there. The dispatcher ends by force a run asked to stop that is
still training ``GRACE`` seconds later, and marks interrupted, metrics kept, a run whose
task or node died. Neither the command line nor the app server that queued a run needs to
stay up for it to finish.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from schedlab.errors import ConfigError
from schedlab.messages import Text

NAMESPACE = "schedlab"
CPUS_PER_RUN = 1
GRACE = float(os.environ.get("SCHEDLAB_STOP_GRACE", "5"))  # seconds to stop cleanly
POLL = 0.2  # seconds between the dispatcher's looks at the queue
BEAT = 0.5  # seconds between a task's heartbeats
log = logging.getLogger("schedlab.jobs.ray")


def _ray() -> Any:
    """Ray, connected to the cluster it finds (once per process)."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError(code="error.jobs.ray-missing") from exc
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS") or "auto"
        _probe(address)  # ray.init waits minutes for an address where nothing answers
        quiet = {} if address.startswith("ray://") else {  # (Ray Client takes fewer)
            "logging_level": logging.ERROR, "log_to_driver": False, "configure_logging": False}
        try:
            ray.init(address=address, namespace=NAMESPACE, **quiet)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            raise ConfigError(code="error.jobs.ray-none", params={
                "address": address, "detail": detail}) from exc
    return ray


def _probe(address: str) -> None:
    """Refuse at once, with the reason, a cluster address nothing answers at: the one
    given, or for "auto" the one the last ``ray start --head`` here wrote down."""
    if address == "auto":
        try:
            with open(os.path.join(tempfile.gettempdir(), "ray", "ray_current_cluster")) as f:
                address = f.read().strip()
        except OSError:
            return  # no cluster started here: ray.init says so at once
    host, _, port = address.rpartition(":")
    if "://" in address or not port.isdigit():
        return  # ray://, or a form Ray itself will judge
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=3).close()
    except OSError as exc:
        raise ConfigError(code="error.jobs.ray-none", params={
            "address": address, "detail": exc.strerror or str(exc)}) from exc


def dispatcher_name(location: str | Path) -> str:
    """The dispatcher's name: one per store, whichever server or command asks."""
    return "dispatcher-" + hashlib.sha256(str(location).encode()).hexdigest()[:16]


def ensure_dispatcher(location: str | Path) -> Any:
    """The store's dispatcher on the cluster, started when there is none."""
    ray = _ray()
    name = dispatcher_name(location)
    try:
        return ray.get_actor(name, namespace=NAMESPACE)
    except ValueError:
        pass
    actor = ray.remote(num_cpus=0, max_restarts=-1, max_concurrency=2)(Dispatcher)
    handle = actor.options(name=name, namespace=NAMESPACE, lifetime="detached",
                           get_if_exists=True).remote(str(location))
    ray.get(handle.alive.remote(), timeout=60)  # up, its loop running
    return handle


class Dispatcher:
    """The store's queue on the cluster (a detached actor: see the module's docstring)."""

    def __init__(self, location: str) -> None:
        self.location = location
        self.inflight: dict[Any, int] = {}  # task -> run id
        self.stop_seen: dict[int, float] = {}
        threading.Thread(target=self._loop, daemon=True, name="dispatch").start()

    def alive(self) -> bool:
        return True

    def _loop(self) -> None:
        from schedlab.errors import StoreError
        from schedlab.jobs.store import connect

        store = None
        while True:
            try:
                store = store or connect(self.location, timeout=10)
                self._round(store)
            except StoreError as exc:  # the store is down for a while: keep trying
                log.warning("the store failed: %s", exc)
                store = None
                time.sleep(2)
            time.sleep(POLL)

    def _round(self, store: Any) -> None:
        import ray

        store.beat(os.getpid(), None)  # its claims are its own until their tasks adopt them
        if self.inflight:
            done, _ = ray.wait(list(self.inflight), num_returns=len(self.inflight), timeout=0)
            for ref in done:
                run_id = self.inflight.pop(ref)
                try:
                    ray.get(ref)
                except Exception as exc:  # noqa: BLE001 (the task, its worker or node died)
                    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                    store.finish(run_id, "interrupted", Text("run.error.ray", {
                        "error": detail[:200]}), only_if_running=True)
        now = time.monotonic()
        for ref, run_id in list(self.inflight.items()):
            if not store.should_stop(run_id):
                continue
            if now - self.stop_seen.setdefault(run_id, now) > GRACE:
                ray.cancel(ref, force=True)
                store.finish(run_id, "stopped", Text("run.error.forced", {"seconds": GRACE}),
                             only_if_running=True)
        resources = ray.cluster_resources()
        gpus = resources.get("GPU", 0) > 0  # then runs take a GPU each, as many at once
        room = max(1, int(resources["GPU"] if gpus else
                          resources.get("CPU", 1) // CPUS_PER_RUN))
        while len(self.inflight) < room:
            job = store.claim_next(os.getpid())
            if job is None:
                break
            device = json.loads(job["config"]).get("device", "auto")
            ref = train_task().options(
                num_cpus=CPUS_PER_RUN,
                num_gpus=1 if device == "cuda" or (device == "auto" and gpus) else 0,
            ).remote(self.location, job["id"])
            self.inflight[ref] = job["id"]


_TASK: Any = None


def train_task() -> Any:
    """The Ray task that trains one claimed run (made once, when Ray is there)."""
    global _TASK
    if _TASK is None:
        import ray
        _TASK = ray.remote(max_retries=0)(_train)
    return _TASK


def _train(location: str, run_id: int) -> str:
    """Train a claimed run in this Ray worker process: adopt it, beat while training, and
    store its events as a local worker does. Its final status."""
    from schedlab.jobs.store import connect
    from schedlab.jobs.worker import limit_threads, run_job

    os.environ.setdefault("SCHEDLAB_WORKER_THREADS", str(CPUS_PER_RUN))
    limit_threads()
    store, pid = connect(location, timeout=10), os.getpid()
    store.beat(pid, run_id)  # first: a run whose worker has no heartbeat row is an orphan
    store.adopt(run_id, pid)
    done = threading.Event()

    def beat() -> None:
        beating = connect(location, timeout=2)
        while not done.is_set():
            try:
                beating.beat(pid, run_id)
            except Exception:  # noqa: BLE001 (a missed beat; the next one may pass)
                pass
            done.wait(BEAT)
        beating.close()

    threading.Thread(target=beat, daemon=True).start()
    try:
        job = store.run(run_id)
        if job is not None and job["status"] == "running":
            run_job(store, job)
    finally:
        done.set()
        store.forget_worker(pid)
    row = store.run(run_id)
    return "gone" if row is None else row["status"]
