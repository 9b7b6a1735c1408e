"""parse_schedule: read the optimizer and scheduler lines of a training script.

The text is read with ``ast`` and never run. Calls are bound to their parameters the way
torch binds them (positional or keyword), nested schedulers and names assigned on earlier
lines are resolved, numbers may be written as constant arithmetic (``5e-4 * 4``), and
lambdas go to the project's own evaluator. Imports, comments and calls such as
``scheduler.step()`` are ignored; anything else gets a message naming the line.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import re
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from schedlab.errors import ScheduleError
from schedlab.messages import Text
from schedlab.source.constants import constant, segment
from schedlab.spec.catalog import OPTIMIZERS, SCHEDULERS
from schedlab.spec.expr import FUNCTIONS
from schedlab.spec.lambdas import Lambda, check_lambda_node
from schedlab.spec.params import Param
from schedlab.spec.schedule import OptimizerSpec, Schedule, SchedulerSpec
from schedlab.spec.specs import known_schedulers

MAX_CODE_CHARS = 20_000  # per text box
DEFAULT_OPTIMIZER = "SGD(params, lr=0.1)"
_MAKER_WORDS = re.compile(r"sched|optim|LR$|LR_|_lr|Lr", re.IGNORECASE)
# functions that make a registry scheduler from a name (transformers' get_scheduler, timm's
# create_scheduler_v2) or pass their arguments on (transformers' plateau function)
FACTORIES = ("get_scheduler", "create_scheduler_v2", "get_reduce_on_plateau_schedule")
# schedules of transformers and timm that schedlab knows of but does not draw, and why
# (the words: error.parse.not-modelled.<name>)
NOT_MODELLED = ("get_greedy_schedule", "get_adafactor_schedule")
_SKIPPED_METHODS = {"step", "zero_grad", "backward", "load_state_dict", "state_dict",
                    "get_last_lr", "print_lr", "add_param_group"}


@dataclass
class _Names:
    """What earlier lines defined: numbers and lists, lambdas, optimizers, schedulers."""

    consts: dict[str, Any] = field(default_factory=dict)
    lambdas: dict[str, Lambda] = field(default_factory=dict)
    schedulers: dict[str, SchedulerSpec] = field(default_factory=dict)
    optimizers: dict[str, OptimizerSpec] = field(default_factory=dict)
    used: set[int] = field(default_factory=set)  # id() of schedulers nested in another
    made: list[SchedulerSpec] = field(default_factory=list)
    optimizer: OptimizerSpec | None = None
    steps_per_epoch: int | None = None  # what len(train_loader) means in this paste
    epochs: int | None = None  # what the last create_scheduler_v2 returned to train


def parse_schedule(scheduler: str, optimizer: str = DEFAULT_OPTIMIZER, *,
                   steps_per_epoch: int | None = None) -> Schedule:
    """Read pasted PyTorch code into a Schedule.

    ``scheduler`` holds the scheduler line(s), e.g.
    ``StepLR(optimizer, step_size=30, gamma=0.1)`` or several lines building a
    SequentialLR; it may also hold the optimizer line, which then takes the place of
    ``optimizer``. ``len(train_loader)`` (or ``len(dataloader)``, ``len(loader)``) in a
    number stands for ``steps_per_epoch``, the run's batches per epoch. Raises
    ScheduleError naming the line and the piece of code that is wrong.

    Example:
        >>> s = parse_schedule("lr_scheduler.StepLR(opt, 30)",
        ...                    "optim.SGD(model.parameters(), lr=0.05)")
        >>> s.scheduler.kwargs
        {'step_size': 30}
    """
    names = _Names(steps_per_epoch=steps_per_epoch)
    _read(optimizer or DEFAULT_OPTIMIZER, "optimizer", names)
    from_optimizer_box = names.optimizer
    names.optimizer = None
    _read(scheduler, "scheduler", names)
    opt = names.optimizer or from_optimizer_box
    if opt is None:
        raise ScheduleError(param="optimizer", code="error.parse.no-optimizer",
                            params={"example": DEFAULT_OPTIMIZER})
    top = [s for s in names.made if id(s) not in names.used]
    if not top:
        raise ScheduleError(param="scheduler", code="error.parse.no-scheduler")
    if len(top) > 1:
        raise ScheduleError(param="scheduler", code="error.parse.separate", params={
            "count": len(top), "names": ", ".join(s.name for s in top)})
    schedule = Schedule(opt, top[0])
    from schedlab.engine.oracle import (
        check_with_torch,  # torch is the judge of the rest
    )

    check_with_torch(schedule)
    return schedule


def parse_optimizer(optimizer: str) -> OptimizerSpec:
    """Read an optimizer line alone (what the LR range test sweeps), e.g.
    ``optim.Adam(model.parameters(), lr=1e-3)``; earlier lines may define the names it
    uses. torch's own checks run when it is built."""
    names = _Names()
    _read(optimizer, "optimizer", names)
    if names.optimizer is None:
        raise ScheduleError(param="optimizer", code="error.parse.no-optimizer",
                            params={"example": DEFAULT_OPTIMIZER})
    return names.optimizer


