"""The engine computes long curves in chunks: the result is the same as in one piece."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedlab.engine.basic import Groups
from schedlab.engine.composite import Unsupported, simulate
from schedlab.engine.oracle import build_optimizer, read_momenta
from schedlab.spec.catalog import OPTIMIZERS, SCHEDULERS
from tests.strategies import cases

FAST = sorted(n for n in SCHEDULERS if not SCHEDULERS[n].needs_metric)


def _groups(schedule) -> Groups:
    optimizer = build_optimizer(schedule)
    key = OPTIMIZERS[schedule.optimizer.name].momentum
    return Groups([float(g["lr"]) for g in optimizer.param_groups],
                  read_momenta(optimizer, key), key)


@pytest.mark.parametrize("name", FAST)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), chunk=st.sampled_from([1, 2, 3, 7, 64]))
def test_chunked_curves_equal_the_curve_in_one_piece(name: str, data, chunk: int) -> None:
    schedule = data.draw(cases(name, 150)).schedule()
    try:
        whole = simulate(schedule.scheduler, _groups(schedule), 150, chunk=10**9)
    except Unsupported:
        return  # drawn by stepping torch instead: nothing chunked
    except ValueError:  # the same ScheduleError must come out of the chunked run
        with pytest.raises(ValueError):
            simulate(schedule.scheduler, _groups(schedule), 150, chunk=chunk)
        return
    pieces = simulate(schedule.scheduler, _groups(schedule), 150, chunk=chunk)
    np.testing.assert_allclose(pieces[0], whole[0], rtol=1e-12, atol=0)
    if whole[1] is None:
        assert pieces[1] is None
    else:
        np.testing.assert_array_equal(pieces[1], whole[1])
