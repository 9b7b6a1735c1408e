"""The Train page in Chinese says none of its English sentences (settings, checks, a run's
panel, the history), and in English still says them word for word."""

from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from schedlab.app import HOME
from tests.app.test_lang import _leaks
from tests.faults import real_store
from tests.markdown import shown

APP = str(HOME)
pytestmark = pytest.mark.slow


def train_page(lang: str, via_explorer: bool = False) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    if via_explorer:
        at.switch_page("pages/explorer.py").run()
    return at.switch_page("pages/train.py").run()


def texts(elements) -> str:
    return "\n".join(shown(e.value) for e in elements)


def labels(at: AppTest) -> set[str]:
    return {w.label for kind in ("button", "selectbox", "number_input", "text_area")
            for w in at.get(kind)} | {w.label for w in at.get("button_group")}


def test_the_train_page_in_chinese_has_no_english_left(data) -> None:
    at = train_page("zh")
    assert not at.exception
    assert at.title[0].value == "在 MNIST 上训练"
    assert {"开始训练", "epoch 数", "batch size", "设备", "数据", "随机种子"} <= labels(at)
    assert "这次训练 3 个 epoch × 每个 epoch 63 个 batch" in texts(at.caption)
    assert "还没有训练" in texts(at.caption)
    assert at.selectbox(key="train.data@zh").options == ["MNIST（或离线子集）",
                                                          "离线子集（5,000 张）"]
    assert at.selectbox(key="train.device@zh").options == ["自动", "cpu", "cuda", "mps"]
    assert _leaks(at) == []


def test_a_run_and_the_history_in_chinese(data) -> None:
    real_store(data / "runs.sqlite3", runs=2)
    at = train_page("zh")
    assert not at.exception
    line = next(shown(m.value) for m in at.markdown if m.value.startswith("**"))
    assert line.startswith("**训练 #2**") and "`已完成`" in line
    assert [m.label for m in at.metric] == ["损失", "lr", "测试准确率", "样本/秒"]
    assert "第 50 步，共" in at.get("progress")[0].proto.text
    table = at.dataframe[-1].value
    assert list(table.columns) == ["编号", "名称", "优化器", "状态", "测试准确率", "用时（秒）",
                                   "epoch 数", "模型", "数据", "设备"]
    assert list(table["状态"]) == ["已完成", "已完成"]
    assert at.subheader[0].value == "训练记录"
    assert "优化器步数" in str(at.get("plotly_chart")[0].proto)  # the chart's axis
    assert _leaks(at) == []


def test_the_schedule_and_its_checks_in_chinese(data, monkeypatch) -> None:
    at = train_page("zh", via_explorer=True)
    assert not at.exception
    assert at.segmented_control(key="train.source@zh").options == ["来自调度浏览器", "粘贴代码"]
    assert _leaks(at) == []
    at = train_page("zh")
    at.selectbox(key="train.data@zh").set_value("offline").run()
    at.number_input(key="train.epochs").set_value(10).run()  # longer than the OneCycleLR
    assert not at.exception and at.button(key="train.start").disabled
    assert "（这次训练 10 个 epoch × 每个 epoch 63 个 batch" in texts(at.error)
    assert _leaks(at) == []
    # MNIST to be downloaded at Start: the check says what it assumes, in Chinese too
    monkeypatch.setenv("SCHEDLAB_MNIST_MIRRORS", "http://127.0.0.1:9/")
    at = train_page("zh")
    assert not at.exception
    assert "MNIST（暂定）" in texts(at.caption)
    assert _leaks(at) == []


def test_the_english_train_page_keeps_its_words(data) -> None:
    real_store(data / "runs.sqlite3", runs=1)
    at = train_page("en")
    assert not at.exception
    assert at.title[0].value == "Train on MNIST"
    assert {"Start", "epochs", "batch size", "device", "data"} <= labels(at)
    assert "Sanity check of this run: 3 epochs x 63 batches of 64" in texts(at.caption)
    line = next(shown(m.value) for m in at.markdown if m.value.startswith("**Run "))
    assert line.startswith("**Run 1**") and "`done`" in line
    assert [m.label for m in at.metric] == ["loss", "lr", "test accuracy", "samples/s"]
    table = at.dataframe[-1].value
    assert list(table.columns) == ["id", "label", "optimizer", "status", "test acc",
                                   "duration s", "epochs", "model", "data", "device"]
    assert list(table["status"]) == ["done"]
    assert len(_leaks(at)) >= 3  # the leak finder does find this page's English


def test_switching_language_keeps_the_settings(data) -> None:
    """There and back again: a select box keeps its value, not its label in another
    language, and Start stays usable (Streamlit keeps an option by its label)."""
    at = train_page("en")
    at.selectbox(key="train.data").set_value("offline").run()
    at.selectbox(key="train.device").set_value("cpu").run()
    at.number_input(key="train.epochs").set_value(2).run()
    for lang, suffix in (("zh", "@zh"), ("en", ""), ("zh", "@zh")):
        at.radio[0].set_value(lang).run()
        assert not at.exception and not at.error
        assert at.selectbox(key=f"train.data{suffix}").value == "offline"
        assert at.selectbox(key=f"train.device{suffix}").value == "cpu"
        assert at.number_input(key="train.epochs").value == 2
        assert not at.button(key="train.start").disabled
    at.selectbox(key="train.device@zh").set_value("auto").run()  # and the widgets still work
    assert not at.exception and at.selectbox(key="train.device@zh").value == "auto"
    assert "这次训练 2 个 epoch" in texts(at.caption) and _leaks(at) == []