"""The run as a trainer is told about it: dataset size, batch size per device, devices,
gradient accumulation, drop_last, epochs or max_steps (``schedlab.analysis.plan``).

The panel shows how many optimizer steps that makes, line by line, and sets the explorer's
run to them on request. While the run is the plan's, ``len(train_loader)`` in pasted code
is the plan's batches per device, and a schedule whose length fits the run only without
the accumulation or the devices is named as such (the mistake people report most).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from schedlab import ConfigError, ScheduleError
from schedlab.analysis.length import natural_length
from schedlab.analysis.plan import MOST, TrainingPlan
from schedlab.present.share import ExplorerState
from schedlab.spec.horizon import MAX_STEPS, Horizon
from schedlab.ui import state as session
from schedlab.ui.editor import Errors, whole_box
from schedlab.ui.lang import said, say, t, told
from schedlab.ui.numbers import number_box
from schedlab.ui.page import folded
from schedlab.ui.text import plain

PLAN = "explorer.plan"  # (the plan, the run it set): the run was set from this plan
PLAN_ERROR = "explorer.plan_error"


def plan_horizon(plan: TrainingPlan) -> Horizon:
    """The explorer's run for a plan: its optimizer steps, scheduler.step() after each
    (whole epochs where the total is a whole number of them, else one long epoch)."""
    total, per = plan.total_steps, plan.steps_per_epoch
    if total % per == 0:
        return Horizon(total // per, per, "batch")
    return Horizon(1, total, "batch")


def current_plan(state: ExplorerState) -> TrainingPlan | None:
    """The plan the run was set from, while the run is still the one it set."""
    kept = st.session_state.get(PLAN)
    return kept[0] if kept and kept[1] == state.horizon else None


def loader_length(state: ExplorerState, run: Horizon) -> int:
    """What ``len(train_loader)`` stands for in pasted code: the plan's batches per device
    while the run is the plan's, else the run's steps per epoch."""
    plan = current_plan(state)
    return plan.batches_per_device if plan is not None and run == state.horizon \
        else run.steps_per_epoch


def _use(plan: TrainingPlan) -> None:
    state = session.load()
    horizon = plan_horizon(plan)
    try:
        session.reset_to(replace(state, horizon=horizon))
    except ScheduleError as exc:  # too long to draw, with the pins
        st.session_state[PLAN_ERROR] = told(exc)
        return
    st.session_state[PLAN] = (plan, horizon)
    st.session_state[PLAN_ERROR] = None


OPEN = "plan.open"  # the panel is open: only then are its boxes drawn (and sent)


def plan_panel(state: ExplorerState, errors: Errors) -> None:
    panel = folded(t("explorer.plan.title"), OPEN, expanded=current_plan(state) is not None)
    if not panel.open:  # sixteen elements fewer on every redraw of the chart
        return
    with panel:
        st.caption(t("explorer.plan.caption"))
        kept = current_plan(state) or TrainingPlan(60_000, 32)
        # one box a row where numbers run long (a dataset's size); small counts in pairs
        size = whole_box(t("explorer.plan.size"), kept.dataset_size, "plan.size", errors, 1,
                         MOST)
        batch = whole_box(t("explorer.plan.batch"), kept.batch_size, "plan.batch", errors, 1,
                          MOST)
        a, b = st.columns(2)
        with a:
            devices = whole_box(t("explorer.plan.devices"), kept.devices, "plan.devices",
                                errors, 1, 100_000)
        with b:
            accumulation = whole_box(t("explorer.plan.accumulation"), kept.accumulation,
                                     "plan.accumulation", errors, 1, 100_000)
        epochs = number_box(t("explorer.plan.epochs"), kept.epochs, "plan.epochs", step=1.0,
                            help=t("explorer.plan.epochs-help"))
        max_steps = whole_box(t("explorer.plan.max-steps"), kept.max_steps, "plan.max_steps",
                              errors, -1, MAX_STEPS, help=t("explorer.plan.max-steps-help"))
        warmup = number_box(t("explorer.plan.warmup"), kept.warmup, "plan.warmup", step=0.01,
                            help=t("explorer.plan.warmup-help"))
        drop_last = st.toggle("drop_last", kept.drop_last, key="plan.drop_last",
                              help=t("explorer.plan.drop-last-help"))
        if None in (size, devices, batch, accumulation, max_steps, epochs, warmup):
            return
        try:
            plan = TrainingPlan(size, batch, devices, accumulation, drop_last,
                                epochs if not float(epochs).is_integer() else int(epochs),
                                max_steps or -1, warmup)
            horizon = plan_horizon(plan)
        except (ConfigError, ScheduleError) as exc:
            st.error(plain(said(exc)), icon=":material/error:")
            return
        lines = plan.explained() if warmup else plan.explained()[:4]
        st.markdown("\n".join(f"- {plain(say(line))}" for line in lines))
        st.button(t("explorer.plan.use", steps=plan.total_steps, per=plan.steps_per_epoch),
                  on_click=_use, args=(plan,), key="plan.use", disabled=(
                      current_plan(state) == plan and state.horizon == horizon))
        if st.session_state.get(PLAN_ERROR):
            st.error(plain(say(st.session_state[PLAN_ERROR])), icon=":material/error:")
        if current_plan(state) == plan:
            _forgotten(state, plan)


def _forgotten(state: ExplorerState, plan: TrainingPlan) -> None:
    """The schedule's own length against the plan: does it fit only without the
    accumulation or the devices?"""
    length = natural_length(state.schedule.scheduler, state.horizon.scheduler_steps)
    what = plan.forgotten(length) if length else None
    if what:
        st.warning(plain(t(f"explorer.plan.forgotten.{what}", length=length,
                           total=plan.total_steps, acc=plan.accumulation,
                           share=plan.total_steps / length,
                           devices=plan.devices)), icon=":material/warning:")
    elif length and length == plan.total_steps:
        st.success(plain(t("explorer.plan.fits", length=length)), icon=":material/check:")


__all__ = ["PLAN", "current_plan", "loader_length", "plan_horizon", "plan_panel"]
