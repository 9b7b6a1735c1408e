"""The Train page through AppTest, with real worker processes behind it."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from schedlab.app import HOME
from tests.markdown import shown

APP = str(HOME)
pytestmark = pytest.mark.slow


def train_page(via_explorer: bool = False) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    if via_explorer:
        at.switch_page("pages/explorer.py").run()
        at.selectbox(key="0.mode").set_value("CyclicLR").run()
    return at.switch_page("pages/train.py").run()


def settle(at: AppTest, done, timeout: float = 90.0) -> AppTest:
    """Rerun the page (as its 1 s poll would) until done(at) holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if done(at):
            return at
        time.sleep(0.5)
    raise AssertionError("the page never showed what was expected: "
                         f"{[m.value for m in at.markdown][:3]}")


def status_line(at: AppTest) -> str:
    return next((shown(m.value) for m in at.markdown if m.value.startswith("**Run ")), "")


def quick(at: AppTest, epochs: int = 1) -> None:
    at.selectbox(key="train.data").set_value("offline").run()
    at.segmented_control(key="train.model").set_value("mlp").run()
    at.number_input(key="train.epochs").set_value(epochs).run()


def test_a_run_from_the_explorer_streams_in_and_survives_a_refresh() -> None:
    at = train_page(via_explorer=True)
    assert not at.exception
    assert shown(at.caption[0].value).startswith("CyclicLR(")
    quick(at, epochs=2)
    at.button(key="train.start").click().run()
    run_id = at.session_state["train.selected"]
    settle(at, lambda a: "`done`" in status_line(a))
    assert f"**Run {run_id}**" in status_line(at)
    assert "MNIST, 5,000-digit offline subset" in status_line(at)
    assert float(at.metric[2].value.rstrip("%")) > 50  # test accuracy
    assert len(at.dataframe[0].value) == 2  # one row per epoch
    # a refresh (a new session) re-attaches: the run and its history are there
    again = train_page()
    assert not again.exception
    assert f"**Run {run_id}**" in status_line(again) and "`done`" in status_line(again)
    assert run_id in list(again.dataframe[-1].value["id"])


def test_stop_from_the_page() -> None:
    at = train_page()
    at.text_area(key="train.code").set_value("StepLR(optimizer, step_size=500)").run()
    quick(at, epochs=100)
    at.button(key="train.start").click().run()
    run_id = at.session_state["train.selected"]
    settle(at, lambda a: "`running`" in status_line(a) and a.metric[0].value != "–")
    at.button(key=f"stop.{run_id}").click().run()
    settle(at, lambda a: "`stopped`" in status_line(a), timeout=30)


def test_bad_code_disables_start_with_a_message() -> None:
    at = train_page()
    at.text_area(key="train.code").set_value("StepLR(optimizer, step_size=0)").run()
    assert not at.exception
    assert "step_size=0" in shown(at.error[0].value)
    assert at.button(key="train.start").disabled


def test_a_schedule_too_short_for_the_run_is_refused_before_start() -> None:
    at = train_page()
    quick(at, epochs=10)  # the default OneCycleLR covers 3 epochs of 63 batches
    assert not at.exception
    assert "Tried to step 190 times" in shown(at.error[0].value)
    assert "10 epochs x 63 batches" in shown(at.error[0].value)
    assert at.button(key="train.start").disabled


def test_an_optimizer_training_cannot_drive_is_refused_before_start() -> None:
    at = train_page()
    at.segmented_control(key="train.source").set_value("Paste code").run()
    at.text_area(key="train.code").set_value(
        "optimizer = LBFGS(params, lr=1)\nscheduler = StepLR(optimizer, 30)").run()
    assert "LBFGS cannot be trained here" in shown(at.error[0].value)
    assert at.button(key="train.start").disabled


def test_a_second_run_beyond_the_session_cap_is_refused_with_why(monkeypatch) -> None:
    """SCHEDLAB_MAX_SESSION_RUNS=1: one student cannot fill a shared server's queue."""
    from schedlab.ui.training import _manager

    monkeypatch.setenv("SCHEDLAB_MAX_SESSION_RUNS", "1")
    _manager.clear()  # the server's manager reads its settings when it starts
    try:
        at = train_page()
        at.text_area(key="train.code").set_value("StepLR(optimizer, step_size=500)").run()
        quick(at, epochs=100)
        at.button(key="train.start").click().run()
        first = at.session_state["train.selected"]
        at.button(key="train.start").click().run()
        assert not at.exception
        said = " ".join(shown(e.value) for e in at.error)
        assert "as many runs queued or running as one session may have (1)" in said
        assert at.session_state["train.selected"] == first  # nothing else was queued
        other = train_page()  # another browser session may still start one
        other.button(key="train.start").click().run()
        assert not other.error and other.session_state["train.selected"] == first + 1
        for run_id in (first, first + 1):
            at.button(key=f"stop.{run_id}").click().run()
        settle(at, lambda a: "`stopped`" in status_line(a), timeout=30)
    finally:
        monkeypatch.delenv("SCHEDLAB_MAX_SESSION_RUNS")
        _manager.clear()
