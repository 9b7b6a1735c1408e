"""In a real browser: the Train page's own poll notices a killed worker, no reload needed."""

from __future__ import annotations

import os
import signal
import time

import pytest

from schedlab.jobs.manager import default_store_path
from schedlab.jobs.store import RunStore
from tests.app.test_browser import server  # noqa: F401  (the fixture: `python -m schedlab app`)
from tests.faults import LONG, QUICK, SCHEDULE, wait

pytestmark = pytest.mark.slow


def test_a_killed_worker_shows_as_interrupted_and_the_queue_moves_on(server, page) -> None:  # noqa: F811
    store = RunStore(default_store_path())  # the server's store (the same data directory)
    run_id = store.submit("long", SCHEDULE.to_json(), LONG.to_dict())
    page.goto(f"{server}/train", wait_until="domcontentloaded")  # re-attaches to it
    status = page.locator("p", has_text=f"Run {run_id} · long")  # the run's status line
    status.get_by_text("running", exact=True).wait_for(timeout=90_000)
    wait(lambda: len(store.steps(run_id)) >= 3, what="metrics")
    queued = store.submit("next in line", SCHEDULE.to_json(), QUICK.to_dict())
    os.kill(store.run(run_id)["worker_pid"], signal.SIGKILL)
    killed = time.monotonic()
    status.get_by_text("interrupted", exact=True).wait_for(timeout=5_000)
    assert time.monotonic() - killed < 5
    assert store.run(run_id)["status"] == "interrupted" and len(store.steps(run_id)) >= 3
    wait(lambda: store.run(queued)["status"] == "done", what="the queued run to train")
    assert page.get_by_text("Traceback").count() == 0
