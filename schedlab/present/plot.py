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

from schedlab.analysis.events import Event
from schedlab.messages import DEFAULT, render
from schedlab.spec.horizon import Horizon

POINT_BUDGET = 7000  # points in all traces together: about 200 KB of figure JSON
LINE_POINTS = 2000  # points of one line at most: twice the pixels of a wide plot
# 16 param groups of one curve each get a colour of their own (the model allows 16).
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
          "#e377c2", "#7f7f7f", "#bcbd22", "#2e91e5", "#fd3216", "#1ca71c", "#6a76fc",
          "#fe00ce", "#0d2a63", "#af0038", "#fba0e3", "#511cfb", "#00a08b")
EVENT_SYMBOLS = {"milestone": "diamond", "phase": "square", "restart": "triangle-up",
                 "reduction": "triangle-down", "end": "circle-open"}


def decimate(y: np.ndarray, budget: int) -> np.ndarray:
    """Indices of at most about ``budget`` points that keep every bucket's min and max
    (and the first and last point); all indices when the series is short enough (so a
    decimated series is kept as it is: its buckets' extremes stay exact)."""
    n = len(y)
    if n <= budget + 2:
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


def outline(y: np.ndarray, budget: int) -> np.ndarray:
    """Like ``decimate``, but a series that changes value at most about ``budget / 2``
    times (a StepLR, a constant momentum) keeps exactly both sides of each change: the
    line through those points is the curve itself, at every step."""
    n = len(y)
    if n <= budget + 2:
        return np.arange(n)
    change = np.flatnonzero(y[1:] != y[:-1])
    if 2 * len(change) + 2 <= budget:
        return np.unique(np.concatenate(([0, n - 1], change, change + 1)))
    return decimate(y, budget)


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


