"""The Train page over a damaged or read-only store: it says what happened and what to do,
keeps working, and the explorer never notices."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from schedlab.app import HOME
from tests.faults import DAMAGE, make_sqlite_read_only, real_store
from tests.markdown import shown

APP = str(HOME)
pytestmark = pytest.mark.slow


def train_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    return at.switch_page("pages/train.py").run()


def texts(elements) -> str:
    return "\n".join(shown(e.value) for e in elements)


@pytest.mark.parametrize("kind", DAMAGE)
def test_a_damaged_store_is_set_aside_and_the_page_says_where(data, kind) -> None:
    store = data / "runs.sqlite3"
    make, words = DAMAGE[kind]
    make(store)
    at = train_page()
    assert not at.exception
    moved = [p for p in data.iterdir() if re.fullmatch(r"runs\.damaged-[\d-]+\.sqlite3", p.name)]
    assert len(moved) == 1
    note = texts(at.warning)
    assert words in note and str(store) in note and str(moved[0]) in note
    assert "Sorry" not in texts(at.error)  # not the apology for a bug
    assert not at.button(key="train.start").disabled  # the new store takes runs
    again = train_page()  # another session sees it too, until it dismisses it
    assert str(moved[0]) in texts(again.warning)
    again.button(key="train.dismiss").click().run()
    assert str(moved[0]) not in texts(again.warning)


def test_the_explorer_never_touches_the_store(data) -> None:
    store = data / "runs.sqlite3"
    store.write_bytes(b"not a database at all")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/explorer.py").run()
    assert not at.exception
    assert len(at.get("echarts_chart")) == 1
    assert store.read_bytes() == b"not a database at all"  # not even opened


def test_a_read_only_store_shows_its_history_and_why_start_is_off(data, monkeypatch) -> None:
    store = data / "runs.sqlite3"
    real_store(store, runs=2)
    make_sqlite_read_only(monkeypatch)
    at = train_page()
    assert not at.exception
    message = texts(at.error)
    assert "read-only" in message and str(store) in message and "writable" in message
    assert "Sorry" not in message
    assert at.button(key="train.start").disabled
    assert list(at.dataframe[-1].value["id"]) == [2, 1]  # the history is still shown
