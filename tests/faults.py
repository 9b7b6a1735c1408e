"""What the fault tests share: damaged store files, a read-only SQLite, and waiting."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from schedlab import parse_schedule
from schedlab.jobs.store import RunStore
from schedlab.messages import unstored
from schedlab.training.loop import TrainConfig

SCHEDULE = parse_schedule("CosineAnnealingLR(optimizer, T_max=100)")
QUICK = TrainConfig(epochs=1, model="mlp", data="offline", batch_size=500, log_every=1)
LONG = TrainConfig(epochs=200, model="mlp", data="offline", batch_size=64, log_every=5)


def real_store(path: Path, runs: int = 40) -> None:
    """A store as the app leaves it: finished runs with metrics, closed (checkpointed)."""
    store = RunStore(path)
    for i in range(runs):
        run_id = store.submit(f"run {i}", SCHEDULE.to_json(), QUICK.to_dict())
        for step in range(50):
            store.record(run_id, {"event": "step", "step": step, "epoch": 0, "loss": 1.0,
                                  "lr": 0.1})
        store.finish(run_id, "done")
    store.close()


def garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 40)


def truncated(path: Path) -> None:
    """A real store cut in half (a copy or a disk that gave out halfway)."""
    real_store(path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def empty(path: Path) -> None:
    path.write_bytes(b"")


# each kind of damage, and the words the message uses for it
DAMAGE = {"garbage": (garbage, "not an SQLite database"),
          "truncated": (truncated, "damaged"),
          "empty": (empty, "0 bytes")}


def make_sqlite_read_only(monkeypatch) -> None:
    """Every SQLite connection opened from now on is read-only, as SQLite opens a file it
    may not write (tests run as root, for whom file permissions do not apply)."""
    connect = sqlite3.connect

    def read_only(target, *args, uri=False, **kwargs):
        if not uri:
            target, uri = f"{Path(target).resolve().as_uri()}?mode=ro", True
        return connect(target, *args, uri=uri, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", read_only)


def wait(condition, timeout: float = 90.0, what: str = "condition", every: float = 0.05):
    """condition()'s first true value, checked every ``every`` s for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def exited(pid: int) -> bool:
    """Whether the process is gone (a zombie nobody reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
    except (OSError, IndexError):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


def error_of(row) -> str:
    """A stored run's error, as its English words (the store keeps its code and values)."""
    return str(unstored(row["error"]))
