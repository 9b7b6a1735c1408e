"""Widgets that edit a Schedule, generated from the catalog.

Widget keys carry a generation number: when a whole new schedule arrives (pasted code, a
link, a restored comparison) the generation moves on and every widget starts again from
the new schedule. Otherwise widgets keep what the user typed, even while it is invalid;
the last valid schedule stays drawn and the message sits under the widget that caused it.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from schedlab import ScheduleError
from schedlab.analysis.length import calls_reached
from schedlab.engine.oracle import check_with_torch
from schedlab.present.forms import field_text, parse_field, whole_number, widget_kind
from schedlab.spec.catalog import FAMILIES, OPTIMIZERS, SCHEDULERS
from schedlab.spec.examples import fitted_spec
from schedlab.spec.params import MAX_COUNT, Param
from schedlab.spec.schedule import Schedule
from schedlab.spec.specs import MAX_GROUPS, OptimizerSpec, SchedulerSpec, check_argument
from schedlab.ui.lang import current as language, keyed
from schedlab.ui.lang import said, t
from schedlab.ui.numbers import number_box, spin_step
from schedlab.ui.page import folded
from schedlab.ui.text import plain

ORDER = [n for f in FAMILIES for n, i in SCHEDULERS.items() if i.family == f]
PHASE_CHOICES = [n for n in ORDER if SCHEDULERS[n].can_be_phase]
NEW_PHASE = SchedulerSpec("ExponentialLR", {"gamma": 0.95})  # what "Add phase" adds
MAX_PHASES = 6
MAX_EXTRA_GROUPS = MAX_GROUPS - 1  # every count the optimizer model accepts
RUN_NAMES = ("epochs", "steps_per_epoch")  # also the Run panel's: labelled as the scheduler's


class Errors:
    """Messages for widgets, shown in placeholders right under them once known."""

    def __init__(self) -> None:
        self.slots: dict[str, Any] = {}
        self.first: str | None = None

    def slot(self, key: str) -> None:
        self.slots[key] = st.empty()

    def show(self, key: str, message: str) -> None:
        """The message in ``key``'s placeholder, or where the page is now if it has none."""
        self.first = self.first or message
        (self.slots.get(key) or st).error(plain(message), icon=":material/error:")


def whole_box(label: str, value: int | None, key: str, errors: Errors, low: int, high: int,
              help: str | None = None, name: str | None = None) -> int | None:
    """A whole-number box: what it holds, or None with the allowed range shown under it
    (``name``: what the message calls it, if not its label)."""
    typed = number_box(label, value, key, help=help)
    try:  # a message goes right under the box, now (no placeholder: one element less)
        return whole_number(typed, name or label, low, high)
    except ScheduleError as exc:
        errors.show(key, said(exc))
        return None


def edit_schedule(current: Schedule, gen: int, errors: Errors, run_steps: int,
                  per_batch: bool = False) -> Schedule | None:
    """Draw the schedule editor; return the Schedule the widgets describe (None if they
    describe nothing valid; the messages are then under the widgets). A scheduler picked
    from the list starts from an example sized for ``run_steps`` scheduler steps (made
    after every batch: ``per_batch``)."""
    spec = current.scheduler
    groups = 1 + _extra_groups(st.session_state.get(f"{gen}.opt.extra"),
                               current.optimizer.group_count)
    lang = language()
    labels = {n: f"{n}  ·  {SCHEDULERS[n].family_in(lang)}" for n in ORDER}
    name = st.selectbox(t("editor.scheduler"), ORDER, index=ORDER.index(spec.name),
                        format_func=labels.__getitem__, key=keyed(f"{gen}.mode"),
                        help="\n\n".join(f"**{n}**: {SCHEDULERS[n].summary_in(lang)}"
                                         for n in ORDER))
    st.caption(SCHEDULERS[name].summary_in(lang))
    errors.slot("scheduler")
    if SCHEDULERS[name].composite:
        built = _phases(name, spec if spec.name == name else fitted_spec(name, run_steps),
                        gen, errors, groups, run_steps)
    else:
        built = _params(name, spec if spec.name == name else
                        fitted_spec(name, run_steps, per_batch),
                        f"{gen}.p.{name}", errors, groups)
    optimizer = edit_optimizer(current.optimizer, gen, errors)
    if built is None or optimizer is None:
        return None
    try:
        schedule = Schedule(optimizer, built)
        check_with_torch(schedule)
    except ScheduleError as exc:
        errors.show("scheduler" if exc.param not in ("optimizer", "lr") else "optimizer",
                    said(exc))
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
            if isinstance(got, float) and (p.kind == "int" or type(p.default) is int) and \
                    got.is_integer() and abs(got) < 2**53:
                got = int(got)  # a box holds floats: 30.0 is step_size=30, 2.5 is refused
            if got is not None or not p.optional:
                got = check_argument(p, got, name, groups)
        except ScheduleError as exc:
            message = said(exc)
        if message:  # right under its box, now
            errors.show(key, message)
            ok = False
        elif p.required or (got is not None and got != p.default) or isinstance(got, tuple):
            kwargs[p.name] = got
    return SchedulerSpec(name, kwargs) if ok else None


