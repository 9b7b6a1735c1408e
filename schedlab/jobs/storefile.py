"""The run store's file: what can go wrong with it, said plainly, and damage set aside.

SQLite's errors become ``StoreError`` kinds whose message names the file and says what to
do. A damaged file (not a database, failing ``PRAGMA quick_check``, or an existing 0-byte
file) is never deleted: it is renamed with the time, its -wal and -shm files with it, so
its runs can still be recovered from it.
"""

from __future__ import annotations

import errno
import functools
import os
import sqlite3
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from schedlab.errors import StoreError
from schedlab.messages import Text

HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite database
SIDE_FILES = ("-wal", "-shm")  # SQLite's companions of a WAL database
F = TypeVar("F", bound=Callable[..., Any])


class StoreDamaged(StoreError):
    """The file is not a readable store: corrupt, truncated, empty or not SQLite."""


class StoreReadOnly(StoreError):
    """The file or its folder cannot be written: history can be read, no run stored."""


class StoreFull(StoreError):
    """The disk (or SQLite's page limit) leaves no room for more rows."""


class StoreBusy(StoreError):
    """Another connection held the store locked for longer than we wait."""


class StoreGone(StoreError):
    """The file was deleted or replaced while it was open."""


def translate(exc: BaseException, path: str | Path) -> StoreError:
    """The StoreError a user should see for an error of SQLite or the OS on ``path``."""
    if isinstance(exc, StoreError):
        return exc
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    code = getattr(exc, "errno", None)
    if name.startswith("SQLITE_READONLY") or code in (errno.EROFS, errno.EACCES, errno.EPERM):
        return read_only(path, text)
    if name.startswith("SQLITE_FULL") or code in (errno.ENOSPC, errno.EDQUOT):
        return full(path, text)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreDamaged(path=str(path), code="error.store.damaged",
                            params={"path": str(path), "detail": text})
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return StoreBusy(path=str(path), code="error.store.busy",
                         params={"path": str(path), "detail": text})
    if name.startswith("SQLITE_CANTOPEN") or isinstance(exc, OSError):
        return StoreError(path=str(path), code="error.store.cannot-open",
                          params={"path": str(path), "detail": text})
    return StoreError(path=str(path), code="error.store.failed",
                      params={"path": str(path), "detail": text})


def translated(method: F) -> F:
    """For the methods of a store: its database's and the OS's errors become the
    StoreError to show (the store's ``translate`` says which, and how)."""
    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:
            problem = self.translate(exc)
            if problem is None:
                raise
            raise problem from exc
    return wrapper  # type: ignore[return-value]


def read_only(path: str | Path, detail: str | Text) -> StoreReadOnly:
    """The message for a store that can be read but not written."""
    return StoreReadOnly(path=str(path), code="error.store.read-only",
                         params={"path": str(path), "detail": detail})


def full(path: str | Path, detail: str | Text) -> StoreFull:
    """The message for a store with no room left."""
    return StoreFull(path=str(path), code="error.store.full",
                     params={"path": str(path), "detail": detail})


def identity(path: str | Path) -> tuple[int, int] | None:
    """(device, inode) of the file, or None when there is none: tells a replaced file."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def find_damage(path: str | Path) -> Text | None:
    """What is wrong with an existing store file, in words; None if it is sound or absent."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(len(HEADER))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise translate(exc, path) from exc
    if size == 0:
        return Text("store.damage.empty")
    if head != HEADER:
        return Text("store.damage.not-sqlite")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            found = [r[0] for r in db.execute("PRAGMA quick_check(3)")]
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "") or ""
        if not name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            raise translate(exc, path) from exc
        return Text("store.damage.truncated", {"detail": str(exc)})
    if found != ["ok"]:
        return Text("store.damage.check", {"detail": "; ".join(found)[:200]})
    return None


def move_aside(path: str | Path, reason: Text) -> Path:
    """Rename a damaged store (and its -wal, -shm) to ``NAME.damaged-TIME.EXT``; the path
    it now has. Raises StoreError, naming both, when the folder does not allow it."""
    path = Path(path)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.damaged-{stamp}{path.suffix}")
    n = 2
    while target.exists():
        target = path.with_name(f"{path.stem}.damaged-{stamp}-{n}{path.suffix}")
        n += 1
    try:
        os.rename(path, target)
        for side in SIDE_FILES:
            if os.path.exists(f"{path}{side}"):
                os.rename(f"{path}{side}", f"{target}{side}")
    except OSError as exc:
        raise StoreDamaged(path=str(path), code="error.store.move-failed", params={
            "path": str(path), "reason": reason, "target": str(target),
            "detail": str(exc.strerror or exc)}) from exc
    return target


def store_problem(db: str) -> str | None:
    """What stops ``db`` from being a run store (an SQLite file, possibly still empty or
    missing, in an existing writable folder), or None; only a regular file is opened."""
    if not db:
        return "give the path of an SQLite file"
    path = Path(db)
    folder = path.absolute().parent
    if not os.path.isdir(folder):
        return (f"its folder {folder} does not exist" if not os.path.lexists(folder)
                else f"{folder} is not a directory")
    if not os.access(folder, os.W_OK):  # SQLite writes its journal beside the file
        return f"its folder {folder} cannot be written"
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return None  # a new store
    except OSError as exc:
        return f"cannot be read ({(exc.strerror or str(exc)).lower()})"
    if stat.S_ISDIR(mode):
        return "is a directory; give the path of an SQLite file"
    if not stat.S_ISREG(mode):
        return "is not a regular file; give the path of an SQLite file"
    try:  # without blocking, should a FIFO have taken its place meanwhile
        with os.fdopen(os.open(path, os.O_RDWR | os.O_NONBLOCK), "rb") as f:
            header = f.read(len(HEADER))
    except OSError as exc:
        return f"cannot be read and written ({(exc.strerror or str(exc)).lower()})"
    if header and header != HEADER:
        return "is not an SQLite database; give a run store (or a new file name)"
    return None
