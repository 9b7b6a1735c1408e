"""parse_schedule: read the optimizer and scheduler lines of a training script.

The text is read with ``ast`` and never run. Calls are bound to their parameters the way
torch binds them (positional or keyword), nested schedulers and names assigned on earlier
lines are resolved, numbers may be written as constant arithmetic (``5e-4 * 4``), and
lambdas go to the project's own evaluator. Imports, comments and calls such as
``scheduler.step()`` are ignored; anything else gets a message naming the line.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from schedlab.errors import ScheduleError
from schedlab.spec.catalog import OPTIMIZERS, SCHEDULERS
from schedlab.spec.evaluate import Evaluator, as_python
from schedlab.spec.expr import CONSTANTS, FUNCTIONS, validate_expr
from schedlab.spec.lambdas import Lambda, check_lambda_node
from schedlab.spec.params import MAX_LIST, Param
from schedlab.spec.schedule import OptimizerSpec, Schedule, SchedulerSpec

MAX_CODE_CHARS = 20_000  # per text box
LOADERS = ("train_loader", "dataloader", "loader", "train_dataloader", "trainloader")
DEFAULT_OPTIMIZER = "SGD(params, lr=0.1)"
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
        raise ScheduleError(f"no optimizer found; write one such as `{DEFAULT_OPTIMIZER}`",
                            param="optimizer")
    top = [s for s in names.made if id(s) not in names.used]
    if not top:
        raise ScheduleError("no scheduler found; paste a line such as "
                            "`StepLR(optimizer, step_size=30, gamma=0.1)`", param="scheduler")
    if len(top) > 1:
        raise ScheduleError(f"{len(top)} separate schedulers were given "
                            f"({', '.join(s.name for s in top)}); combine them with "
                            "SequentialLR or ChainedScheduler, or paste one", param="scheduler")
    schedule = Schedule(opt, top[0])
    from schedlab.engine.oracle import (
        check_with_torch,  # torch is the judge of the rest
    )

    check_with_torch(schedule)
    return schedule


def _read(text: str, box: str, names: _Names) -> None:
    if not isinstance(text, str):
        raise ScheduleError(f"{box} code must be text", param=box)
    if len(text) > MAX_CODE_CHARS:
        raise ScheduleError(f"{box} code is too long ({len(text):,} characters; at most "
                            f"{MAX_CODE_CHARS:,})", param=box)
    try:
        tree = ast.parse(textwrap.dedent(text))
    except SyntaxError as exc:
        raise ScheduleError(f"{box} line {exc.lineno}: not valid Python ({exc.msg})",
                            param=box) from None
    except (ValueError, RecursionError, MemoryError):
        raise ScheduleError(f"{box} code cannot be read (nested too deeply?)",
                            param=box) from None
    src = textwrap.dedent(text)
    for stmt in tree.body:
        try:
            _statement(stmt, src, names)
        except ScheduleError as exc:  # an optimizer's line is named so, whatever the box
            value = getattr(stmt, "value", None)
            what = "optimizer" if isinstance(value, ast.Call) and \
                _class_of(value.func) in OPTIMIZERS else box
            raise ScheduleError(f"{what} line {stmt.lineno}: {exc}",
                                param=exc.param or what) from None


def _statement(stmt: ast.stmt, src: str, names: _Names) -> None:
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.Pass)):
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
        raise ScheduleError(f"`{_seg(src, value)}` is not an optimizer or scheduler; only "
                            "those lines (and simple assignments) are read")
    if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if len(targets) != 1 or not isinstance(targets[0], (ast.Name, ast.Attribute)):
            raise ScheduleError("only single assignments such as `scheduler = ...` are read")
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
            names.consts[key] = _literal(value, src, names)
        return
    raise ScheduleError(f"`{_seg(src, stmt)}`: only assignments and the optimizer and "
                        "scheduler calls are read (imports, comments and .step() are "
                        "ignored)")


def _class_of(func: ast.expr) -> str | None:
    name = func.id if isinstance(func, ast.Name) else (
        func.attr if isinstance(func, ast.Attribute) else None)
    return name if name in SCHEDULERS or name in OPTIMIZERS else None


def _seg(src: str, node: ast.AST) -> str:
    text = ast.get_source_segment(src, node) or ast.unparse(node)
    text = " ".join(text.split())
    return text if len(text) <= 70 else text[:67] + "..."


def _bind(sig: inspect.Signature, call: ast.Call, src: str, name: str) -> dict[str, ast.expr]:
    if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        raise ScheduleError(f"`{_seg(src, call)}`: *args and **kwargs cannot be read; write "
                            "the arguments out")
    try:
        bound = sig.bind(*call.args, **{k.arg: k.value for k in call.keywords})
    except TypeError as exc:
        allowed = ", ".join(p for p in sig.parameters if p not in ("optimizer", "params"))
        raise ScheduleError(f"{name}: {exc}; it takes {allowed}") from None
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
    info = SCHEDULERS[name]
    args = _bind(_signature(info.params), call, src, name)
    kwargs: dict[str, Any] = {}
    for key, node in args.items():
        p = info.param(key)
        if p.kind == "optimizer":
            if isinstance(node, ast.Call) and _class_of(node.func) in OPTIMIZERS:
                names.optimizer = _optimizer(node, src, names, _class_of(node.func))
            elif not isinstance(node, (ast.Name, ast.Attribute)) and not (
                    isinstance(node, ast.Constant) and node.value is None):
                raise ScheduleError(f"{name}: `{_seg(src, node)}` should be the optimizer")
            continue
        with _naming(name, key):
            kwargs[key] = _argument(p, node, src, names, name)
    spec = SchedulerSpec(name, kwargs)
    names.made.append(spec)
    return spec


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
        raise ScheduleError(f"{name}: param groups must all be dicts like "
                            "{'params': ..., 'lr': 0.01}")
    kwargs = {}
    for k, v in args.items():
        with _naming(name, k):
            kwargs[k] = _literal(v, src, names)
    return OptimizerSpec(name, kwargs, groups)


def _group(node: ast.Dict, src: str, names: _Names) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in zip(node.keys, node.values):
        if not (isinstance(k, ast.Constant) and isinstance(k.value, str)):
            raise ScheduleError(f"`{_seg(src, node)}`: param group keys must be strings")
        if k.value != "params":
            with _naming("param group", k.value):
                out[k.value] = _literal(v, src, names)
    if not any(isinstance(k, ast.Constant) and k.value == "params" for k in node.keys):
        raise ScheduleError(f"`{_seg(src, node)}`: each param group needs a 'params' entry")
    return out


@contextmanager
def _naming(owner: str, key: str) -> Iterator[None]:
    """Name the argument in a message about its value, unless the message already does."""
    try:
        yield
    except ScheduleError as exc:
        if str(exc).startswith(f"{owner}:") or f"{key}=" in str(exc):
            raise
        raise ScheduleError(f"{owner}: {key}: {exc}", param=exc.param or key) from None


def _argument(p: Param, node: ast.expr, src: str, names: _Names, owner: str) -> Any:
    if p.kind == "schedulers":
        if not isinstance(node, (ast.List, ast.Tuple)):
            raise ScheduleError(f"{owner}: schedulers must be a list, e.g. "
                                "[LinearLR(optimizer, ...), CosineAnnealingLR(optimizer, ...)]")
        return tuple(_nested(e, src, names, owner) for e in node.elts)
    if p.kind == "lambda":
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if p.per_group and isinstance(node, (ast.List, ast.Tuple)):
            return tuple(_lambda(e, src, names, p.name) for e in node.elts)
        return _lambda(node, src, names, p.name)
    return _literal(node, src, names)


def _nested(node: ast.expr, src: str, names: _Names, owner: str) -> SchedulerSpec:
    if isinstance(node, ast.Call) and _class_of(node.func) in SCHEDULERS:
        spec = _make(node, src, names)
    elif isinstance(node, (ast.Name, ast.Attribute)) and ast.unparse(node) in names.schedulers:
        spec = names.schedulers[ast.unparse(node)]
    else:
        raise ScheduleError(f"{owner}: `{_seg(src, node)}` is not a scheduler defined above")
    if id(spec) in names.used:
        raise ScheduleError(f"{owner}: `{_seg(src, node)}` is used twice; each scheduler "
                            "object can only be in one place")
    names.used.add(id(spec))
    return spec


def _lambda(node: ast.expr, src: str, names: _Names, param: str) -> Lambda:
    if isinstance(node, ast.Lambda):
        check_lambda_node(node, src)
        return Lambda(ast.unparse(node))
    key = ast.unparse(node)
    if key in names.lambdas:
        return names.lambdas[key]
    raise ScheduleError(f"{param}: `{_seg(src, node)}` is not a lambda; write one inline, "
                        "e.g. lambda epoch: 0.95 ** epoch (functions defined with def "
                        "cannot be read)", param=param)


def is_loader_length(node: ast.AST) -> bool:
    """Whether ``node`` is ``len(train_loader)`` (or ``len(self.dataloader)``, ...)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
        node.func.id == "len" and len(node.args) == 1 and not node.keywords and \
        ast.unparse(node.args[0]).split(".")[-1] in LOADERS


