"""MNIST files: read, downloaded from a local server with checksums, cached, or offline."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import threading

import numpy as np
import pytest

from schedlab.errors import DataError
from schedlab.training.data import (
    OFFLINE,
    Digits,
    fetch,
    load_digits,
    offline_subset,
    read_idx,
)

NAMES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def sample_files() -> dict[str, bytes]:
    """Four small IDX files in MNIST's layout (20 training and 5 test images)."""
    rng = np.random.default_rng(0)
    arrays = (rng.integers(0, 256, (20, 28, 28)), rng.integers(0, 10, 20),
              rng.integers(0, 256, (5, 28, 28)), rng.integers(0, 10, 5))
    return {name: idx_bytes(a) for name, a in zip(NAMES, arrays)}


@pytest.fixture
def files() -> dict[str, bytes]:
    return sample_files()


def md5s(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.md5(data).hexdigest() for name, data in files.items()}


class Server:
    """A local HTTP server for a dict of files, counting requests (never the internet)."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files, self.hits = dict(files), []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                name = self.path.rsplit("/", 1)[-1]
                owner.hits.append(name)
                if name not in owner.files:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(owner.files[name])))
                self.end_headers()
                self.wfile.write(owner.files[name])

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/mnist/"

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture
def server(files):
    s = Server(files)
    yield s
    s.close()


def test_download_verifies_caches_and_loads(server, files, tmp_path) -> None:
    digits = load_digits("auto", directory=tmp_path / "c", urls=(server.url,),
                         files=md5s(files))
    assert digits.name == "MNIST" and digits.note is None
    assert digits.train_x.shape == (20, 28, 28) and digits.test_y.shape == (5,)
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == sorted(NAMES)  # no .part
    served = len(server.hits)
    fetch(NAMES[0], md5s(files)[NAMES[0]], tmp_path / "c", (server.url,), 5)
    assert len(server.hits) == served  # cached and verified: not fetched again


def test_damaged_cache_is_discarded_and_fetched_again(server, files, tmp_path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / NAMES[0]).write_bytes(files[NAMES[0]][:-10])  # truncated
    path = fetch(NAMES[0], md5s(files)[NAMES[0]], folder, (server.url,), 5)
    assert path.read_bytes() == files[NAMES[0]] and server.hits == [NAMES[0]]


def test_bad_mirror_is_skipped_and_a_wrong_checksum_leaves_nothing(server, files,
                                                                   tmp_path) -> None:
    md5 = md5s(files)[NAMES[0]]
    dead = "http://127.0.0.1:9/mnist/"  # nothing listens on the discard port
    assert fetch(NAMES[0], md5, tmp_path / "a", (dead, server.url), 5).exists()
    server.files[NAMES[1]] = files[NAMES[1]][:-3]  # the server sends a truncated file
    with pytest.raises(DataError, match="checksum mismatch"):
        fetch(NAMES[1], md5s(files)[NAMES[1]], tmp_path / "b", (server.url,), 5)
    assert not list((tmp_path / "b").iterdir())


def test_auto_falls_back_to_the_offline_subset_and_says_why(tmp_path) -> None:
    digits = load_digits("auto", directory=tmp_path / "none", urls=("http://127.0.0.1:9/",))
    assert digits.name == OFFLINE and "MNIST unavailable" in str(digits.note)


def test_a_directory_of_files(files, tmp_path) -> None:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    assert load_digits(str(tmp_path), files=md5s(files)).train_x.shape == (20, 28, 28)
    (tmp_path / NAMES[2]).write_bytes(files[NAMES[2]][:100])
    with pytest.raises(DataError, match="damaged"):
        load_digits(str(tmp_path), files={**md5s(files), "x": "0"})
    with pytest.raises(DataError, match="no such directory"):
        load_digits(str(tmp_path / "missing"))


def test_read_idx_refuses_broken_files(files, tmp_path) -> None:
    good = tmp_path / "good.gz"
    good.write_bytes(files[NAMES[0]])
    assert read_idx(good).shape == (20, 28, 28)
    cases = {"short.gz": gzip.compress(gzip.decompress(files[NAMES[0]])[:-5]),
             "magic.gz": gzip.compress(b"\x01\x02\x03\x04" + b"\x00" * 100),
             "notgzip.gz": b"hello"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(DataError):
            read_idx(tmp_path / name)


def test_the_offline_subset_is_real_balanced_and_stable() -> None:
    a, b = offline_subset(), offline_subset()
    assert isinstance(a, Digits) and a.name == OFFLINE
    assert a.train_x.shape == (4000, 28, 28) and a.test_x.shape == (1000, 28, 28)
    assert np.array_equal(a.train_x, b.train_x) and np.array_equal(a.test_y, b.test_y)
    assert np.bincount(a.train_y).tolist() == [400] * 10
    assert np.bincount(a.test_y).tolist() == [100] * 10
    # handwritten digits, not noise: mostly blank background, ink in the middle
    assert (a.train_x == 0).mean() > 0.7 and a.train_x[:, 10:18, 10:18].mean() > 3 * \
        a.train_x[:, :4, :].mean()
