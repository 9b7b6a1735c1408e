"""Optimizer hyperparameters: the type and range of each argument, checked where torch
does not check (param groups) or would fail late (values schedlab reads itself).

torch validates an optimizer's keyword arguments when it is constructed, but values in a
param group dict are taken as they are, and schedlab reads ``lr``, ``initial_lr``,
``momentum`` and ``betas`` itself. So every known key is checked here, in the keyword
arguments and in each group, with the ranges torch's own constructors enforce; unknown
group keys (a group ``'name'``, say) are kept, as torch keeps them.
"""

from __future__ import annotations

from typing import Any

from schedlab.errors import ScheduleError, quote
from schedlab.messages import Text
from schedlab.spec.params import finite_float, huge

MAX_TEXT = 200  # characters of a string argument

_FLAGS = ("nesterov", "maximize", "amsgrad", "centered", "capturable", "differentiable",
          "decoupled_weight_decay")
_OPTIONAL_FLAGS = ("foreach", "fused")
_AT_LEAST_ZERO = ("lr", "initial_lr", "momentum", "dampening", "weight_decay", "alpha",
                  "lr_decay", "initial_accumulator_value", "lambd", "t0", "momentum_decay",
                  "tolerance_grad", "tolerance_change", "d")
_WHOLE = ("max_iter", "history_size", "ns_steps")


def check_hyper(optimizer: str, key: str, value: Any, where: str) -> Any:
    """One optimizer argument (``where`` says whose: the optimizer or a param group) in
    canonical form, or a ScheduleError naming it and what it must be."""
    def fail(must: str, **params: Any) -> None:
        raise ScheduleError(param="lr" if key == "lr" else "optimizer", code="error.hyper",
                            params={"where": where, "key": key,
                                    "value": quote(_shown(value), 40),
                                    "must": Text(f"must.{must}", params)})

    if key in _AT_LEAST_ZERO:
        f = finite_float(value)
        if f is None or f < 0:
            fail("at-least-zero")
    elif key == "rho":
        f = finite_float(value)
        if f is None or not 0 <= f <= 1:
            fail("unit-interval")
    elif key == "betas":
        if not _numbers(value, 2) or not all(0 <= v < 1 for v in value):
            fail("betas")
        return tuple(value)
    elif key in ("etas", "step_sizes"):
        if not _numbers(value, 2) or not all(v >= 0 for v in value):
            fail("pair")
        return tuple(value)
    elif key == "ns_coefficients":
        if not _numbers(value, 3):
            fail("three")
        return tuple(value)
    elif key == "eps":
        if optimizer == "Adafactor":
            if not (isinstance(value, tuple) and len(value) == 2 and _numbers(value[1:], 1)
                    and (value[0] is None or _numbers(value[:1], 1))):
                fail("eps-pair")
            return value
        f = finite_float(value)
        if f is None or f < 0:
            fail("at-least-zero")
    elif key == "beta2_decay":
        f = finite_float(value)
        if f is None or f > 0:
            fail("at-most-zero")
    elif key in _FLAGS:
        if not isinstance(value, bool):
            fail("bool")
    elif key in _OPTIONAL_FLAGS:
        if value is not None and not isinstance(value, bool):
            fail("bool-or-none")
    elif key in _WHOLE:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**6:
            fail("whole")
    elif key == "max_eval":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 1 <= value <= 10**6):
            fail("whole-or-none")
    elif isinstance(value, str) and len(value) > MAX_TEXT:
        fail("text", most=MAX_TEXT)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and \
            finite_float(value) is None:
        fail("number")
    return value


def _numbers(value: Any, count: int) -> bool:
    return isinstance(value, tuple) and len(value) == count and all(
        finite_float(v) is not None for v in value)


def _shown(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**40:
        return huge(value)
    return repr(value)
