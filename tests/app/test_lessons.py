"""Ready lessons: each opens the explorer on its view, with its chart and comparisons, in
both languages; a lesson followed within a session replaces what was shown."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from schedlab.app import HOME
from schedlab.messages import catalog
from schedlab.present.lessons import lessons
from tests.app.test_lang import _leaks
from tests.echarts import option_of


def array(value) -> np.ndarray:
    """A Plotly array from a figure's JSON (plain list, or base64 'bdata')."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def test_the_lessons_page_lists_every_lesson_with_its_link() -> None:
    at = AppTest.from_file(str(HOME), default_timeout=60).run()
    at.switch_page("pages/lessons.py").run()
    assert not at.exception
    links = [link for link in at.get("page_link") if link.label == "Open in the explorer"]
    viewed = [lesson for lesson in lessons() if lesson.state is not None]
    assert len(links) == len(viewed) >= 6
    for link, lesson in zip(links, viewed):
        assert f"s={lesson.state.encode()}" in link.proto.query_string
        assert "lang=en" in link.proto.query_string


@pytest.mark.parametrize("key", [lesson.key for lesson in lessons() if lesson.state])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_lesson_opens_with_its_chart(key, lang) -> None:
    lesson = next(lesson for lesson in lessons(lang) if lesson.key == key)
    assert catalog(lang)[f"ui.lessons.{lesson.key}.title"]
    at = AppTest.from_file(str(HOME), default_timeout=60)
    at.query_params["lang"] = lang
    at.query_params["s"] = lesson.state.encode()
    at.run().switch_page("pages/explorer.py").run()
    assert not at.exception and not at.error
    names = [s["name"] for s in option_of(at)["series"]]
    for pinned in lesson.state.compare:  # every comparison is on the chart
        assert pinned.label in names
    if lang == "zh":
        assert _leaks(at) == []
        assert not any(p.label in ("no warmup", "per epoch (a mistake)")
                       for p in lesson.state.compare)


def test_a_lesson_followed_later_in_the_session_replaces_the_view() -> None:
    first, second = lessons()[0], lessons()[4]
    at = AppTest.from_file(str(HOME), default_timeout=60)
    at.query_params["s"] = first.state.encode()
    at.run().switch_page("pages/explorer.py").run()
    assert "CosineAnnealingLR" in at.selectbox[0].value
    at.query_params["s"] = second.state.encode()  # what following a lesson's link does
    at.run()
    assert at.selectbox[0].value == "StepLR"
    assert not at.get("echarts_chart")[0].proto.spec.count("ExponentialLR")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_rebuilt_optimizer_lesson_shows_torchs_steps(lang) -> None:
    import json

    at = AppTest.from_file(str(HOME), default_timeout=60)
    at.query_params["lang"] = lang
    at.run().switch_page("pages/lessons.py").run()
    assert not at.exception
    (chart,) = at.get("plotly_chart")
    traces = json.loads(chart.proto.spec)["data"]
    assert len(traces) == 2
    edited, rebuilt = (array(t["y"]) for t in traces)
    assert edited[30] > 5 * rebuilt[30] and edited[29] == pytest.approx(rebuilt[29])
    names = {t["name"] for t in traces}
    expected = {"en": {"param_groups edited (momentum kept)", "optimizer rebuilt (momentum lost)"},
                "zh": {"修改 param_groups（保留动量）", "重建优化器（丢失动量）"}}
    assert names == expected[lang]
    if lang == "zh":
        assert _leaks(at) == []