def _read(text: str, box: str, names: _Names) -> None:
    if not isinstance(text, str):
        raise ScheduleError(param=box, code="error.parse.not-text", params={"box": _box(box)})
    if len(text) > MAX_CODE_CHARS:
        raise ScheduleError(param=box, code="error.parse.too-long", params={
            "box": _box(box), "length": len(text), "most": MAX_CODE_CHARS})
    try:
        tree = ast.parse(textwrap.dedent(text))
    except SyntaxError as exc:
        raise ScheduleError(param=box, code="error.parse.syntax", params={
            "box": _box(box), "line": exc.lineno, "detail": exc.msg}) from None
    except (ValueError, RecursionError, MemoryError):
        raise ScheduleError(param=box, code="error.parse.unreadable",
                            params={"box": _box(box)}) from None
    src = textwrap.dedent(text)
    for stmt in tree.body:
        try:
            _statement(stmt, src, names)
        except ScheduleError as exc:  # an optimizer's line is named so, whatever the box
            value = getattr(stmt, "value", None)
            what = "optimizer" if isinstance(value, ast.Call) and \
                _class_of(value.func) in OPTIMIZERS else box
            raise ScheduleError(param=exc.param or what, code="error.parse.at-line", params={
                "box": _box(what), "line": stmt.lineno, "error": exc.text}) from None


def _statement(stmt: ast.stmt, src: str, names: _Names) -> None:
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)):
        return
    if isinstance(stmt, ast.FunctionDef) and stmt.name == "configure_optimizers":
        for inner in stmt.body:  # Lightning's: its lines are the schedule's
            _statement(inner, src, names)
        return
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        _returned(stmt.value, src, names)  # what configure_optimizers hands Lightning
        return
    if isinstance(stmt, ast.Expr):
        value = stmt.value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            return  # a docstring
        if isinstance(value, ast.Call):
            if _class_of(value.func) is not None:
                _make(value, src, names)
                return
            if isinstance(value.func, ast.Attribute) and value.func.attr in _SKIPPED_METHODS:
                return
            _unknown_class(value, names)
        raise ScheduleError(code="error.parse.not-a-call", params={"code": segment(src, value)})
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value
        if len(targets) == 1 and isinstance(targets[0], ast.Tuple) and len(targets[0].elts) == 2 \
                and isinstance(value, ast.Call) and _class_of(value.func) == "create_scheduler_v2" \
                and all(isinstance(e, (ast.Name, ast.Attribute)) for e in targets[0].elts):
            made = _make(value, src, names)  # timm returns (scheduler, epochs to train)
            names.schedulers[ast.unparse(targets[0].elts[0])] = made
            names.consts[ast.unparse(targets[0].elts[1])] = names.epochs
            return
        if len(targets) != 1 or not isinstance(targets[0], (ast.Name, ast.Attribute)):
            raise ScheduleError(code="error.parse.assignment")
        key = ast.unparse(targets[0])
        value = stmt.value
        if isinstance(value, ast.Call) and _class_of(value.func) is not None:
            made = _make(value, src, names)
            table = names.optimizers if isinstance(made, OptimizerSpec) else names.schedulers
            table[key] = made
        elif isinstance(value, ast.Lambda):
            check_lambda_node(value, src)
            names.lambdas[key] = Lambda(ast.unparse(value))
        else:
            if isinstance(value, ast.Call):
                _unknown_class(value, names)
            names.consts[key] = _literal(value, src, names)
        return
    raise ScheduleError(code="error.parse.statement", params={"code": segment(src, stmt)})


