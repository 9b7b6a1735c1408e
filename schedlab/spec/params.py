"""Parameter descriptions: type, default, valid range, help; and the check of a value.

A parameter's help is not written here but in the messages (``schedlab/locale/
<lang>.catalog.toml``): ``catalog.param.<name>``, shared by every scheduler with that
parameter, or ``catalog.param.<Scheduler>.<name>`` where one words it its own way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from schedlab.errors import ScheduleError, quote
from schedlab.messages import DEFAULT, Text
from schedlab.messages import catalog as messages

MAX_LIST = 10_000  # longest list a parameter may hold (milestones, per-group values)
MAX_COUNT = 10**12  # largest integer parameter (a length or count): far beyond any curve,
# small enough that every length, product and position stays exact in float64 and int64


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

# kinds: int, float, bool, choice, int_list, span, lambda, schedulers, optimizer
# (span: a count from which on, or a pair [start, end) of counts: timm's noise_range_t)
# (optimizer is the placeholder first argument; schedulers are nested scheduler specs)


@dataclass(frozen=True)
class Param:
    """One constructor argument of a torch scheduler, as the catalog describes it."""

    name: str
    kind: str
    default: Any = REQUIRED  # torch's default; REQUIRED when torch has none
    example: Any = None  # the value a fresh widget shows for a required or None parameter
    low: float | None = None
    high: float | None = None
    low_open: bool = False  # low itself is not allowed
    high_open: bool = False
    choices: tuple[str, ...] = ()
    per_group: bool = False  # a list with one value per param group is accepted too
    optional: bool = False  # None is accepted
    widget: bool = True  # shown as a widget (False for last_epoch and placeholders)
    owner: str = ""  # the scheduler it belongs to (set by its registry entry): keys its help

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def help_text(self) -> Text:
        """What it means, to be said in any language: its scheduler's own wording
        (``catalog.param.<owner>.<name>``) where there is one, else the shared one."""
        own = f"catalog.param.{self.owner}.{self.name}"
        return Text(own if own in messages() else f"catalog.param.{self.name}")

    @property
    def help(self) -> str:
        """What it means, in English."""
        return self.help_text.render()

    def help_in(self, lang: str = DEFAULT) -> str:
        """What it means, in ``lang``."""
        return self.help_text.render(lang)

    def range_text(self) -> str:
        """What is allowed, in words: 'an integer >= 1', 'a number in (0, 1]'."""
        return self.range_phrase().render()

    def range_phrase(self) -> Text:
        """What is allowed, to be said in any language (``range.*`` in the messages)."""
        kind = Text(f"range.kind.{self.kind}", {"choices": ", ".join(
            repr(c) for c in self.choices)} if self.kind == "choice" else {})
        lo, hi = self.low, self.high
        if self.kind == "int_list" and lo is not None:
            phrase = Text("range.int-list-at-least", {"low": _fmt(lo)})
        elif lo is not None and hi is not None:
            phrase = Text("range.between", {"kind": kind, "low": _fmt(lo), "high": _fmt(hi),
                                            "left": "(" if self.low_open else "[",
                                            "right": ")" if self.high_open else "]"})
        elif lo is not None:
            phrase = Text("range.above" if self.low_open else "range.at-least",
                          {"kind": kind, "low": _fmt(lo)})
        elif hi is not None:
            phrase = Text("range.below" if self.high_open else "range.at-most",
                          {"kind": kind, "high": _fmt(hi)})
        else:
            phrase = kind
        if self.kind in ("int", "int_list", "span") and hi is None:
            phrase = Text("range.capped", {"range": phrase})
        if self.per_group:
            phrase = Text("range.per-group", {"range": phrase})
        if self.optional:
            phrase = Text("range.or-none", {"range": phrase})
        return phrase

    def check(self, value: Any, owner: str, groups: int | None) -> Any:
        """Return the value in canonical form, or raise ScheduleError naming the parameter
        (a per-group list is checked against ``groups`` unless that is None)."""
        if value is None and self.optional:
            return None
        if self.per_group and isinstance(value, (list, tuple)):
            if groups is not None and len(value) != groups:
                self._fail(owner, value, Text("error.param.group-count", {
                    "count": len(value), "groups": groups}))
            return tuple(self._check_one(v, owner) for v in value)
        return self._check_one(value, owner)

    def _check_one(self, value: Any, owner: str) -> Any:
        kind = self.kind
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self._fail(owner, value)
            self._check_range(value, owner)
        elif kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self._fail(owner, value)
            if finite_float(value) is None:
                self._fail(owner, value, Text("error.param.finite"))
            self._check_range(value, owner)
            if isinstance(value, int) and abs(value) > 2**53:
                return float(value)  # what torch's float arithmetic makes of it anyway
        elif kind == "bool":
            if not isinstance(value, bool):
                self._fail(owner, value)
        elif kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                self._fail(owner, value)
        elif kind == "span":
            if isinstance(value, (list, tuple)) and len(value) == 1:
                value = value[0]  # [a] reads as a: from a on
            pair = isinstance(value, (list, tuple))
            items = value if pair else (value,)
            if pair and len(value) != 2 or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in items):
                self._fail(owner, value)
            for v in items:
                self._check_range(v, owner, whole=value if pair else None)
            if pair and value[0] >= value[1]:
                self._fail(owner, value, Text("error.param.span-order"))
            return tuple(value) if pair else value
        elif kind == "int_list":
            if not isinstance(value, (list, tuple)) or len(value) > MAX_LIST:
                self._fail(owner, value, Text("error.param.list-long", {"most": MAX_LIST})
                           if isinstance(value, (list, tuple)) else None)
            for v in value:
                if isinstance(v, bool) or not isinstance(v, int):
                    self._fail(owner, value, Text("error.param.not-integer",
                                                  {"value": quote(_short_repr(v), 20)}))
                self._check_range(v, owner, whole=value)
            return tuple(value)
        return value

    def _check_range(self, v: float, owner: str, whole: Any = None) -> None:
        lo, hi = self.low, self.high
        if hi is None and self.kind in ("int", "int_list", "span"):
            hi = MAX_COUNT
        if ((lo is not None and (v < lo or (self.low_open and v == lo)))
                or (hi is not None and (v > hi or (self.high_open and v == hi)))):
            self._fail(owner, v if whole is None else whole,
                       Text("error.param.out-of-range", {"value": _short_repr(v)})
                       if whole is not None else None)

    def _fail(self, owner: str, value: Any, detail: Text | None = None) -> None:
        values = {"owner": owner, "name": self.name, "shown": quote(_short_repr(value), 40),
                  "range": self.range_phrase()}
        if detail is None:
            raise ScheduleError(param=self.name, code="error.param.not-allowed", params=values)
        raise ScheduleError(param=self.name, code="error.param.not-allowed-because",
                            params={**values, "detail": detail})


def finite_float(value: Any) -> float | None:
    """``value`` as a finite float, or None (not a number, a bool, NaN, infinite, or an
    integer too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        f = float(value)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def huge(value: int) -> str:
    """An integer too long to write out, as its size in digits in any language:
    ``≈1.23e+903`` (the same in an English and a Chinese sentence)."""
    exponent = math.log10(abs(value))
    whole = math.floor(exponent)
    return f"≈{'-' if value < 0 else ''}{10 ** (exponent - whole):.3g}e+{whole}"


def _short_repr(value: Any) -> str:
    """repr() that never renders a huge integer digit by digit (Python refuses past 4,300
    digits, and it is slow well before that)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return huge(value)
    if isinstance(value, (list, tuple)) and len(value) > 8:
        return "[" + ", ".join(_short_repr(v) for v in value[:8]) + ", ...]"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short_repr(v) for v in value) + "]"
    return repr(value)


def _fmt(x: float) -> str:
    return repr(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(x)


class Arguments(dict):
    """A spec's arguments, checked when the spec is made and never changed after: a
    read-only dict (every mutating method refuses), so a caller's dict is copied, not
    adopted, and a spec cannot drift from what was checked."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError("a spec's arguments cannot be changed; make a new spec")

    __setitem__ = __delitem__ = update = pop = popitem = setdefault = clear = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple:  # pickling rebuilds it whole, without __setitem__
        return (Arguments, (dict(self),))

    def __copy__(self) -> Arguments:
        return self

    def __deepcopy__(self, memo: dict) -> Arguments:
        return self
