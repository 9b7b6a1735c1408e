"""Long runs, where torch's own rounding drifts from the textbook formulas: still torch's."""

from __future__ import annotations

import pytest

from tests.engine.test_curve_vs_torch import compare
from tests.strategies import Case

SGD = ("SGD", {"lr": 0.1, "momentum": 0.9}, None)
LONG = [
    ("StepLR", {"step_size": 30000, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [20000, 60000, 60000, 90000]}),
    ("ExponentialLR", {"gamma": 0.99995}),
    ("PolynomialLR", {"total_iters": 150000, "power": 0.9}),
    ("CosineAnnealingLR", {"T_max": 200000}),
    ("CosineAnnealingLR", {"T_max": 30000, "eta_min": 0.001}),  # rises again: torch's
    ("CosineAnnealingLR", {"T_max": 30000}),                    # rounding is amplified
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
    ("LambdaLR", {"lr_lambda": "lambda step: min((step + 1) / 4000, (4000 / (step + 1)) ** 0.5)"}),
    ("MultiplicativeLR", {"lr_lambda": "lambda e: 0.99999 if e % 10 else 0.9999"}),
    ("ConstantLR", {"factor": 0.3, "total_iters": 50000}),
    ("LinearLR", {"start_factor": 0.001, "total_iters": 100000}),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 2000, "mode": "exp_range",
                  "gamma": 0.99999}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 200000, "three_phase": True}),
    ("CosineAnnealingWarmRestarts", {"T_0": 1000, "T_mult": 2, "eta_min": 1e-4}),
    ("ReduceLROnPlateau", {"patience": 500, "cooldown": 100, "factor": 0.5}),
    ("SequentialLR", {"schedulers": [("LinearLR", {"start_factor": 0.01, "total_iters": 10000}),
                                     ("CosineAnnealingLR", {"T_max": 190000, "eta_min": 1e-5})],
                      "milestones": [10000]}),
    ("ChainedScheduler", {"schedulers": [("LinearLR", {"start_factor": 0.1,
                                                       "total_iters": 5000}),
                                         ("ExponentialLR", {"gamma": 0.99999})]}),
]


@pytest.mark.slow
@pytest.mark.parametrize("name,kwargs", LONG, ids=[f"{n}-{i}" for i, (n, _) in enumerate(LONG)])
def test_200k_steps_match_torch(name: str, kwargs: dict) -> None:
    from schedlab import synthetic_metric

    case = Case(*SGD, (name, kwargs))
    metric = synthetic_metric(200_000, seed=1) if name == "ReduceLROnPlateau" else None
    assert compare(case, 200_000, metric) is None
