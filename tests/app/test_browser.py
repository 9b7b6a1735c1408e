"""End to end in a real browser: the app served by `streamlit run`, driven in Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.echarts import FIRST_Y, SERIES
from tests.servers import streamlit_app

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("SCHEDLAB_SHOTS", "/tmp/schedlab-shots"))
SHOTS.mkdir(parents=True, exist_ok=True)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    """`python -m schedlab app` on a free localhost port, once /_stcore/health says ok."""
    with streamlit_app(ROOT) as base:
        yield base


# the lr values the chart drew (the current curve's first line)
CHART_Y = FIRST_Y


def test_changing_a_parameter_redraws_the_chart(server, page) -> None:
    page.goto(f"{server}/explorer", wait_until="domcontentloaded")
    page.wait_for_function(CHART_Y, timeout=60_000)
    before = page.evaluate(CHART_Y)
    assert before[0] == pytest.approx(0.1) and min(before) == pytest.approx(1e-4)

    gamma = page.get_by_role("spinbutton", name="gamma", exact=True)
    gamma.fill("0.5")
    gamma.press("Enter")
    page.wait_for_function(f"() => {{ const y = ({CHART_Y})(); "
                           f"return y && Math.min(...y) > 0.005; }}", timeout=60_000)
    after = page.evaluate(CHART_Y)
    assert min(after) == pytest.approx(0.1 * 0.5 ** 3)  # decays at epochs 30, 60 and 90
    assert "s=" in page.url  # the state went into the link
    assert page.get_by_text("Traceback").count() == 0


POINTS = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  const trace = plot && plot._fullData && plot._fullData[0];
  return trace && trace.x ? trace.x.length : 0;
}"""
IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]')"""


def settle(page) -> None:
    """Wait until Streamlit has finished the rerun a widget change started."""
    page.wait_for_timeout(300)
    page.wait_for_function(IDLE, timeout=60_000)


def test_a_training_run_streams_live_and_stops(server, page) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server}/train", wait_until="domcontentloaded")
    page.get_by_role("button", name="Start").wait_for()  # the first run has drawn the form
    settle(page)
    page.get_by_role("radio", name="mlp").click()
    settle(page)
    code = page.get_by_role("textbox", name="Optimizer and scheduler lines")
    code.fill("StepLR(optimizer, step_size=500, gamma=0.5)")
    code.press("Control+Enter")
    settle(page)
    page.get_by_role("combobox", name="data").click()
    page.get_by_role("option", name="offline subset (5,000)").click()
    settle(page)
    epochs = page.get_by_role("spinbutton", name="epochs", exact=True)
    epochs.fill("100")
    epochs.press("Enter")
    settle(page)
    start = page.get_by_role("button", name="Start")
    expect(start).to_be_enabled()
    start.click()
    page.wait_for_function(f"() => ({POINTS})() >= 3", timeout=90_000)
    first = page.evaluate(POINTS)
    page.wait_for_function(f"() => ({POINTS})() > {first}", timeout=30_000)  # still coming
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("stopped", exact=True).first.wait_for(timeout=30_000)
    assert page.get_by_text("Traceback").count() == 0


HOSTILE = ("![p](http://127.0.0.1:9/p.png) [Session expired / Sign in](http://127.0.0.1:9/)"
           " <b>bold</b> $x^2$ :red[r] **b**")  # a label: at most 120 characters
NAME = HOSTILE + " <img src=http://127.0.0.1:9/x.png> :material/home: www.example.com"


def _link(state) -> str:
    return f"/explorer?s={state.encode()}"


