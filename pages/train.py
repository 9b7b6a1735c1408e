"""Train: a short MNIST run with a schedule; its loss, lr and accuracy stream in live."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from schedlab import ScheduleError, parse_schedule
from schedlab.curve import compute_curve
from schedlab.data import OFFLINE, expected_train_size
from schedlab.errors import StoreError
from schedlab.examples import example_schedule
from schedlab.jobs import JobManager, default_store_path
from schedlab.runs import describe, metrics_table, progress, training_figure
from schedlab.schedule import Schedule
from schedlab.store import FINISHED
from schedlab.train import DEVICES, TrainConfig, check_trainable, scheduler_steps
from ui.page import guarded, setup
from ui.text import plain

SELECTED, SEEN, ACTIVE = "train.selected", "train.seen", "train.was_active"
STORE_SEEN = "train.store_generation"  # the store file the session's runs and rows are from
ALERT, NOTED, SHOWN = "train.store_alert", "train.notices_read", "train.problem_shown"
POLL_SECONDS = 1.0
APOLOGY = ("Sorry, something unexpected went wrong. Runs keep going in the background: "
           "reload the page to re-attach.")


@st.cache_resource(show_spinner=False, on_release=lambda jobs: jobs.release())
def _manager(db_path: str) -> JobManager:
    return JobManager(db_path)


def job_manager() -> JobManager:
    """One per server process and store file: it starts and watches the training workers."""
    return _manager(str(default_store_path()))


def act(action: Callable[..., Any], *args: Any) -> None:
    """A button's store action; a store problem becomes a message on the next rerun (a
    callback's exception would otherwise be a bare traceback)."""
    try:
        action(*args)
    except StoreError as exc:
        store_problem(exc, later=True)


def store_problem(exc: StoreError, later: bool = False) -> None:
    """Show a store problem as what it is (never the generic apology)."""
    job_manager().report(exc)
    if later:
        st.session_state[ALERT] = str(exc)
    else:
        st.error(plain(exc), icon=":material/database:")


def choose_schedule() -> Schedule | None:
    explorer = st.session_state.get("explorer.state")
    sources = (["From the explorer"] if explorer else []) + ["Paste code"]
    source = st.segmented_control("Schedule", sources, default=sources[0], required=True,
                                  key="train.source")
    if source == "From the explorer":
        schedule = explorer.schedule
        st.caption(plain(f"{schedule.scheduler.label()} · {schedule.optimizer.name}"))
        with st.expander("Code"):
            st.code(schedule.to_code(), language="python")
        return schedule
    text = st.text_area("Optimizer and scheduler lines", key="train.code", height=130,
                        value=example_schedule("OneCycleLR").to_code().replace(
                            "total_steps=1000", "epochs=3, steps_per_epoch=63"))
    try:
        return parse_schedule(text)
    except ScheduleError as exc:
        st.error(plain(exc), icon=":material/error:")
        return None


def choose_settings() -> TrainConfig | None:
    explorer = st.session_state.get("explorer.state")
    a, b = st.columns(2)
    epochs = a.number_input("epochs", 1, 100, 3, key="train.epochs")
    batch = b.selectbox("batch size", [16, 32, 64, 128, 256, 512, 1024], index=2,
                        key="train.batch")
    model = a.segmented_control("model", ["cnn", "mlp"], default="cnn", required=True,
                                key="train.model", help="cnn: the tutorial CNN; mlp: faster")
    step_per = b.segmented_control(
        "scheduler.step() per", ["batch", "epoch"], required=True, key="train.per",
        default=explorer.horizon.step_per if explorer else "batch")
    device = a.selectbox("device", DEVICES, key="train.device",
                         help="auto: CUDA, then Apple MPS, then CPU")
    data = b.selectbox("data", ["auto", "offline"], key="train.data",
                       format_func=lambda d: {"auto": "MNIST (or offline subset)",
                                              "offline": "offline subset (5,000)"}[d],
                       help=f"auto: MNIST, downloaded once; where that is impossible, the "
                            f"{OFFLINE}, and the run says so")
    with st.expander("More"):
        seed = st.number_input("seed", 0, 2**32 - 1, 0, key="train.seed")
        log_every = st.number_input("log every (optimizer steps)", 1, 1000, 10,
                                    key="train.log")
    try:
        return TrainConfig(int(epochs), int(batch), model, device, step_per, data,
                           int(log_every), int(seed))
    except ScheduleError as exc:
        st.error(plain(exc), icon=":material/error:")
        return None


