"""The LR range test's chart: the loss and its smoothed curve against the lr (a log axis for
an exponential sweep), and the hints as labelled vertical lines."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from schedlab.messages import DEFAULT, render
from schedlab.present.plot import COLORS


def range_figure(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray,
                 hints: dict[str, float | None], mode: str, lang: str = DEFAULT) -> go.Figure:
    """Loss (faint) and smoothed loss against lr; each hint a dotted line saying which it is
    and that it is a hint. A loss that is not a number (the sweep diverged) is not drawn."""
    def say(key: str, **params) -> str:
        return render(f"ui.lrfind.chart.{key}", params, lang)

    lrs = np.asarray(lrs, float)
    fig = go.Figure()
    for values, name, color, width in ((losses, say("loss"), "#c7c7c7", 1),
                                       (smoothed, say("smoothed"), COLORS[0], 2.5)):
        values = np.asarray(values, float)
        fig.add_trace(go.Scatter(x=lrs, y=np.where(np.isfinite(values), values, None),
                                 name=name, mode="lines", line={"color": color, "width": width},
                                 hovertemplate=f"{name} %{{y:.4g}}<br>lr %{{x:.3g}}"
                                               "<extra></extra>"))
    finite = np.asarray(smoothed, float)
    finite = finite[np.isfinite(finite)]
    colors = {"steepest": "#2ca02c", "min_div_10": "#ff7f0e"}
    drawn = sorted((value, key) for key, value in hints.items()
                   if key in colors and value is not None)
    for i, (value, key) in enumerate(drawn):  # the smaller lr's words to the left of its
        # line, the larger's to the right and a line lower: close hints never overprint
        fig.add_vline(x=value, line_dash="dot", line_color=colors[key])
        fig.add_annotation(  # on a log axis an annotation's x is the exponent
            x=np.log10(value) if mode == "exp" and value > 0 else value, xref="x",
            y=1, yref="paper", yanchor="bottom", yshift=-18 * i - 18, showarrow=False,
            xanchor="right" if i == 0 else "left", xshift=-4 if i == 0 else 4,
            text=say(f"hint.{key}", lr=value), font={"color": colors[key], "size": 12},
            bgcolor="rgba(255,255,255,0.85)")
    top = float(np.percentile(finite, 98)) * 1.3 if len(finite) else None
    fig.update_xaxes(title_text=say("x"), type="log" if mode == "exp" else "linear",
                     exponentformat="power")
    fig.update_yaxes(title_text=say("y"), rangemode="nonnegative",
                     range=[0, top] if top and top > 0 else None)
    fig.update_layout(height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                      legend={"orientation": "h", "y": 1.08, "yanchor": "bottom", "x": 0})
    return fig
