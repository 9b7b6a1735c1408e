"""The explorer's paste box: pasted code adopted whole, drawn over its own length.

Apply runs as a callback, before the page reads its boxes: it takes the run the Run boxes
hold at that moment, parses the paste beside the schedule on screen, fits the run to the
schedule's own length and leaves a note saying what changed, shown while it still holds.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from schedlab import ScheduleError
from schedlab.analysis.length import fit_horizon
from schedlab.present.forms import whole_number
from schedlab.present.share import ExplorerState
from schedlab.source.paste import lightning_interval, parse_paste, uses_loader_length
from schedlab.spec.horizon import MAX_STEPS, Horizon
from schedlab.ui import state as session
from schedlab.ui.lang import say, t, told, ui
from schedlab.ui.page import folded
from schedlab.ui.planpanel import current_plan, loader_length
from schedlab.ui.text import plain

PASTE_ERROR, PASTE_NOTE = "explorer.paste_error", "explorer.paste_note"
PASTE_OPEN = "paste.open"  # the folded panel's key


def apply_paste(key: str) -> None:
    """Adopt the pasted code, drawn over its own length when it has one."""
    state, text = session.load(), st.session_state.get(key, "")
    st.session_state[PASTE_NOTE] = None
    try:  # the run as its boxes hold it now: a value typed just before Apply counts
        run = typed_run(state)
        loader = loader_length(state, run)  # a trainer's plan, or the run's steps per epoch
        schedule, has_scheduler = parse_paste(text, state.schedule, loader)
    except ScheduleError as exc:  # shown while this text stays in the box
        st.session_state[PASTE_ERROR] = (key, text, told(exc))
        return
    counted = uses_loader_length(text)
    planned = current_plan(state) is not None and run == state.horizon
    interval = lightning_interval(text)  # Lightning says when it steps the scheduler
    told_per = {"step": "batch", "epoch": "epoch"}.get(interval or "")
    if told_per and told_per != run.step_per:
        run = replace(run, step_per=told_per)
    horizon, fitted = run, None
    if has_scheduler and not planned:  # an optimizer alone changes neither; a trainer's
        # plan is the run: the schedule is checked against it (ui/planpanel.py)
        horizon, fitted = fit_horizon(schedule.scheduler, run, in_batches=counted,
                                      told=told_per)
    notes = [ui("paste.loader-plan" if planned else "paste.loader", per_epoch=loader)] \
        if counted else []
    if interval:
        notes.append(ui(f"paste.interval.{interval}"))
    try:
        session.reset_to(replace(state, schedule=schedule, horizon=horizon))
        notes += [fitted] if fitted else []
    except ScheduleError as exc:  # e.g. too costly to draw whole, or with the pins
        try:
            session.reset_to(replace(state, schedule=schedule, horizon=run))
            notes.append(ui("paste.not-whole", why=told(exc)))
        except ScheduleError as again:
            st.session_state[PASTE_ERROR] = (key, text, told(again))
            return
    st.session_state[PASTE_ERROR] = None
    if notes:  # shown while the run and the schedule are the ones it speaks of
        st.session_state[PASTE_NOTE] = (note_key(session.load()), tuple(notes))


def typed_run(state: ExplorerState) -> Horizon:
    """The run the Run boxes hold now (a callback runs before the page reads them)."""
    gen, h = session.generation(), state.horizon
    try:
        return Horizon(
            whole_number(st.session_state.get(f"{gen}.epochs", h.epochs), "epochs", 1,
                         MAX_STEPS),
            whole_number(st.session_state.get(f"{gen}.spe", h.steps_per_epoch),
                         "steps per epoch", 1, MAX_STEPS),
            st.session_state.get(f"{gen}.per") or h.step_per)
    except ScheduleError as exc:
        raise ScheduleError(code="error.ui.run-boxes", params={"error": exc.text}) from None


def note_key(state: ExplorerState) -> tuple:
    return session.generation(), state.horizon, state.schedule.scheduler.bound()


def paste_box(state: ExplorerState) -> None:
    key = f"paste.{hash(state.schedule)}"
    failed = st.session_state.get(PASTE_ERROR)
    failed = failed if failed and failed[:2] == (key, st.session_state.get(key)) else None
    panel = folded(t("paste.title"), PASTE_OPEN, expanded=bool(failed))
    if panel.open:  # drawn only while open: a redraw of the page sends neither box
        with panel:
            st.text_area(t("paste.box"), value=state.schedule.to_code(), height=170,
                         key=key, help=t("paste.help"))
            st.button(t("paste.apply"), on_click=apply_paste, args=(key,), type="primary",
                      key="paste.apply")
            if failed:
                st.error(plain(say(failed[2])), icon=":material/error:")
    note = st.session_state.get(PASTE_NOTE)  # what Apply changed beside the schedule
    if note and note[0] == note_key(state):
        st.info(plain(say(note[1])), icon=":material/straighten:")
