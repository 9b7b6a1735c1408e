"""Text widgets: lists, lambdas and per-group values read with clear messages."""

from __future__ import annotations

import pytest

from schedlab import Lambda, ScheduleError
from schedlab.present.forms import field_text, parse_field
from schedlab.spec.catalog import SCHEDULERS

MILESTONES = SCHEDULERS["MultiStepLR"].param("milestones")
LAMBDA = SCHEDULERS["LambdaLR"].param("lr_lambda")
MAX_LR = SCHEDULERS["CyclicLR"].param("max_lr")


def test_values_round_trip_through_their_text() -> None:
    for p, value in ((MILESTONES, (30, 60, 90)), (LAMBDA, Lambda("lambda e: 0.9 ** e")),
                     (LAMBDA, (Lambda("lambda e: 1"), Lambda("lambda e: e // 3"))),
                     (MAX_LR, 0.1), (MAX_LR, (0.1, 0.01))):
        assert parse_field(p, field_text(p, value), "X") == value


@pytest.mark.parametrize("p,text,message", [
    (MILESTONES, "30, sixty", "'sixty' in milestones is not a number"),
    (MILESTONES, "30.5", "whole numbers"),
    (LAMBDA, "lambda e: open('x')", "lr_lambda.*call not allowed"),
    (LAMBDA, "", "needs a lambda"),
    (MAX_LR, "", "needs a value"),
    (MAX_LR, "inf", "finite"),
])
def test_bad_text_names_the_parameter(p, text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message) as err:
        parse_field(p, text, "X")
    assert err.value.param == p.name
