"""What a run's progress line says: time left only while it runs."""

from __future__ import annotations

import time

import pytest

from schedlab.present.runs import progress


def _row(status: str, started: float | None, finished: float | None, total: int | None = 100):
    return {"status": status, "started": started, "finished": finished, "total_steps": total}


@pytest.mark.parametrize("status", ["done", "failed", "stopped", "interrupted"])
def test_a_run_that_has_ended_says_no_time_left(status: str) -> None:
    now = time.time()
    fraction, elapsed, left = progress(_row(status, now - 30, now - 10), 49)
    assert left is None and elapsed == pytest.approx(20)
    assert fraction == (1.0 if status == "done" else 0.5)


def test_a_running_run_says_its_time_left_from_its_pace() -> None:
    now = time.time()
    fraction, elapsed, left = progress(_row("running", now - 10, None), 24)
    assert fraction == 0.25 and left == pytest.approx(3 * elapsed)


def test_a_queued_run_says_neither() -> None:
    assert progress(_row("queued", None, None), None) == (0.0, None, None)
