"""The landing page renders a chart and shows mistakes as messages, never tracebacks."""

from __future__ import annotations

import math
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def test_landing_page_draws_the_default_schedule() -> None:
    at = _app()
    assert not at.exception
    assert not at.error
    assert len(at.get("vega_lite_chart")) == 1
    final = 0.1 * (1 + math.cos(math.pi * 99 / 100)) / 2  # cosine with T_max=100, step 99
    assert [m.value for m in at.metric][:2] == ["0.1", f"{final:.4g}"]


def test_pasted_code_changes_the_curve_and_bad_code_shows_a_message() -> None:
    at = _app()
    at.text_area[0].set_value("StepLR(optimizer, step_size=10, gamma=0.5)").run()
    assert not at.exception and not at.error
    assert at.metric[1].value == "0.0001953"  # 0.1 * 0.5**9 after 99 steps
    at.text_area[0].set_value("StepLR(optimizer, step_size=0)").run()
    assert not at.exception
    assert "step_size=0" in at.error[0].value
    at.text_input[0].set_value("SGD(params, lr=").run()
    assert not at.exception
    assert "optimizer line 1" in at.error[0].value