def _widget(p: Param, value: Any, key: str, owner: str) -> Any:
    kind = widget_kind(p, value)
    label, help_text = p.name, p.help_in(language())
    if p.name in RUN_NAMES:  # OneCycleLR's own, not the Run panel's
        label = t("editor.own", name=p.name, owner=owner)
        help_text = t("editor.own-help", help=p.help_in(language()), owner=owner)
    if kind in ("int", "float"):  # the catalog's checks give the allowed range
        return number_box(label, value, key, step=1.0 if kind == "int" else spin_step(value),
                          help=help_text, placeholder=t("editor.none") if p.optional else None)
    if kind == "bool":
        return st.toggle(label, value=bool(value), key=key, help=help_text)
    if kind == "choice":
        return st.selectbox(label, p.choices, index=p.choices.index(value), key=key,
                            help=help_text)
    hint = t(f"editor.hint.{p.kind if p.kind in ('int_list', 'lambda', 'span') else 'per-group'}")
    text = st.text_input(label, value=field_text(p, value), key=key,
                         help=f"{p.help_in(language())} ({hint})")
    return parse_field(p, text, owner)


def _phases(name: str, spec: SchedulerSpec, gen: int, errors: Errors, groups: int,
            run_steps: int) -> SchedulerSpec | None:
    children = list(spec.kwargs["schedulers"])
    marks = list(spec.kwargs.get("milestones", ()))
    switches = SCHEDULERS[name].switches  # one after another at milestones (SequentialLR)
    count_key = f"{gen}.phases.{name}"
    if count_key not in st.session_state:
        st.session_state[count_key] = len(children)
    count = st.session_state[count_key]
    built, starts, ok = [], [], True
    for i in range(count):
        child = children[i] if i < len(children) else NEW_PHASE
        with st.container(border=True):
            top = st.columns([3, 2]) if switches and i else [st.container()]
            with top[0]:
                phase = st.selectbox(t("editor.phase" if switches else "editor.child", i=i + 1),
                                     PHASE_CHOICES,
                                     index=PHASE_CHOICES.index(child.name)
                                     if child.name in PHASE_CHOICES else 0,
                                     key=f"{gen}.ph{i}.name")
            if switches and i:
                with top[1]:
                    default = marks[i - 1] if i - 1 < len(marks) else (marks[-1] + 10 if marks
                                                                        else 10)
                    begin = whole_box(t("editor.starts"), default, f"{gen}.ph{i}.start",
                                      errors, 0, MAX_COUNT, name=t("editor.starts-name"))
                    if begin is None:
                        ok = False
                    else:
                        starts.append(begin)
            lo = 0 if i == 0 else (starts[-1] if starts else 0)
            hi = marks[i] if switches and i < len(marks) else run_steps
            span = max(1, min(hi, run_steps) - lo) if switches else run_steps
            calls = max(1, calls_reached(span, not switches or i == count - 1))
            source = child if child.name == phase else fitted_spec(phase, calls)
            made = _params(phase, source, f"{gen}.ph{i}.{phase}", errors, groups)
            ok = ok and made is not None
            built.append(made)
    add, remove = st.columns(2)
    add.button(t("editor.add-phase" if switches else "editor.add-child"),
               on_click=_set, args=(count_key, min(MAX_PHASES, count + 1)),
               disabled=count >= MAX_PHASES, key=f"{gen}.add", width="stretch")
    remove.button(t("editor.remove-last"), on_click=_set, args=(count_key, max(1, count - 1)),
                  disabled=count <= 1, key=f"{gen}.remove", width="stretch")
    if not ok:
        return None
    kwargs: dict[str, Any] = {"schedulers": tuple(built)}
    if switches:
        kwargs["milestones"] = tuple(starts)
    return SchedulerSpec(name, kwargs)


