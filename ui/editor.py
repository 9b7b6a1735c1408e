"""Widgets that edit a Schedule, generated from the catalog.

Widget keys carry a generation number: when a whole new schedule arrives (pasted code, a
link, a restored comparison) the generation moves on and every widget starts again from
the new schedule. Otherwise widgets keep what the user typed, even while it is invalid;
the last valid schedule stays drawn and the message sits under the widget that caused it.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from schedlab import ScheduleError
from schedlab.catalog import FAMILIES, OPTIMIZERS, SCHEDULERS
from schedlab.examples import example_spec
from schedlab.forms import field_text, parse_field, widget_kind
from schedlab.oracle import check_with_torch
from schedlab.params import Param
from schedlab.schedule import OptimizerSpec, Schedule, SchedulerSpec, check_argument
from ui.text import plain

COMPOSITES = ("SequentialLR", "ChainedScheduler")
ORDER = [n for f in FAMILIES for n, i in SCHEDULERS.items() if i.family == f]
PHASE_CHOICES = [n for n in ORDER if n not in COMPOSITES and n != "ReduceLROnPlateau"]
MAX_PHASES = 6
MAX_EXTRA_GROUPS = 5


class Errors:
    """Messages for widgets, shown in placeholders right under them once known."""

    def __init__(self) -> None:
        self.slots: dict[str, Any] = {}
        self.first: str | None = None

    def slot(self, key: str) -> None:
        self.slots[key] = st.empty()

    def show(self, key: str, message: str) -> None:
        self.first = self.first or message
        (self.slots.get(key) or st).error(plain(message), icon=":material/error:")


def scheduler_label(name: str) -> str:
    return f"{name}  ·  {SCHEDULERS[name].family}"


def edit_schedule(current: Schedule, gen: int, errors: Errors) -> Schedule | None:
    """Draw the schedule editor; return the Schedule the widgets describe (None if they
    describe nothing valid; the messages are then under the widgets)."""
    spec = current.scheduler
    groups = 1 + int(st.session_state.get(f"{gen}.opt.extra",
                                          max(0, current.optimizer.group_count - 1)))
    name = st.selectbox("Scheduler", ORDER, index=ORDER.index(spec.name),
                        format_func=scheduler_label, key=f"{gen}.mode",
                        help="\n\n".join(f"**{n}**: {SCHEDULERS[n].summary}" for n in ORDER))
    st.caption(SCHEDULERS[name].summary)
    errors.slot("scheduler")
    if name in COMPOSITES:
        built = _phases(name, spec if spec.name == name else None, gen, errors, groups)
    else:
        built = _params(name, spec if spec.name == name else example_spec(name),
                        f"{gen}.p.{name}", errors, groups)
    optimizer = edit_optimizer(current.optimizer, gen, errors)
    if built is None or optimizer is None:
        return None
    try:
        schedule = Schedule(optimizer, built)
        check_with_torch(schedule)
    except ScheduleError as exc:
        errors.show("scheduler" if exc.param not in ("optimizer", "lr") else "optimizer",
                    str(exc))
        return None
    return schedule


def _params(name: str, spec: SchedulerSpec, prefix: str, errors: Errors, groups: int
            ) -> SchedulerSpec | None:
    kwargs, ok = {}, True
    for p in SCHEDULERS[name].params:
        if not p.widget:
            continue
        value = spec.kwargs.get(p.name, p.example if p.required else p.default)
        key = f"{prefix}.{p.name}"
        message = None
        try:
            got = _widget(p, value, key, name)
            if isinstance(got, float) and type(p.default) is int and got.is_integer():
                got = int(got)  # e.g. step_size_up=2500, as torch's default is written
            if got is not None or not p.optional:
                got = check_argument(p, got, name, groups)
        except ScheduleError as exc:
            message = str(exc)
        errors.slot(key)
        if message:
            errors.show(key, message)
            ok = False
        elif p.required or (got is not None and got != p.default) or isinstance(got, tuple):
            kwargs[p.name] = got
    return SchedulerSpec(name, kwargs) if ok else None


def _widget(p: Param, value: Any, key: str, owner: str) -> Any:
    kind = widget_kind(p, value)
    label = p.name
    if kind == "int":
        low = None if p.low is None else int(p.low) + (1 if p.low_open else 0)
        return st.number_input(label, min_value=low, max_value=None if p.high is None else
                               int(p.high), value=value, step=1, key=key, help=p.help)
    if kind == "float":  # closed bounds go to the widget; open ones get a message
        low = float(p.low) if p.low is not None and not p.low_open else None
        high = float(p.high) if p.high is not None and not p.high_open else None
        return st.number_input(label, min_value=low, max_value=high,
                               value=None if value is None else float(value),
                               step=_step(value), format="%g", key=key, help=p.help,
                               placeholder="None" if p.optional else None)
    if kind == "bool":
        return st.toggle(label, value=bool(value), key=key, help=p.help)
    if kind == "choice":
        return st.selectbox(label, p.choices, index=p.choices.index(value), key=key,
                            help=p.help)
    hint = {"int_list": "e.g. 30, 60, 90", "lambda": "e.g. lambda epoch: 0.95 ** epoch"}
    text = st.text_input(label, value=field_text(p, value), key=key,
                         help=f"{p.help} ({hint.get(p.kind, 'one value per param group')})")
    return parse_field(p, text, owner)


def _step(value: Any) -> float:
    """A spinner step of a tenth of the value's magnitude, so arrows make sensible changes."""
    if not isinstance(value, (int, float)) or not value or not math.isfinite(value):
        return 0.01
    return 10.0 ** math.floor(math.log10(abs(value))) / 10


