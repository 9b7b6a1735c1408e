"""ECharts charts of lr curves, decimated so that every peak and trough survives.

A million-step CyclicLR cannot be sent to a browser point by point, and naive striding
aliases its cycles into nonsense. ``decimate`` keeps, for each of a fixed number of
buckets, the points where each series is lowest and highest, so the drawn envelope is
exact and the chart stays small whatever the step count.

The chart is an Apache ECharts option for ``st.echarts_chart``: its bundle is a quarter of
Plotly's, and a first visit to the explorer no longer spends 700 ms evaluating Plotly. Its
lines travel as one Arrow table whose rows are the steps of every line: ECharts' tooltip
along x lists only the lines that have a point at the hovered x, so every line gets one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from schedlab.analysis.events import Event
from schedlab.messages import DEFAULT, render
from schedlab.spec.horizon import Horizon

POINT_BUDGET = 7000  # points in all traces together: about 200 KB of figure JSON
LINE_POINTS = 2000  # points of one line at most: twice the pixels of a wide plot
# 16 param groups of one curve each get a colour of their own (the model allows 16).
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
          "#e377c2", "#7f7f7f", "#bcbd22", "#2e91e5", "#fd3216", "#1ca71c", "#6a76fc",
          "#fe00ce", "#0d2a63", "#af0038", "#fba0e3", "#511cfb", "#00a08b")
# event kind -> (ECharts symbol, rotation)
EVENT_SYMBOLS = {"milestone": ("diamond", 0), "phase": ("rect", 0), "restart": ("triangle", 0),
                 "reduction": ("triangle", 180), "end": ("emptyCircle", 0)}
CELLS = 24_000  # values in the lines' table: about 200 KB, whatever is compared
MARKS = "marks"  # the series that holds the shades, the cursor and the phase lines


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


def _points(s: Series, budget: int, dense: bool, x_unit: str
            ) -> tuple[np.ndarray, np.ndarray]:
    """x (in ``x_unit``, by the series' own run) and values of a series, decimated; on a
    dense chart (drawn as straight segments) the inner points of a flat run are dropped
    too: the line drawn is the same, a StepLR's million steps become a few dozen points."""
    h = s.horizon
    values = s.values
    idx = outline(values, budget)
    rows = idx if s.rows is None else s.rows[idx]
    steps = rows.astype(np.int64) * h.stride + (h.stride if s.axis == "metric" else 0)
    y = values[idx].astype(float)
    if h.stride > 1 and s.axis != "metric":  # the last value holds to the end of the run
        steps = np.append(steps, h.total_steps - 1)
        y = np.append(y, values[-1])
    if dense and len(y) > 2:
        inner = (y[1:-1] == y[:-2]) & (y[1:-1] == y[2:])
        keep = np.concatenate(([True], ~inner, [True]))
        steps, y = steps[keep], y[keep]
    return _x(steps, h, x_unit), y


def _on(grid: np.ndarray, x: np.ndarray, y: np.ndarray, dense: bool) -> np.ndarray:
    """A line's values at every x of ``grid``, as the line is drawn: straight segments on
    a dense chart, a staircase otherwise; NaN (a gap) outside the line's own x."""
    if dense:
        out = np.interp(grid, x, y)
    else:
        out = y[np.clip(np.searchsorted(x, grid, "right") - 1, 0, len(y) - 1)]
    return np.where((grid < x[0]) | (grid > x[-1]), np.nan, out)


def _table(lines: list[tuple[np.ndarray, np.ndarray]], extra: np.ndarray, dense: bool,
           log_y: bool, on_lr: list[bool]) -> pd.DataFrame:
    """One row per x that any line (or an event, ``extra``) has: x, then each line."""
    grid = np.unique(np.concatenate([x for x, _ in lines] + [extra]))
    table = {"x": grid}
    for i, (x, y) in enumerate(lines):
        v = _on(grid, x, y, dense)
        if log_y and on_lr[i]:  # a log axis has no place for 0 or below: a gap
            v = np.where(v > 0, v, np.nan)
        table[f"y{i}"] = v
    return pd.DataFrame(table)


def _x(steps: np.ndarray, h: Horizon, x_unit: str) -> np.ndarray:
    """Optimizer steps in the x axis' unit, by the run ``h``."""
    return steps.astype(float) if x_unit == "step" else steps / h.steps_per_epoch


def build_chart(series: list[Series], events: list[tuple] = (), *,
                x_unit: str = "step", log_y: bool = False, metric_panel: bool = False,
                shades: list[tuple[float, float, str, str]] = (),
                cursor: float | None = None, lang: str = DEFAULT) -> dict:
    """The chart, as an ECharts option: lr lines (momentum on a right axis), event markers
    (``(series, events)`` or ``(series, events, lr at each event)``), an optional metric
    panel underneath, shaded step ranges (x0, x1, color, severity) and a step cursor (a
    vertical line) in x_unit; its words in ``lang``.

    Each line holds at most about LINE_POINTS points (twice a wide chart's pixels), every
    bucket's min and max among them; the lines' table is kept near CELLS values (each
    line keeps at least 100 points), so comparing many curves draws each a little coarser
    rather than sending megabytes."""
    def say(key: str, **params) -> str:
        return render(f"ui.plot.{key}", params, lang)

    main = [s for s in series if s.axis != "metric" or not metric_panel]
    below = [s for s in series if s.axis == "metric" and metric_panel]
    budget = min(LINE_POINTS, max(300, POINT_BUDGET // max(1, len(series))))
    dense = any(_length(s) > budget for s in series)
    # each event's x, once: a row of the lines' table, a marker, a phase's line
    events = [(s, evs, _event_x(s, evs, x_unit), *at) for s, evs, *at in events]
    extra = np.concatenate([x for _, _, x, *_ in events] + [np.zeros(0)])
    while True:  # the table grows with the union of the lines' x: keep it bounded
        drawn = [_points(s, budget, dense, x_unit) for s in main]
        rows = len(np.unique(np.concatenate([x for x, _ in drawn] + [extra]))) \
            if drawn else 0
        if rows * max(1, len(main)) <= CELLS or budget <= 100:
            break
        budget = max(100, int(budget * CELLS / (rows * len(main)) * 0.9))
    on_lr = [s.axis == "lr" for s in main]
    datasets = [{"source": _table(drawn, extra, dense, log_y, on_lr)}] \
        if drawn else []
    out = []
    for i, s in enumerate(main):
        out.append(_line(s, 0, f"y{i}", dense, yaxis=1 if s.axis == "momentum" else 0))
    for s, evs, x, *at in events:
        _add_events(datasets, out, s, evs, x, lang, *at)
    if below:
        drawn_below = [_points(s, budget, dense, x_unit) for s in below]
        datasets.append({"source": _table(drawn_below, np.zeros(0), dense, False,
                                          [False] * len(below))})
        for i, s in enumerate(below):
            out.append(_line(s, len(datasets) - 1, f"y{i}", dense, yaxis=2, xaxis=1))
    marks = {}  # on a series of their own: hiding a line in the legend keeps them
    if shades:
        marks["markArea"] = {"silent": True, "label": {"position": "insideTopLeft",
                                                       "color": "#555"},
                             "data": [[{"xAxis": float(x0), "name": say(f"severity.{severity}"),
                                        "itemStyle": {"color": color, "opacity": 0.12}},
                                       {"xAxis": float(x1)}]
                                      for x0, x1, color, severity in shades]}
    lines = list(_phase_lines(events))
    if cursor is not None:
        lines.append({"xAxis": float(cursor), "lineStyle": {"color": "#444", "width": 1.5,
                                                            "type": "solid"}})
    if lines:
        marks["markLine"] = {"silent": True, "symbol": ["none", "none"],
                             "label": {"show": False}, "animation": False, "data": lines}
    names = list(dict.fromkeys(s["name"] for s in out))  # the legend: lines, not marks
    if marks and out:
        out.append({"type": "line", "name": MARKS, "data": [], "silent": True,
                    "xAxisIndex": 0, "yAxisIndex": 0, "tooltip": {"show": False}, **marks})
    right = max([float(d["source"]["x"].max()) for d in datasets if len(d["source"])],
                default=None)
    return {"animation": False, "dataset": datasets, "series": out,
            **_axes(series, x_unit, log_y, metric_panel, say, right),
            "tooltip": {"trigger": "axis", "valueFormatter": "%.4g",
                        "axisPointer": {"type": "line"}},
            "legend": {"type": "scroll", "top": 0, "left": 0, "right": 90, "data": names},
            "toolbox": {"right": 10, "feature": {
                "dataZoom": {"yAxisIndex": "none", "title": {
                    "zoom": say("tool.zoom"), "back": say("tool.back")}},
                "restore": {"title": say("tool.restore")}}}}


def _line(s: Series, dataset: int, column: str, dense: bool, yaxis: int,
          xaxis: int = 0) -> dict:
    style = {"color": s.color, "width": 2}
    if s.dash:
        style["type"] = "dashed" if s.dash == "dash" else "dotted"
    return {"type": "line", "name": s.name, "datasetIndex": dataset,
            "encode": {"x": "x", "y": column, "tooltip": [column]},
            "xAxisIndex": xaxis, "yAxisIndex": yaxis, "showSymbol": False,
            "step": False if dense else "end", "lineStyle": style,
            "itemStyle": {"color": s.color}, "emphasis": {"disabled": True},
            "connectNulls": False}


def _axes(series: list[Series], x_unit: str, log_y: bool, metric_panel: bool, say,
          right: float | None) -> dict:
    """Grids and axes: lr on the left, momentum in [0, 1] on the right, the metric panel
    underneath sharing the x axis (zoomed and hovered together; both end at ``right``,
    the last x of any line, so that their steps line up)."""
    end = "dataMax" if right is None else right
    name = {"nameLocation": "middle", "nameGap": 28}
    # the tooltip's heading: a whole step, or an epoch to 3 decimals
    pointer = {"label": {"precision": 0 if x_unit == "step" else 3}}
    x = {"type": "value", "min": 0, "max": end, "gridIndex": 0,
         "name": say(f"x.{x_unit}"), "axisPointer": pointer, **name}
    lr = {"type": "log" if log_y else "value", "gridIndex": 0, **_side_name(say("y.lr"), 62)}
    if not log_y:  # room above the highest lr: a flat line is not drawn on the frame
        lr["boundaryGap"] = [0, "8%"]
    momentum = {"type": "value", "gridIndex": 0, "min": 0, "max": 1, "interval": 0.2,
                "splitLine": {"show": False}, "position": "right",
                "show": any(s.axis == "momentum" for s in series),
                **_side_name(say("y.momentum"), 40)}
    grids = [{"left": 80, "right": 60, "top": 50, "bottom": 60}]
    xs, ys = [x], [lr, momentum]
    if metric_panel:
        grids = [{"left": 80, "right": 60, "top": 50, "height": "52%"},
                 {"left": 80, "right": 60, "top": "72%", "bottom": 50}]
        x.update(name="", axisLabel={"show": False})
        xs.append({"type": "value", "min": 0, "max": end, "gridIndex": 1,
                   "name": say(f"x.{x_unit}"), "axisPointer": pointer, **name})
        ys.append({"type": "value", "gridIndex": 1, "scale": True,
                   **_side_name(say("y.metric"), 62)})
    return {"grid": grids, "xAxis": xs, "yAxis": ys,
            "axisPointer": {"link": [{"xAxisIndex": "all"}]}}


# Chinese characters (CJK unified ideographs, with extension A and the compatibility block)
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _side_name(text: str, gap: int) -> dict:
    """A vertical axis' name, centred beside it ``gap`` pixels out: turned on its side, as
    ECharts draws it, or, for Chinese, upright with one character above the next, the way
    Chinese is written down a column (a Chinese name on its side is read tilting the head)."""
    if _HAN.search(text):
        return {"name": "\n".join(text), "nameRotate": 0, "nameLocation": "middle",
                "nameGap": gap - 16, "nameTextStyle": {"lineHeight": 15}}
    return {"name": text, "nameLocation": "middle", "nameGap": gap}


def chart_height(metric_panel: bool) -> int:
    return 560 if metric_panel else 440


def _length(s: Series) -> int:
    """Rows of the whole curve a series is drawn from."""
    return len(s.values) if s.rows is None else int(s.rows[-1]) + 1


def _event_x(s: Series, events: list[Event], x_unit: str) -> np.ndarray:
    """The events' x, in the x axis' unit, by the run of the series ``s``."""
    rows = np.array([e.step for e in events], dtype=np.int64)
    return _x(rows * s.horizon.stride, s.horizon, x_unit)


def _phase_lines(events: list[tuple]):
    """A dotted line at each phase boundary (when there are few enough to read), from
    ``(series, events, their x, ...)``."""
    for _, evs, xs, *_ in events:
        if len(evs) > 40:
            continue
        for e, x in zip(evs, xs):
            if e.kind == "phase":
                yield {"xAxis": float(x),
                       "lineStyle": {"type": "dotted", "color": "gray", "width": 1}}


def _add_events(datasets: list, out: list, s: Series, events: list[Event], x: np.ndarray,
                lang: str, values: np.ndarray | None = None) -> None:
    """Markers for the events, at ``x`` and ``values`` (the lr at each event's row; read
    from the series when it holds every row): one scatter per kind of event (its own
    symbol), named as the line so that the legend shows and hides them together."""
    if not events:
        return
    rows = np.array([e.step for e in events])
    y = (s.values[rows] if values is None else values).astype(float)
    lr, what = render("ui.plot.axis.lr", {}, lang), render("ui.plot.event", {}, lang)
    table = pd.DataFrame({"x": x, lr: y,
                          what: [e.label.render(lang) for e in events]})
    kinds = [e.kind for e in events]
    for kind in dict.fromkeys(kinds):
        datasets.append({"source": table[[k == kind for k in kinds]].reset_index(drop=True)})
        symbol, rotate = EVENT_SYMBOLS.get(kind, ("circle", 0))
        out.append({"type": "scatter", "name": s.name, "datasetIndex": len(datasets) - 1,
                    "encode": {"x": "x", "y": lr, "tooltip": [what, lr]},
                    "symbol": symbol, "symbolRotate": rotate, "symbolSize": 10, "z": 3,
                    "itemStyle": {"color": s.color, "borderColor": "white", "borderWidth": 1},
                    "emphasis": {"disabled": True}})
