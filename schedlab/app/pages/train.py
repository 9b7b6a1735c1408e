"""Train: a short MNIST run with a schedule; its loss, lr and accuracy stream in live."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from schedlab import SchedlabError, parse_schedule
from schedlab.errors import StoreError
from schedlab.jobs.manager import JobManager
from schedlab.jobs.store import FINISHED
from schedlab.present.runs import describe, metrics_table
from schedlab.source.paste import uses_loader_length
from schedlab.spec.examples import example_schedule
from schedlab.spec.schedule import Schedule
from schedlab.training.data import OFFLINE, assumed_train_size
from schedlab.training.loop import (
    DEVICES,
    TrainConfig,
    batches_per_epoch,
    check_run,
    check_trainable,
)
from schedlab.ui.editor import Errors, whole_box
from schedlab.ui.lang import current, keyed, said, say, t
from schedlab.ui.page import guarded, setup
from schedlab.ui.text import plain
from schedlab.ui.training import (
    ALERT,
    DASH,
    SEEN,
    act,
    chart,
    data_words,
    job_manager,
    live,
    number,
    option_words,
    session_id,
    status_word,
    store_problem,
)
from schedlab.ui.trainsettings import BATCHES, remember, restore

SELECTED, ACTIVE = "train.selected", "train.active"
STORE_SEEN = "train.store_generation"  # the store file the session's runs and rows are from
NOTED, SHOWN = "train.notices_read", "train.problem_shown"
POLL_SECONDS = 1.0  # while a run is queued or running
IDLE_POLL_SECONDS = 3.0  # otherwise: runs started in another tab show up within this
SOURCES = {"From the explorer": "explorer", "Paste code": "paste"}  # value (in the URL): key
DEFAULT_CODE = example_schedule("OneCycleLR").to_code().replace(
    "total_steps=1000", "epochs=3, steps_per_epoch=len(train_loader)")


def choose_schedule() -> Schedule | None:
    explorer = st.session_state.get("explorer.state")
    restore({"train.code": DEFAULT_CODE, "train.epochs": 3, "train.batch": 64,
             "train.model": "cnn", "train.per": explorer.horizon.step_per if explorer
             else "batch", "train.seed": 0, "train.log": 10})
    sources = (["From the explorer"] if explorer else []) + ["Paste code"]
    key = keyed("train.source")
    if st.session_state.get(key) not in sources:
        st.session_state[key] = sources[0]
    source = st.segmented_control(t("train.source.label"), sources, required=True,
                                  key=key,
                                  format_func=option_words(
                                      lambda s: f"train.source.{SOURCES[s]}"))
    if source == "From the explorer":
        schedule = explorer.schedule
        st.caption(plain(f"{schedule.scheduler.label()} · {schedule.optimizer.name}"))
        with st.expander(t("train.code-title")):
            st.code(schedule.to_code(), language="python")
        return schedule
    text = st.text_area(t("train.code"), key="train.code", height=130)
    size, _ = assumed_train_size(st.session_state.get(keyed("train.data"), "auto"))
    per_epoch = batches_per_epoch(size, int(st.session_state.get("train.batch") or 64)) \
        if size else None
    try:
        schedule = parse_schedule(text, steps_per_epoch=per_epoch)
        if per_epoch and uses_loader_length(text):
            st.caption(t("train.loader-length", batches=per_epoch))
        return schedule
    except SchedlabError as exc:
        st.error(plain(said(exc)), icon=":material/error:")
        return None


def choose_settings() -> TrainConfig | None:
    a, b = st.columns(2)
    boxes = Errors()  # a box's message sits under it
    with a:
        epochs = whole_box(t("train.setting.epochs"), None, "train.epochs", boxes, 1, 100)
    batch = b.selectbox(t("train.setting.batch"), BATCHES, key="train.batch")
    model = a.segmented_control(t("train.setting.model"), ["cnn", "mlp"], required=True,
                                key="train.model", help=t("train.setting.model-help"))
    step_per = b.segmented_control(t("train.setting.per"), ["batch", "epoch"], required=True,
                                   key="train.per")
    device = a.selectbox(t("train.setting.device"), DEVICES, key=keyed("train.device"),
                         format_func=option_words(
                             lambda d: "train.option.device-auto" if d == "auto" else None),
                         help=t("train.setting.device-help"))
    data = st.selectbox(t("train.setting.data"), ["auto", "offline"],  # its words need the
                        key=keyed("train.data"),  # whole width
                        format_func=option_words(lambda d: f"train.option.data-{d}"),
                        help=t("train.setting.data-help", offline=data_words(OFFLINE)))
    with st.expander(t("train.setting.more")):
        seed = whole_box(t("train.setting.seed"), None, "train.seed", boxes, 0, 2**32 - 1)
        log_every = whole_box(t("train.setting.log-every"), None, "train.log", boxes, 1,
                              1000)
    if None in (epochs, seed, log_every):
        return None  # the box says what is allowed
    try:
        return TrainConfig(epochs, int(batch), model, device, step_per, data, log_every, seed)
    except SchedlabError as exc:
        st.error(plain(said(exc)), icon=":material/error:")
        return None


def precheck(schedule: Schedule, config: TrainConfig) -> bool:
    """The sanity check of the run Start would launch (its epochs x the batches of the data
    it will use): errors refuse Start with their message, warnings are shown."""
    try:
        check_trainable(schedule)
    except SchedlabError as exc:
        st.error(plain(said(exc)), icon=":material/error:")
        return False
    size, data = assumed_train_size(config.data)
    if size is None:
        st.caption(plain(t("train.check.later", data=data_words(data))))
        return True
    batches = batches_per_epoch(size, config.batch_size)
    run = t("train.check.run", epochs=config.epochs, batches=batches,
            batch_size=config.batch_size, data=data_words(data))
    try:
        findings = check_run(schedule, config, batches)
    except SchedlabError as exc:
        st.error(plain(t("train.check.refused", error=said(exc), run=run)),
                 icon=":material/error:")
        return False
    for finding in findings:
        if finding.severity == "warning":
            st.warning(plain(say(finding.text(current()))), icon=":material/warning:")
    st.caption(plain(t("train.check.done", run=run)))
    return True


def start(schedule: Schedule, config: TrainConfig) -> None:
    """Queue the run and show it."""
    label = f"{schedule.scheduler.label()} · {schedule.optimizer.name}"
    st.session_state[SELECTED] = job_manager().submit(schedule, config, label,
                                                              session=session_id())


def shown_runs(active: list[int], selected: int | None) -> list[int]:
    """Every queued or running run (each keeps its Stop), and this session's run, oldest
    first."""
    return sorted(set(active) | ({selected} if selected is not None else set()))


def live_section(selected: int | None) -> None:
    """Redrawn every second while a run is queued or running, every few seconds otherwise
    (to notice runs started elsewhere). Each poll also supervises the workers: a dead
    one's run is marked interrupted and the queue goes on, without a full rerun."""
    guarded(lambda: poll(selected), t("train.apology"))


