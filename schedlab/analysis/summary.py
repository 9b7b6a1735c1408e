"""A curve in four numbers: its peak, final and mean lr, and where it falls under 10%."""

from __future__ import annotations

import numpy as np
import pandas as pd

from schedlab.spec.horizon import Horizon


def summarize(table: pd.DataFrame, horizon: Horizon) -> dict[str, float | int | None]:
    """Peak, final and mean lr (over optimizer steps), and the first optimizer step after
    the peak where the lr is below 10% of it (None if it never is)."""
    lr = table["lr"].to_numpy()
    with np.errstate(over="ignore", invalid="ignore"):  # an lr that overflows: inf
        if not np.isnan(lr).any():  # nan* functions copy the whole curve: only if needed
            peak_at, mean = int(lr.argmax()), float(lr.mean())
        else:
            peak_at = int(np.nanargmax(lr)) if not np.isnan(lr).all() else 0
            mean = float(np.nanmean(lr)) if not np.isnan(lr).all() else float("nan")
    peak = float(lr[peak_at])
    below = np.flatnonzero(lr[peak_at:] < 0.1 * peak)
    return {"peak": peak, "final": float(lr[-1]), "mean": mean,
            "below_10pct": None if not len(below) else int(below[0] + peak_at) * horizon.stride}
