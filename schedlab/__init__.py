"""schedlab: see exactly what a PyTorch learning-rate schedule does, step by step.

The public API:

* ``parse_schedule(scheduler, optimizer)``: pasted PyTorch code -> Schedule
* ``compute_curve(schedule, steps, metric=None)``: per-step lr/momentum DataFrame
* ``synthetic_metric(steps, ...)``: a seeded loss curve for ReduceLROnPlateau previews
* ``check_schedule(schedule, steps, ...)``: the classic schedule mistakes, as Findings
* ``ScheduleError``: every user mistake, with a message saying what is allowed
* ``catalog``: every scheduler's parameters (type, default, range, help)
"""

from schedlab import catalog
from schedlab.checks import Finding, check_schedule
from schedlab.curve import MAX_STEPS, compute_curve, synthetic_metric
from schedlab.errors import ScheduleError
from schedlab.lambdas import Lambda
from schedlab.parse import parse_schedule
from schedlab.schedule import OptimizerSpec, Schedule, SchedulerSpec

__all__ = ["MAX_STEPS", "Finding", "Lambda", "OptimizerSpec", "Schedule", "ScheduleError",
           "SchedulerSpec", "catalog", "check_schedule", "compute_curve", "parse_schedule",
           "synthetic_metric"]
__version__ = "0.1.0"
