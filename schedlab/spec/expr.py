"""The allow-listed expression language of lr lambdas: what it may hold, checked.

Nothing here hands user text to ``eval``, ``exec`` or ``compile``: the source is read with
``ast.parse`` and walked by this module's own evaluator, which knows only numbers,
arithmetic, comparisons, ``and``/``or``/``not``, conditional expressions, one variable and
a short list of math functions. Values are numpy float64 arrays tagged with the Python
type the value would have (``int``, ``float`` or ``bool``), so ``epoch // 30`` stays an
integer division and ``True + True`` is 2, as in Python. Integers are exact up to 2**53;
beyond that they are carried as floats (torch multiplies them into a float lr anyway).

Evaluating a checked expression is ``evaluate.py``.
"""

from __future__ import annotations

import ast
import math

from schedlab.errors import ScheduleError
from schedlab.messages import Text

MAX_SOURCE_CHARS = 1000  # one lambda
MAX_NODES = 300
MAX_DEPTH = 40
MAX_LITERAL = 2**1023  # larger integers have no float value; Python would keep them exact
ROUND_DIGITS = 400  # round(x, n) is the same for every n beyond this, either way

CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf}
FUNCTIONS = ("cos sin tan exp log log2 log10 sqrt floor ceil min max abs float int round").split()
_ARITY = {"log": (1, 2), "round": (1, 2), "min": (2, 64), "max": (2, 64)}
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_CMPOPS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq)

def segment(source: str, node: ast.AST) -> str:
    text = ast.get_source_segment(source, node) or ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def validate_expr(node: ast.expr, source: str, names: frozenset[str]) -> None:
    """Refuse anything outside the allow-list, naming the offending piece of source."""
    count = 0

    def fail(n: ast.AST, what: str, **params) -> None:
        raise ScheduleError(code="error.expr.refused", params={
            "piece": segment(source, n), "what": Text(f"error.expr.{what}", params)})

    def walk(n: ast.AST, depth: int) -> None:
        nonlocal count
        count += 1
        if count > MAX_NODES or depth > MAX_DEPTH:
            fail(node, "too-large", most=MAX_NODES, deep=MAX_DEPTH)
        if isinstance(n, ast.Constant):
            if isinstance(n.value, str):
                fail(n, "string")
            if not isinstance(n.value, (int, float)):  # bool is an int subclass
                fail(n, "constant")
            if isinstance(n.value, int) and abs(n.value) > MAX_LITERAL:
                fail(n, "big-integer", bits=n.value.bit_length())
        elif isinstance(n, ast.Name):
            if n.id not in names and n.id not in CONSTANTS:
                fail(n, "uncalled" if n.id in FUNCTIONS else "unknown-name", name=n.id,
                     allowed=", ".join(CONSTANTS))
        elif isinstance(n, ast.Attribute):
            if not (isinstance(n.value, ast.Name) and n.value.id == "math"
                    and n.attr in CONSTANTS):
                fail(n, "attribute")
        elif isinstance(n, ast.BinOp):
            if not isinstance(n.op, _BINOPS):
                fail(n, "binary-operator")
            walk(n.left, depth + 1)
            walk(n.right, depth + 1)
        elif isinstance(n, ast.UnaryOp):
            if not isinstance(n.op, (ast.USub, ast.UAdd, ast.Not)):
                fail(n, "unary-operator")
            walk(n.operand, depth + 1)
        elif isinstance(n, ast.BoolOp):
            for v in n.values:
                walk(v, depth + 1)
        elif isinstance(n, ast.Compare):
            if not all(isinstance(op, _CMPOPS) for op in n.ops):
                fail(n, "comparison")
            for v in (n.left, *n.comparators):
                walk(v, depth + 1)
        elif isinstance(n, ast.IfExp):
            for v in (n.test, n.body, n.orelse):
                walk(v, depth + 1)
        elif isinstance(n, ast.Call):
            name = function_name(n.func)
            if name is None:
                fail(n, "call", allowed=", ".join(FUNCTIONS))
            if n.keywords or any(isinstance(a, ast.Starred) for a in n.args):
                fail(n, "call-arguments")
            low, high = _ARITY.get(name, (1, 1))
            if not low <= len(n.args) <= high:
                fail(n, "arity" if low == high else "arity-range", name=name, low=low, high=high)
            for a in n.args:
                walk(a, depth + 1)
        elif isinstance(n, (ast.Subscript, ast.Slice)):
            fail(n, "indexing")
        elif isinstance(n, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            fail(n, "comprehension")
        elif isinstance(n, ast.NamedExpr):
            fail(n, "walrus")
        elif isinstance(n, ast.Lambda):
            fail(n, "nested-lambda")
        elif isinstance(n, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
            fail(n, "collection")
        else:
            fail(n, "other", kind=type(n).__name__)

    walk(node, 0)


def measure_expr(node: ast.expr) -> tuple[int, int, int]:
    """What evaluating a validated expression costs per value: (array operations, Python
    calls, nesting depth). Conditionals and and/or count extra: they split, evaluate and
    merge masked arrays. ``round(x, n)`` is one Python call per value (its exact decimal
    rounding has no vectorized equivalent)."""
    ops = calls = depth = 0
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        depth = max(depth, d)
        ops += 4 if isinstance(n, (ast.IfExp, ast.BoolOp, ast.Compare)) else 1
        if isinstance(n, ast.Call) and function_name(n.func) == "round" and len(n.args) == 2:
            calls += 1
        stack += [(c, d + 1) for c in ast.iter_child_nodes(n) if isinstance(c, ast.expr)]
    return ops, calls, depth


def function_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name) and func.id in FUNCTIONS:
        return func.id
    if (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            and func.value.id == "math" and func.attr in FUNCTIONS
            and func.attr not in ("min", "max", "abs", "float", "int", "round")):
        return func.attr
    return None
