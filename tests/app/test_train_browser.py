"""The Train page in Chromium: runs started elsewhere show up, the live panel is readable
(the last step plotted, tiles that fit, no lr tick below zero), and a reload keeps what
was typed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schedlab import parse_schedule
from schedlab.jobs.store import RunStore, connect
from schedlab.training.loop import TrainConfig
from tests.app.test_browser import settle
from tests.servers import streamlit_app

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
# a constant, tiny lr: its tile is long ("1.23e-05") and a constant line is where an
# automatic axis range centres on the value and shows negative ticks
SCHEDULE = parse_schedule("StepLR(optimizer, step_size=1000)", "SGD(params, lr=1.2345e-05)")
CONFIG = TrainConfig(epochs=1, model="mlp", data="offline", batch_size=64, log_every=10)
LAST = 62  # 63 batches of 64 in the 4,000 digits: steps 0..62, logged every 10 and the last


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`python -m schedlab app` with a data directory (so a run store) of its own."""
    data = tmp_path_factory.mktemp("train-browser")
    with streamlit_app(ROOT, {**os.environ, "SCHEDLAB_DATA": str(data)}) as base:
        yield base, data


LIVE = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  if (!plot || !plot._fullData) return null;
  const lr = plot._fullData.find(t => t.name.endsWith('lr'));
  const ticks = Array.from(plot.querySelectorAll('.yaxislayer-above text, .overaxes-above text,'
    + ' .xaxislayer-above text')).map(t => t.textContent);
  return {x: Array.from(lr.x), y: Array.from(lr.y), ticks: ticks};
}"""
CUT_TILES = """() => Array.from(document.querySelectorAll('[data-testid="stMetricValue"]'))
  .filter(tile => [tile, ...tile.querySelectorAll('*')]
    .some(e => e.scrollWidth > e.clientWidth + 1)).map(tile => tile.textContent)"""


def test_a_run_started_elsewhere_shows_up_and_reads_well(server, page) -> None:
    base, data = server
    page.goto(f"{base}/train", wait_until="domcontentloaded")
    page.get_by_text("No runs yet").wait_for(timeout=60_000)
    settle(page)
    store = RunStore(data / "runs.sqlite3")  # another tab, or the command line
    run_id = store.submit("elsewhere", SCHEDULE.to_json(), CONFIG.to_dict())
    store.close()
    # the idle page polls: the run appears without a reload or a click
    page.get_by_text(f"Run {run_id}", exact=True).wait_for(timeout=15_000)
    page.get_by_text("done", exact=True).first.wait_for(timeout=120_000)
    page.get_by_text(f"step {LAST + 1} of {LAST + 1}").wait_for(timeout=10_000)
    page.wait_for_function(f"() => {{ const c = ({LIVE})(); "
                           f"return c && c.x[c.x.length - 1] === {LAST}; }}", timeout=10_000)
    chart = page.evaluate(LIVE)
    assert chart["y"][-1] == pytest.approx(1.2345e-05)  # the final lr is drawn
    assert chart["ticks"] and not [t for t in chart["ticks"] if t.startswith(("−", "-"))]
    assert page.evaluate(CUT_TILES) == []  # every tile shows its whole number
    body = page.inner_text("body")
    assert "None" not in body and "nan" not in body.split()


def test_the_pasted_code_and_the_epochs_survive_a_reload(server, page) -> None:
    base, _ = server
    page.goto(f"{base}/train", wait_until="domcontentloaded")
    code = page.get_by_role("textbox", name="Optimizer and scheduler lines")
    code.wait_for(timeout=60_000)
    code.fill("ExponentialLR(optimizer, gamma=0.97)")
    code.press("Control+Enter")
    settle(page)
    epochs = page.get_by_role("spinbutton", name="epochs", exact=True)
    epochs.fill("12")
    epochs.press("Enter")
    settle(page)
    # the settings live in the address bar: reload once they are there (on a loaded machine
    # a rerun can start after settle() has already seen the app idle)
    page.wait_for_function("() => { const q = new URLSearchParams(location.search); "
                           "return q.get('epochs') === '12' && "
                           "(q.get('code') || '').includes('gamma=0.97'); }", timeout=30_000)
    page.reload(wait_until="domcontentloaded")
    code = page.get_by_role("textbox", name="Optimizer and scheduler lines")
    code.wait_for(timeout=60_000)
    settle(page)
    assert code.input_value() == "ExponentialLR(optimizer, gamma=0.97)"
    assert page.get_by_role("spinbutton", name="epochs", exact=True).input_value() == "12"


def test_two_app_servers_on_one_postgresql_store_see_and_stop_each_others_runs(
        pg_url, browser, tmp_path) -> None:
    """Two Streamlit servers behind a class's load balancer: a run started on one shows up
    live on the other, which stops it; the first sees it stopped."""
    long = TrainConfig(epochs=100, model="mlp", data="offline", batch_size=64, log_every=5)
    env = {**os.environ, "SCHEDLAB_STORE": pg_url}
    with streamlit_app(ROOT, {**env, "SCHEDLAB_DATA": str(tmp_path / "a")}) as a, \
            streamlit_app(ROOT, {**env, "SCHEDLAB_DATA": str(tmp_path / "b")}) as b:
        first, second = browser.new_page(), browser.new_page()
        for page, base in ((first, a), (second, b)):
            page.goto(f"{base}/train", wait_until="domcontentloaded")
            page.get_by_text("No runs yet").wait_for(timeout=60_000)
            settle(page)
        store = connect(pg_url)  # as server A's Start does (its session's queue)
        run_id = store.submit("from server A", SCHEDULE.to_json(), long.to_dict())
        for page in (first, second):  # each page polls its own server
            page.get_by_text(f"Run {run_id}", exact=True).wait_for(timeout=30_000)
        second.get_by_text("running", exact=True).first.wait_for(timeout=120_000)
        second.get_by_role("button", name="Stop").click()
        first.get_by_text("stopped", exact=True).first.wait_for(timeout=30_000)
        assert store.run(run_id)["status"] == "stopped"
        for page in (first, second):
            assert page.get_by_text("Traceback").count() == 0
            page.close()
