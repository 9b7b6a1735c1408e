"""Evaluating a checked lr-lambda expression (see ``expr.py``) safely and vectorized.

Errors Python would raise (division by zero, ``log(0)``, overflow in ``**`` or ``exp``)
are raised as ScheduleError naming the epoch and the piece of source that failed.
Evaluation honours short-circuiting: the branch a conditional does not take is never
evaluated for that epoch, so ``1 / epoch if epoch > 0 else 1.0`` is fine at epoch 0.
"""

from __future__ import annotations

import ast
import math
from typing import Callable

import numpy as np

from schedlab.errors import ScheduleError
from schedlab.messages import Text
from schedlab.spec.expr import CONSTANTS, ROUND_DIGITS, function_name, segment

Value = tuple[np.ndarray, str]  # (float64 values, "int" | "float" | "bool")


class Evaluator:
    """Evaluates a validated expression over an array of values of one variable."""

    def __init__(self, source: str, arg: str | None, names: dict[str, float] | None = None):
        self.source = source
        self.arg = arg
        self.names = names or {}

    def run(self, node: ast.expr, xs: np.ndarray) -> Value:
        with np.errstate(all="ignore"):
            return self._eval(node, xs)

    def _fail(self, node: ast.AST, xs: np.ndarray, mask: np.ndarray, what: str,
              **params) -> None:
        mask = np.broadcast_to(mask, xs.shape)
        said = {"piece": segment(self.source, node),
                "what": Text(f"error.eval.{what}", params)}
        if self.arg is not None and mask.size:
            x = xs[int(np.argmax(mask))]
            raise ScheduleError(code="error.eval.fails-at", params={
                **said, "arg": self.arg, "x": int(x) if float(x).is_integer() else float(x)})
        raise ScheduleError(code="error.eval.fails", params=said)

    def _eval(self, n: ast.expr, xs: np.ndarray) -> Value:
        if isinstance(n, ast.Constant):
            kind = "bool" if isinstance(n.value, bool) else type(n.value).__name__
            return np.float64(float(n.value)), kind
        if isinstance(n, ast.Name):
            if n.id == self.arg:
                return xs, "int"
            if n.id in self.names:
                v = self.names[n.id]
                return np.float64(float(v)), "int" if isinstance(v, int) else "float"
            return np.float64(CONSTANTS[n.id]), "float"
        if isinstance(n, ast.Attribute):
            return np.float64(CONSTANTS[n.attr]), "float"
        if isinstance(n, ast.UnaryOp):
            v, kind = self._eval(n.operand, xs)
            if isinstance(n.op, ast.Not):
                return (v == 0).astype(np.float64), "bool"
            kind = "int" if kind == "bool" else kind
            return (-v if isinstance(n.op, ast.USub) else +v), kind
        if isinstance(n, ast.BinOp):
            return self._binop(n, xs)
        if isinstance(n, ast.Compare):
            return self._compare(n, xs)
        if isinstance(n, ast.BoolOp):
            return self._boolop(n, xs)
        if isinstance(n, ast.IfExp):
            test = self._eval(n.test, xs)[0] != 0
            return self._branches(np.broadcast_to(test, xs.shape), n.body, n.orelse, xs)
        if isinstance(n, ast.Call):
            return self._call(n, xs)
        raise AssertionError(f"unvalidated node {type(n).__name__}")  # validate_expr first

    def _branches(self, take: np.ndarray, yes: ast.expr, no: ast.expr | Value,
                  xs: np.ndarray) -> Value:
        """Evaluate `yes` only where `take`, `no` only elsewhere, and merge."""
        out = np.empty(xs.shape)
        kinds = []
        for mask, branch in ((take, yes), (~take, no)):
            if mask.any():
                v, k = self._eval(branch, xs[mask]) if isinstance(branch, ast.AST) else \
                    (_take(branch[0], mask), branch[1])
                out[mask] = v
                kinds.append(k)
        return out, _merge_kinds(kinds)

    def _boolop(self, n: ast.BoolOp, xs: np.ndarray) -> Value:
        left = self._eval(n.values[0], xs)
        for right in n.values[1:]:
            truthy = np.broadcast_to(left[0] != 0, xs.shape)
            take = truthy if isinstance(n.op, ast.And) else ~truthy
            left = self._branches(take, right, left, xs)
        return left

    def _compare(self, n: ast.Compare, xs: np.ndarray) -> Value:
        result = np.ones(xs.shape, dtype=bool)
        left = np.broadcast_to(self._eval(n.left, xs)[0], xs.shape)
        for op, comp in zip(n.ops, n.comparators):
            live = result.copy()
            if not live.any():
                break
            right = np.broadcast_to(self._eval(comp, xs[live])[0], (int(live.sum()),))
            a = left[live]
            ok = {ast.Lt: a < right, ast.LtE: a <= right, ast.Gt: a > right,
                  ast.GtE: a >= right, ast.Eq: a == right, ast.NotEq: a != right}[type(op)]
            result[live] = ok
            left = np.empty(xs.shape)
            left[live] = right
        return result.astype(np.float64), "bool"

    def _binop(self, n: ast.BinOp, xs: np.ndarray) -> Value:
        a, ka = self._eval(n.left, xs)
        b, kb = self._eval(n.right, xs)
        both_int = ka != "float" and kb != "float"
        kind = "int" if both_int else "float"
        op = type(n.op)
        if op in (ast.Div, ast.FloorDiv, ast.Mod) and np.any(b == 0):
            self._fail(n, xs, b == 0, "division-by-zero")
        if op is ast.Pow:
            return self._power(n, xs, a, b, both_int)
        result = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                  ast.Div: np.true_divide, ast.FloorDiv: np.floor_divide,
                  ast.Mod: np.remainder}[op](a, b)
        if op is ast.Div:
            kind = "float"
        if kind == "int":
            self._check_int(n, xs, result, a, b)
        return result, kind

    def _power(self, n: ast.BinOp, xs, a, b, both_int: bool) -> Value:
        if np.any((a == 0) & (b < 0)):
            self._fail(n, xs, (a == 0) & (b < 0), "zero-power")
        fractional = (a < 0) & np.isfinite(b) & (b != np.floor(b))
        if np.any(fractional):
            self._fail(n, xs, fractional, "complex-power")
        result = np.power(a, b)
        overflow = ~np.isfinite(result) & np.isfinite(a) & np.isfinite(b)
        if np.any(overflow):
            self._fail(n, xs, overflow, "overflow")
        kind = "int" if both_int and np.all(np.asarray(b) >= 0) else "float"
        return result, kind

    def _check_int(self, n, xs, result, *inputs) -> None:
        bad = ~np.isfinite(result)
        for v in inputs:
            bad = bad & np.isfinite(v)
        if np.any(bad):
            self._fail(n, xs, bad, "big-integer")

    def _call(self, n: ast.Call, xs: np.ndarray) -> Value:
        name = function_name(n.func)
        args = [self._eval(a, xs) for a in n.args]
        v, kind = args[0]
        if name in ("min", "max"):
            out, kinds = v, [kind]
            for w, k in args[1:]:
                better = (w < out) if name == "min" else (w > out)
                out = np.where(better, w, out)
                kinds.append(k)
            return out, _merge_kinds(kinds)
        if name == "abs":
            return np.abs(v), "int" if kind == "bool" else kind
        if name == "float":
            return v + 0.0, "float"
        if name in ("floor", "ceil", "int", "round"):
            return self._to_int(n, xs, name, args)
        if name == "log" and len(args) == 2:
            base = args[1][0]
            self._domain(n, xs, base <= 0, "log-base")
            self._domain(n, xs, base == 1, "log-base-one")
            self._domain(n, xs, v <= 0, "positive", name="log")
            return np.log(v) / np.log(base), "float"
        fn: Callable = {"cos": np.cos, "sin": np.sin, "tan": np.tan, "exp": np.exp,
                        "log": np.log, "log2": np.log2, "log10": np.log10,
                        "sqrt": np.sqrt}[name]
        if name in ("cos", "sin", "tan"):
            self._domain(n, xs, np.isinf(v), "trig-infinity", name=name)
        elif name.startswith("log"):
            self._domain(n, xs, v <= 0, "positive", name=name)
        elif name == "sqrt":
            self._domain(n, xs, v < 0, "sqrt")
        result = fn(v)
        if name == "exp":
            self._domain(n, xs, np.isinf(result) & np.isfinite(v), "overflow")
        return result, "float"

    def _domain(self, n, xs, bad: np.ndarray, what: str, **params) -> None:
        if np.any(bad):
            self._fail(n, xs, bad, what, **params)

    def _to_int(self, n, xs, name: str, args: list[Value]) -> Value:
        v, kind = args[0]
        if len(args) == 2:  # round(x, ndigits): Python's exact decimal rounding
            digits, dkind = args[1]
            if dkind == "float":
                self._domain(n, xs, np.ones(np.shape(digits), bool), "ndigits")
            # clamped, Python's round gives the same result without computing 10**n for
            # a huge n (a multi-second big-integer power that holds the GIL)
            digits = np.clip(digits, -ROUND_DIGITS, ROUND_DIGITS)
            pyround = np.frompyfunc(lambda x, d: round(float(x) if kind == "float" else int(x),
                                                       int(d)), 2, 1)
            return np.asarray(pyround(v, digits), dtype=np.float64), \
                "float" if kind == "float" else "int"
        if kind != "float":
            return v, "int"
        self._domain(n, xs, np.isnan(v), "nan", name=name)
        self._domain(n, xs, np.isinf(v), "infinity", name=name)
        fn = {"floor": np.floor, "ceil": np.ceil, "int": np.trunc, "round": np.rint}[name]
        return fn(v), "int"


def _take(v: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return v if np.ndim(v) == 0 else v[mask]


def _merge_kinds(kinds: list[str]) -> str:
    if "float" in kinds:
        return "float"
    return "int" if "int" in kinds else "bool"


def as_python(value: np.ndarray, kind: str) -> int | float | bool:
    """The Python scalar a real lambda would have returned for a one-element result."""
    v = float(np.asarray(value).reshape(-1)[0])
    if kind == "bool":
        return bool(v)
    if kind == "int" and math.isfinite(v) and abs(v) <= 2**53:
        return int(v)
    return v  # beyond 2**53 the value was carried as a float: it stays one (10**30 is
    # shown as 1e+30, not as the float's 31 digits)
