"""Reading training runs back: progress, metrics tables, and their chart."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from schedlab.messages import DEFAULT, render
from schedlab.present.plot import COLORS, decimate
from schedlab.spec.schedule import Schedule


def describe(row: Any, lang: str = DEFAULT) -> dict[str, Any]:
    """One run as a history-table row: what was trained, how it went. The keys are the
    columns' codes (their headers are ``ui.train.history.column.<key>``); the status and
    data stay as stored, for the page to say in its language."""
    schedule = Schedule.from_json(row["schedule"])
    config = json.loads(row["config"])
    end = row["finished"] or (time.time() if row["status"] == "running" else None)
    lr = schedule.optimizer.kwargs.get("lr")
    if lr is None:
        lr = render("ui.train.history.default-lr", {}, lang)
    return {"id": int(row["id"]), "label": row["label"],
            "optimizer": f"{schedule.optimizer.name} lr={lr}",
            "status": row["status"], "test_acc": row["test_acc"],
            "duration_s": round(end - row["started"], 1) if end and row["started"] else None,
            "epochs": config["epochs"], "model": config["model"],
            "data": row["data"], "device": row["device"]}


def progress(row: Any, last_step: int | None) -> tuple[float, float | None, float | None]:
    """(fraction done, seconds elapsed, seconds left) of a run, from its stored rows; a run
    that has ended has no time left to say (None), whether it finished or not."""
    if row["started"] is None:
        return 0.0, None, None
    elapsed = (row["finished"] or time.time()) - row["started"]
    total = row["total_steps"]
    if row["status"] == "done":
        return 1.0, elapsed, None
    if not total or last_step is None:
        return 0.0, elapsed, None
    fraction = min(1.0, (last_step + 1) / total)
    if row["finished"] is not None:
        return fraction, elapsed, None
    left = elapsed * (1 - fraction) / fraction if fraction > 0 else None
    return fraction, elapsed, left


def metrics_table(steps: pd.DataFrame, epochs: pd.DataFrame) -> pd.DataFrame:
    """Step and epoch metrics of one run in one table (for the CSV download)."""
    s = steps.drop(columns=["id", "run_id"], errors="ignore").assign(kind="step")
    e = epochs.drop(columns=["id", "run_id"], errors="ignore").assign(kind="epoch")
    return pd.concat([s, e], ignore_index=True, sort=False)


def training_figure(runs: list[tuple[str, pd.DataFrame]], budget: int = 3000,
                    lang: str = DEFAULT) -> go.Figure:
    """Loss (left axis) and lr (right axis) against the optimizer step, per run (each
    named by its label, already in the reader's language); the axes' words in ``lang``."""
    def say(key: str) -> str:
        return render(f"ui.train.chart.{key}", {}, lang)

    fig = make_subplots(specs=[[{"secondary_y": True}]])
    per_trace = max(200, budget // max(1, 2 * len(runs)))
    for i, (label, steps) in enumerate(runs):
        if steps.empty:
            continue
        color = COLORS[i % len(COLORS)]
        step = steps["step"].to_numpy()
        for column, dash, secondary in (("loss", None, False), ("lr", "dot", True)):
            values = steps[column].to_numpy(dtype=float)
            idx = decimate(np.nan_to_num(values), per_trace)
            what = say(column)
            fig.add_trace(go.Scatter(
                x=step[idx], y=values[idx], name=f"{label} · {what}", mode="lines",
                line={"color": color, "dash": dash},
                hovertemplate=f"<b>{label}</b><br>{say('step')}<br>{what} "
                              f"%{{y:.6g}}<extra></extra>"), secondary_y=secondary)
    # neither a step, a loss nor an lr is negative: no tick below zero, even around one
    # point or a constant lr (where the automatic range would centre on the value)
    fig.update_xaxes(title_text=say("x"), rangemode="nonnegative")
    fig.update_yaxes(title_text=say("loss-axis"), secondary_y=False, rangemode="nonnegative")
    fig.update_yaxes(title_text=say("lr-axis"), secondary_y=True, showgrid=False,
                     rangemode="tozero", exponentformat="e")
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return fig
