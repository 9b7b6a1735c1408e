"""LR range test: which learning rate to start from, as a short run whose lr rises."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

from schedlab.analysis.rangetest import MODES, smooth, suggest
from schedlab.errors import SchedlabError, StoreError
from schedlab.jobs.store import FINISHED
from schedlab.messages import unstored
from schedlab.present.rangeplot import range_figure
from schedlab.source.parse import parse_optimizer
from schedlab.spec.examples import fitted_spec
from schedlab.spec.schedule import OptimizerSpec, Schedule, SchedulerSpec, optimizer_from_dict
from schedlab.training.loop import check_trainable
from schedlab.training.lrfind import MAX_SWEEP_STEPS, RangeTest
from schedlab.ui import state as session
from schedlab.ui.editor import Errors, whole_box
from schedlab.ui.lang import current, keyed, links, said, say, t, told, words
from schedlab.ui.numbers import number_box
from schedlab.ui.page import guarded, setup
from schedlab.ui.text import plain
from schedlab.ui.training import (
    ALERT,
    act,
    job_manager,
    session_id,
    status_word,
    store_problem,
)

SELECTED, ACTIVE, GO = "lrfind.selected", "lrfind.active", "lrfind.to_explorer"
DEFAULT_OPTIMIZER = "Adam(model.parameters(), lr=1e-3)"
POLL_SECONDS, IDLE_POLL_SECONDS = 1.0, 5.0


def settings() -> tuple[OptimizerSpec | None, RangeTest | None]:
    """The optimizer and the sweep the boxes describe (None, with a message, if not)."""
    errors = Errors()
    code = st.text_area(t("lrfind.optimizer"), DEFAULT_OPTIMIZER, height=80,
                        key="lrfind.code", help=t("lrfind.optimizer-help"))
    optimizer = None
    try:
        optimizer = parse_optimizer(code)
        check_trainable(optimizer)  # refused before Start, in the words of the run's refusal
    except SchedlabError as exc:
        optimizer = None
        st.error(plain(said(exc)), icon=":material/error:")
    a, b = st.columns(2)
    with a:
        start_lr = number_box(t("lrfind.start"), RangeTest.start_lr, "lrfind.start")
    with b:
        end_lr = number_box(t("lrfind.end"), RangeTest.end_lr, "lrfind.end")
    a, b = st.columns(2)
    with a:
        steps = whole_box(t("lrfind.steps"), RangeTest.steps, "lrfind.steps", errors, 2,
                          MAX_SWEEP_STEPS, help=t("lrfind.steps-help"))
    with b:
        mode = st.segmented_control(t("lrfind.mode"), MODES, default="exp", required=True,
                                    key=keyed("lrfind.mode"),
                                    format_func=words("lrfind.mode-", MODES))
    data = st.selectbox(t("lrfind.data"), ("auto", "offline"), key=keyed("lrfind.data"),
                        format_func=words("lrfind.data-", ("auto", "offline")))
    a, b = st.columns(2)  # the data's words need the whole width
    model = a.selectbox(t("lrfind.model"), ("cnn", "mlp"), key="lrfind.model")
    with b:
        batch = whole_box(t("lrfind.batch"), RangeTest.batch_size, "lrfind.batch", errors,
                          1, 65536)
    if steps is None or batch is None:
        return optimizer, None
    try:
        return optimizer, RangeTest(start_lr=start_lr, end_lr=end_lr, steps=steps, mode=mode,
                                    data=data, model=model, batch_size=batch)
    except SchedlabError as exc:
        st.error(plain(said(exc)), icon=":material/error:")
        return optimizer, None


def begin(optimizer: OptimizerSpec, test: RangeTest) -> None:
    label = f"{optimizer.name} · {test.start_lr:g} → {test.end_lr:g} ({test.mode})"
    st.session_state[SELECTED] = job_manager().submit_range_test(
        optimizer, test, label, session=session_id())


def hints_of(steps: pd.DataFrame, mode: str) -> tuple[np.ndarray, np.ndarray, dict]:
    """The smoothed loss of a stored sweep and its two hints (recomputed from its steps)."""
    losses = steps["loss"].to_numpy(dtype=float)
    smoothed = smooth(losses)
    cut = next((i + 1 for i, v in enumerate(smoothed) if not np.isfinite(v)), len(smoothed))
    return losses, smoothed, suggest(steps["lr"].to_numpy()[:cut], smoothed[:cut], mode)


def use_in_explorer(optimizer: OptimizerSpec, lr: float, as_max_lr: bool) -> None:
    """Open the explorer with the hint: OneCycleLR's max_lr, or the optimizer's lr under the
    schedule the explorer holds now."""
    state = session.load()
    try:
        if as_max_lr:
            spec = fitted_spec("OneCycleLR", state.horizon.scheduler_steps)
            schedule = Schedule(optimizer, SchedulerSpec("OneCycleLR", {
                **spec.kwargs, "max_lr": float(f"{lr:.3g}")}))
        else:
            own = state.schedule.optimizer
            schedule = Schedule(OptimizerSpec(own.name, {**own.kwargs, "lr": float(f"{lr:.3g}")},
                                              own.groups), state.schedule.scheduler)
        session.reset_to(replace(state, schedule=schedule))
    except SchedlabError as exc:
        st.session_state["lrfind.use_error"] = told(exc)
        return
    st.session_state[GO] = True  # the page switches on its next run (not in a callback)


def show(run_id: int) -> None:
    """One sweep: its state, its chart and hints, and what to do with them."""
    jobs = job_manager()
    row = jobs.store.run(run_id)
    if row is None:
        return
    test = RangeTest.from_dict(json.loads(row["config"]))
    steps = jobs.store.steps(run_id)
    a, b = st.columns([4, 1], vertical_alignment="center")
    a.markdown(plain(t("lrfind.run", id=run_id, label=row["label"],
                       status=status_word(row["status"]), done=len(steps), steps=test.steps)))
    if row["status"] in ("queued", "running"):
        b.button(t("lrfind.stop"), key=f"lrfind.stop.{run_id}", on_click=act,
                 args=(jobs.stop, run_id), width="stretch")
    if row["error"]:
        st.error(plain(say(unstored(row["error"]))), icon=":material/error:")
    if steps.empty:
        st.caption(t("lrfind.waiting"))
        return
    losses, smoothed, hints = hints_of(steps, test.mode)
    st.plotly_chart(range_figure(steps["lr"].to_numpy(), losses, smoothed, hints, test.mode,
                                 current()), key=f"lrfind.chart.{run_id}")
    if row["status"] not in FINISHED:
        return
    st.caption(t("lrfind.hints-note"))
    optimizer = optimizer_from_dict(json.loads(row["schedule"]))
    for key in ("steepest", "min_div_10"):
        value = hints[key]
        if value is None:
            st.caption(t(f"lrfind.no-hint.{key}"))
            continue
        a, b, c = st.columns([2, 3, 2], vertical_alignment="center")
        a.markdown(t(f"lrfind.hint.{key}", lr=value))
        b.button(t("lrfind.use-max-lr"), key=f"lrfind.max.{run_id}.{key}",
                 on_click=use_in_explorer, args=(optimizer, value, True), width="stretch")
        c.button(t("lrfind.use-lr"), key=f"lrfind.lr.{run_id}.{key}",
                 on_click=use_in_explorer, args=(optimizer, value, False), width="stretch")
    if st.session_state.get("lrfind.use_error"):
        st.error(plain(say(st.session_state.pop("lrfind.use_error"))), icon=":material/error:")


def live(selected: int | None) -> None:
    def body() -> None:
        try:
            jobs = job_manager()
            jobs.supervise()
            if jobs.store is None:
                return
            now = jobs.store.activity("lr-find")
            if st.session_state.setdefault(ACTIVE, now) != now:
                st.session_state[ACTIVE] = now
                st.rerun()  # a sweep started or ended: its list and the polling change
            if selected is not None:
                show(selected)
            if st.session_state.get(GO):
                st.rerun(scope="app")  # the page, not only this part, switches to the explorer
        except StoreError as exc:
            store_problem(exc)

    guarded(body, t("lrfind.apology"))


def main() -> None:
    if st.session_state.pop(GO, False):
        st.switch_page("pages/explorer.py", query_params=links())
    st.title(t("nav.lrfind"))
    st.caption(t("lrfind.intro"))
    jobs = job_manager()
    left, right = st.columns([2, 3], gap="large")
    with left:
        optimizer, test = settings()
        ready = optimizer is not None and test is not None and jobs.store is not None
        st.button(t("lrfind.begin"), type="primary", icon=":material/play_arrow:",
                  key="lrfind.begin", disabled=not ready, on_click=act,
                  args=(begin, optimizer, test))
        if ALERT in st.session_state:  # why Begin did not queue the sweep
            st.error(plain(st.session_state.pop(ALERT)), icon=":material/block:")
    if jobs.store is None:
        if jobs.problem is not None:
            st.error(plain(said(jobs.problem)), icon=":material/database:")
        return
    try:
        runs = jobs.store.runs("lr-find")
    except StoreError as exc:
        store_problem(exc)
        return
    selected = st.session_state.get(SELECTED)
    if not runs.empty:
        ids = [int(i) for i in runs["id"]]
        labels = {int(i): f"{int(i)} · {label} · {status_word(s)}"
                  for i, label, s in zip(runs["id"], runs["label"], runs["status"])}
        if selected not in ids:
            selected = ids[0]
        selected = left.selectbox(t("lrfind.history"), ids, index=ids.index(selected),
                                  format_func=labels.__getitem__,
                                  key=keyed(f"lrfind.pick.{ids[0]}"))  # a new sweep: shown
        st.session_state[SELECTED] = selected
    active = runs[runs["status"].isin(["queued", "running"])] if not runs.empty else runs
    st.session_state[ACTIVE] = jobs.store.activity("lr-find")
    with right:
        if runs.empty:
            st.caption(t("lrfind.none-yet"))
        every = POLL_SECONDS if len(active) else IDLE_POLL_SECONDS
        st.fragment(live, run_every=every)(selected)


setup("lrfind")
guarded(main, t("lrfind.apology"))
