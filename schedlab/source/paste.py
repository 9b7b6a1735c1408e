"""What the explorer's paste box means beside the schedule on screen.

A paste holds an optimizer and a scheduler, or an optimizer alone (which then replaces
the optimizer and keeps the scheduler); ``len(train_loader)`` in it counts batches.
"""

from __future__ import annotations

import ast
import textwrap

from schedlab.errors import ScheduleError
from schedlab.source.constants import is_loader_length
from schedlab.source.parse import _class_of, parse_schedule
from schedlab.spec.catalog import OPTIMIZERS
from schedlab.spec.render import optimizer_source, scheduler_source
from schedlab.spec.schedule import Schedule


def parse_paste(text: str, current: Schedule, steps_per_epoch: int | None = None
                ) -> tuple[Schedule, bool]:
    """What a paste box means beside ``current``: the optimizer and scheduler it holds;
    an optimizer alone replaces ``current``'s optimizer and keeps its scheduler. The
    flag says whether the paste held a scheduler."""
    try:
        return parse_schedule(text, optimizer_source(current.optimizer),
                              steps_per_epoch=steps_per_epoch), True
    except ScheduleError as exc:
        if exc.param != "scheduler" or not str(exc).startswith("no scheduler found") or \
                not _makes_optimizer(text):
            raise
        missing = exc
    try:
        return parse_schedule(scheduler_source(current.scheduler), text,
                              steps_per_epoch=steps_per_epoch), False
    except ScheduleError as exc:
        if exc.param == "optimizer" and str(exc).startswith("no optimizer found"):
            raise missing from None  # neither an optimizer nor a scheduler
        raise


def _makes_optimizer(text: str) -> bool:
    tree = ast.parse(textwrap.dedent(text))  # parsed once already: it is valid Python
    return any(isinstance(n, ast.Call) and _class_of(n.func) in OPTIMIZERS
               for n in ast.walk(tree))


def lightning_interval(text: str) -> str | None:
    """Lightning's ``"interval"`` in pasted code (``"step"`` or ``"epoch"``): when the
    scheduler is stepped, as Lightning is told; None when the paste does not say."""
    try:
        tree = ast.parse(textwrap.dedent(text or ""))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values):
                if isinstance(key, ast.Constant) and key.value == "interval" and \
                        isinstance(value, ast.Constant) and value.value in ("step", "epoch"):
                    return value.value
    return None


def uses_loader_length(text: str) -> bool:
    """Whether pasted code counts in ``len(train_loader)`` (a length in batches); a
    comment that mentions it does not count."""
    try:
        tree = ast.parse(textwrap.dedent(text or ""))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return any(is_loader_length(n) for n in ast.walk(tree))
