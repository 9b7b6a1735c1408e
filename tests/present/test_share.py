"""The explorer's state survives a link; hostile links give ScheduleError, nothing else."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedlab import ScheduleError, parse_schedule
from schedlab.present.share import MAX_PINNED, ExplorerState, View, pin_label
from schedlab.spec.horizon import Horizon, MetricSettings


def _state() -> ExplorerState:
    s = ExplorerState(parse_schedule("OneCycleLR(o, max_lr=0.3, total_steps=5000)",
                                     "AdamW(p, lr=1e-3, betas=(0.9, 0.95))"),
                      Horizon(50, 100, "batch"), View("epoch", True, False),
                      MetricSettings(7, 0.1, 0.5, 0.1))
    s = s.pin("first")
    return s.pin(pin_label(s))


def test_round_trip_with_comparisons() -> None:
    state = _state()
    assert ExplorerState.decode(state.encode()) == state
    assert len(state.encode()) < 2000


def test_pinning_keeps_at_most_six() -> None:
    state = ExplorerState()
    for i in range(MAX_PINNED + 3):
        state = state.pin(f"p{i}")
    assert [p.label for p in state.compare] == [f"p{i}" for i in range(3, MAX_PINNED + 3)]


def _pack(obj) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw)).decode().rstrip("=")


@pytest.mark.parametrize("text", [
    "", "not base64 !!", "AAAA", _state().encode()[:-12], "x" * 20_000,
    _pack({"v": 2}), _pack([1, 2]), _pack(b"\x00" * 10_000_000), _pack(b"{" * 100_000),
    _pack({**_state().to_dict(), "compare": [_state().compare[0].to_dict()] * 7}),
    _pack({**_state().to_dict(), "view": {"x_unit": "parsec"}}),
    _pack({**_state().to_dict(), "horizon": {"epochs": 10**9, "steps_per_epoch": 10**9,
                                             "step_per": "epoch"}}),
    _pack({**_state().to_dict(), "metric": {"seed": -1}}),
    _pack({**_state().to_dict(), "horizon": {"epochs": "10"}}),
    _pack({**_state().to_dict(), "extra": 1}),
])
def test_hostile_links_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(ScheduleError):
        ExplorerState.decode(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_random_link_text_never_escapes_as_another_exception(text: str) -> None:
    try:
        ExplorerState.decode(text)
    except ScheduleError:
        pass
