"""Plotly figures of lr curves, decimated so that every peak and trough survives.

A million-step CyclicLR cannot be sent to a browser point by point, and naive striding
aliases its cycles into nonsense. ``decimate`` keeps, for each of a fixed number of
buckets, the points where each series is lowest and highest, so the drawn envelope is
exact and the figure stays small whatever the step count.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from schedlab.events import Event
from schedlab.horizon import Horizon

POINT_BUDGET = 7000  # points in all traces together: about 200 KB of figure JSON
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b")
EVENT_SYMBOLS = {"milestone": "diamond", "phase": "square", "restart": "triangle-up",
                 "reduction": "triangle-down", "end": "circle-open"}


def decimate(y: np.ndarray, budget: int) -> np.ndarray:
    """Indices of at most about ``budget`` points that keep every bucket's min and max
    (and the first and last point); all indices when the series is short enough."""
    n = len(y)
    if n <= budget:
        return np.arange(n)
    buckets = max(1, budget // 2)
    size = -(-n // buckets)
    full = n // size  # whole buckets, read in place (no copy of a 10M-value series)
    parts = [np.array([0, n - 1])]
    if full:
        block = y[:full * size].reshape(full, size)
        if not np.isfinite(block).all():  # NaN would win every comparison: count it as 0
            block = np.where(np.isfinite(block), block, 0.0)
        base = np.arange(full) * size
        parts += [base + block.argmin(1), base + block.argmax(1)]
    if full * size < n:  # the last, partial bucket
        tail = np.nan_to_num(y[full * size:], nan=0.0, posinf=0.0, neginf=0.0)
        parts += [np.array([full * size + tail.argmin(), full * size + tail.argmax()])]
    return np.unique(np.concatenate(parts))


def html_text(text: str) -> str:
    """Text for Plotly, which renders a subset of HTML (links, images) in names and labels:
    user text (a label from a link, say) is shown as it is, never as markup."""
    return html.escape(text, quote=False)


@dataclass
class Series:
    """One line to draw: values per scheduler step of a run."""

    name: str
    values: np.ndarray
    horizon: Horizon
    axis: str = "lr"  # "lr", "momentum" or "metric"
    color: str = COLORS[0]
    dash: str | None = None
    legendgroup: str | None = None
    rows: np.ndarray | None = None  # the rows of the curve ``values`` are (None: all of
    # them); a decimated series keeps its first and last row


def curve_series(table: pd.DataFrame, horizon: Horizon, label: str, color_at: int,
                 momentum: bool = True, dash: str | None = None) -> list[Series]:
    """The lr of every param group (and momentum) of one curve."""
    out = []
    groups = [c for c in table.columns if c == "lr" or c.startswith("lr_")]
    for i, col in enumerate(groups):
        name = label if len(groups) == 1 else f"{label} · group {i}"
        out.append(Series(name, table[col].to_numpy(), horizon,
                          color=COLORS[(color_at + i) % len(COLORS)], dash=dash,
                          legendgroup=label))
    if momentum and "momentum" in table.columns:
        out.append(Series(f"{label} · momentum", table["momentum"].to_numpy(), horizon,
                          axis="momentum", color=COLORS[color_at % len(COLORS)], dash="dot",
                          legendgroup=label))
    return out


def _xy(s: Series, x_unit: str, budget: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and (step, epoch) hover data of a series, decimated."""
    h = s.horizon
    values = s.values
    idx = decimate(values, budget)
    rows = idx if s.rows is None else s.rows[idx]
    steps = rows.astype(np.int64) * h.stride + (h.stride if s.axis == "metric" else 0)
    y = values[idx]
    if h.stride > 1 and s.axis != "metric":  # the last value holds to the end of the run
        steps = np.append(steps, h.total_steps - 1)
        y = np.append(y, values[-1])
    epochs = steps // h.steps_per_epoch
    x = steps if x_unit == "step" else steps / h.steps_per_epoch
    return x, y, np.stack((steps, epochs), 1).astype(np.int64)