def _xy(s: Series, x_unit: str, budget: int, dense: bool
        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and (step, epoch) hover data of a series, decimated; on a dense chart (drawn
    as straight segments) the inner points of a flat run are dropped too: the line drawn
    is the same, a StepLR's million steps become a few dozen points."""
    h = s.horizon
    values = s.values
    idx = outline(values, budget)
    rows = idx if s.rows is None else s.rows[idx]
    steps = rows.astype(np.int64) * h.stride + (h.stride if s.axis == "metric" else 0)
    y = values[idx]
    if h.stride > 1 and s.axis != "metric":  # the last value holds to the end of the run
        steps = np.append(steps, h.total_steps - 1)
        y = np.append(y, values[-1])
    if dense and len(y) > 2:
        inner = (y[1:-1] == y[:-2]) & (y[1:-1] == y[2:])
        keep = np.concatenate(([True], ~inner, [True]))
        steps, y = steps[keep], y[keep]
    epochs = steps // h.steps_per_epoch
    x = _compact(steps) if x_unit == "step" else steps / h.steps_per_epoch
    return x, y, _compact(np.stack((steps, epochs), 1))


def _compact(a: np.ndarray) -> np.ndarray:
    """Integers in the smallest type that holds them (as plotly's validation did): the
    figure's JSON carries them as base64 bytes."""
    top = int(a.max(initial=0))
    return a.astype(np.int16 if top < 2**15 else np.int32 if top < 2**31 else np.int64)


def _layout(rows: int, metric_panel: bool) -> dict:
    """The axes make_subplots would lay out (shared x, lr with momentum on the right,
    the metric panel underneath), written out: building them through make_subplots and
    validated updates took most of a figure's 20-30 ms."""
    if not metric_panel:
        return {"xaxis": {"anchor": "y", "domain": [0.0, 0.94]},
                "yaxis": {"anchor": "x", "domain": [0.0, 1.0]},
                "yaxis2": {"anchor": "x", "overlaying": "y", "side": "right"}}
    return {"xaxis": {"anchor": "y", "domain": [0.0, 0.94], "matches": "x2",
                      "showticklabels": False},
            "yaxis": {"anchor": "x", "domain": [0.3232, 1.0]},
            "yaxis2": {"anchor": "x", "overlaying": "y", "side": "right"},
            "xaxis2": {"anchor": "y3", "domain": [0.0, 0.94]},
            "yaxis3": {"anchor": "x2", "domain": [0.0, 0.2632]}}


_AXES = {"lr": ("x", "y"), "momentum": ("x", "y2"), "metric": ("x2", "y3")}
# Fixed room for the axes' labels (lr ticks down to 8 decimals, the axis titles): Plotly's
# automatic margins redraw the whole chart a second time on every update (~20 ms).
MARGIN = {"l": 90, "r": 60, "t": 50, "b": 50}


def build_figure(series: list[Series], events: list[tuple] = (), *,
                 x_unit: str = "step", log_y: bool = False, metric_panel: bool = False,
                 shades: list[tuple[float, float, str, str]] = (),
                 cursor: float | None = None, lang: str = DEFAULT) -> go.Figure:
    """The figure: lr lines (momentum on a right axis), event markers (``(series, events)``
    or ``(series, events, lr at each event)``), an optional metric panel underneath, and
    shaded step ranges (x0, x1, color, severity) and a step cursor (a vertical line) in
    x_unit; its words in ``lang``.

    Each line holds at most about LINE_POINTS points (twice a wide chart's pixels), every
    bucket's min and max among them. The figure is assembled as plain data and not
    validated again by plotly (its values are built here, not given by a user)."""
    def say(key: str, **params) -> str:
        return render(f"ui.plot.{key}", params, lang)

    rows = 2 if metric_panel else 1
    budget = min(LINE_POINTS, max(300, POINT_BUDGET // max(1, len(series))))
    dense = any(_length(s) > budget for s in series)
    layout = _layout(rows, metric_panel)
    data = []
    for s in series:
        x, y, hover = _xy(s, x_unit, budget, dense)
        what = say(f"axis.{s.axis}")
        xaxis, yaxis = _AXES[s.axis if metric_panel or s.axis != "metric" else "lr"]
        data.append({
            "type": "scatter", "x": x, "y": y, "customdata": hover, "name": html_text(s.name),
            "legendgroup": None if s.legendgroup is None else html_text(s.legendgroup),
            "mode": "lines", "xaxis": xaxis, "yaxis": yaxis,
            "line": {"color": s.color, "width": 2, "shape": "linear" if dense else "hv",
                     **({"dash": s.dash} if s.dash else {})},
            "hovertemplate": say("hover", what=what)})
    shapes, notes = [], []
    for s, evs, *at in events:
        _add_events(data, shapes, s, evs, x_unit, lang, *at)
    for x0, x1, color, severity in shades:
        shapes.append({"type": "rect", "x0": x0, "x1": x1, "xref": "x", "y0": 0, "y1": 1,
                       "yref": "y domain", "fillcolor": color, "opacity": 0.12,
                       "line": {"width": 0}})
        notes.append({"text": say(f"severity.{severity}"), "showarrow": False, "x": x0,
                      "xanchor": "left",
                      "xref": "x", "y": 1, "yanchor": "top", "yref": "y domain"})
    if cursor is not None:
        shapes.append({"type": "line", "x0": cursor, "x1": cursor, "xref": "x", "y0": 0,
                       "y1": 1, "yref": "y domain", "line": {"color": "#444", "width": 1.5}})
    unit = say(f"x.{x_unit}")
    layout["xaxis2" if metric_panel else "xaxis"]["title"] = {"text": unit}
    layout["yaxis"].update(title={"text": say("y.lr")}, type="log" if log_y else "linear",
                           exponentformat="power" if log_y else "none")
    if any(s.axis == "momentum" for s in series):
        layout["yaxis2"].update(title={"text": say("y.momentum")}, showgrid=False, range=[0, 1.02],
                                tickmode="linear", tick0=0, dtick=0.2)  # in [0, 1]
    if metric_panel:
        layout["yaxis3"]["title"] = {"text": say("y.metric")}
    flat = _flat_lr(data)
    if flat is not None and not log_y:  # Plotly would centre it on a range of +-1
        layout["yaxis"]["range"] = [-0.1, 1] if flat == 0 else sorted((0, 1.25 * flat))
    for name in [k for k in layout if k.startswith(("xaxis", "yaxis"))]:
        layout[name]["automargin"] = False  # the margins below fit the labels: no relayout
    layout.update(shapes=shapes, annotations=notes, height=560 if metric_panel else 440,
                  hovermode="x unified", margin=MARGIN,
                  legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return go.Figure(data=data, layout=layout, _validate=False)


def _flat_lr(data: list[dict]) -> float | None:
    """The one value of every point on the lr axis, or None when they differ (or there are
    none). Plotly draws a flat line in the middle of a +-1 range: an lr of 0.001 would
    read as 0."""
    ys = [t["y"] for t in data if t["yaxis"] == "y" and len(t["y"])]
    if not ys:
        return None
    y = np.concatenate(ys).astype(float)
    return float(y[0]) if np.isfinite(y[0]) and (y == y[0]).all() else None


def _length(s: Series) -> int:
    """Rows of the whole curve a series is drawn from."""
    return len(s.values) if s.rows is None else int(s.rows[-1]) + 1


def _add_events(data: list, shapes: list, s: Series, events: list[Event], x_unit: str,
                lang: str, values: np.ndarray | None = None) -> None:
    """Markers for the events, at ``values`` (the lr at each event's row; read from the
    series when it holds every row), and a dotted line at each phase boundary."""
    if not events:
        return
    h = s.horizon
    rows = np.array([e.step for e in events])
    steps = rows * h.stride
    x = _compact(steps) if x_unit == "step" else steps / h.steps_per_epoch
    hover = _compact(np.stack((steps, steps // h.steps_per_epoch), 1))
    data.append({
        "type": "scatter", "x": x, "y": s.values[rows] if values is None else values,
        "customdata": hover, "mode": "markers", "showlegend": False, "xaxis": "x",
        "yaxis": "y",
        "legendgroup": None if s.legendgroup is None else html_text(s.legendgroup),
        "text": [html_text(e.label.render(lang)) for e in events], "name": "events",
        "marker": {"symbol": [EVENT_SYMBOLS.get(e.kind, "circle") for e in events],
                   "size": 9, "color": s.color, "line": {"width": 1, "color": "white"}},
        "hovertemplate": "%{text}: lr %{y:.4g}<extra></extra>"})
    if len(events) <= 40:
        shapes += [{"type": "line", "x0": float(xv), "x1": float(xv), "xref": "x", "y0": 0,
                    "y1": 1, "yref": "y domain",
                    "line": {"dash": "dot", "color": "gray", "width": 1}}
                   for e, xv in zip(events, x) if e.kind == "phase"]