def poll(selected: int | None) -> None:
    jobs = job_manager()
    try:
        problem = jobs.supervise()
        if problem is not None and str(problem) != st.session_state.get(SHOWN):
            # new since the page's run
            st.error(plain(said(problem)), icon=":material/database:")
        if jobs.store is None:
            return
        now = jobs.store.activity()
        if st.session_state.get(ACTIVE, now) != now:
            st.session_state[ACTIVE] = now
            st.rerun()  # a run started, moved on or ended: refresh the history and polling
        st.session_state[ACTIVE] = now
        ids = shown_runs([i for i, _ in now[1]], selected)
        if not ids:
            st.caption(t("train.no-runs"))
        for run_id in ids:
            with st.container(border=len(ids) > 1):
                live(run_id)
    except StoreError as exc:
        store_problem(exc)


def history(runs: pd.DataFrame) -> None:
    jobs = job_manager()
    if runs.empty:
        return
    st.subheader(t("train.history.title"))
    table = pd.DataFrame([describe(r, current()) for _, r in runs.iterrows()])
    picked = st.dataframe(history_table(table), hide_index=True, width="stretch",
                          on_select="rerun", selection_mode="multi-row", key="train.history")
    chosen = [int(table["id"].iloc[i]) for i in picked.selection.rows]
    if not chosen:
        st.caption(t("train.history.select"))
        return
    chart([(t("train.run.name", id=i), jobs.store.steps(i)) for i in chosen],
          key="history.chart")
    lang = current()  # the download is read later, outside this rerun
    for run_id in chosen:
        a, b, c = st.columns([3, 1, 1], vertical_alignment="center")
        a.markdown(plain(t("train.run.name", id=run_id)))
        b.download_button(t("train.history.csv"), key=f"csv.{run_id}", on_click="ignore",
                          mime="text/csv", file_name=f"schedlab-run-{run_id}.csv",
                          data=lambda i=run_id: csv_of(i, lang))
        row = jobs.store.run(run_id)
        finished = row is not None and row["status"] in FINISHED
        c.button(t("train.history.delete"), key=f"delete.{run_id}", on_click=act,
                 args=(jobs.delete, run_id), disabled=not finished or jobs.store.readonly,
                 help=t("train.history.delete-help"))


