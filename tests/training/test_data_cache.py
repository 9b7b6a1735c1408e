"""The MNIST cache on a shared server: unwritable or full data directories, cache entries
that are not regular files, several damaged files at once, and bounded reads."""

from __future__ import annotations

import errno
import gzip
import http.server
import os
import tempfile
import threading
import time
from pathlib import Path

import pytest

from schedlab.errors import DataError
from schedlab.training import data
from schedlab.training import files as cache_files
from schedlab.training.data import (
    OFFLINE,
    OFFLINE_TRAIN,
    expected_train_size,
    fetch,
    fetch_all,
    load_digits,
    read_idx,
)
from schedlab.training.files import MAX_DOWNLOAD
from tests.training.test_data import NAMES, Server, md5s, sample_files


@pytest.fixture
def files() -> dict[str, bytes]:
    return sample_files()


@pytest.fixture
def server(files):
    s = Server(files)
    yield s
    s.close()


def finishes(call, seconds: float = 20.0):
    """``call()``'s result, failing the test (rather than hanging it) if it blocks."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 (handed back to the test)
            box["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still blocked after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def read_only(*args, **kwargs):
    """Stands in for a write to a read-only filesystem (root can write anywhere else)."""
    raise OSError(errno.EROFS, os.strerror(errno.EROFS))


def write_all(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        (folder / name).write_bytes(blob)
    return folder


def make_entry(path: Path, kind: str) -> None:
    """Something under a cache file's name that is not a regular file."""
    if kind == "symlink to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "FIFO":
        os.mkfifo(path)
    else:
        path.mkdir()
        (path / "inside").write_text("x")


KINDS = ("symlink to /dev/zero", "FIFO", "directory")


