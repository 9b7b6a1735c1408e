"""The specs a Schedule is made of: an optimizer and a scheduler, each a name and its
arguments, checked against the catalog when made (so a spec that exists is valid) and
never changed after; torch's defaults are bound once, here (``SchedulerSpec.args``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from schedlab.errors import ScheduleError, quote
from schedlab.spec.catalog import OPTIMIZERS, SCHEDULERS, SchedulerInfo
from schedlab.spec.hyper import MAX_TEXT, check_hyper
from schedlab.spec.lambdas import Lambda
from schedlab.spec.params import MAX_LIST, Arguments, Param, finite_float
from schedlab.spec.render import scheduler_label

MAX_NESTING = 4  # SequentialLR inside SequentialLR ... at most this deep
MAX_SCHEDULERS = 32  # schedulers in one schedule, nested ones included
MAX_GROUPS = 16  # optimizer param groups
_LITERALS = (bool, int, float, str, type(None))


@dataclass(frozen=True)
class OptimizerSpec:
    """A torch.optim optimizer: its class name, keyword arguments and param groups.

    ``groups`` is None when the parameters are passed as one iterable
    (``model.parameters()``); otherwise one dict of per-group overrides per group, the
    ``'params'`` entry left out (it is a placeholder).
    """

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    groups: tuple[dict[str, Any], ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or self.name not in OPTIMIZERS:
            raise ScheduleError(param="optimizer", code="error.spec.unknown-optimizer", params={
                "name": quote(repr(self.name), 40), "known": ", ".join(OPTIMIZERS)})
        object.__setattr__(self, "kwargs", _check_hypers(
            self.name, _check_literals(self.kwargs, self.name), self.name))
        if "initial_lr" in self.kwargs:
            raise ScheduleError(param="optimizer", code="error.spec.initial-lr",
                                params={"owner": self.name})
        if self.groups is not None:
            if not isinstance(self.groups, (list, tuple)) or not 1 <= len(self.groups) <= \
                    MAX_GROUPS:
                count = len(self.groups) if isinstance(self.groups, (list, tuple)) else "?"
                raise ScheduleError(param="groups", code="error.spec.groups", params={
                    "owner": self.name, "most": MAX_GROUPS, "count": count})
            groups = tuple(_check_hypers(self.name, _check_literals(g, where), where)
                           for i, g in enumerate(self.groups)
                           for where in [f"{self.name} param group {i}"])
            object.__setattr__(self, "groups", groups)

    @property
    def group_count(self) -> int:
        return 1 if self.groups is None else len(self.groups)


@dataclass(frozen=True)
class SchedulerSpec:
    """A torch.optim.lr_scheduler class name and its arguments (the optimizer left out).

    Nested schedulers (SequentialLR, ChainedScheduler) are SchedulerSpecs themselves;
    lambdas are Lambda objects; lists are tuples.
    """

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)  # as given (what code shows)
    # every parameter, torch's defaults bound once here: what the engine and checks read
    args: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Check every argument against the catalog now, on a copy of the caller's dict:
        a SchedulerSpec that exists is valid (what depends on the optimizer's param groups
        is checked by ``check``) and never changes."""
        if not isinstance(self.name, str) or self.name not in SCHEDULERS:
            raise ScheduleError(param="scheduler", code="error.spec.unknown-scheduler", params={
                "name": quote(repr(self.name), 40), "known": known_schedulers()})
        if not isinstance(self.kwargs, dict) or not all(isinstance(k, str) for k in self.kwargs):
            raise ScheduleError(param="scheduler", code="error.spec.mapping",
                                params={"owner": self.name})
        known = _known(self.name)
        args = {}
        for key, value in self.kwargs.items():
            if key not in known:
                raise ScheduleError(param=key, code="error.spec.no-parameter", params={
                    "owner": self.name, "name": quote(repr(key), 40), "known": ", ".join(known)})
            args[key] = check_argument(known[key], value, self.name, None)
        for p in known.values():
            if p.required and p.name not in args:
                raise ScheduleError(param=p.name, code="error.spec.needs", params={
                    "owner": self.name, "name": p.name, "range": p.range_phrase()})
        for child in args.get("schedulers", ()):
            if child.info.needs_metric:
                raise ScheduleError(param="schedulers", code="error.spec.metric-child",
                                    params={"owner": self.name, "child": child.name})
            if child.info.library == "timm.scheduler":  # its step() needs the count
                raise ScheduleError(param="schedulers", code="error.spec.timm-child",
                                    params={"owner": self.name, "child": child.name})
        marks, parts = args.get("milestones"), args.get("schedulers")
        if marks is not None and parts is not None and len(marks) != len(parts) - 1:
            raise ScheduleError(param="milestones", code="error.spec.milestone-count", params={
                "owner": self.name, "schedulers": len(parts), "milestones": len(marks)})
        object.__setattr__(self, "kwargs", Arguments(args))
        defaults = {p.name: p.default for p in known.values() if not p.required}
        object.__setattr__(self, "args", Arguments({**defaults, **args}))
        if self.depth > MAX_NESTING:
            raise ScheduleError(code="error.spec.nesting", params={"most": MAX_NESTING})
        if self.count > MAX_SCHEDULERS:
            raise ScheduleError(code="error.spec.too-many", params={
                "count": self.count, "most": MAX_SCHEDULERS})

    def bound(self) -> tuple:
        """What the scheduler does, defaults bound: equal for two specs that differ only
        in spelling out a default (``StepLR(optimizer, 30, gamma=0.1)``)."""
        return (self.name, tuple((k, tuple(c.bound() for c in v) if k == "schedulers" else v)
                                 for k, v in sorted(self.args.items())))

    @property
    def info(self) -> SchedulerInfo:
        """Its registry entry: parameters, length, events, checks, example."""
        return SCHEDULERS[self.name]

    @property
    def children(self) -> tuple[SchedulerSpec, ...]:
        return self.kwargs.get("schedulers", ())

    @property
    def depth(self) -> int:
        """Levels of nesting below this scheduler (0 for a plain one)."""
        return max((1 + c.depth for c in self.children), default=0)

    @property
    def count(self) -> int:
        """Schedulers in this one, itself and the nested ones."""
        return 1 + sum(c.count for c in self.children)

    def check(self, groups: int) -> None:
        """Check what depends on the optimizer's ``groups`` (a list with one value or
        lambda per group must have as many); the rest was checked when the spec was made.
        Changes nothing."""
        known = _known(self.name)
        for key, value in self.kwargs.items():
            if known[key].per_group:
                check_argument(known[key], value, self.name, groups)
        for child in self.children:
            child.check(groups)

    def label(self) -> str:
        """A short human-readable name, e.g. ``StepLR(step_size=30, gamma=0.1)``."""
        return scheduler_label(self)