def _returned(node: ast.expr, src: str, names: _Names) -> None:
    """Lightning's return value: ``{"optimizer": ..., "lr_scheduler": {"scheduler": ...,
    "interval": ...}}``, ``([optimizer], [scheduler])`` or the like. Optimizers and
    schedulers made right there are read; names made on earlier lines are already."""
    parts = node.values if isinstance(node, ast.Dict) else \
        node.elts if isinstance(node, (ast.Tuple, ast.List)) else [node]
    for part in parts:
        if isinstance(part, (ast.Dict, ast.Tuple, ast.List)):
            _returned(part, src, names)
        elif isinstance(part, ast.Call) and _class_of(part.func) is not None:
            _make(part, src, names)


def _class_of(func: ast.expr) -> str | None:
    name = func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)
    return name if name in SCHEDULERS or name in OPTIMIZERS or name in FACTORIES else None


def _unknown_class(call: ast.Call, names: _Names) -> None:
    """Refuse a call that makes a scheduler or an optimizer schedlab does not know (a
    class name, or a function given the optimizer), naming the ones it knows."""
    func = call.func
    name = func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)
    if name is None or name in FUNCTIONS or (name.startswith("get_") and
                                             "schedul" not in name.lower()):
        return  # math, or a getter (get_lr): said as a value that cannot be evaluated
    if name in NOT_MODELLED:
        raise ScheduleError(code=f"error.parse.not-modelled.{name}")
    first = call.args[0] if call.args else next(
        (k.value for k in call.keywords if k.arg == "optimizer"), None)
    given_optimizer = isinstance(first, ast.Name) and first.id not in names.consts and (
        first.id in names.optimizers or first.id in ("optimizer", "optim", "opt"))
    known = sorted(SCHEDULERS) + sorted(OPTIMIZERS)
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
    if not (close or given_optimizer or _MAKER_WORDS.search(name)):
        return  # e.g. Net() or DataLoader(...): said as a value that cannot be evaluated
    if close:
        raise ScheduleError(code="error.parse.unknown-class-like", params={
            "name": name, "like": close[0]})
    raise ScheduleError(code="error.parse.unknown-class", params={
        "name": name, "schedulers": known_schedulers(),
        "optimizers": ", ".join(sorted(OPTIMIZERS))})


def _box(name: str) -> Text:
    """The text box (or line) a message is about, in words: optimizer or scheduler."""
    return Text(f"error.parse.box.{name}")


def _bind(sig: inspect.Signature, call: ast.Call, src: str, name: str) -> dict[str, ast.expr]:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        raise ScheduleError(code="error.parse.star-args", params={"code": segment(src, call)})
    try:
        bound = sig.bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as exc:
        allowed = ", ".join(p for p in sig.parameters if p not in ("optimizer", "params"))
        raise ScheduleError(code="error.parse.binding", params={
            "owner": name, "detail": str(exc), "known": allowed}) from None
    return dict(bound.arguments)


def _signature(info_params: tuple[Param, ...]) -> inspect.Signature:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(
        p.name, kind, default=inspect.Parameter.empty if p.required else p.default)
        for p in info_params])


def _make(call: ast.Call, src: str, names: _Names) -> OptimizerSpec | SchedulerSpec:
    name = _class_of(call.func)
    if name in OPTIMIZERS:
        spec = _optimizer(call, src, names, name)
        names.optimizer = spec
        return spec
    if name in ("get_scheduler", "create_scheduler_v2"):
        spec = _factory(call, src, names, name)
        names.made.append(spec)
        return spec
    shown, name = name, "ReduceLROnPlateau" if name == "get_reduce_on_plateau_schedule" \
        else name
    info = SCHEDULERS[name]
    args = _bind(_signature(info.params), call, src, shown)
    kwargs: dict[str, Any] = {}
    for key, node in args.items():
        p = info.param(key)
        if p.kind == "optimizer":
            _optimizer_argument(node, src, names, shown)
            continue
        with _naming(name, key):
            kwargs[key] = _argument(p, node, src, names, name)
    spec = SchedulerSpec(name, kwargs)
    names.made.append(spec)
    return spec


