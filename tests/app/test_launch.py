"""`schedlab app`: the Streamlit settings it starts the server with."""

from __future__ import annotations

import os

import pytest
from streamlit.web import cli

from schedlab import app


@pytest.fixture
def launched(monkeypatch):
    """What `launch` would exec (argv, environment), without replacing this process."""
    for name in app.SETTINGS:  # set, then removed: undone after the test, whatever launch sets
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    seen = {}

    def execv(path, argv):
        seen["argv"], seen["env"] = argv, dict(os.environ)

    monkeypatch.setattr(os, "execv", execv)
    return seen


def test_every_setting_is_one_streamlit_run_reads():
    """A misspelt name would be ignored without a word: each must be the environment
    variable of a `streamlit run` option."""
    known = {p.envvar for p in cli.main_run.params}
    assert set(app.SETTINGS) <= known, set(app.SETTINGS) - known


def test_no_full_collection_after_every_script_run(launched):
    # Streamlit runs gc.collect(2) after each rerun by default: with torch and pandas
    # loaded, 45-120 ms of held GIL per redraw, for every session of the server
    app.launch(["--server.port", "8999"])
    assert launched["env"]["STREAMLIT_RUNNER_POST_SCRIPT_GC"] == "false"
    assert launched["argv"][-4:] == ["run", str(app.HOME), "--server.port", "8999"]


def test_no_watching_of_source_files(launched):
    # Streamlit's watcher held the event loop (every session's messages) about 0.5 s at
    # each new session's first run
    app.launch([])
    assert launched["env"]["STREAMLIT_SERVER_FILE_WATCHER_TYPE"] == "none"


def test_the_users_own_setting_wins(launched, monkeypatch):
    monkeypatch.setenv("STREAMLIT_RUNNER_POST_SCRIPT_GC", "true")
    app.launch([])
    assert launched["env"]["STREAMLIT_RUNNER_POST_SCRIPT_GC"] == "true"
