"""The formula nodes a teaching card needs beyond arithmetic: an indicator ``[t >= 30]``,
piecewise cases, a product, a count, and a named part defined after the formula."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from schedlab.present.formula import Cond, Expr


@dataclass(frozen=True)
class Iverson(Expr):
    """``[t \\ge 30]``: 1 where the condition holds, else 0 (``times``: a repeated one)."""

    cond: Cond
    times: int = 1

    def latex(self) -> str:
        return ("" if self.times == 1 else str(self.times)) + f"[{self.cond.latex()}]"

    def value(self, t: int) -> float:
        return self.times * self.cond.value(t)

    def parts(self) -> Sequence[Expr]:
        return (self.cond,)


@dataclass(frozen=True)
class Cases(Expr):
    """The first piece whose condition holds (torch's phases, a warmup and after)."""

    pieces: tuple[tuple[Expr, Cond], ...]

    def latex(self) -> str:
        rows = r" \\ ".join(f"{e.latex()} & {c.latex()}" for e, c in self.pieces)
        return rf"\begin{{cases}} {rows} \end{{cases}}"

    def value(self, t: int) -> float:
        for e, c in self.pieces:
            if c.value(t):
                return e.value(t)
        raise ValueError(f"no case holds at t={t}")

    def parts(self) -> Sequence[Expr]:
        return tuple(x for piece in self.pieces for x in piece)


@dataclass(frozen=True)
class Prod(Expr):
    """``\\prod_{k=1}^{t} f(k)``: a multiplicative lambda, applied at every step."""

    symbol: str
    fn: Callable[[int], float]
    defined: tuple[str, ...] = ()

    def latex(self) -> str:
        return rf"\prod_{{k=1}}^{{t}} {self.symbol}(k)"

    def notes(self) -> Sequence[str]:
        return self.defined

    def value(self, t: int) -> float:
        out = 1.0
        for k in range(1, int(t) + 1):
            out *= self.fn(k)
        return out


@dataclass(frozen=True)
class Count(Expr):
    """How many of ``marks`` are at most ``t`` (a repeated one counts again)."""

    marks: tuple[int, ...]

    def latex(self) -> str:
        return r"\left|\{\, i : m_i \le t \,\}\right|"

    def value(self, t: int) -> float:
        return sum(m <= t for m in self.marks)

    def notes(self) -> Sequence[str]:
        shown = list(map(str, self.marks))
        if len(shown) > 6:
            shown = shown[:4] + [r"\dots", shown[-1]]
        return (f"m = ({', '.join(shown)})",)