def _optimizer_argument(node: ast.expr, src: str, names: _Names, owner: str) -> None:
    """A scheduler's optimizer argument: a name, or the optimizer made right there."""
    if isinstance(node, ast.Call) and _class_of(node.func) in OPTIMIZERS:
        names.optimizer = _optimizer(node, src, names, _class_of(node.func))
    elif not isinstance(node, (ast.Name, ast.Attribute)) and not (
            isinstance(node, ast.Constant) and node.value is None):
        raise ScheduleError(code="error.parse.optimizer-first", params={
            "owner": owner, "code": segment(src, node)})


def _factory_signature(name: str) -> inspect.Signature:
    """The signature of transformers' get_scheduler or timm's create_scheduler_v2."""
    from schedlab.engine.timm import V2

    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    if name == "get_scheduler":
        names = [("name", inspect.Parameter.empty), ("optimizer", inspect.Parameter.empty),
                 ("num_warmup_steps", None), ("num_training_steps", None),
                 ("scheduler_specific_kwargs", None)]
    else:
        names = [("optimizer", inspect.Parameter.empty), ("sched", "cosine"), *V2.items()]
    return inspect.Signature([inspect.Parameter(n, kind, default=d) for n, d in names])


def _factory(call: ast.Call, src: str, names: _Names, name: str) -> SchedulerSpec:
    """``get_scheduler(name, optimizer, ...)`` or ``create_scheduler_v2(optimizer, ...)``:
    the registry scheduler they make, with the arguments they pass it."""
    from schedlab.engine import hf, timm

    args = _bind(_factory_signature(name), call, src, name)
    _optimizer_argument(args.pop("optimizer"), src, names, name)
    values: dict[str, Any] = {}
    for key, node in args.items():
        with _naming(name, key):
            if key == "scheduler_specific_kwargs":
                values[key] = _keywords(node, src, names)
            elif key == "name" and isinstance(node, ast.Attribute) and \
                    isinstance(node.value, ast.Name) and node.value.id == "SchedulerType":
                values[key] = node.attr.lower()  # SchedulerType.COSINE is "cosine"
            else:
                values[key] = _literal(node, src, names)
    if name == "create_scheduler_v2":
        sched = values.pop("sched", "cosine")
        if not isinstance(sched, str):
            raise ScheduleError(param="sched", code="error.timm.sched", params={
                "sched": repr(sched), "known": ", ".join(timm.V2_SCHEDS)})
        cls, kwargs, epochs, per_epoch = timm.create_v2(sched, **values)
        names.epochs = epochs
        kwargs["t_in_epochs"] = per_epoch
        return SchedulerSpec(cls, {p.name: kwargs[p.name] for p in SCHEDULERS[cls].params
                                   if p.name in kwargs and (p.required or
                                                            kwargs[p.name] != p.default)})
    kind = values.pop("name")
    extra = values.get("scheduler_specific_kwargs") or {}
    if kind == "reduce_lr_on_plateau":  # transformers passes the extra arguments on
        return SchedulerSpec("ReduceLROnPlateau", dict(extra))
    if not isinstance(kind, str) or kind not in hf.NAMES:
        raise ScheduleError(param="name", code="error.hf.name", params={
            "name": kind if isinstance(kind, str) else repr(kind),
            "known": ", ".join([*hf.NAMES, "reduce_lr_on_plateau"])})
    function, kwargs = hf.resolve(kind, **values)
    return SchedulerSpec(function, kwargs)