def build_figure(series: list[Series], events: list[tuple] = (), *,
                 x_unit: str = "step", log_y: bool = False, metric_panel: bool = False,
                 shades: list[tuple[float, float, str, str]] = ()) -> go.Figure:
    """The figure: lr lines (momentum on a right axis), event markers (``(series, events)``
    or ``(series, events, lr at each event)``), an optional metric panel underneath, and
    shaded step ranges (x0, x1, color, label) in x_unit."""
    rows = 2 if metric_panel else 1
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.72, 0.28] if metric_panel else [1.0],
                        specs=[[{"secondary_y": True}]] + [[{}]] * (rows - 1))
    budget = max(300, POINT_BUDGET // max(1, len(series)))
    dense = any(_length(s) > budget for s in series)
    for s in series:
        x, y, hover = _xy(s, x_unit, budget)
        what = {"lr": "lr", "momentum": "momentum", "metric": "metric"}[s.axis]
        fig.add_trace(go.Scatter(
            x=x, y=y, customdata=hover, name=html_text(s.name),
            legendgroup=None if s.legendgroup is None else html_text(s.legendgroup),
            mode="lines", line={"color": s.color, "dash": s.dash, "width": 2,
                                "shape": "linear" if dense else "hv"},
            hovertemplate=("<b>%{fullData.name}</b><br>step %{customdata[0]} · epoch "
                           f"%{{customdata[1]}}<br>{what} %{{y:.12g}}<extra></extra>")),
            row=2 if s.axis == "metric" else 1, col=1,
            secondary_y=(s.axis == "momentum") if s.axis != "metric" else None)
    for s, evs, *at in events:
        _add_events(fig, s, evs, x_unit, *at)
    for x0, x1, color, label in shades:
        fig.add_vrect(x0=x0, x1=x1, fillcolor=color, opacity=0.12, line_width=0,
                      annotation_text=label, annotation_position="top left", row=1, col=1)
    unit = "optimizer step" if x_unit == "step" else "epoch"
    fig.update_xaxes(title_text=unit, row=rows, col=1)
    fig.update_yaxes(title_text="learning rate", type="log" if log_y else "linear",
                     exponentformat="power" if log_y else "none", row=1, col=1,
                     secondary_y=False)
    if any(s.axis == "momentum" for s in series):
        fig.update_yaxes(title_text="momentum", row=1, col=1, secondary_y=True,
                         showgrid=False, range=[0, 1.02], tickmode="linear", tick0=0,
                         dtick=0.2)  # momentum lives in [0, 1]
    if metric_panel:
        fig.update_yaxes(title_text="metric", row=2, col=1)
    fig.update_layout(height=560 if metric_panel else 440, hovermode="closest",
                      margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return fig


def _length(s: Series) -> int:
    """Rows of the whole curve a series is drawn from."""
    return len(s.values) if s.rows is None else int(s.rows[-1]) + 1


def _add_events(fig: go.Figure, s: Series, events: list[Event], x_unit: str,
                values: np.ndarray | None = None) -> None:
    """Markers for the events, at ``values`` (the lr at each event's row; read from the
    series when it holds every row)."""
    if not events:
        return
    h = s.horizon
    rows = np.array([e.step for e in events])
    steps = rows * h.stride
    x = steps if x_unit == "step" else steps / h.steps_per_epoch
    hover = np.stack((steps, steps // h.steps_per_epoch), 1)
    fig.add_trace(go.Scatter(
        x=x, y=s.values[rows] if values is None else values, customdata=hover,
        mode="markers", showlegend=False,
        legendgroup=None if s.legendgroup is None else html_text(s.legendgroup),
        text=[html_text(e.label) for e in events], name="events",
        marker={"symbol": [EVENT_SYMBOLS.get(e.kind, "circle") for e in events], "size": 9,
                "color": s.color, "line": {"width": 1, "color": "white"}},
        hovertemplate="%{text}<br>step %{customdata[0]} · epoch %{customdata[1]}"
                      "<br>lr %{y:.12g}<extra></extra>"), row=1, col=1)
    for e, xv in zip(events, x):
        if e.kind == "phase" and len(events) <= 40:
            fig.add_vline(x=float(xv), line={"dash": "dot", "color": "gray", "width": 1},
                          row=1, col=1)
