"""The Train page checks the run it will start, keeps every run's controls, never shows
None, and keeps its settings over a reload (AppTest, real workers and store)."""

from __future__ import annotations

import math

import pytest
from streamlit.testing.v1 import AppTest

from schedlab.app import HOME
from tests.app.test_train_app import quick, settle, status_line
from tests.markdown import shown

APP = str(HOME)
pytestmark = pytest.mark.slow


def train_page(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params = dict(query or {})
    return at.run().switch_page("pages/train.py").run()


def texts(elements) -> str:
    return "\n".join(shown(e.value) for e in elements)


def test_auto_data_runs_are_checked_and_warnings_show(data) -> None:
    at = train_page()
    assert at.selectbox(key="train.data").value == "auto"
    at.text_area(key="train.code").set_value("CosineAnnealingLR(optimizer, T_max=100)").run()
    assert not at.exception
    # no MNIST cached, no mirror: auto is the offline subset, 63 batches of 64, 3 epochs
    assert "T_max=100 of the 189 steps" in texts(at.warning)
    assert "Set T_max=189" in texts(at.warning)
    assert "3 epochs x 63 batches" in texts(at.caption)
    assert not at.button(key="train.start").disabled  # a warning does not block


def test_an_error_of_the_check_blocks_start_with_its_message(data) -> None:
    at = train_page()
    at.text_area(key="train.code").set_value("LambdaLR(optimizer, lambda s: 1 - s / 100)").run()
    assert not at.exception
    assert "negative" in texts(at.error)
    assert at.button(key="train.start").disabled


def test_two_runs_both_keep_their_stop_and_history_has_no_none(data) -> None:
    at = train_page()
    at.text_area(key="train.code").set_value("StepLR(optimizer, step_size=500)").run()
    quick(at, epochs=100)
    at.button(key="train.start").click().run()
    first = at.session_state["train.selected"]
    settle(at, lambda a: "`running`" in status_line(a))
    at.button(key="train.start").click().run()
    second = at.session_state["train.selected"]
    assert second != first
    at.run()
    # both runs are on the page, each with its Stop; the queued one has no data yet
    stops = {b.key for b in at.button if b.key and b.key.startswith("stop.")}
    assert stops == {f"stop.{first}", f"stop.{second}"}
    assert "No steps yet" in texts(at.info)
    at.button(key=f"stop.{first}").click().run()
    settle(at, lambda a: f"stop.{first}" not in {b.key for b in a.button}, timeout=30)
    at.button(key=f"stop.{second}").click().run()
    settle(at, lambda a: not any(b.key and b.key.startswith("stop.") for b in a.button),
           timeout=30)
    table = at.dataframe[-1].value
    assert list(table["status"]) == ["stopped", "stopped"]
    for value in table.to_numpy().ravel():  # stopped before an epoch: no accuracy, a dash
        assert value is not None and str(value) not in ("None", "nan", "NaN")
        assert not (isinstance(value, float) and math.isnan(value))
    assert float(table["duration s"].iloc[1]) > 0  # the first run trained for a while
    everything = texts(at.markdown) + texts(at.caption) + "".join(m.value for m in at.metric)
    assert "None" not in everything and "nan" not in everything


def test_history_shows_true_status_and_duration_never_none(data) -> None:
    from schedlab.jobs.store import RunStore
    from tests.faults import QUICK, SCHEDULE

    store = RunStore(data / "runs.sqlite3")
    for status in ("stopped", "interrupted"):  # ended before an epoch: no accuracy
        run_id = store.submit(status, SCHEDULE.to_json(), QUICK.to_dict())
        store.claim_next(pid=1)
        store.record(run_id, {"event": "step", "step": 0, "epoch": 0, "loss": 2.3, "lr": 0.1})
        store.finish(run_id, status, "the metrics stored so far are kept")
    store.close()
    at = train_page()
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table["status"]) == ["interrupted", "stopped"]
    for column in table.columns:
        for value in table[column]:
            assert value is not None and str(value) not in ("None", "nan", "NaN"), column
    assert list(table["test acc"]) == ["–", "–"]
    assert all(float(v) >= 0 for v in table["duration s"])


def test_the_code_and_settings_survive_a_reload(data) -> None:
    at = train_page()
    at.text_area(key="train.code").set_value("StepLR(optimizer, step_size=7)").run()
    at.number_input(key="train.epochs").set_value(7).run()
    at.segmented_control(key="train.model").set_value("mlp").run()
    assert not at.exception
    again = train_page(at.query_params)  # a reload: a new session, the same URL
    assert not again.exception
    assert again.text_area(key="train.code").value == "StepLR(optimizer, step_size=7)"
    assert again.number_input(key="train.epochs").value == 7
    assert again.segmented_control(key="train.model").value == "mlp"


def test_a_link_with_bad_settings_falls_back_to_the_defaults(data) -> None:
    at = train_page({"epochs": "10**9", "model": "<b>x</b>", "batch": "nan"})
    assert not at.exception
    assert at.number_input(key="train.epochs").value == 3
    assert at.segmented_control(key="train.model").value == "cnn"
    assert at.selectbox(key="train.batch").value == 64


def test_a_settings_box_never_uses_another_value(data) -> None:
    at = train_page()
    at.number_input(key="train.epochs").set_value(2.5).run()
    assert not at.exception
    assert "epochs must be a whole number from 1 to 100; 2.5 is not whole" in texts(at.error)
    assert at.button(key="train.start").disabled
    at.number_input(key="train.epochs").set_value(3.0).run()
    assert not at.error and not at.button(key="train.start").disabled


def test_len_train_loader_is_this_runs_batches_per_epoch(data) -> None:
    at = train_page()
    at.text_area(key="train.code").set_value(
        "OneCycleLR(optimizer, max_lr=0.1, epochs=3, steps_per_epoch=len(train_loader))").run()
    assert not at.exception and not at.error
    assert "len(train_loader) is read as this run's 63 batches per epoch" in texts(at.caption)
    assert not at.button(key="train.start").disabled
