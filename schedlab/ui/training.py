"""The Train page's runs: the job manager, store actions, and one run's live panel."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from schedlab.errors import LimitError, StoreError
from schedlab.jobs.manager import JobManager, default_store_path
from schedlab.jobs.store import FINISHED
from schedlab.messages import render, unstored
from schedlab.present.runs import progress, training_figure
from schedlab.training.data import ASSUMED, OFFLINE
from schedlab.ui.lang import current, said, say, t
from schedlab.ui.text import plain

SEEN = "train.seen"  # run id -> (step rows, epoch rows) already read
ALERT = "train.store_alert"
SESSION = "train.session"
DASH = "–"
STATUSES = ("queued", "running", *FINISHED)  # as stored; said by ui.train.status.<status>
EPOCH_COLUMNS = ("epoch", "train_loss", "test_loss", "test_acc", "lr", "samples_per_s")


@st.cache_resource(show_spinner=False, on_release=lambda jobs: jobs.release())
def _manager(db_path: str) -> JobManager:
    return JobManager(db_path)


def job_manager() -> JobManager:
    """One per server process and store file: it starts and watches the training workers."""
    return _manager(str(default_store_path()))


def session_id() -> str:
    """This browser session's name in the store: what the fair-use cap on runs counts
    (``SCHEDLAB_MAX_SESSION_RUNS``)."""
    return st.session_state.setdefault(SESSION, uuid.uuid4().hex)


def act(action: Callable[..., Any], *args: Any) -> None:
    """A button's store action; a store problem, or a run refused by a fair-use cap,
    becomes a message on the next rerun (a callback's exception would otherwise be a bare
    traceback)."""
    try:
        action(*args)
    except StoreError as exc:
        store_problem(exc, later=True)
    except LimitError as exc:
        st.session_state[ALERT] = said(exc)


def store_problem(exc: StoreError, later: bool = False) -> None:
    """Show a store problem as what it is (never the generic apology)."""
    job_manager().report(exc)
    if later:
        st.session_state[ALERT] = said(exc)
    else:
        st.error(plain(said(exc)), icon=":material/database:")


def number(value: Any, spec: str) -> str:
    """A tile's or caption's number, or a dash where there is none (never None or nan)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    return format(value, spec)


def option_words(key: Callable[[Any], str | None]) -> Callable[[Any], str]:
    """A widget's format_func: option ``o`` said as ``ui.<key(o)>`` in this rerun's
    language, bound now (Streamlit, and AppTest, may call it outside the rerun); an option
    whose key is None is a name (cpu, cuda), shown as it is."""
    lang = current()

    def say(option: Any) -> str:
        code = key(option)
        return str(option) if code is None else render(f"ui.{code}", {}, lang)
    return say


def status_word(status: str) -> str:
    """A run's status (stored as a code: "running", "done"...) in the reader's words."""
    return t(f"train.status.{status}") if status in STATUSES else status


def data_words(data: str | None) -> str:
    """The data a run trains on, as training/data.py names it (MNIST, the offline subset,
    or MNIST assumed until Start), in the reader's words; a user's folder stays as it is."""
    if not data:
        return ""
    if data == OFFLINE:
        return t("train.data.offline")
    if data == ASSUMED:  # assumed_train_size's "auto", not yet downloaded
        return t("train.data.assumed", offline=t("train.data.offline"))
    return data


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


def chart(runs: list[tuple[str, pd.DataFrame]], key: str) -> None:
    """The loss and lr chart, or a placeholder while no run has a step yet."""
    if all(steps.empty for _, steps in runs):
        st.info(t("train.run.no-steps"), icon=":material/hourglass_top:")
        return
    st.plotly_chart(training_figure(runs, lang=current()), key=key,
                    config={"displaylogo": False})


def live(run_id: int) -> None:
    """One run: status, progress, tiles, chart, epochs, and Stop while it is not over."""
    jobs = job_manager()
    row = jobs.store.run(run_id)
    if row is None:
        st.info(t("train.run.deleted"))
        return
    steps, epochs = rows_of(run_id)
    status = row["status"]
    where = " · ".join(plain(v) for v in (row["device"], data_words(row["data"])) if v)
    st.markdown(f"**{plain(t('train.run.title', id=run_id))}** · {plain(row['label'])}  \n"
                f"`{status_word(status)}`" + (f" · {where}" if where else ""))
    if status == "queued":
        st.info(t("train.run.queued", position=jobs.queue_position(run_id)),
                icon=":material/hourglass_top:")
    for message in jobs.store.notices(run_id):
        st.info(plain(say(message)), icon=":material/info:")
    if row["error"]:
        (st.error if status == "failed" else st.warning)(plain(say(unstored(row["error"]))))
    last = int(steps["step"].iloc[-1]) if len(steps) else None
    fraction, elapsed, left = progress(row, last)
    total = f"{row['total_steps']:,}" if row["total_steps"] else "?"
    text = [t("train.run.step", step=0 if last is None else last + 1, total=total)]
    if elapsed:
        text.append(t("train.run.elapsed", seconds=elapsed))
    if left is not None:
        text.append(t("train.run.left", seconds=left))
    st.progress(fraction, text=" · ".join(text))
    tiles(steps, epochs, row)
    chart([(t("train.run.name", id=run_id), steps)], key=f"live.{run_id}")
    if len(epochs):
        table = epochs[list(EPOCH_COLUMNS)]
        table = table.astype(object).where(table.notna(), DASH)
        st.dataframe(table.rename(columns={c: t(f"train.epoch-table.{c}")
                                           for c in EPOCH_COLUMNS}),
                     hide_index=True, width="stretch")
    if status in ("queued", "running"):
        st.button(t("train.run.stop"), key=f"stop.{run_id}", on_click=act,
                  args=(jobs.stop, run_id), icon=":material/stop:",
                  help=t("train.run.stop-help"))


def tiles(steps: pd.DataFrame, epochs: pd.DataFrame, row: Any) -> None:
    """Loss, lr, accuracy and speed, two tiles a row so that every number fits."""
    speed = row["samples_per_s"]
    if speed is None and len(epochs):
        speed = epochs["samples_per_s"].iloc[-1]
    values = (("loss", number(steps["loss"].iloc[-1], ".4g") if len(steps) else DASH),
              ("lr", number(steps["lr"].iloc[-1], ".3g") if len(steps) else DASH),
              ("test-acc", number(epochs["test_acc"].iloc[-1], ".1%") if len(epochs)
               else DASH),
              ("speed", number(speed, ",.0f")))
    for i in (0, 2):
        cols = st.columns(2)
        for col, (label, value) in zip(cols, values[i:i + 2]):
            col.metric(t(f"train.tile.{label}"), value)
