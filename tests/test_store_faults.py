"""A damaged run store is set aside, kept as it was, and a new one started."""

from __future__ import annotations

import re

import pytest

from schedlab.errors import StoreError
from schedlab.store import open_store
from tests.faults import DAMAGE, QUICK, SCHEDULE, garbage, real_store

MOVED = re.compile(r"runs\.damaged-\d{8}-\d{6}\.sqlite3$")


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_store_is_moved_aside_and_a_new_one_started(tmp_path, kind) -> None:
    path = tmp_path / "runs.sqlite3"
    make, words = DAMAGE[kind]
    make(path)
    before = path.read_bytes()
    store, note = open_store(path)
    moved = [p for p in tmp_path.iterdir() if MOVED.search(p.name)]
    assert len(moved) == 1 and moved[0].read_bytes() == before  # kept as it was
    assert words in note and str(path) in note and str(moved[0]) in note
    run_id = store.submit("fresh", SCHEDULE.to_json(), QUICK.to_dict())  # the new one works
    assert list(store.runs()["id"]) == [run_id]


def test_a_sound_store_is_left_alone(tmp_path) -> None:
    path = tmp_path / "runs.sqlite3"
    real_store(path, runs=3)
    store, note = open_store(path)
    assert note is None and len(store.runs()) == 3
    assert sorted(p.name for p in tmp_path.iterdir() if "damaged" in p.name) == []


def test_a_damaged_store_in_a_folder_that_refuses_the_move_says_what_to_do(
        tmp_path, monkeypatch) -> None:
    path = tmp_path / "runs.sqlite3"
    garbage(path)

    def refuse(*_):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("schedlab.storefile.os.rename", refuse)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    message = str(caught.value)
    assert str(path) in message and "could not be moved aside" in message
    assert "SCHEDLAB_DATA" in message and path.exists()