def known_schedulers() -> str:
    """The registry's schedulers in a few words: torch's by name, the others by pattern
    (30 names are too many for a message)."""
    torch = [n for n, info in SCHEDULERS.items() if info.torch]
    return ", ".join(torch) + ", get_*_schedule* (transformers), *LRScheduler (timm)"


def _known(name: str) -> dict[str, Param]:
    return {p.name: p for p in SCHEDULERS[name].params if p.kind != "optimizer"}


def check_argument(p: Param, value: Any, owner: str, groups: int | None) -> Any:
    """One argument checked against its catalog entry; returns it in canonical form.
    ``groups``: the optimizer's param groups, which a list of per-group values must
    match (None: not known yet, not checked)."""
    if p.kind == "schedulers":
        if not isinstance(value, (list, tuple)) or not value or not all(
                isinstance(s, SchedulerSpec) for s in value):
            raise ScheduleError(param=p.name, code="error.spec.schedulers",
                                params={"owner": owner})
        return tuple(value)
    if p.kind == "lambda":
        if value is None and p.optional:
            return None
        items = value if isinstance(value, (list, tuple)) and p.per_group else (value,)
        if not items or not all(isinstance(v, Lambda) for v in items):
            raise ScheduleError(param=p.name, code="error.spec.lambda", params={
                "owner": owner, "name": p.name, "range": p.range_phrase()})
        if isinstance(value, (list, tuple)) and groups is not None and len(value) != groups:
            raise ScheduleError(param=p.name, code="error.spec.lambda-count", params={
                "owner": owner, "name": p.name, "count": len(value), "groups": groups})
        return tuple(value) if isinstance(value, (list, tuple)) else value
    return p.check(value, owner, groups)


def _check_literals(values: Any, owner: str) -> dict[str, Any]:
    if not isinstance(values, dict):
        raise ScheduleError(code="error.spec.mapping", params={"owner": owner})
    out = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key.isidentifier() or key == "params":
            raise ScheduleError(code="error.spec.argument-name", params={
                "owner": owner, "name": quote(repr(key), 40)})
        out[key] = _literal_value(value, f"{owner}: {key}")
    return out


def _check_hypers(optimizer: str, values: dict[str, Any], where: str) -> dict[str, Any]:
    return {k: check_hyper(optimizer, k, v, where) for k, v in values.items()}


def _literal_value(value: Any, where: str, depth: int = 0) -> Any:
    if isinstance(value, _LITERALS):
        if isinstance(value, float) and math.isnan(value):
            raise ScheduleError(code="error.value.nan", params={"where": where})
        if isinstance(value, int) and not isinstance(value, bool) and \
                finite_float(value) is None:
            raise ScheduleError(code="error.value.huge-integer", params={
                "where": where, "bits": value.bit_length()})
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise ScheduleError(code="error.value.long-text", params={
                "where": where, "length": len(value), "most": MAX_TEXT})
        return value
    if isinstance(value, (list, tuple)) and depth < 2 and len(value) <= MAX_LIST:
        return tuple(_literal_value(v, where, depth + 1) for v in value)
    raise ScheduleError(code="error.value.kind", params={"where": where})
