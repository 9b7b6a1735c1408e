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
from schedlab.ui.lang import current, said, t
from schedlab.ui.page import guarded, setup
from schedlab.ui.text import plain
from schedlab.ui.training import (
    ALERT,
    DASH,
    SEEN,
    act,
    chart,
    job_manager,
    live,
    number,
    store_problem,
)
from schedlab.ui.trainsettings import BATCHES, remember, restore

SELECTED, ACTIVE = "train.selected", "train.active"
STORE_SEEN = "train.store_generation"  # the store file the session's runs and rows are from
NOTED, SHOWN = "train.notices_read", "train.problem_shown"
POLL_SECONDS = 1.0  # while a run is queued or running
IDLE_POLL_SECONDS = 3.0  # otherwise: runs started in another tab show up within this
DEFAULT_CODE = example_schedule("OneCycleLR").to_code().replace(
    "total_steps=1000", "epochs=3, steps_per_epoch=len(train_loader)")


def choose_schedule() -> Schedule | None:
    explorer = st.session_state.get("explorer.state")
    restore({"train.code": DEFAULT_CODE, "train.epochs": 3, "train.batch": 64,
             "train.model": "cnn", "train.per": explorer.horizon.step_per if explorer
             else "batch", "train.seed": 0, "train.log": 10})
    sources = (["From the explorer"] if explorer else []) + ["Paste code"]
    if st.session_state.get("train.source") not in sources:
        st.session_state["train.source"] = sources[0]
    source = st.segmented_control("Schedule", sources, required=True, key="train.source")
    if source == "From the explorer":
        schedule = explorer.schedule
        st.caption(plain(f"{schedule.scheduler.label()} · {schedule.optimizer.name}"))
        with st.expander("Code"):
            st.code(schedule.to_code(), language="python")
        return schedule
    text = st.text_area("Optimizer and scheduler lines", key="train.code", height=130)
    size, _ = assumed_train_size(st.session_state.get("train.data", "auto"))
    per_epoch = batches_per_epoch(size, int(st.session_state.get("train.batch") or 64)) \
        if size else None
    try:
        schedule = parse_schedule(text, steps_per_epoch=per_epoch)
        if per_epoch and uses_loader_length(text):
            st.caption(f"len(train_loader) is read as this run's {per_epoch:,} batches per "
                       "epoch.")
        return schedule
    except SchedlabError as exc:
        st.error(plain(said(exc)), icon=":material/error:")
        return None


