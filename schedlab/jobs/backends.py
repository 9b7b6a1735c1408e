"""Where queued runs train (``SCHEDLAB_JOBS``), and queueing a run from outside the app.

* ``local`` (the default): worker processes on this machine. The app keeps its own
  (``JobManager``); a run queued from the command line is taken by a live worker of the
  store when one beats, else by a worker started for it, detached, that exits once the
  queue has been empty for ``IDLE_EXIT`` seconds: the run belongs to the store, not to the
  command that queued it.
* ``ray``: the Ray cluster that Ray's own discovery finds (``schedlab.jobs.raybackend``).
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from schedlab.errors import ConfigError
from schedlab.jobs.pgstore import is_server
from schedlab.training.data import data_dir

BACKENDS = ("local", "ray")
IDLE_EXIT = 60.0  # seconds a worker started for the command line waits for more runs
FRESH = 5.0  # seconds within which a worker's heartbeat counts as live


def jobs_setting() -> str:
    """``SCHEDLAB_JOBS``: "local" (default) or "ray"."""
    text = os.environ.get("SCHEDLAB_JOBS", "").strip() or "local"
    if text not in BACKENDS:
        raise ConfigError(code="error.server.jobs", params={
            "value": repr(text[:40]), "known": ", ".join(BACKENDS)})
    return text


def cli_session() -> str:
    """The command line's user, as the fair-use caps count sessions."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:{os.getuid()}"


def dispatch(location: str | Path, store: Any) -> None:
    """Make sure something will train the queue of the store at ``location``."""
    if jobs_setting() == "ray":
        from schedlab.jobs.raybackend import ensure_dispatcher
        ensure_dispatcher(location)
        return
    now = time.time()
    live = {row["pid"] for row in store.workers()
            if now - row["heartbeat"] < FRESH and alive(row["pid"])}
    store.interrupt_orphans(live)  # a run whose worker died, with no app to notice
    if not live:  # else a live worker (the app's, or one started earlier) takes it
        start_worker(location, until_idle=IDLE_EXIT)


def alive(pid: int) -> bool:
    """Whether a process runs here with this pid (a zombie does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True  # no /proc here: trust the signal


def start_worker(location: str | Path, until_idle: float | None = None,
                 parent: int | None = None, env: dict[str, str] | None = None
                 ) -> subprocess.Popen:
    """A worker process on this machine for the store at ``location`` (a server's URL
    passed in its environment, out of ``ps``), its output appended to the worker log, in
    a session of its own (a Ctrl-C in the terminal that started it is not its own).
    Raises OSError when the process cannot be started."""
    env = {**(os.environ if env is None else env)}
    db = str(location)
    if is_server(db):
        env["SCHEDLAB_STORE"], db = db, "env"
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    argv = [sys.executable, "-m", "schedlab", "worker", "--db", db]
    if until_idle is not None:
        argv += ["--until-idle", f"{until_idle:g}"]
    if parent is not None:
        argv += ["--parent", str(parent)]
    log_path = data_dir() / "worker.log" if db == "env" else Path(db).with_suffix(".worker.log")
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log: Any = open(log_path, "ab")
    except OSError:
        log = subprocess.DEVNULL
    try:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)
    finally:
        if log is not subprocess.DEVNULL:
            log.close()
