"""Constant values in pasted code: numbers, strings, lists, constant arithmetic over the
names earlier lines defined, and ``len(train_loader)`` for the run's steps per epoch. Read
from the syntax tree and evaluated by the lambda language's evaluator, never run."""

from __future__ import annotations

import ast
from typing import Any

import numpy as np

from schedlab.errors import ScheduleError
from schedlab.spec.evaluate import Evaluator, as_python
from schedlab.spec.expr import CONSTANTS, FUNCTIONS, validate_expr
from schedlab.spec.params import MAX_LIST

LOADERS = ("train_loader", "dataloader", "loader", "train_dataloader", "trainloader")


def segment(src: str, node: ast.AST) -> str:
    """The code of ``node`` as written, on one line, cut at 70 characters (for messages)."""
    text = ast.get_source_segment(src, node) or ast.unparse(node)
    text = " ".join(text.split())
    return text if len(text) <= 70 else text[:67] + "..."


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
                raise ScheduleError(code="error.parse.loader-length",
                                    params={"code": segment(self.src, call)})
            return ast.copy_location(ast.Constant(self.value), call)
        return self.generic_visit(call)


def constant(node: ast.expr, src: str, consts: dict[str, Any], steps_per_epoch: int | None,
             depth: int = 0) -> Any:
    """A constant value: number, string, True/False/None, list/tuple, constant arithmetic
    over the names ``consts`` defines (earlier lines), ``len(train_loader)`` standing for
    ``steps_per_epoch`` when it is known."""
    node = _LoaderLength(steps_per_epoch, src).visit(node)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, (bool, int, float, str, type(None))):
            return node.value
        raise ScheduleError(code="error.parse.constant", params={"code": segment(src, node)})
    if isinstance(node, (ast.List, ast.Tuple)):
        if depth >= 3 or len(node.elts) > MAX_LIST:
            raise ScheduleError(code="error.parse.list", params={"code": segment(src, node)})
        return tuple(constant(e, src, consts, steps_per_epoch, depth + 1) for e in node.elts)
    if isinstance(node, (ast.Name, ast.Attribute)) and ast.unparse(node) in consts:
        return consts[ast.unparse(node)]
    numbers = {k: v for k, v in consts.items() if k.isidentifier()
               and isinstance(v, (int, float)) and not isinstance(v, bool)}
    for sub in ast.walk(node):
        if isinstance(sub, (ast.List, ast.Tuple)):
            raise ScheduleError(code="error.parse.list-written", params={
                "code": segment(src, node)})
        if isinstance(sub, ast.Name) and sub.id not in numbers and sub.id not in CONSTANTS \
                and sub.id not in FUNCTIONS and sub.id != "math":
            raise ScheduleError(code="error.parse.undefined-name", params={
                "code": segment(src, node), "name": sub.id})
        if isinstance(sub, ast.Call) and not (
                isinstance(sub.func, ast.Name) and sub.func.id in FUNCTIONS) and not (
                isinstance(sub.func, ast.Attribute) and sub.func.attr in FUNCTIONS):
            raise ScheduleError(code="error.parse.call", params={"code": segment(src, sub)})
    validate_expr(node, src, frozenset(numbers))
    value, kind = Evaluator(src, None, numbers).run(node, np.zeros(1))
    return as_python(value, kind)
