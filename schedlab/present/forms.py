"""Widget values <-> scheduler arguments, for pages that edit a schedule with widgets.

Numbers, choices and switches map one to one; lists ("30, 60, 90"), lambdas and
per-param-group values are typed as text and read here, with a ScheduleError naming the
parameter when the text is not what the parameter takes.
"""

from __future__ import annotations

import math
from typing import Any

from schedlab.errors import ScheduleError
from schedlab.spec.lambdas import Lambda
from schedlab.spec.params import MAX_LIST, Param


def widget_kind(p: Param, value: Any) -> str:
    """"int", "float", "bool", "choice" or "text" (lists, lambdas, per-group lists)."""
    if p.kind in ("int_list", "lambda") or isinstance(value, tuple):
        return "text"
    return p.kind


def field_text(p: Param, value: Any) -> str:
    """How a text widget shows a value: '30, 60, 90', a lambda's source, '0.1, 0.01'."""
    if value is None:
        return ""
    if isinstance(value, Lambda):
        return value.source
    if isinstance(value, tuple):
        return "; ".join(v.source for v in value) if value and isinstance(
            value[0], Lambda) else ", ".join(repr(v) for v in value)
    return repr(value) if not isinstance(value, str) else value


def parse_field(p: Param, text: str, owner: str) -> Any:
    """Read a text widget's value for parameter ``p`` (of scheduler ``owner``)."""
    text = (text or "").strip()
    if p.kind == "lambda":
        if not text:
            if p.optional:
                return None
            raise ScheduleError(f"{owner}: {p.name} needs a lambda, e.g. "
                                "lambda epoch: 0.95 ** epoch", param=p.name)
        parts = [t for t in text.split(";") if t.strip()]
        try:
            lambdas = tuple(Lambda(t.strip()) for t in parts)
        except ScheduleError as exc:
            raise ScheduleError(f"{owner}: {p.name}: {exc}", param=p.name) from None
        return lambdas[0] if len(lambdas) == 1 else lambdas
    items = [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
    if len(items) > MAX_LIST:
        raise ScheduleError(f"{owner}: {p.name} has more than {MAX_LIST:,} values",
                            param=p.name)
    numbers = [_number(t, p, owner) for t in items]
    if p.kind == "int_list":
        return tuple(numbers)
    if not numbers:
        raise ScheduleError(param=p.name, code="error.form.empty", params={
            "owner": owner, "name": p.name, "range": p.range_phrase()})
    return numbers[0] if len(numbers) == 1 else tuple(numbers)


def _number(text: str, p: Param, owner: str) -> int | float:
    try:
        value = int(text) if p.kind == "int_list" else float(text)
    except ValueError:
        want = "whole numbers separated by commas, e.g. 30, 60, 90" if p.kind == "int_list" \
            else "a number, or one per param group separated by commas"
        raise ScheduleError(f"{owner}: '{text[:20]}' in {p.name} is not a number; write "
                            f"{want}", param=p.name) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ScheduleError(f"{owner}: {p.name} must be finite", param=p.name)
    return value


def whole_number(value: Any, name: str, low: int, high: int) -> int:
    """A number box's value as the whole number it must be, or a ScheduleError that says
    what was typed and what is allowed (a box never silently uses another value)."""
    allowed = f"{name} must be a whole number from {low:,} to {high:,}"
    if value is None:
        raise ScheduleError(f"{allowed}; the box is empty", param=name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise ScheduleError(allowed, param=name)
    if isinstance(value, float) and not value.is_integer():
        raise ScheduleError(f"{allowed}; {value!r} is not whole", param=name)
    if not low <= value <= high:
        shown = f"{int(value):,}" if abs(value) < 1e21 else f"{value:.3g}"
        raise ScheduleError(f"{allowed}; {shown} is out of range", param=name)
    return int(value)
