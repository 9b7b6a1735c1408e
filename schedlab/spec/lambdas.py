"""User lambdas (``lr_lambda``, ``scale_fn``) held as source and run by the safe evaluator."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

import numpy as np

from schedlab.errors import ScheduleError, quote
from schedlab.spec.evaluate import Evaluator, as_python
from schedlab.spec.expr import MAX_SOURCE_CHARS, measure_expr, validate_expr

EXAMPLE = "lambda epoch: 0.95 ** epoch"


@dataclass(frozen=True)
class Lambda:
    """A one-argument lambda, e.g. ``lambda epoch: 0.95 ** epoch``.

    ``source`` is kept in canonical form (``ast.unparse``), so two spellings of the same
    lambda compare equal. Calling it gives what the Python lambda would return; ``evaluate``
    does the same for a whole array of epochs at once.
    """

    source: str
    _node: ast.Lambda = field(init=False, repr=False, compare=False)
    size: tuple[int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.source, str):
            raise ScheduleError(code="error.lambda.text", params={"example": EXAMPLE})
        canonical = ast.unparse(_parse_lambda(self.source))
        node = _parse_lambda(canonical)
        object.__setattr__(self, "source", canonical)
        object.__setattr__(self, "_node", node)
        # (array operations, Python calls, depth) per value, for the cost estimate
        object.__setattr__(self, "size", measure_expr(node.body))

    @property
    def arg(self) -> str:
        return self._node.args.args[0].arg

    def evaluate(self, xs: np.ndarray) -> np.ndarray:
        """Values for each epoch in ``xs`` (integers), as float64 (True/False as 1/0)."""
        xs = np.asarray(xs, dtype=np.float64)
        values, _ = Evaluator(self.source, self.arg).run(self._node.body, xs)
        return np.broadcast_to(values, xs.shape).astype(np.float64)

    def __call__(self, x: int) -> int | float | bool:
        values, kind = Evaluator(self.source, self.arg).run(
            self._node.body, np.array([float(x)]))
        return as_python(values, kind)


def _parse_lambda(source: str) -> ast.Lambda:
    if len(source) > MAX_SOURCE_CHARS:
        raise ScheduleError(code="error.lambda.long", params={
            "length": len(source), "most": MAX_SOURCE_CHARS})
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        raise ScheduleError(code="error.lambda.syntax", params={
            "source": quote(source, 60), "detail": exc.msg}) from None
    except (ValueError, RecursionError, MemoryError):  # e.g. nesting beyond the parser
        raise ScheduleError(code="error.lambda.unreadable",
                            params={"source": quote(source, 60)}) from None
    node = tree.body
    if not isinstance(node, ast.Lambda):
        raise ScheduleError(code="error.lambda.expected", params={
            "example": EXAMPLE, "source": quote(source, 60)})
    check_lambda_node(node, source.strip())
    return node


def check_lambda_node(node: ast.Lambda, source: str) -> None:
    """Refuse lambdas that are not `lambda x: <allowed expression>`."""
    a = node.args
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    if a.vararg or a.kwarg:
        raise ScheduleError(code="error.lambda.star-args", params={
            "source": text[:60], "example": EXAMPLE})
    if a.defaults or a.kw_defaults:
        raise ScheduleError(code="error.lambda.defaults", params={"source": text[:60]})
    if a.kwonlyargs or a.posonlyargs or len(a.args) != 1:
        raise ScheduleError(code="error.lambda.one-argument", params={
            "source": text[:60], "example": EXAMPLE})
    validate_expr(node.body, source, frozenset({a.args[0].arg}))
