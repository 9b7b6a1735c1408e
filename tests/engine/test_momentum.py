"""Rebuilding an optimizer loses its momentum; editing param_groups keeps it (torch's SGD,
against the closed form of momentum on a constant gradient)."""

from __future__ import annotations

import numpy as np
import pytest

from schedlab.engine.momentum import update_sizes


def test_editing_param_groups_keeps_the_velocity_and_rebuilding_starts_it_again() -> None:
    lr, mu, at, factor = 0.1, 0.9, 30, 0.1
    kept = update_sizes(lr, mu, 60, at, factor, rebuild=False)
    rebuilt = update_sizes(lr, mu, 60, at, factor, rebuild=True)
    k = np.arange(1, at + 1)
    ramp = (1 - mu ** k) / (1 - mu)  # the buffer after k steps of gradient 1
    assert kept[:at] == pytest.approx(lr * ramp) and rebuilt[:at] == pytest.approx(lr * ramp)
    # rebuilt: the new buffer starts from nothing, at the new lr
    assert rebuilt[at:] == pytest.approx(lr * factor * ramp)
    # kept: the old velocity carries on, only the lr changes
    assert kept[at:] == pytest.approx(lr * factor * (1 - mu ** np.arange(at + 1, 61)) /
                                      (1 - mu))
    assert kept[at] > 5 * rebuilt[at]  # the step right after the change
