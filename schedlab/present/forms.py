"""Widget values <-> scheduler arguments, for pages that edit a schedule with widgets.

Numbers, choices and switches map one to one; lists ("30, 60, 90"), lambdas and
per-param-group values are typed as text and read here, with a ScheduleError naming the
parameter when the text is not what the parameter takes.
"""

from __future__ import annotations

import math
from typing import Any

from schedlab.errors import ScheduleError
from schedlab.messages import Text
from schedlab.spec.lambdas import Lambda
from schedlab.spec.params import MAX_LIST, Param


def widget_kind(p: Param, value: Any) -> str:
    """"int", "float", "bool", "choice" or "text" (lists, spans, lambdas, per-group
    lists)."""
    if p.kind in ("int_list", "lambda", "span") or isinstance(value, tuple):
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
            raise ScheduleError(param=p.name, code="error.form.no-lambda",
                                params={"owner": owner, "name": p.name})
        parts = [t for t in text.split(";") if t.strip()]
        try:
            lambdas = tuple(Lambda(t.strip()) for t in parts)
        except ScheduleError as exc:
            raise ScheduleError(param=p.name, code="error.parse.argument", params={
                "owner": owner, "name": p.name, "error": exc.text}) from None
        return lambdas[0] if len(lambdas) == 1 else lambdas
    items = [t.strip() for t in text.replace(";", ",").split(",") if t.strip()]
    if len(items) > MAX_LIST:
        raise ScheduleError(param=p.name, code="error.form.too-many", params={
            "owner": owner, "name": p.name, "most": MAX_LIST})
    numbers = [_number(t, p, owner) for t in items]
    if p.kind == "int_list":
        return tuple(numbers)
    if p.kind == "span" and not numbers and p.optional:
        return None  # an empty box: no noise
    if p.kind == "span":  # one count, or a pair (the parameter's check says what is wrong)
        return numbers[0] if len(numbers) == 1 else tuple(numbers)
    if not numbers:
        raise ScheduleError(param=p.name, code="error.form.empty", params={
            "owner": owner, "name": p.name, "range": p.range_phrase()})
    return numbers[0] if len(numbers) == 1 else tuple(numbers)


def _number(text: str, p: Param, owner: str) -> int | float:
    try:
        value = int(text) if p.kind in ("int_list", "span") else float(text)
    except ValueError:
        want = Text("error.form.want-list" if p.kind in ("int_list", "span")
                    else "error.form.want-number")
        raise ScheduleError(param=p.name, code="error.form.not-a-number", params={
            "owner": owner, "text": text[:20], "name": p.name, "want": want}) from None
    if isinstance(value, float) and not math.isfinite(value):
        raise ScheduleError(param=p.name, code="error.form.finite",
                            params={"owner": owner, "name": p.name})
    return value


def whole_number(value: Any, name: str, low: int, high: int) -> int:
    """A number box's value as the whole number it must be, or a ScheduleError that says
    what was typed and what is allowed (a box never silently uses another value)."""
    allowed = {"name": name, "low": low, "high": high}
    if value is None:
        raise ScheduleError(param=name, code="error.form.whole-empty", params=allowed)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise ScheduleError(param=name, code="error.form.whole", params=allowed)
    if isinstance(value, float) and not value.is_integer():
        raise ScheduleError(param=name, code="error.form.whole-fraction",
                            params={**allowed, "value": repr(value)})
    if not low <= value <= high:
        shown = f"{int(value):,}" if abs(value) < 1e21 else f"{value:.3g}"
        raise ScheduleError(param=name, code="error.form.whole-range",
                            params={**allowed, "value": shown})
    return int(value)