def choose_settings() -> TrainConfig | None:
    a, b = st.columns(2)
    boxes = Errors()  # a box's message sits under it
    with a:
        epochs = whole_box("epochs", None, "train.epochs", boxes, 1, 100)
    batch = b.selectbox("batch size", BATCHES, key="train.batch")
    model = a.segmented_control("model", ["cnn", "mlp"], required=True,
                                key="train.model", help="cnn: the tutorial CNN; mlp: faster")
    step_per = b.segmented_control("scheduler.step() per", ["batch", "epoch"], required=True,
                                   key="train.per")
    device = a.selectbox("device", DEVICES, key="train.device",
                         help="auto: CUDA, then Apple MPS, then CPU")
    data = b.selectbox("data", ["auto", "offline"], key="train.data",
                       format_func=lambda d: {"auto": "MNIST (or offline subset)",
                                              "offline": "offline subset (5,000)"}[d],
                       help=f"auto: MNIST, downloaded once; where that is impossible, the "
                            f"{OFFLINE}, and the run says so")
    with st.expander("More"):
        seed = whole_box("seed", None, "train.seed", boxes, 0, 2**32 - 1)
        log_every = whole_box("log every (optimizer steps)", None, "train.log", boxes, 1,
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
        st.caption(plain(f"The schedule is checked against {data} once the run starts."))
        return True
    batches = batches_per_epoch(size, config.batch_size)
    run = (f"this run: {config.epochs} epochs x {batches} batches of {config.batch_size}, "
           f"{data}")
    try:
        findings = check_run(schedule, config, batches)
    except SchedlabError as exc:
        st.error(plain(f"{exc} ({run})"), icon=":material/error:")
        return False
    for finding in findings:
        if finding.severity == "warning":
            st.warning(plain(" ".join(finding.text(current()))), icon=":material/warning:")
    st.caption(plain(f"Sanity check of {run}."))
    return True


def start(schedule: Schedule, config: TrainConfig) -> None:
    """Queue the run and show it."""
    label = f"{schedule.scheduler.label()} · {schedule.optimizer.name}"
    st.session_state[SELECTED] = job_manager().submit(schedule, config, label)


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
            st.error(plain(problem), icon=":material/database:")  # new since the page's run
        if jobs.store is None:
            return
        now = jobs.store.activity()
        if st.session_state.get(ACTIVE, now) != now:
            st.session_state[ACTIVE] = now
            st.rerun()  # a run started, moved on or ended: refresh the history and polling
        st.session_state[ACTIVE] = now
        ids = shown_runs([i for i, _ in now[1]], selected)
        if not ids:
            st.caption("No runs yet: choose a schedule and press Start.")
        for run_id in ids:
            with st.container(border=len(ids) > 1):
                live(run_id)
    except StoreError as exc:
        store_problem(exc)


def history(runs: pd.DataFrame) -> None:
    jobs = job_manager()
    if runs.empty:
        return
    st.subheader("History")
    table = pd.DataFrame([describe(r) for _, r in runs.iterrows()])
    picked = st.dataframe(history_table(table), hide_index=True, width="stretch",
                          on_select="rerun", selection_mode="multi-row", key="train.history")
    chosen = [int(table["id"].iloc[i]) for i in picked.selection.rows]
    if not chosen:
        st.caption("Select runs in the table to overlay their curves, download or delete.")
        return
    chart([(f"run {i}", jobs.store.steps(i)) for i in chosen], key="history.chart")
    for run_id in chosen:
        a, b, c = st.columns([3, 1, 1], vertical_alignment="center")
        a.markdown(f"run {run_id}")
        b.download_button("CSV", key=f"csv.{run_id}", on_click="ignore", mime="text/csv",
                          file_name=f"schedlab-run-{run_id}.csv",
                          data=lambda i=run_id: csv_of(i))
        row = jobs.store.run(run_id)
        finished = row is not None and row["status"] in FINISHED
        c.button("Delete", key=f"delete.{run_id}", on_click=act, args=(jobs.delete, run_id),
                 disabled=not finished or jobs.store.readonly, help="finished runs only")


def history_table(table: pd.DataFrame) -> pd.DataFrame:
    """The history as shown: numbers formatted, a dash where there is none (never None)."""
    shown = table.copy()
    shown["test acc"] = [number(v, ".1%") for v in table["test acc"]]
    shown["duration s"] = [number(v, ",.1f") for v in table["duration s"]]
    return shown.astype(object).where(shown.notna(), DASH)


def csv_of(run_id: int) -> str:
    """A run's metrics as CSV (read when the download is asked for)."""
    store = job_manager().store
    try:
        if store is None:
            raise job_manager().problem or StoreError("the run store is not open")
        return metrics_table(store.steps(run_id), store.epochs(run_id)).to_csv(index=False)
    except StoreError as exc:  # the store broke since the page was drawn: say so in the file
        return f"error\n{exc}\n"


def store_notices(jobs: JobManager) -> StoreError | None:
    """What happened to the store (moved aside, replaced) until this session dismisses it,
    a store error met by a button, and why no run can be stored now (returned)."""
    problem = jobs.reload()  # first: it may set a store aside, which the notices tell
    if st.session_state.get(NOTED, 0) < len(jobs.notices):
        for note in jobs.notices[st.session_state.get(NOTED, 0):]:
            st.warning(plain(note), icon=":material/inventory_2:")
        st.button("Dismiss", key="train.dismiss", on_click=st.session_state.__setitem__,
                  args=(NOTED, len(jobs.notices)))
    if ALERT in st.session_state:
        st.error(plain(st.session_state.pop(ALERT)), icon=":material/database:")
    st.session_state[SHOWN] = str(problem) if problem else None
    if problem is not None:
        st.error(plain(problem), icon=":material/database:")
    if st.session_state.get(STORE_SEEN) != jobs.generation:  # another file: other runs
        st.session_state[STORE_SEEN] = jobs.generation
        for key in (SELECTED, SEEN):
            st.session_state.pop(key, None)
    return problem


def main() -> None:
    st.title("Train on MNIST")
    jobs = job_manager()
    problem = store_notices(jobs)
    left, right = st.columns([2, 3], gap="large")
    with left:
        schedule = choose_schedule()
        config = choose_settings()
        remember()
        ready = schedule is not None and config is not None and precheck(schedule, config)
        st.button("Start", type="primary", icon=":material/play_arrow:", key="train.start",
                  disabled=not ready or problem is not None, on_click=act,
                  args=(start, schedule, config),
                  help=f"No run can be stored now. {problem}" if problem else None)
        if problem is None and not jobs.ready:
            st.caption("The training worker is starting (a few seconds); runs wait for it.")
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