def _keywords(node: ast.expr, src: str, names: _Names) -> dict[str, Any]:
    """A dict of keyword arguments written out: ``{"min_lr": 1e-6}`` or ``dict(...)``."""
    if isinstance(node, ast.Constant) and node.value is None:
        return {}
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id == "dict" and not node.args and all(k.arg for k in node.keywords):
        return {k.arg: _literal(k.value, src, names) for k in node.keywords}
    if isinstance(node, ast.Dict) and all(
            isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys):
        return {k.value: _literal(v, src, names) for k, v in zip(node.keys, node.values)}
    raise ScheduleError(code="error.parse.keywords", params={"code": segment(src, node)})


def _optimizer(call: ast.Call, src: str, names: _Names, name: str) -> OptimizerSpec:
    from schedlab.engine.oracle import optimizer_signature  # torch binds them, so do we

    args = _bind(optimizer_signature(name), call, src, name)
    params = args.pop("params", None)
    groups = None
    if isinstance(params, (ast.List, ast.Tuple)) and params.elts and all(
            isinstance(e, ast.Dict) for e in params.elts):
        groups = tuple(_group(d, src, names) for d in params.elts)
    elif isinstance(params, (ast.List, ast.Tuple)) and any(
            isinstance(e, ast.Dict) for e in params.elts):
        raise ScheduleError(code="error.parse.groups", params={"owner": name})
    kwargs = {}
    for k, v in args.items():
        with _naming(name, k):
            kwargs[k] = _literal(v, src, names)
    return OptimizerSpec(name, kwargs, groups)


def _group(node: ast.Dict, src: str, names: _Names) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in zip(node.keys, node.values):
        if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
            raise ScheduleError(code="error.parse.group-keys", params={"code": segment(src, node)})
        if k.value != "params":
            with _naming("param group", k.value):
                out[k.value] = _literal(v, src, names)
    if not any(isinstance(k, ast.Constant) and k.value == "params" for k in node.keys):
        raise ScheduleError(code="error.parse.group-params", params={"code": segment(src, node)})
    return out


@contextmanager
def _naming(owner: str, key: str) -> Iterator[None]:
    """Name the argument in a message about its value, unless the message already does."""
    try:
        yield
    except ScheduleError as exc:
        if str(exc).startswith(f"{owner}:") or f"{key}=" in str(exc):
            raise
        raise ScheduleError(param=exc.param or key, code="error.parse.argument", params={
            "owner": owner, "name": key, "error": exc.text}) from None


def _argument(p: Param, node: ast.expr, src: str, names: _Names, owner: str) -> Any:
    if p.kind == "schedulers":
        if not isinstance(node, (ast.List, ast.Tuple)):
            raise ScheduleError(code="error.parse.schedulers-list", params={"owner": owner})
        return tuple(_nested(e, src, names, owner) for e in node.elts)
    if p.kind == "lambda":
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if p.per_group and isinstance(node, (ast.List, ast.Tuple)):
            return tuple(_lambda(e, src, names, p.name) for e in node.elts)
        return _lambda(node, src, names, p.name)
    return _literal(node, src, names)


def _nested(node: ast.expr, src: str, names: _Names, owner: str) -> SchedulerSpec:
    if isinstance(node, ast.Call) and _class_of(node.func) not in (None, *OPTIMIZERS):
        spec = _make(node, src, names)
    elif isinstance(node, (ast.Name, ast.Attribute)) and ast.unparse(node) in names.schedulers:
        spec = names.schedulers[ast.unparse(node)]
    else:
        raise ScheduleError(code="error.parse.undefined-scheduler", params={
            "owner": owner, "code": segment(src, node)})
    if id(spec) in names.used:
        raise ScheduleError(code="error.parse.used-twice", params={
            "owner": owner, "code": segment(src, node)})
    names.used.add(id(spec))
    return spec


def _lambda(node: ast.expr, src: str, names: _Names, param: str) -> Lambda:
    if isinstance(node, ast.Lambda):
        check_lambda_node(node, src)
        return Lambda(ast.unparse(node))
    key = ast.unparse(node)
    if key in names.lambdas:
        return names.lambdas[key]
    raise ScheduleError(param=param, code="error.parse.not-lambda", params={
        "name": param, "code": segment(src, node)})


def _literal(node: ast.expr, src: str, names: _Names) -> Any:
    return constant(node, src, names.consts, names.steps_per_epoch)
