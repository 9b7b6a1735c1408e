"""The registry: every torch lr scheduler and optimizer schedlab knows, one entry each.

Parsing binds pasted arguments with an entry's parameters, validation checks values
against their ranges, the explorer builds its widgets from them, and an entry's rules
(its length, events, checks and example; see ``base.SchedulerInfo``) serve the analysis
and the pages. Names and defaults are torch's own (a test compares them with torch's
signatures). A new scheduler is one entry in its family's module and its model in the
engine.
"""

from __future__ import annotations

from schedlab.spec.catalog import adaptive, composite, cyclic, decay, warmup
from schedlab.spec.catalog.base import (FAMILIES, REGISTRY, WARMUP, Event, Finding, Fit, Run,
                                        SchedulerInfo, entry)
from schedlab.spec.catalog.optimizers import (OPTIMIZERS, TUPLE_PARAMS, UNTRAINABLE_OPTIONS,
                                              OptimizerInfo)

SCHEDULERS: dict[str, SchedulerInfo] = {
    info.name: info for module in (decay, warmup, composite, cyclic, adaptive)
    for info in module.ENTRIES}
REGISTRY.update(SCHEDULERS)

__all__ = ["FAMILIES", "OPTIMIZERS", "SCHEDULERS", "TUPLE_PARAMS", "UNTRAINABLE_OPTIONS",
           "WARMUP", "Event", "Finding", "Fit", "OptimizerInfo", "Run", "SchedulerInfo",
           "entry"]
