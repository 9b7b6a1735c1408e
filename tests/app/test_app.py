"""The app's entry: navigation, landing page, and the way to the explorer."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from schedlab.app import HOME

APP = str(HOME)


def test_landing_page_renders_and_leads_to_the_explorer() -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "schedlab"
    labels = [link.label for link in at.get("page_link")]
    assert {"Home", "Schedule explorer", "Open the schedule explorer"} <= set(labels)
    at.switch_page("pages/explorer.py").run()
    assert not at.exception
    assert at.title[0].value == "Schedule explorer"
    assert len(at.get("echarts_chart")) == 1