def test_text_from_a_link_is_shown_as_plain_text(server, page) -> None:
    """A crafted link: a pinned label and an unknown optimizer name full of Markdown and
    HTML. The page shows them as text: no link, no image, nothing fetched."""
    import json

    from schedlab.present.share import ExplorerState

    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if ":9/" in r.url else None)
    pinned = ExplorerState().pin(HOSTILE)
    page.goto(server + _link(pinned), wait_until="domcontentloaded")
    page.wait_for_function(CHART_Y, timeout=60_000)
    settle(page)
    main = page.locator('[data-testid="stMain"]')
    assert main.get_by_text("[Session expired / Sign in]", exact=False).count() >= 1
    names = page.evaluate(f"() => ({SERIES})().map(s => s.name)")
    assert any(HOSTILE in n for n in names), names  # the legend (a canvas) as typed
    chart = page.get_by_test_id("stEChartsChart")
    box = chart.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    tip = chart.locator("div", has_text="bold").last  # the tooltip: HTML, so the risk
    tip.wait_for(timeout=10_000)
    assert "<b>bold</b>" in tip.inner_text()  # shown as typed, not made bold
    assert tip.locator("b, img, a").count() == 0

    data = pinned.to_dict()
    data["schedule"]["optimizer"]["name"] = NAME
    import base64
    import zlib

    from schedlab.present.share import MAX_ENCODED  # noqa: F401  (the link stays well below it)
    raw = json.dumps(data, separators=(",", ":")).encode()
    bad = base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")
    page.goto(f"{server}/explorer?s={bad}", wait_until="domcontentloaded")
    page.wait_for_function(CHART_Y, timeout=60_000)
    settle(page)
    warning = page.locator('[data-testid="stAlertContentWarning"]').first
    assert "could not be opened" in warning.inner_text()
    assert "unknown optimizer '![p](http://127.0.0.1:9/p.png)" in warning.inner_text().replace(
        "\u200b", "")  # the name, shown as text (cut at 40 characters)
    for alert in page.locator('[data-testid^="stAlertContent"]').all():
        assert alert.locator("a, img").count() == 0
    assert main.locator("a[href*='127.0.0.1:9'], img[src*='127.0.0.1:9']").count() == 0
    assert fetched == []
    page.screenshot(path=str(SHOTS / "plain-text.png"), full_page=True)


