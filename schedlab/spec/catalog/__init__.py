"""The registry: every lr scheduler (torch's, transformers' and timm's) and torch optimizer
schedlab knows, one entry each.

Parsing binds pasted arguments with an entry's parameters, validation checks values
against their ranges, the explorer builds its widgets from them, and an entry's rules
(its length, events, checks and example; see ``base.SchedulerInfo``) serve the analysis
and the pages. Names and defaults are torch's own (a test compares them with torch's
signatures). A new scheduler is one entry in its family's module and its model in the
engine.

Words. The registry holds no sentence of its own: what an entry, a parameter, a family or
an optimizer is called or does lives in ``schedlab/locale/<lang>.catalog.toml``, keyed

- ``catalog.scheduler.<Scheduler>.summary``: what the scheduler does (a sentence);
- ``catalog.family.<family>``: a family's name as shown (for each of ``FAMILIES``);
- ``catalog.param.<param>``: what a parameter means, shared by every scheduler that has
  it, or ``catalog.param.<Scheduler>.<param>`` where one words it its own way (it wins);
- ``catalog.optimizer.<Optimizer>.summary`` and ``.cannot-train`` (why the training loop
  cannot drive it); ``catalog.option.<option>`` (an option the loop cannot honour).

Each piece of prose ``x`` is read three ways: ``x`` is the English (a str, as before),
``x_in(lang)`` says it in ``lang``, and ``x_text`` is the ``Text`` to render later or to
nest in a message (an error's ``reason``; ``schedlab.ui.lang.say``)::

    SCHEDULERS["StepLR"].summary               # "Multiply the lr by gamma every ..."
    SCHEDULERS["StepLR"].summary_in("zh")      # "每隔 step_size 步，把 lr 乘以 gamma。"
    SCHEDULERS["StepLR"].family_in("zh")       # "衰减" (``family`` is the English name)
    SCHEDULERS["StepLR"].param("gamma").help_in("zh")  # or .help, .help_text
    OPTIMIZERS["Adam"].summary_in("zh")        # or .summary, .summary_text
    OPTIMIZERS["LBFGS"].cannot_train_text      # None for an optimizer that trains
    UNTRAINABLE_OPTIONS["capturable"]          # a Text (str() of it is the English)
    family_name("cyclic", "zh")                # a family's name, without an entry
"""

from __future__ import annotations

from schedlab.spec.catalog import adaptive, composite, cyclic, decay, timm, transformers, warmup
from schedlab.spec.catalog.base import (FAMILIES, REGISTRY, WARMUP, Event, Finding, Fit, Run,
                                        SchedulerInfo, entry, family_name)
from schedlab.spec.catalog.optimizers import (OPTIMIZERS, TUPLE_PARAMS, UNTRAINABLE_OPTIONS,
                                              OptimizerInfo)

SCHEDULERS: dict[str, SchedulerInfo] = {
    info.name: info for module in (decay, warmup, composite, cyclic, adaptive, transformers,
                                   timm)
    for info in module.ENTRIES}
REGISTRY.update(SCHEDULERS)

__all__ = ["FAMILIES", "OPTIMIZERS", "SCHEDULERS", "TUPLE_PARAMS", "UNTRAINABLE_OPTIONS",
           "WARMUP", "Event", "Finding", "Fit", "OptimizerInfo", "Run", "SchedulerInfo",
           "entry", "family_name"]