def _set(key: str, value: Any) -> None:
    st.session_state[key] = value


OPTIMIZER_OPEN = "opt.open"


def edit_optimizer(current: OptimizerSpec, gen: int, errors: Errors) -> OptimizerSpec | None:
    names = list(OPTIMIZERS)
    box = folded(t("editor.optimizer-of", name=current.name), OPTIMIZER_OPEN)
    if not box.open:  # its boxes are drawn (and sent) only while it is open
        errors.slot("optimizer")  # for the scheduler's messages about the optimizer
        return current
    with box:
        name = st.selectbox(t("editor.optimizer"), names, index=names.index(current.name),
                            key=keyed(f"{gen}.opt.name"),
                            format_func={n: f"{n}  ·  {OPTIMIZERS[n].summary_in(language())}"
                                         for n in names}.__getitem__)
        same = name == current.name
        kwargs = dict(current.kwargs) if same else {}
        lr = current.kwargs.get("lr", 0.1)
        kwargs["lr"] = number_box(t("editor.lr"), lr, f"{gen}.opt.lr",
                                  step=spin_step(lr))
        key = OPTIMIZERS[name].momentum
        if key == "momentum":
            kwargs["momentum"] = number_box(
                t("editor.momentum"), kwargs.get("momentum", 0.9 if name == "SGD" else 0.0),
                f"{gen}.opt.momentum", step=0.01)
        elif key == "betas":
            betas = tuple(kwargs.get("betas", (0.9, 0.999)))
            beta1 = number_box(t("editor.beta1"), betas[0], f"{gen}.opt.beta1",
                               step=0.01)
            kwargs["betas"] = (beta1,) + betas[1:]
        shown = {"lr", "momentum", "betas"}
        others = {k: v for k, v in kwargs.items() if k not in shown}
        if others:
            st.caption(plain(t("editor.also", settings=", ".join(
                f"{k}={v!r}" for k, v in others.items()))))
        groups = _groups(current, gen, errors)
    errors.slot("optimizer")  # outside the expander, so a message is never folded away
    try:
        return OptimizerSpec(name, kwargs, groups)
    except ScheduleError as exc:
        errors.show("optimizer", said(exc))
        return None


def _extra_groups(typed: Any, count: int) -> int:
    """The extra param groups a box holds, or the schedule's own while it holds no
    allowed count (the box then says why)."""
    try:
        return whole_number(typed, "extra param groups", 0, MAX_EXTRA_GROUPS)
    except ScheduleError:
        return max(0, count - 1)


def _groups(current: OptimizerSpec, gen: int, errors: Errors) -> tuple[dict, ...] | None:
    existing = list(current.groups or ())
    extra = whole_box(t("editor.extra"), max(0, len(existing) - 1), f"{gen}.opt.extra",
                      errors, 0, MAX_EXTRA_GROUPS, help=t("editor.extra-help",
                                                          most=MAX_EXTRA_GROUPS))
    if extra is None:  # the box says why; the schedule's own groups meanwhile
        extra = max(0, len(existing) - 1)
    if not extra:
        return None
    groups = [dict(existing[0]) if existing else {}]
    for i in range(1, extra + 1):
        base = dict(existing[i]) if i < len(existing) else {}
        lr = base.get("lr", 0.01)
        base["lr"] = number_box(t("editor.group-lr", i=i), lr, f"{gen}.opt.g{i}",
                                step=spin_step(lr))
        groups.append(base)
    return tuple(groups)
