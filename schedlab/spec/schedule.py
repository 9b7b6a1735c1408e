"""The Schedule: an optimizer and a scheduler, as plain data that travels everywhere.

A Schedule is checked against the catalog when it is made (from code, widgets or JSON),
so every Schedule in the program has known names, known parameters and values in range.
What only torch can judge (its own cross-parameter checks) is checked by
``schedlab.engine.oracle.check_with_torch``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from schedlab.errors import ScheduleError, quote
from schedlab.spec.lambdas import Lambda
from schedlab.spec.render import optimizer_source, scheduler_source
from schedlab.spec.specs import MAX_NESTING, MAX_SCHEDULERS, OptimizerSpec, SchedulerSpec

__all__ = ["Schedule", "OptimizerSpec", "SchedulerSpec"]  # the specs too, for their users


@dataclass(frozen=True)
class Schedule:
    """An optimizer and the scheduler that drives its learning rate."""

    optimizer: OptimizerSpec
    scheduler: SchedulerSpec

    def __post_init__(self) -> None:
        if not isinstance(self.optimizer, OptimizerSpec) or not isinstance(
                self.scheduler, SchedulerSpec):
            raise ScheduleError(code="error.spec.schedule-parts")
        self.scheduler.check(self.optimizer.group_count)

    def __hash__(self) -> int:
        return hash(self.to_json())

    @property
    def group_count(self) -> int:
        return self.optimizer.group_count

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data; ``Schedule.from_dict`` turns it back into an equal Schedule."""
        return {"optimizer": optimizer_to_dict(self.optimizer),
                "scheduler": _spec_to_json(self.scheduler)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any) -> Schedule:
        """Rebuild a Schedule from ``to_dict`` output; anything malformed is a ScheduleError."""
        if not isinstance(data, dict) or set(data) != {"optimizer", "scheduler"}:
            raise ScheduleError(code="error.data.keys")
        return cls(optimizer_from_dict(data["optimizer"]), _spec_from_json(data["scheduler"], 0))

    @classmethod
    def from_json(cls, text: str) -> Schedule:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ScheduleError(code="error.data.json", params={"detail": str(exc)}) from None
        return cls.from_dict(data)

    def to_code(self, style: str = "lines", **run: Any) -> str:
        """The schedule as Python source.

        ``"lines"``: the optimizer and scheduler lines in canonical form (``parse_schedule``
        reads them back to an equal Schedule). ``"script"``: a self-contained runnable
        script with a stand-in model and the training loop, ``scheduler.step()`` placed per
        batch or per epoch; keyword arguments ``epochs``, ``steps_per_epoch`` and
        ``step_per`` ("epoch" or "batch") describe the run, ``lang`` the language of its
        comments."""
        if style == "script":
            from schedlab.spec.script import (
                script,  # the script export; it never imports this
            )

            return script(self, **run)
        if style != "lines":
            raise ValueError(f"unknown code style {style!r}; use 'lines' or 'script'")
        return (f"optimizer = {optimizer_source(self.optimizer)}\n"
                f"scheduler = {scheduler_source(self.scheduler)}\n")


def optimizer_to_dict(spec: OptimizerSpec) -> dict[str, Any]:
    """An optimizer alone as plain JSON-able data (an LR range test stores one)."""
    return {"name": spec.name, "kwargs": _to_json(spec.kwargs),
            "groups": None if spec.groups is None else [_to_json(g) for g in spec.groups]}


def optimizer_from_dict(opt: Any) -> OptimizerSpec:
    """``optimizer_to_dict``'s data back as an OptimizerSpec; anything malformed is a
    ScheduleError."""
    if not isinstance(opt, dict) or not set(opt) <= {"name", "kwargs", "groups"}:
        raise ScheduleError(code="error.data.optimizer")
    groups = opt.get("groups")
    if groups is not None and not isinstance(groups, list):
        raise ScheduleError(code="error.data.groups")
    return OptimizerSpec(_need_str(opt.get("name")), _from_json_dict(opt.get("kwargs", {})),
                         None if groups is None else tuple(_from_json_dict(g) for g in groups))


def _to_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, Lambda):
        return {"lambda": value.source}
    if isinstance(value, SchedulerSpec):
        return _spec_to_json(value)
    return value


def _spec_to_json(spec: SchedulerSpec) -> dict[str, Any]:
    return {"name": spec.name, "kwargs": _to_json(spec.kwargs)}


def _need_str(value: Any) -> str:
    if not isinstance(value, str):
        raise ScheduleError(code="error.data.name", params={"value": quote(repr(value), 40)})
    return value


def _from_json_dict(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ScheduleError(code="error.data.arguments")
    return {str(k): _from_json(v) for k, v in data.items()}


def _from_json(value: Any, depth: int = 0) -> Any:
    if isinstance(value, list) and depth < 3:
        return tuple(_from_json(v, depth + 1) for v in value)
    if isinstance(value, dict) and set(value) == {"lambda"}:
        return Lambda(_need_str(value["lambda"]))
    if isinstance(value, dict) or isinstance(value, list):
        raise ScheduleError(code="error.data.nested")
    return value


def _spec_from_json(data: Any, depth: int) -> SchedulerSpec:
    if depth > MAX_NESTING:
        raise ScheduleError(code="error.data.nesting", params={"most": MAX_NESTING})
    if not isinstance(data, dict) or not set(data) <= {"name", "kwargs"}:
        raise ScheduleError(code="error.data.scheduler")
    kwargs = data.get("kwargs", {})
    if not isinstance(kwargs, dict):
        raise ScheduleError(code="error.data.kwargs")
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key == "schedulers" and isinstance(value, list):
            if len(value) > MAX_SCHEDULERS:
                raise ScheduleError(code="error.data.too-many", params={"most": MAX_SCHEDULERS})
            out[key] = tuple(_spec_from_json(v, depth + 1) for v in value)
        else:
            out[str(key)] = _from_json(value)
    return SchedulerSpec(_need_str(data.get("name")), out)
