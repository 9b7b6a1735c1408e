"""Formulas as small expression trees: one tree gives both the LaTeX a card shows and the
number it stands for, so what a student reads is what is computed (and tested against
torch).

A tree is made of ``Expr`` nodes built with the helpers below (``add``, ``mul``, ``pow_``,
...), which drop the neutral parts a reader need not see (``0 + x``, ``1 \\cdot x``,
``x^{1}``). ``Named`` gives a part a symbol (``T_{cur}``): the formula shows the symbol,
and its definition follows in ``where`` form. User text (a lambda's source) goes through
``schedlab.present.latex.texttt``, which escapes every LaTeX special character.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from schedlab.present.latex import number

ADD, MUL, NEG, POW, ATOM = 1, 2, 3, 4, 5  # binding strength: parentheses go below it
_OPS = {"<": (operator.lt, "<"), "<=": (operator.le, r"\le"), ">": (operator.gt, ">"),
        ">=": (operator.ge, r"\ge")}


class Expr:
    """A node: ``latex()`` what it reads, ``value(t)`` what it is at step ``t``."""

    prec = ATOM

    def latex(self) -> str:
        raise NotImplementedError

    def value(self, t: int) -> float:
        raise NotImplementedError

    def parts(self) -> Sequence[Expr]:
        return ()

    def notes(self) -> Sequence[str]:
        """Definitions to write after the formula (a symbol's meaning)."""
        return ()

    def __call__(self, t: int) -> float:
        return self.value(t)

    def wrapped(self, prec: int) -> str:
        """Its LaTeX, in parentheses where it binds less than ``prec``."""
        text = self.latex()
        return rf"\left({text}\right)" if self.prec < prec else text


@dataclass(frozen=True)
class Num(Expr):
    x: float

    @property
    def prec(self) -> int:  # type: ignore[override]
        text = number(self.x)
        return NEG if text.startswith("-") else MUL if r"\times" in text else \
            POW if "^" in text else ATOM

    def latex(self) -> str:
        return number(self.x)

    def value(self, t: int) -> float:
        return self.x


@dataclass(frozen=True)
class Sym(Expr):
    """The step ``t`` (``x`` None) or a constant with a symbol (``\\pi``)."""

    symbol: str = "t"
    x: float | None = None

    def latex(self) -> str:
        return self.symbol

    def value(self, t: int) -> float:
        return t if self.x is None else self.x


T, PI = Sym(), Sym(r"\pi", math.pi)


@dataclass(frozen=True)
class Bin(Expr):
    op: str  # "+", "-", "*", "/" (a fraction), "//" (written a / b), "^", "mod"
    a: Expr
    b: Expr

    @property
    def prec(self) -> int:  # type: ignore[override]
        return {"+": ADD, "-": ADD, "*": MUL, "//": MUL, "mod": MUL, "/": ATOM,
                "^": POW}[self.op]

    def latex(self) -> str:
        a, b, op = self.a, self.b, self.op
        if op == "/":
            return rf"\frac{{{a.latex()}}}{{{b.latex()}}}"
        if op == "^":
            fraction = isinstance(a, Bin) and a.op == "/"  # (a/b)^c, not a/b^c
            return f"{a.wrapped(ATOM + 1 if fraction else ATOM)}^{{{b.latex()}}}"
        if op in ("+", "-"):
            right = b.wrapped(NEG + 1 if b.prec == NEG else ADD + (op == "-"))
            return f"{a.wrapped(ADD)} {op} {right}"
        if op == "mod":
            return rf"{a.wrapped(POW)} \bmod {b.wrapped(POW)}"
        if op == "//":
            return f"{a.wrapped(POW)} / {b.wrapped(POW)}"
        juxtapose = isinstance(b, Sym | Named) or (isinstance(a, Sym) and a.x is not None)
        dot = " " if juxtapose else r" \cdot "
        return f"{a.wrapped(MUL)}{dot}{b.wrapped(POW)}"

    def value(self, t: int) -> float:
        a, b = self.a.value(t), self.b.value(t)
        return {"+": operator.add, "-": operator.sub, "*": operator.mul,
                "/": operator.truediv, "//": operator.truediv, "^": operator.pow,
                "mod": operator.mod}[self.op](a, b)

    def parts(self) -> Sequence[Expr]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Call(Expr):
    """``\\cos``, ``\\min``, a floor or a user's lambda applied to its arguments."""

    name: str  # "cos", "min", "max", "floor", "floorlog" (exact), "sqrt", "tanh", or a
    # symbol such as "\lambda"
    args: tuple[Expr, ...]
    fn: Callable[..., float] | None = None  # what a user symbol computes
    defined: tuple[str, ...] = ()  # its definition(s), written after the formula

    def latex(self) -> str:
        inner = ", ".join(a.latex() for a in self.args)
        if self.name == "floor":
            return rf"\left\lfloor {inner} \right\rfloor"
        if self.name == "floorlog":
            base, arg = self.args
            return rf"\left\lfloor \log_{{{base.latex()}}} {arg.wrapped(ATOM)} \right\rfloor"
        if self.name == "sqrt":
            return rf"\sqrt{{{inner}}}"
        head = {"cos": r"\cos", "min": r"\min", "max": r"\max", "tanh": r"\tanh"}.get(
            self.name, self.name)
        return rf"{head}\left({inner}\right)"

    def value(self, t: int) -> float:
        xs = [a.value(t) for a in self.args]
        if self.fn is not None:
            return self.fn(*xs)
        if self.name == "floorlog":  # floor(log_b x) exactly: no rounding at b**k
            base, x = xs
            k = max(0, int(math.log(x, base)))
            while base ** k > x:
                k -= 1
            while base ** (k + 1) <= x:
                k += 1
            return k
        return {"cos": math.cos, "min": min, "max": max, "floor": math.floor,
                "sqrt": math.sqrt, "tanh": math.tanh}[self.name](*xs)

    def parts(self) -> Sequence[Expr]:
        return self.args

    def notes(self) -> Sequence[str]:
        return self.defined


@dataclass(frozen=True)
class Cond(Expr):
    """``a < b`` (and ``b <= c`` when ``upper`` is given: ``a < b \\le c``); 1 or 0."""

    a: Expr
    op: str
    b: Expr
    upper: tuple[str, Expr] | None = None

    def latex(self) -> str:
        text = f"{self.a.latex()} {_OPS[self.op][1]} {self.b.latex()}"
        if self.upper:
            text += f" {_OPS[self.upper[0]][1]} {self.upper[1].latex()}"
        return text

    def value(self, t: int) -> float:
        ok = _OPS[self.op][0](self.a.value(t), self.b.value(t))
        if self.upper:
            ok = ok and _OPS[self.upper[0]][0](self.b.value(t), self.upper[1].value(t))
        return float(ok)

    def parts(self) -> Sequence[Expr]:
        return (self.a, self.b) + ((self.upper[1],) if self.upper else ())


@dataclass(frozen=True)
class Named(Expr):
    """A part shown by its symbol; ``where`` lists its definition after the formula."""

    symbol: str
    body: Expr

    def latex(self) -> str:
        return self.symbol

    def value(self, t: int) -> float:
        return self.body.value(t)

    def parts(self) -> Sequence[Expr]:
        return (self.body,)

    def notes(self) -> Sequence[str]:
        return (f"{self.symbol} = {self.body.latex()}",)


def where(expr: Expr) -> list[str]:
    """The definitions ``expr``'s parts bring along (``T_{cur} = t \\bmod 10``), each once,
    outermost first."""
    seen: list[str] = []

    def walk(e: Expr) -> None:
        seen.extend(d for d in e.notes() if d not in seen)
        for part in e.parts():
            walk(part)

    walk(expr)
    return seen


def equation(lhs: str, expr: Expr) -> str:
    """``lhs = expr``, then the definitions its parts bring along."""
    return f"{lhs} = {expr.latex()}" + "".join(rf",\quad {d}" for d in where(expr))


# --- builders that leave out what a reader need not see -------------------------------
num, cond = Num, Cond  # no simplification to make


def _is(e: Expr, x: float) -> bool:
    return isinstance(e, Num) and e.x == x


def add(a: Expr, b: Expr) -> Expr:
    return a if _is(b, 0) else b if _is(a, 0) else Bin("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    return a if _is(b, 0) else Bin("-", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    return b if _is(a, 1) else a if _is(b, 1) else Bin("*", a, b)


def frac(a: Expr, b: Expr) -> Expr:
    return a if _is(b, 1) else Bin("/", a, b)


def slash(a: Expr, b: Expr) -> Expr:
    """``a / b`` written inline (in exponents and floors, where a fraction is tiny)."""
    return a if _is(b, 1) else Bin("//", a, b)


def pow_(a: Expr, b: Expr) -> Expr:
    return a if _is(b, 1) else Bin("^", a, b)


def mod(a: Expr, b: Expr) -> Expr:
    return Bin("mod", a, b)


def call(name: str, *args: Expr, fn: Callable[..., float] | None = None,
         defined: Sequence[str] = ()) -> Expr:
    return Call(name, args, fn, tuple(defined))
