"""The explorer's teaching aids: the step cursor (one step's exact values) and the
scheduler's card (its formula with the values set, its pitfall and the check for it)."""

from __future__ import annotations

from bisect import bisect_right

import streamlit as st

from schedlab.engine.oracle import optimizer_signature
from schedlab.present.cards import card
from schedlab.present.share import ExplorerState
from schedlab.ui.chart import values_at
from schedlab.ui.lang import current, t
from schedlab.ui.text import plain


def step_cursor(state: ExplorerState, key: str) -> None:
    """Pick an optimizer step: its epoch, the exact lr of every group, the momentum, the
    metric fed to ReduceLROnPlateau and, for SequentialLR, the phase in charge."""
    h = state.horizon
    if not st.toggle(t("explorer.cursor.toggle"), key="cursor.on",
                     help=t("explorer.cursor.toggle-help")):
        return
    step = st.slider(t("explorer.cursor.step"), 0, h.total_steps - 1, key=key)
    row = step // h.stride
    values = values_at(state.schedule, h, state.metric, row)
    shown = [(t("explorer.cursor.epoch"), f"{step // h.steps_per_epoch:,}"),
             (t("explorer.cursor.calls"), f"{row:,}")]
    groups = [k for k in values if k == "lr" or k.startswith("lr_")]
    shown += [(t("explorer.cursor.lr") if k == "lr" else
               t("explorer.cursor.group-lr", i=k.split("_")[1]), f"{values[k]:.6g}")
              for k in groups]
    if "momentum" in values:
        shown.append((t("explorer.cursor.momentum"), f"{values['momentum']:.4g}"))
    if "metric" in values:  # ReduceLROnPlateau's bookkeeping after these calls
        args = state.schedule.scheduler.args
        shown += [(t("explorer.cursor.metric"), f"{values['metric']:.4g}"),
                  (t("explorer.cursor.best"), f"{values['best']:.4g}"),
                  (t("explorer.cursor.bad"), t("explorer.cursor.bad-of", bad=int(
                      values["bad_epochs"]), patience=args["patience"])),
                  (t("explorer.cursor.cooldown"), f"{int(values['cooldown_left'])}")]
    for first in range(0, len(shown), 4):  # four a row: labels and numbers read whole
        for column, (label, value) in zip(st.columns(4), shown[first:first + 4]):
            column.metric(label, value)
    spec = state.schedule.scheduler
    if spec.info.switches:  # SequentialLR: one child at a time
        phase = bisect_right(spec.args["milestones"], row)
        child = spec.args["schedulers"][phase]
        st.caption(plain(t("explorer.cursor.phase", i=phase + 1, name=child.label())))
    elif spec.info.composite:
        st.caption(plain(t("explorer.cursor.chained", count=len(spec.args["schedulers"]))))


def scheduler_card(state: ExplorerState, found: set[str]) -> None:
    """The scheduler's teaching card: its formula with the values set now, what it does,
    when it is used, and its classic pitfall with the check that catches it."""
    optimizer = state.schedule.optimizer
    base = optimizer.kwargs.get("lr", optimizer_signature(optimizer.name).parameters["lr"]
                                .default)
    made = card(state.schedule.scheduler, float(base), current())
    st.latex(made.formula)
    for part in ("what", "when", "pitfall"):
        st.markdown(f"**{t(f'card.labels.{part}')}** {plain(getattr(made, part))}")
    if made.check:
        caught = made.check in found
        st.caption(t("explorer.card.caught-now" if caught else "explorer.card.caught-by",
                     check=made.check))