@pytest.mark.parametrize("typed,message", [
    ("1e9", "1,000,000,000 is out of range"),
    ("2.5", "2.5 is not whole"),
])
def test_a_number_box_says_what_is_wrong_with_what_was_typed(server, page, typed: str,
                                                             message: str) -> None:
    """What the browser sends for a typed number is the number typed: no 1 for 1e9, no 2
    for 2.5, and no chart of the old value beside it."""
    from playwright.sync_api import expect

    page.goto(f"{server}/explorer", wait_until="domcontentloaded")
    page.wait_for_function(CHART_Y, timeout=60_000)
    box = page.get_by_role("spinbutton", name="steps per epoch", exact=True)
    box.fill(typed)
    box.press("Enter")
    expect(page.get_by_text(message)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stEChartsChart")).to_have_count(0)
    box.fill("250")
    box.press("Enter")
    page.wait_for_function(CHART_Y, timeout=60_000)
    expect(page.get_by_text(message)).to_have_count(0)
    assert box.input_value() == "250"
    assert page.get_by_text("Session State API").count() == 0  # no widget warnings


def test_the_language_switch_holds_across_the_navigation(server, page) -> None:
    page.goto(f"{server}/?lang=en", wait_until="domcontentloaded")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Schedule explorer").wait_for(timeout=60_000)
    assert page.get_by_test_id("stSidebarNav").count() == 0  # only the app's own links
    sidebar.get_by_text("简体中文").click()
    sidebar.get_by_text("学习率调度浏览器").wait_for(timeout=30_000)
    page.get_by_text("一步一步看清").wait_for(timeout=10_000)
    page.wait_for_url("**lang=zh**", timeout=10_000)
    page.screenshot(path=str(SHOTS / "home-zh.png"))
    sidebar.get_by_text("学习率调度浏览器").click()
    page.wait_for_url("**/explorer?lang=zh**", timeout=30_000)
    page.wait_for_function(CHART_Y, timeout=60_000)
    assert page.get_by_test_id("stSidebar").get_by_text("首页").count() == 1
    assert page.get_by_text("Traceback").count() == 0


def test_a_folded_panel_draws_its_boxes_when_opened(server, page) -> None:
    """The optimizer's and the trainer's panels send their boxes only while open (fewer
    elements on every redraw): a click opens them, and what is typed there is drawn."""
    page.goto(f"{server}/explorer", wait_until="domcontentloaded")
    page.wait_for_function(CHART_Y, timeout=60_000)
    lr = page.get_by_role("spinbutton", name="lr (base learning rate)")
    assert lr.count() == 0  # folded: not on the page at all
    page.get_by_text("Optimizer: SGD").click()
    lr.fill("0.05")
    lr.press("Enter")
    page.wait_for_function(f"() => {{ const y = ({CHART_Y})(); "
                           "return y && Math.max(...y) === 0.05; }", timeout=30_000)
    page.get_by_text("From a trainer's settings").click()
    page.get_by_role("spinbutton", name="dataset size").wait_for(timeout=30_000)
    assert lr.input_value() == "0.05"  # the other panel stays open, its value kept


def test_a_change_reruns_the_body_and_the_rest_of_the_page_follows_it(server, page) -> None:
    """A parameter change reruns only the explorer's body (a fragment): the share link,
    written only once its popover opens, is the new view's; the language switch, drawn
    outside the fragment, keeps the typed value and the chart."""
    page.goto(f"{server}/explorer?lang=en", wait_until="domcontentloaded")
    page.wait_for_function(CHART_Y, timeout=60_000)
    gamma = page.get_by_role("spinbutton", name="gamma", exact=True)
    gamma.fill("0.5")
    gamma.press("Enter")
    drawn = (f"() => {{ const y = ({CHART_Y})(); "
             f"return y && Math.abs(Math.min(...y) - {0.1 * 0.5 ** 3}) < 1e-9; }}")
    page.wait_for_function(drawn, timeout=60_000)
    page.get_by_role("button", name="Share").click()
    shared = page.get_by_test_id("stCode").filter(has_text="?s=")
    shared.wait_for(timeout=30_000)
    state = shared.inner_text().replace("\n", "").split("?s=", 1)[1].split("&", 1)[0]
    page.wait_for_function(f"() => location.search.includes({state!r})", timeout=10_000)
    page.keyboard.press("Escape")
    page.get_by_test_id("stSidebar").get_by_text("简体中文").click()
    page.get_by_role("heading", name="学习率调度浏览器").wait_for(timeout=30_000)
    assert gamma.input_value() == "0.5"
    page.wait_for_function(drawn, timeout=30_000)
    assert page.get_by_text("Traceback").count() == 0


def test_a_chinese_finding_is_bold_up_to_its_full_stop(server, page) -> None:
    """Markdown leaves "**...。**" unbolded when a character follows the closing stars:
    the finding's message is bold in Chinese as in English, its fix below it."""
    from schedlab import parse_schedule
    from schedlab.present.share import ExplorerState
    from schedlab.spec.horizon import Horizon

    state = ExplorerState(parse_schedule("CosineAnnealingLR(optimizer, T_max=40)",
                                         "SGD(params, lr=0.1)"), Horizon(100, 100, "epoch"))
    page.goto(f"{server}{_link(state)}&lang=zh", wait_until="domcontentloaded")
    page.wait_for_function(CHART_Y, timeout=60_000)
    warning = page.locator('[data-testid="stAlertContentWarning"]').first
    warning.wait_for(timeout=30_000)
    bold = warning.locator("strong")
    assert bold.count() == 1 and bold.inner_text().endswith("。")
    assert "**" not in warning.inner_text()


def test_a_lesson_opens_in_the_explorer_in_the_teachers_language(server, page) -> None:
    page.goto(f"{server}/lessons?lang=zh", wait_until="domcontentloaded")
    page.get_by_text("阶梯、指数与余弦衰减").wait_for(timeout=60_000)
    page.get_by_text("在调度浏览器中打开").first.click()
    page.wait_for_url("**/explorer?**lang=zh**", timeout=30_000)
    page.wait_for_function(f"""() => {{ const all = ({SERIES})();
      return all && all.some(s => s.name === 'ExponentialLR'); }}""", timeout=60_000)
    names = page.evaluate(f"() => ({SERIES})().map(s => s.name)")
    assert {"StepLR", "ExponentialLR"} <= set(names)
    page.screenshot(path=str(SHOTS / "lesson-zh.png"))
    assert page.get_by_text("Traceback").count() == 0


def test_without_lang_a_chinese_browser_gets_chinese(server, browser) -> None:
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"{server}/explorer", wait_until="domcontentloaded")
        page.get_by_test_id("stSidebar").get_by_text("学习率调度浏览器").wait_for(timeout=60_000)
        page.wait_for_url("**lang=zh**", timeout=10_000)  # written down for a copied link
    finally:
        context.close()