def history_table(table: pd.DataFrame) -> pd.DataFrame:
    """The history as shown: numbers formatted, status and data in the reader's words, a
    dash where there is none (never None), the columns' headers in the reader's words."""
    shown = table.copy()
    shown["test_acc"] = [number(v, ".1%") for v in table["test_acc"]]
    shown["duration_s"] = [number(v, ",.1f") for v in table["duration_s"]]
    shown["status"] = [status_word(v) for v in table["status"]]
    shown["data"] = [data_words(v) if isinstance(v, str) else v for v in table["data"]]
    shown = shown.astype(object).where(shown.notna(), DASH)
    return shown.rename(columns={c: t(f"train.history.column.{c}") for c in shown.columns})


def csv_of(run_id: int, lang: str) -> str:
    """A run's metrics as CSV (read when the download is asked for; its columns are data,
    named as stored, and only a problem is said in ``lang``)."""
    store = job_manager().store
    try:
        if store is None:
            raise job_manager().problem or StoreError(code="ui.train.store-closed")
        return metrics_table(store.steps(run_id), store.epochs(run_id)).to_csv(index=False)
    except StoreError as exc:  # the store broke since the page was drawn: say so in the file
        return f"error\n{exc.text.render(lang)}\n"


def store_notices(jobs: JobManager) -> StoreError | None:
    """What happened to the store (moved aside, replaced) until this session dismisses it,
    a store error met by a button, and why no run can be stored now (returned)."""
    problem = jobs.reload()  # first: it may set a store aside, which the notices tell
    if st.session_state.get(NOTED, 0) < len(jobs.notices):
        for note in jobs.notices[st.session_state.get(NOTED, 0):]:
            st.warning(plain(say(note)), icon=":material/inventory_2:")
        st.button(t("train.dismiss"), key="train.dismiss",
                  on_click=st.session_state.__setitem__, args=(NOTED, len(jobs.notices)))
    if ALERT in st.session_state:
        st.error(plain(st.session_state.pop(ALERT)), icon=":material/database:")
    st.session_state[SHOWN] = str(problem) if problem else None
    if problem is not None:
        st.error(plain(said(problem)), icon=":material/database:")
    if st.session_state.get(STORE_SEEN) != jobs.generation:  # another file: other runs
        st.session_state[STORE_SEEN] = jobs.generation
        for key in (SELECTED, SEEN):
            st.session_state.pop(key, None)
    return problem


def main() -> None:
    st.title(t("nav.train"))
    jobs = job_manager()
    problem = store_notices(jobs)
    left, right = st.columns([2, 3], gap="large")
    with left:
        schedule = choose_schedule()
        config = choose_settings()
        remember()
        ready = schedule is not None and config is not None and precheck(schedule, config)
        st.button(t("train.start"), type="primary", icon=":material/play_arrow:",
                  key="train.start", disabled=not ready or problem is not None, on_click=act,
                  args=(start, schedule, config),
                  help=t("train.start-blocked", problem=said(problem)) if problem else None)
        if problem is None and not jobs.ready:
            st.caption(t("train.worker-starting"))
    if jobs.store is None:
        return
    try:
        runs = jobs.store.runs()
    except StoreError as exc:
        store_problem(exc)
        return
    selected = st.session_state.get(SELECTED)
    if selected is None and not runs.empty:  # re-attach: the newest run, kept in view
        selected = st.session_state[SELECTED] = int(runs["id"].iloc[0])
    active = [(int(i), s) for i, s in zip(runs["id"], runs["status"])
              if s in ("queued", "running")][::-1]  # oldest first, as the poll reads them
    st.session_state[ACTIVE] = (int(runs["id"].max()) if len(runs) else 0, active)
    with right:
        every = POLL_SECONDS if active else IDLE_POLL_SECONDS
        st.fragment(live_section, run_every=every)(selected)
    try:
        history(runs)
    except StoreError as exc:
        store_problem(exc)


setup("train")
guarded(main, t("train.apology"))