def _phases(name: str, spec: SchedulerSpec | None, gen: int, errors: Errors, groups: int
            ) -> SchedulerSpec | None:
    children = list(spec.kwargs["schedulers"]) if spec else list(
        example_spec(name).kwargs["schedulers"])
    marks = list(spec.kwargs.get("milestones", ())) if spec else list(
        example_spec(name).kwargs.get("milestones", ()))
    count_key = f"{gen}.phases.{name}"
    if count_key not in st.session_state:
        st.session_state[count_key] = len(children)
    count = st.session_state[count_key]
    built, starts, ok = [], [], True
    for i in range(count):
        child = children[i] if i < len(children) else SchedulerSpec(
            "ExponentialLR", {"gamma": 0.95})
        with st.container(border=True):
            top = st.columns([3, 2]) if name == "SequentialLR" and i else [st.container()]
            with top[0]:
                phase = st.selectbox(f"Phase {i + 1}" if name == "SequentialLR" else
                                     f"Scheduler {i + 1}", PHASE_CHOICES,
                                     index=PHASE_CHOICES.index(child.name)
                                     if child.name in PHASE_CHOICES else 0,
                                     key=f"{gen}.ph{i}.name")
            if name == "SequentialLR" and i:
                with top[1]:
                    default = marks[i - 1] if i - 1 < len(marks) else (marks[-1] + 10 if marks
                                                                        else 10)
                    starts.append(st.number_input("starts at scheduler step", min_value=0,
                                                  value=int(default), step=1,
                                                  key=f"{gen}.ph{i}.start"))
            source = child if child.name == phase else example_spec(phase)
            made = _params(phase, source, f"{gen}.ph{i}.{phase}", errors, groups)
            ok = ok and made is not None
            built.append(made)
    add, remove = st.columns(2)
    add.button("Add phase" if name == "SequentialLR" else "Add scheduler",
               on_click=_set, args=(count_key, min(MAX_PHASES, count + 1)),
               disabled=count >= MAX_PHASES, key=f"{gen}.add", width="stretch")
    remove.button("Remove last", on_click=_set, args=(count_key, max(1, count - 1)),
                  disabled=count <= 1, key=f"{gen}.remove", width="stretch")
    if not ok:
        return None
    kwargs: dict[str, Any] = {"schedulers": tuple(built)}
    if name == "SequentialLR":
        kwargs["milestones"] = tuple(starts)
    return SchedulerSpec(name, kwargs)


def _set(key: str, value: Any) -> None:
    st.session_state[key] = value


def edit_optimizer(current: OptimizerSpec, gen: int, errors: Errors) -> OptimizerSpec | None:
    names = list(OPTIMIZERS)
    with st.expander(f"Optimizer: {current.name}", expanded=False):
        name = st.selectbox("Optimizer", names, index=names.index(current.name),
                            key=f"{gen}.opt.name",
                            format_func=lambda n: f"{n}  ·  {OPTIMIZERS[n].summary}")
        same = name == current.name
        kwargs = dict(current.kwargs) if same else {}
        lr = st.number_input("lr (base learning rate)", min_value=0.0,
                             value=float(current.kwargs.get("lr", 0.1)), format="%g",
                             step=_step(current.kwargs.get("lr", 0.1)), key=f"{gen}.opt.lr")
        kwargs["lr"] = lr
        key = OPTIMIZERS[name].momentum
        if key == "momentum":
            kwargs["momentum"] = st.number_input("momentum", 0.0, 1.0, float(
                kwargs.get("momentum", 0.9 if name == "SGD" else 0.0)), 0.01, format="%g",
                key=f"{gen}.opt.momentum")
        elif key == "betas":
            betas = tuple(kwargs.get("betas", (0.9, 0.999)))
            beta1 = st.number_input("beta1 (plays momentum)", 0.0, 1.0, float(betas[0]), 0.01,
                                    format="%g", key=f"{gen}.opt.beta1")
            kwargs["betas"] = (beta1,) + betas[1:]
        shown = {"lr", "momentum", "betas"}
        others = {k: v for k, v in kwargs.items() if k not in shown}
        if others:
            st.caption(plain("Also: " + ", ".join(f"{k}={v!r}" for k, v in others.items())))
        groups = _groups(current, gen)
        errors.slot("optimizer")
    try:
        return OptimizerSpec(name, kwargs, groups)
    except ScheduleError as exc:
        errors.show("optimizer", str(exc))
        return None


def _groups(current: OptimizerSpec, gen: int) -> tuple[dict, ...] | None:
    existing = list(current.groups or ())
    extra = st.number_input("extra param groups", 0, MAX_EXTRA_GROUPS,
                            max(0, len(existing) - 1), 1, key=f"{gen}.opt.extra",
                            help="e.g. a head trained with a larger lr than the backbone")
    if not extra:
        return None
    groups = [dict(existing[0]) if existing else {}]
    for i in range(1, extra + 1):
        base = dict(existing[i]) if i < len(existing) else {}
        base["lr"] = st.number_input(f"lr of group {i}", min_value=0.0,
                                     value=float(base.get("lr", 0.01)), format="%g",
                                     step=_step(base.get("lr", 0.01)), key=f"{gen}.opt.g{i}")
        groups.append(base)
    return tuple(groups)