def test_auto_with_a_data_dir_below_a_file_falls_back_and_says_how_to_fix(tmp_path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    digits = load_digits("auto", directory=blocker / "mnist", urls=("http://127.0.0.1:9/",))
    assert digits.name == OFFLINE and len(digits.train_x) == OFFLINE_TRAIN
    assert str(blocker / "mnist") in str(digits.note)
    assert "not a directory" in str(digits.note) and "SCHEDLAB_DATA" in str(digits.note)


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs Linux sysfs")
def test_auto_with_a_data_dir_where_even_root_cannot_write(tmp_path) -> None:
    target = Path("/sys/kernel/schedlab-test/mnist")
    if os.path.lexists(target.parent):
        pytest.skip("sysfs is writable here")
    digits = load_digits("auto", directory=target, urls=("http://127.0.0.1:9/",))
    assert digits.name == OFFLINE and str(target) in str(digits.note)
    assert "SCHEDLAB_DATA" in str(digits.note)


def test_a_read_only_data_dir_stops_the_download_with_the_file_named(server, files, tmp_path,
                                                                     monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    folder = tmp_path / "c"
    with pytest.raises(DataError) as caught:
        fetch(NAMES[0], md5s(files)[NAMES[0]], folder, (server.url, server.url), 5)
    message = str(caught.value)
    assert str(folder / NAMES[0]) in message and "read-only file system" in message
    assert "SCHEDLAB_DATA" in message and "\n" not in message
    assert server.hits == []  # a second mirror would not help: not tried


class FullDisk:
    """A file whose disk fills up after the first 1000 bytes."""

    def __init__(self, real) -> None:
        self.real, self.written = real, 0

    def write(self, chunk: bytes) -> int:
        self.written += len(chunk)
        if self.written > 1000:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.real.write(chunk)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.real.close()


def test_a_full_disk_leaves_no_partial_file_and_auto_falls_back(server, files, tmp_path,
                                                                monkeypatch) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(cache_files.os, "fdopen", lambda *a, **k: FullDisk(real_fdopen(*a, **k)))
    folder = tmp_path / "c"
    with pytest.raises(DataError, match="no space left on device") as caught:
        fetch(NAMES[0], md5s(files)[NAMES[0]], folder, (server.url, server.url), 5)
    assert str(folder / NAMES[0]) in str(caught.value) and "free some space" in str(caught.value)
    assert list(folder.iterdir()) == []  # no .part file, no half-written target
    assert server.hits == [NAMES[0]]
    digits = load_digits("auto", directory=folder, urls=(server.url,), files=md5s(files))
    assert digits.name == OFFLINE and "no space left on device" in str(digits.note)
    assert list(folder.iterdir()) == []


def test_a_valid_cache_in_a_read_only_directory_is_used_as_it_is(files, tmp_path,
                                                                 monkeypatch) -> None:
    folder = write_all(tmp_path / "shared", files)
    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(cache_files.os, "unlink", read_only)
    digits = load_digits("auto", directory=folder, urls=(), files=md5s(files))
    assert digits.name == "MNIST" and digits.train_x.shape == (20, 28, 28)


def test_a_damaged_file_that_cannot_be_removed_means_the_offline_subset(files, tmp_path,
                                                                         monkeypatch) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / NAMES[1]).write_bytes(b"damaged")

    monkeypatch.setattr(cache_files.os, "unlink", read_only)
    digits = load_digits("auto", directory=folder, urls=("http://127.0.0.1:9/",),
                         files=md5s(files))
    assert digits.name == OFFLINE
    note = str(digits.note)
    assert str(folder / NAMES[1]) in note and "read-only file system" in note


def test_cache_entries_that_are_not_regular_files_are_replaced_unread(server, files,
                                                                       tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere.gz"
    elsewhere.write_bytes(files[NAMES[3]])  # even a valid file: the cache holds no links
    folder = tmp_path / "c"
    folder.mkdir()
    for name, kind in zip(NAMES, KINDS):
        make_entry(folder / name, kind)
    (folder / NAMES[3]).symlink_to(elsewhere)
    paths = finishes(lambda: fetch_all(folder, md5s(files), (server.url,), 5))
    for path in paths:
        assert path.is_file() and not path.is_symlink()
        assert path.read_bytes() == files[path.name]
    assert sorted(server.hits) == sorted(NAMES)
    assert elsewhere.read_bytes() == files[NAMES[3]]  # the link went, not its target


@pytest.mark.parametrize("kind", KINDS)
def test_a_user_directory_refuses_entries_that_are_not_regular_files(files, tmp_path,
                                                                    kind) -> None:
    folder = write_all(tmp_path / "mine", files)
    (folder / NAMES[1]).unlink()
    make_entry(folder / NAMES[1], kind)
    with pytest.raises(DataError, match="not a regular file") as caught:
        finishes(lambda: load_digits(str(folder), files=md5s(files)))
    assert str(folder / NAMES[1]) in str(caught.value)


def test_a_user_directory_accepts_a_symlink_to_the_real_file(files, tmp_path) -> None:
    shared, mine = tmp_path / "shared", tmp_path / "mine"
    shared.mkdir()
    mine.mkdir()
    for name, blob in files.items():
        (shared / name).write_bytes(blob)
        (mine / name).symlink_to(shared / name)
    assert load_digits(str(mine), files=md5s(files)).train_x.shape == (20, 28, 28)


def test_reads_stop_at_the_largest_legitimate_size(files, tmp_path) -> None:
    folder = write_all(tmp_path / "mine", files)
    with open(folder / NAMES[0], "r+b") as f:
        f.truncate(8 * MAX_DOWNLOAD)  # sparse: large, instantly
    with pytest.raises(DataError, match="far larger than MNIST") as caught:
        load_digits(str(folder), files=md5s(files))
    assert str(folder / NAMES[0]) in str(caught.value)
    bomb = tmp_path / "bomb.gz"
    with gzip.open(bomb, "wb", compresslevel=1) as f:
        f.write(bytes([0, 0, 8, 1]) + (80 * 2**20).to_bytes(4, "big"))
        f.write(bytes(80 * 2**20))
    with pytest.raises(DataError, match="far larger"):
        read_idx(bomb)


def test_every_damaged_cache_file_is_discarded_before_downloading(server, files,
                                                                  tmp_path) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    for name, blob in files.items():
        (folder / name).write_bytes(blob[:-7])  # all four truncated
    del server.files[NAMES[1]]  # the second download fails
    with pytest.raises(DataError, match="could not download"):
        fetch_all(folder, md5s(files), (server.url,), 5)
    assert [p.name for p in folder.iterdir()] == [NAMES[0]]
    assert (folder / NAMES[0]).read_bytes() == files[NAMES[0]]


def test_expected_size_counts_only_valid_regular_files(files, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SCHEDLAB_DATA", str(tmp_path))
    monkeypatch.setattr(data, "FILES", md5s(files))
    folder = write_all(tmp_path / "mnist", files)
    assert expected_train_size("auto") == 60_000
    (folder / NAMES[2]).write_bytes(files[NAMES[2]][:-1])
    assert expected_train_size("auto") == OFFLINE_TRAIN  # no mirrors in tests: offline
    (folder / NAMES[2]).unlink()
    (folder / NAMES[2]).symlink_to(tmp_path / "elsewhere")
    (tmp_path / "elsewhere").write_bytes(files[NAMES[2]])
    assert expected_train_size("auto") == OFFLINE_TRAIN
    (folder / NAMES[2]).unlink()
    os.mkfifo(folder / NAMES[2])
    assert finishes(lambda: expected_train_size("auto")) == OFFLINE_TRAIN


def test_a_malformed_mirror_address_means_the_offline_subset(tmp_path) -> None:
    digits = load_digits("auto", directory=tmp_path / "c", urls=("not a url",))
    assert digits.name == OFFLINE and "not a url" in str(digits.note)


class Trickle(http.server.BaseHTTPRequestHandler):
    """A mirror that sends a large file a few bytes at a time, forever in effect."""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(10**7))
        self.end_headers()
        try:
            while True:
                self.wfile.write(b"x" * 10)
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass  # the client gave up

    def log_message(self, *args):
        pass


def test_a_mirror_that_trickles_is_given_up_on(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(cache_files, "MAX_SECONDS", 1.0)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Trickle)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/mnist/"
    try:
        began = time.monotonic()
        with pytest.raises(DataError, match="took over 1 s"):
            finishes(lambda: fetch(NAMES[0], "0" * 32, tmp_path / "c", (url,), 5))
        assert time.monotonic() - began < 10
        assert list((tmp_path / "c").iterdir()) == []
    finally:
        httpd.shutdown()