class _LoaderLength(ast.NodeTransformer):
    """``len(train_loader)`` becomes the run's steps per epoch, when it is known."""

    def __init__(self, value: int | None, src: str) -> None:
        self.value, self.src = value, src

    def visit_Call(self, call: ast.Call) -> ast.AST:
        if is_loader_length(call):
            if self.value is None:
                raise ScheduleError(f"`{_seg(self.src, call)}` is the run's steps per epoch, "
                                    "unknown here; write the number (e.g. 391)")
            return ast.copy_location(ast.Constant(self.value), call)
        return self.generic_visit(call)


def _literal(node: ast.expr, src: str, names: _Names, depth: int = 0) -> Any:
    """A constant value: number, string, True/False/None, list/tuple, constant arithmetic."""
    node = _LoaderLength(names.steps_per_epoch, src).visit(node)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bool, int, float, str, type(None))):
            return node.value
        raise ScheduleError(f"`{_seg(src, node)}`: this kind of constant is not allowed")
    if isinstance(node, (ast.List, ast.Tuple)):
        if depth >= 3 or len(node.elts) > MAX_LIST:
            raise ScheduleError(f"`{_seg(src, node)}`: list too long or nested too deeply")
        return tuple(_literal(e, src, names, depth + 1) for e in node.elts)
    if isinstance(node, (ast.Name, ast.Attribute)) and ast.unparse(node) in names.consts:
        return names.consts[ast.unparse(node)]
    numbers = {k: v for k, v in names.consts.items() if k.isidentifier()
               and isinstance(v, (int, float)) and not isinstance(v, bool)}
    for sub in ast.walk(node):
        if isinstance(sub, (ast.List, ast.Tuple)):
            raise ScheduleError(f"`{_seg(src, node)}`: lists must be written out element by "
                                "element")
        if isinstance(sub, ast.Name) and sub.id not in numbers and sub.id not in CONSTANTS \
                and sub.id not in FUNCTIONS and sub.id != "math":
            raise ScheduleError(f"`{_seg(src, node)}`: '{sub.id}' is not defined here; write "
                                f"its value, or define it above (e.g. {sub.id} = 100)")
        if isinstance(sub, ast.Call) and not (
                isinstance(sub.func, ast.Name) and sub.func.id in FUNCTIONS) and not (
                isinstance(sub.func, ast.Attribute) and sub.func.attr in FUNCTIONS):
            raise ScheduleError(f"`{_seg(src, sub)}` cannot be evaluated here; replace it "
                                "with its value (e.g. steps_per_epoch=391)")
    validate_expr(node, src, frozenset(numbers))
    value, kind = Evaluator(src, None, numbers).run(node, np.zeros(1))
    return as_python(value, kind)
