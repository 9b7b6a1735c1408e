"""The range test's chart: hints as labelled lines whose words never overprint."""

from __future__ import annotations

import numpy as np
import pytest

from schedlab.present.rangeplot import range_figure

LRS = np.geomspace(1e-7, 10, 100)
LOSS = np.linspace(2.3, 0.5, 100)


@pytest.mark.parametrize("hints", [{"steepest": 0.00486, "min_div_10": 0.00658},
                                   {"steepest": 0.02, "min_div_10": 0.003}])
def test_two_close_hints_are_labelled_apart(hints) -> None:
    layout = range_figure(LRS, LOSS, LOSS, hints, "exp", "zh").layout
    notes = sorted(layout.annotations, key=lambda a: a.x)
    assert [10 ** a.x for a in notes] == pytest.approx(sorted(hints.values()))  # log axis
    assert [a.xanchor for a in notes] == ["right", "left"]  # away from each other
    assert notes[0].yshift != notes[1].yshift  # and on different lines
    assert all(a.text.startswith("提示") for a in notes)


def test_a_hint_that_cannot_be_told_is_not_drawn() -> None:
    layout = range_figure(LRS, LOSS, LOSS, {"steepest": None, "min_div_10": 0.01},
                          "linear").layout
    assert [a.x for a in layout.annotations] == [0.01]
