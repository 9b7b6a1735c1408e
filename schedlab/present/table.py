"""A curve as text: CSV or JSON rows, written a chunk at a time (``python -m schedlab
curve`` writes up to 10 million)."""

from __future__ import annotations

import json
from typing import TextIO

import numpy as np
import pandas as pd

CHUNK_ROWS = 65_536  # rows formatted at a time: memory stays bounded at 10M steps


def write_table(table: pd.DataFrame, fmt: str, out: TextIO) -> None:
    """Write a curve as CSV, or as JSON (a list of row objects, NaN and infinity as null),
    a chunk of rows at a time, exactly as formatting the whole table at once would."""
    if fmt == "csv":
        for start in range(0, len(table), CHUNK_ROWS):
            table.iloc[start:start + CHUNK_ROWS].to_csv(out, index=False, header=start == 0)
        return
    names = list(table.columns)
    out.write("[")
    for start in range(0, len(table), CHUNK_ROWS):
        part = table.iloc[start:start + CHUNK_ROWS]
        columns = [_json_column(part[name].to_numpy()) for name in names]
        rows = [dict(zip(names, values)) for values in zip(*columns)]
        out.write((", " if start else "") + json.dumps(rows)[1:-1])
    out.write("]\n")


def _json_column(values: np.ndarray) -> list:
    if values.dtype.kind != "f":
        return values.tolist()
    shown = values.astype(object)  # Python floats, so JSON writes them as json.dump would
    shown[~np.isfinite(values)] = None
    return shown.tolist()
