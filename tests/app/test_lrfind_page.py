"""The LR range test page: a sweep from the page to its chart and hints, a hint sent to the
explorer, and bad settings refused (AppTest, a real worker and store)."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from schedlab.app import HOME
from schedlab.jobs.store import RunStore
from tests.faults import wait
from tests.markdown import shown

pytestmark = pytest.mark.slow


def page(lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(HOME), default_timeout=90)
    at.query_params["lang"] = lang
    return at.run().switch_page("pages/lrfind.py").run()


def test_a_sweep_runs_from_the_page_and_its_hint_opens_the_explorer(data) -> None:
    at = page()
    assert not at.exception and "No range test yet" in shown(at.caption[-1].value)
    at.selectbox(key="lrfind.model").set_value("mlp")
    at.selectbox(key="lrfind.data").set_value("offline")
    at.number_input(key="lrfind.start").set_value(1e-5)
    at.number_input(key="lrfind.end").set_value(1.0)
    at.number_input(key="lrfind.steps").set_value(40).run()
    at.button(key="lrfind.begin").click().run()
    assert not at.exception
    store = RunStore(data / "runs.sqlite3")
    (run_id,) = store.runs("lr-find")["id"]
    assert store.runs().empty  # not in the training history
    wait(lambda: store.run(int(run_id))["status"] == "done", timeout=240, what="the sweep")
    at.run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 1
    labels = [b.label for b in at.button]
    assert "As OneCycleLR's max_lr" in labels and "As the optimizer's lr" in labels
    hint = next(m.value for m in at.markdown if "lr " in m.value and "Steepest" in m.value)
    lr = float(hint.rsplit("lr ", 1)[1])
    assert 1e-5 <= lr <= 1.0
    next(b for b in at.button if b.label == "As OneCycleLR's max_lr").click().run()
    assert not at.exception
    assert at.title[0].value == "Schedule explorer"
    assert any(box.value == "OneCycleLR" for box in at.selectbox)
    max_lr = next(box.value for box in at.number_input if box.key.endswith("OneCycleLR.max_lr"))
    assert max_lr == float(f"{lr:.3g}")
    assert "Optimizer: Adam" in [panel.label for panel in at.expander]


def test_bad_settings_say_what_is_allowed_and_block_start(data) -> None:
    at = page()
    at.number_input(key="lrfind.start").set_value(1.0)
    at.number_input(key="lrfind.end").set_value(0.1).run()
    assert "greater than start_lr" in " ".join(shown(e.value) for e in at.error)
    assert at.button(key="lrfind.begin").disabled
    at.number_input(key="lrfind.end").set_value(10.0)
    at.text_area(key="lrfind.code").set_value("LBFGS(model.parameters())").run()
    assert at.button(key="lrfind.begin").disabled
    at.text_area(key="lrfind.code").set_value("Adamm(model.parameters())").run()
    assert "Adamm" in " ".join(shown(e.value) for e in at.error)
    assert at.button(key="lrfind.begin").disabled


def test_the_page_in_chinese_has_no_english_left(data) -> None:
    from tests.app.test_lang import _leaks

    at = page("zh")
    assert not at.exception and at.title[0].value == "学习率范围测试"
    assert _leaks(at) == []
