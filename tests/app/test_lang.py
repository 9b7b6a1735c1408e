"""Two languages: ?lang= decides, the switch changes it, links keep it, and a page in
Chinese shows none of its English words."""

from __future__ import annotations

import re
import string

from streamlit.testing.v1 import AppTest

from schedlab.app import HOME
from schedlab.messages import catalog
from tests.app.tabs import open_popover, open_tab, paste
from tests.echarts import option_of
from tests.markdown import shown

APP = str(HOME)


def _english_pieces() -> set[str]:
    """The fixed words of every English sentence a page shows of its own (its words, the
    registry's, the chart's markers: runs of 3+ words), the ones the Chinese catalog does
    not also use (names such as OneCycleLR are the same in both)."""
    ours = ("ui.", "catalog.", "event.")  # a page's words, the registry's, the chart's
    chinese = " ".join(v for k, v in catalog("zh").items() if k.startswith(ours))
    pieces = set()
    for key, template in catalog("en").items():
        if key.startswith(ours):
            for literal, *_ in string.Formatter().parse(template):
                for piece in re.split(r"[.:;,()!?\"']", literal):
                    piece = " ".join(piece.split())
                    if len(piece.split()) >= 3 and piece not in chinese:
                        pieces.add(piece)
    return pieces


def _shown(at: AppTest) -> str:
    """Every string of every element on the page (its protobuf text: labels, values, help)."""
    out, todo = [], [at._tree]
    while todo:
        node = todo.pop()
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        todo += list(getattr(node, "children", {}).values())
    return "\n".join(out)


def _leaks(at: AppTest) -> list[str]:
    shown = _shown(at)
    return sorted(piece for piece in _english_pieces() if piece in shown)


