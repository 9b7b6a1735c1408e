"""Schedules as PyTorch source: the optimizer and scheduler lines, in canonical form.

``parse_schedule`` reads what these functions write back to an equal Schedule.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from schedlab.spec.catalog import TUPLE_PARAMS
from schedlab.spec.lambdas import Lambda

if TYPE_CHECKING:
    from schedlab.spec.schedule import OptimizerSpec, SchedulerSpec


def optimizer_source(spec: OptimizerSpec, params: Any = None) -> str:
    """``torch.optim.SGD(params, lr=0.1)``, with param groups written out when present.

    ``params``: the text for the parameters (default ``params``), or for param groups a
    function of the group index (default ``params_0``, ``params_1``, ...)."""
    if spec.groups is None:
        params = params if isinstance(params, str) else "params"
    else:
        name = params if callable(params) else (lambda i: f"params_{i}")
        params = "[" + ", ".join(
            "{" + ", ".join([f"'params': {name(i)}"] + [f"{k!r}: {_literal(k, v)}"
                                                        for k, v in g.items()]) + "}"
            for i, g in enumerate(spec.groups)) + "]"
    args = [params] + [f"{k}={_literal(k, v)}" for k, v in spec.kwargs.items()]
    return f"torch.optim.{spec.name}({', '.join(args)})"


def scheduler_source(spec: SchedulerSpec) -> str:
    """``torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)``, nested ones indented;
    transformers' and timm's schedules qualified by their module
    (``transformers.get_cosine_schedule_with_warmup(optimizer, ...)``)."""
    return _call_source(spec, qualified=True, indent=0)


def _call_source(spec: SchedulerSpec, qualified: bool, indent: int | None) -> str:
    prefix = f"{spec.info.library}." if qualified else ""
    args = [] if not spec.info.optimizer_first or indent is None else ["optimizer"]
    nested = False
    for key, value in spec.kwargs.items():
        if key == "schedulers":
            nested = indent is not None
            inner = None if indent is None else indent + 8
            items = [_call_source(s, qualified, inner) for s in value]
            if nested:
                pad = " " * (indent + 8)
                args.append(f"schedulers=[\n{pad}" + f",\n{pad}".join(items)
                            + f",\n{' ' * (indent + 4)}]")
            else:
                args.append(f"schedulers=[{', '.join(items)}]")
        else:
            args.append(f"{key}={_literal(key, value)}")
    if nested:
        pad = " " * (indent + 4)
        return f"{prefix}{spec.name}(\n{pad}" + f",\n{pad}".join(args) + \
            f",\n{' ' * indent})"
    return f"{prefix}{spec.name}({', '.join(args)})"


def _literal(key: str, value: Any) -> str:
    if isinstance(value, Lambda):
        return value.source
    if isinstance(value, tuple):
        items = ", ".join(_literal(key, v) for v in value)
        if key in TUPLE_PARAMS:
            return f"({items},)" if len(value) == 1 else f"({items})"
        return f"[{items}]"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float('{value}')"
    return repr(value)


def scheduler_label(spec: SchedulerSpec) -> str:
    """A short name, on one line: ``StepLR(step_size=30, gamma=0.1)``."""
    return _call_source(spec, qualified=False, indent=None)
