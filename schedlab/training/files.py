"""The MNIST cache's files: downloaded atomically, checked by md5, never read past MNIST's size.

A download goes to a temporary file beside its target and is renamed into place only once
its md5 matches, so a cut connection or a full disk never leaves a broken file. All cached
files are checked before anything is downloaded; each damaged one, and anything under a
file's name that is not a regular file (never opened), is discarded and fetched again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import http.client
import os
import shutil
import stat
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

from schedlab.errors import DataError
from schedlab.messages import Text

MAX_DOWNLOAD = 32 * 2**20  # bytes; the largest MNIST file is under 10 MB
MAX_SECONDS = 600.0  # per file: a mirror that trickles bytes must not hold a run forever
_DIGESTS: dict[tuple, str] = {}  # (device, inode, size, mtime, ctime) -> md5


def fetch_all(folder: Path, files: dict[str, str], urls: tuple[str, ...],
              timeout: float) -> list[Path]:
    """The cached files, verified. Every cached file is checked first and each damaged
    one discarded, then whatever is missing is downloaded, so one failed download never
    leaves a later damaged file in place."""
    _make_dir(folder)
    present = {name: _keep_if_valid(folder / name, md5) for name, md5 in files.items()}
    return [folder / name if present[name] else _download_any(name, md5, folder, urls,
                                                              timeout)
            for name, md5 in files.items()]


def fetch(name: str, md5: str, folder: Path, urls: tuple[str, ...], timeout: float) -> Path:
    """The cached file, verified; downloaded (atomically) when missing or damaged."""
    return fetch_all(folder, {name: md5}, urls, timeout)[0]


def _download_any(name: str, md5: str, folder: Path, urls: tuple[str, ...],
                  timeout: float) -> Path:
    if not urls:
        raise DataError(code="error.download.no-mirrors")
    path, problems = folder / name, []
    for base in urls:
        try:
            _download(base.rstrip("/") + "/" + name, path, md5, timeout)
            return path
        except _Unwritable:
            raise  # another mirror would not help
        except DataError as exc:
            problems.append(f"{base}: {exc}")
    raise DataError(code="error.download.failed", params={
        "name": name, "problems": "; ".join(problems)})


class _Unwritable(DataError):
    """The data directory cannot be written: read-only, full, or not a directory."""

    def __init__(self, path: Path, exc: OSError) -> None:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        super().__init__(code="error.file.unwritable", params={
            "path": str(path), "reason": os_reason(exc),
            "fix": Text("error.file.free-space" if full else "error.file.writable-dir")})


def _make_dir(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _Unwritable(folder, exc) from None


def _keep_if_valid(path: Path, md5: str) -> bool:
    """True when the cached file is valid; anything else under its name (damaged, or not
    a regular file: never opened) is discarded so that it is fetched again."""
    if not os.path.lexists(path):
        return False
    if valid_file(path, md5):
        return True
    try:
        if stat.S_ISDIR(path.lstat().st_mode):
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError as exc:
        raise _Unwritable(path, exc) from None
    return False


def valid_file(path: Path, md5: str) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode) and md5sum(path) == md5
    except (OSError, DataError):
        return False


def _download(url: str, path: Path, md5: str, timeout: float) -> None:
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        digest, size = hashlib.md5(), 0
        with os.fdopen(fd, "wb") as out, contextlib.closing(_chunks(url, timeout)) as chunks:
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_DOWNLOAD:
                    raise DataError(code="error.download.too-large")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            raise DataError(code="error.download.checksum", params={
                "got": digest.hexdigest(), "expected": md5})
        os.replace(tmp, path)
    except OSError as exc:  # network errors are DataError already: this is the disk
        raise _Unwritable(path, exc) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):  # gone already once renamed into place
                os.unlink(tmp)


def _chunks(url: str, timeout: float) -> Iterator[bytes]:
    """The body of ``url``; network failures (and malformed mirror URLs) as DataError."""
    deadline = time.monotonic() + MAX_SECONDS
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            read = getattr(response, "read1", response.read)  # returns what has come
            while chunk := read(1 << 16):
                if time.monotonic() > deadline:
                    raise DataError(code="error.download.slow", params={"most": MAX_SECONDS})
                yield chunk
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise DataError(code="text.any", params={  # the network's own words
            "text": str(getattr(exc, "reason", None) or exc) or type(exc).__name__}) from None


def md5sum(path: Path, *, follow: bool = False) -> str:
    """md5 of a regular file of at most MAX_DOWNLOAD bytes, read at most that far. The
    file is checked after opening too (without blocking), so a FIFO or device swapped in
    meanwhile is refused rather than read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise DataError(code="error.file.unreadable", params={
            "path": str(path), "reason": os_reason(exc)}) from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError(code="error.file.not-regular", params={
                "path": str(path), "kind": file_kind(info.st_mode)})
        if info.st_size > MAX_DOWNLOAD:
            raise DataError(code="error.file.too-large", params={"path": str(path)})
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        if key in _DIGESTS:  # the page asks on every rerun: hash 55 MB once
            return _DIGESTS[key]
        digest, left = hashlib.md5(), MAX_DOWNLOAD + 1
        while left > 0 and (chunk := f.read(min(1 << 20, left))):  # sizes can lie (/proc)
            digest.update(chunk)
            left -= len(chunk)
    if left <= 0:
        raise DataError(code="error.file.too-large", params={"path": str(path)})
    if len(_DIGESTS) > 64:
        _DIGESTS.clear()
    _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def file_kind(mode: int) -> Text:
    """What a file that is not a regular file is, in words."""
    return Text("error.file.kind." + {
        stat.S_IFDIR: "directory", stat.S_IFIFO: "fifo", stat.S_IFCHR: "device",
        stat.S_IFBLK: "device", stat.S_IFSOCK: "socket",
        stat.S_IFLNK: "link"}.get(stat.S_IFMT(mode), "other"))


def os_reason(exc: OSError) -> Text:
    """Why the system refused, in words (the system's own, for the rarer errors)."""
    if exc.errno == errno.ENOTDIR:
        return Text("error.file.not-a-folder")
    if exc.errno == errno.EEXIST:
        return Text("error.file.in-the-way")
    return Text("text.any", {"text": (exc.strerror or str(exc)).lower()})