def _open(page: str | None, lang: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if lang is not None:
        at.query_params["lang"] = lang
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def test_the_home_page_in_chinese_has_no_english_left() -> None:
    at = _open(None, "zh")
    assert not at.exception
    labels = [link.label for link in at.get("page_link")]
    assert {"首页", "学习率调度浏览器", "在 MNIST 上训练"} <= set(labels)
    assert _leaks(at) == []
    assert "torch" in at.markdown[0].value  # names stay as they are


def test_the_english_home_page_says_its_words_in_english() -> None:
    at = _open(None, "en")
    assert "See exactly what a PyTorch learning-rate schedule does" in at.markdown[0].value
    assert "Open the schedule explorer" in [link.label for link in at.get("page_link")]
    assert len(_leaks(at)) >= 5  # the leak finder does find English where there is some


def test_links_to_other_pages_keep_the_language() -> None:
    at = _open(None, "zh")
    for link in at.get("page_link"):
        assert dict(link.proto.query_string and [
            pair.split("=") for pair in link.proto.query_string.split("&")]) == {"lang": "zh"}


def test_the_switch_changes_the_language_and_the_address_bar() -> None:
    at = _open(None, "en")
    at.radio[0].set_value("zh").run()
    assert at.query_params["lang"] == ["zh"] or at.query_params["lang"] == "zh"
    assert "首页" in [link.label for link in at.get("page_link")]


def test_without_lang_english_is_written_into_the_address_bar() -> None:
    at = _open(None, None)
    assert not at.exception
    assert at.query_params["lang"] in ("en", ["en"])  # a copied link keeps it


def test_an_unknown_language_says_so_and_shows_english() -> None:
    at = _open(None, "fr")
    assert not at.exception
    assert "There is no language 'fr' here: showing English" in shown(at.warning[0].value)
    assert at.query_params["lang"] in ("en", ["en"])


def test_the_explorer_in_chinese_has_no_english_left() -> None:
    at = _open("pages/explorer.py", "zh")
    assert not at.exception
    assert at.title[0].value == "学习率调度浏览器"
    assert len(at.get("echarts_chart")) == 1
    assert _leaks(at) == []
    chart = at.get("echarts_chart")[0].proto.spec + at.get("echarts_chart")[0].proto.alt
    assert "learning rate" not in chart and "optimizer step" not in chart


def test_chinese_axis_names_stand_upright_one_character_above_the_next() -> None:
    """A Chinese name turned on its side is read tilting the head: the vertical axes'
    names are written down a column, upright; English ones stay on their side."""
    names = {}
    for lang in ("zh", "en"):
        axes = option_of(_open("pages/explorer.py", lang))["yAxis"]
        names[lang] = [(a["name"], a.get("nameRotate")) for a in axes]
    assert names["zh"] == [("学\n习\n率", 0), ("动\n量", 0)]
    assert names["en"] == [("learning rate", None), ("momentum", None)]


def test_a_finding_on_the_explorer_is_said_in_chinese() -> None:
    from schedlab.present.share import ExplorerState
    from schedlab.source.parse import parse_schedule
    from schedlab.spec.horizon import Horizon

    state = ExplorerState(schedule=parse_schedule("CosineAnnealingLR(optimizer, T_max=10)"),
                          horizon=Horizon(100, 10, "epoch"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.query_params["s"] = state.encode()
    at.run()
    at.switch_page("pages/explorer.py").run()
    assert at.tabs[0].label.startswith("合理性检查")
    said = shown(" ".join(w.value for w in at.warning) + " ".join(e.value for e in at.error))
    assert "T_max=10" in said and "epoch" in said
    assert "after T_max" not in said and re.search(r"[\u4e00-\u9fff]", said)


def test_the_share_link_carries_the_language() -> None:
    at = _open("pages/explorer.py", "zh")
    assert not [c for c in at.code if "?s=" in c.value]  # written only once looked at
    at = open_popover(at, "share.open")
    links = [c.value for c in at.code if "?s=" in c.value]
    assert len(links) == 1 and links[0].endswith("&lang=zh")
    state = links[0].split("?s=", 1)[1].split("&", 1)[0]
    assert state == at.query_params["s"]  # the very view the address bar holds


def test_the_card_of_the_scheduler_shows_its_formula_with_the_values_set() -> None:
    from schedlab.present.share import ExplorerState
    from schedlab.source.parse import parse_schedule
    from schedlab.spec.horizon import Horizon

    state = ExplorerState(schedule=parse_schedule("CosineAnnealingLR(optimizer, T_max=10)",
                                                  "SGD(params, lr=0.05)"),
                          horizon=Horizon(100, 10, "epoch"))
    for lang, words in (("en", "The sanity check finds this pitfall in this run now"),
                        ("zh", "合理性检查在这次训练中发现了这个陷阱")):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["lang"] = lang
        at.query_params["s"] = state.encode()
        at.run().switch_page("pages/explorer.py").run()
        assert not at.exception and not at.latex  # the card's tab is not open yet
        open_tab(at, 2)
        formula = at.latex[0].value
        assert "0.05" in formula and "10" in formula and r"\cos" in formula
        assert any(words in shown(c.value) and "cosine-rises" in c.value for c in at.caption)
        if lang == "zh":
            assert _leaks(at) == []


def test_lang_values_browsers_write_are_understood_and_a_links_words_stay_text() -> None:
    for asked in ("zh-CN", "ZH", "zh_Hans"):
        at = _open(None, asked)
        assert not at.warning and "首页" in [link.label for link in at.get("page_link")]
        assert at.query_params["lang"] in ("zh", ["zh"])
    at = _open(None, "")
    assert not at.warning and at.query_params["lang"] in ("en", ["en"])
    at = _open(None, "[log in](//ev.il)")
    warned = at.warning[0].value
    assert "There is no language" in warned and "](" not in warned.replace("\\]", "")



def test_messages_made_in_english_are_said_in_chinese_after_the_switch() -> None:
    """What Apply and Pin said stays on screen across the switch, in the new language."""
    at = _open("pages/explorer.py", "en")
    paste(at, "scheduler = StepLr(optimizer, 3)")
    assert "did you mean StepLR?" in shown(at.error[0].value)
    at.button(key="pin.add").click().run().button(key="pin.add").click().run()  # twice
    assert "pinned already" in shown(" ".join(c.value for c in at.caption))
    at.radio(key="lang.en").set_value("zh").run()
    assert not at.exception
    error = shown(at.error[0].value)
    assert "StepLr" in error and "StepLR" in error and "你是不是想写" in error
    assert "did you mean" not in error
    captions = shown(" ".join(c.value for c in at.caption))
    assert "pinned already" not in captions and "已经固定过了" in captions


def test_a_paste_note_joins_chinese_sentences_without_a_space() -> None:
    at = _open("pages/explorer.py", "zh")
    paste(at, "opt = SGD(model.parameters(), lr=0.1)\n"
               "sched = CosineAnnealingLR(opt, T_max=10 * len(train_loader))")
    note = shown(at.info[0].value)
    assert "len(train_loader)" in note and "。 " not in note and note.count("。") >= 2
