"""A training process made ready: its thread budget, and torch warmed up before a run."""

from __future__ import annotations

import torch

from schedlab.errors import SchedlabError
from schedlab.training.data import load_digits


def set_threads(threads: int) -> None:
    """Give torch's intra-op pool ``threads`` threads."""
    torch.set_num_threads(threads)


def warm_up() -> None:
    """Load the default data and take one CNN training step with a scheduler, so the first
    run starts at once (torch imports parts of itself on first use: seconds)."""
    try:
        from schedlab.engine.curve import compute_curve
        from schedlab.engine.oracle import build_optimizer, build_scheduler
        from schedlab.spec.examples import example_schedule
        from schedlab.training.models import build_model, param_groups

        load_digits("auto")
        schedule = example_schedule("StepLR")
        compute_curve(schedule, 2)
        model = build_model("cnn")
        optimizer = build_optimizer(schedule, param_groups(model, 1))
        scheduler = build_scheduler(schedule.scheduler, optimizer)
        model(torch.zeros(64, 1, 28, 28)).sum().backward()
        optimizer.step()
        scheduler.step()
    except (SchedlabError, RuntimeError):
        pass  # a run that needs them reports the problem itself