def precheck(schedule: Schedule, config: TrainConfig) -> bool:
    """Refuse, before Start, an optimizer training cannot drive, and a schedule torch would
    crash on within this run's length."""
    try:
        check_trainable(schedule)
    except ScheduleError as exc:
        st.error(plain(exc), icon=":material/error:")
        return False
    size = expected_train_size(config.data)
    if size is None or schedule.scheduler.name == "ReduceLROnPlateau":
        return True
    batches = -(-size // config.batch_size)
    try:
        compute_curve(schedule, scheduler_steps(schedule, config, batches))
    except ScheduleError as exc:
        st.error(plain(f"{exc} (this run: {config.epochs} epochs x {batches} batches)"),
                 icon=":material/error:")
        return False
    return True


def start(schedule: Schedule, config: TrainConfig) -> None:
    """Queue the run and show it."""
    label = f"{schedule.scheduler.label()} · {schedule.optimizer.name}"
    st.session_state[SELECTED] = job_manager().submit(schedule, config, label)


def rows_of(run_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The run's step and epoch rows, fetching only the ones not seen yet."""
    seen = st.session_state.setdefault(SEEN, {})  # cleared when the store file changes
    steps, epochs = seen.get(run_id, (pd.DataFrame(), pd.DataFrame()))
    store = job_manager().store
    new_steps = store.steps(run_id, after=int(steps["id"].iloc[-1]) if len(steps) else 0)
    new_epochs = store.epochs(run_id, after=int(epochs["id"].iloc[-1]) if len(epochs) else 0)
    if len(new_steps):
        steps = new_steps if steps.empty else pd.concat([steps, new_steps], ignore_index=True)
    if len(new_epochs):
        epochs = new_epochs if epochs.empty else pd.concat([epochs, new_epochs],
                                                             ignore_index=True)
    seen[run_id] = (steps, epochs)
    return steps, epochs


def live(run_id: int) -> None:
    jobs = job_manager()
    row = jobs.store.run(run_id)
    if row is None:
        st.info("This run was deleted.")
        return
    steps, epochs = rows_of(run_id)
    status = row["status"]
    st.markdown(f"**Run {run_id}** · {plain(row['label'])}  \n`{status}`"
                + (plain(f" · {row['device']} · {row['data']}") if row["device"] else ""))
    if status == "queued":
        st.info(f"Waiting in the queue: position {jobs.queue_position(run_id)}.",
                icon=":material/hourglass_top:")
    for message in jobs.store.notices(run_id):
        st.info(plain(message), icon=":material/info:")
    if row["error"]:
        (st.error if status == "failed" else st.warning)(plain(row["error"]))
    last = int(steps["step"].iloc[-1]) if len(steps) else None
    fraction, elapsed, left = progress(row, last)
    eta = "" if left is None else f" · about {left:,.0f} s left"
    st.progress(fraction, text=f"step {0 if last is None else last + 1:,} of "
                               f"{row['total_steps'] or '?'}"
                               + (f" · {elapsed:,.0f} s" if elapsed else "") + eta)
    cols = st.columns(4)
    cols[0].metric("loss", f"{steps['loss'].iloc[-1]:.4g}" if len(steps) else "–")
    cols[1].metric("lr", f"{steps['lr'].iloc[-1]:.4g}" if len(steps) else "–")
    cols[2].metric("test accuracy", f"{epochs['test_acc'].iloc[-1]:.2%}" if len(epochs) else "–")
    speed = row["samples_per_s"] or (epochs["samples_per_s"].iloc[-1] if len(epochs) else None)
    cols[3].metric("samples/s", f"{speed:,.0f}" if speed else "–")
    st.plotly_chart(training_figure([(f"run {run_id}", steps)]), key=f"live.{run_id}",
                    config={"displaylogo": False})
    if len(epochs):
        st.dataframe(epochs[["epoch", "train_loss", "test_loss", "test_acc", "lr",
                             "samples_per_s"]], hide_index=True, width="stretch")
    if status in ("queued", "running"):
        st.button("Stop", key=f"stop.{run_id}", on_click=act, args=(jobs.stop, run_id),
                  icon=":material/stop:", help="ends cleanly within one batch")


def live_section(run_id: int | None) -> None:
    """Redrawn every second while a run is queued or running; idle otherwise. Each poll
    also supervises the workers: a dead one's run is marked interrupted and the queue goes
    on, without waiting for a full rerun."""
    guarded(lambda: poll(run_id), APOLOGY)


def poll(run_id: int | None) -> None:
    jobs = job_manager()
    try:
        problem = jobs.supervise()
        if problem is not None and str(problem) != st.session_state.get(SHOWN):
            st.error(plain(problem), icon=":material/database:")  # new since the page's run
        active = jobs.store is not None and jobs.store.active()
        if st.session_state.get(ACTIVE) and not active:
            st.session_state[ACTIVE] = False
            st.rerun()  # the run ended: refresh the history and stop polling
        st.session_state[ACTIVE] = active
        if jobs.store is None:
            return
        if run_id is not None:
            live(run_id)
        else:
            st.caption("No runs yet: choose a schedule and press Start.")
    except StoreError as exc:
        store_problem(exc)


def history(runs: pd.DataFrame) -> None:
    jobs = job_manager()
    if runs.empty:
        return
    st.subheader("History")
    table = pd.DataFrame([describe(r) for _, r in runs.iterrows()])
    picked = st.dataframe(table, hide_index=True, width="stretch", on_select="rerun",
                          selection_mode="multi-row", key="train.history",
                          column_config={"test acc": st.column_config.NumberColumn(
                              format="percent")})
    chosen = [int(table["id"].iloc[i]) for i in picked.selection.rows]
    if not chosen:
        st.caption("Select runs in the table to overlay their curves, download or delete.")
        return
    st.plotly_chart(training_figure([(f"run {i}", jobs.store.steps(i)) for i in chosen]),
                    key="history.chart", config={"displaylogo": False})
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
    if selected is None and not runs.empty:  # re-attach: the newest run
        selected = int(runs["id"].iloc[0])
    with right:
        every = POLL_SECONDS if any(s in ("queued", "running") for s in runs["status"]) else None
        st.fragment(live_section, run_every=every)(selected)
    try:
        history(runs)
    except StoreError as exc:
        store_problem(exc)


setup("Train")
guarded(main, APOLOGY)
