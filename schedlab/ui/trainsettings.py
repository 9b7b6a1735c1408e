"""The Train page's widgets mirrored into the URL, so a reload keeps what was typed.

Session state is lost on a reload; the query string is not. Each widget's value is
written to one query parameter when it changes and read back, checked, on a session's
first run: a value that is not one the widget offers is ignored (a link is user input).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from schedlab.training.loop import DEVICES
from schedlab.ui.lang import keyed

MAX_CODE = 4000  # characters of pasted code kept in the URL (browsers cap URLs near 32 K)
BATCHES = (16, 32, 64, 128, 256, 512, 1024)


def _int(low: int, high: int):
    def parse(text: str) -> int | None:
        try:
            value = int(text)
        except ValueError:
            return None
        return value if low <= value <= high else None
    return parse


def _one_of(options: tuple):
    def parse(text: str) -> Any:
        return next((o for o in options if str(o) == text), None)
    return parse


# widget key -> (query parameter, parse text -> value or None)
FIELDS = {
    "train.source": ("source", _one_of(("From the explorer", "Paste code"))),
    "train.code": ("code", lambda text: text if len(text) <= MAX_CODE else None),
    "train.epochs": ("epochs", _int(1, 100)),
    "train.batch": ("batch", _one_of(BATCHES)),
    "train.model": ("model", _one_of(("cnn", "mlp"))),
    "train.per": ("per", _one_of(("batch", "epoch"))),
    "train.device": ("device", _one_of(DEVICES)),
    "train.data": ("data", _one_of(("auto", "offline"))),
    "train.seed": ("seed", _int(0, 2**32 - 1)),
    "train.log": ("log", _int(1, 1000)),
}


# select boxes whose options are words: ``keyed``, one widget per language
WORDED = {"train.device", "train.data", "train.source"}


def restore(defaults: dict[str, Any]) -> None:
    """Before the widgets: the value of each widget that has none yet (a new session, or
    a widget hidden for a while), from the URL, else from ``defaults``."""
    for base, (name, parse) in FIELDS.items():
        key = keyed(base) if base in WORDED else base
        if key in st.session_state:
            continue
        value = parse(st.query_params[name]) if name in st.query_params else None
        if value is None and base in defaults:
            value = defaults[base]
        if value is not None:
            st.session_state[key] = value


def remember() -> None:
    """After the widgets: their values into the URL (only what changed is written)."""
    for base, (name, parse) in FIELDS.items():
        key = keyed(base) if base in WORDED else base
        if key not in st.session_state:
            continue
        value = st.session_state[key]
        if isinstance(value, float) and value.is_integer():  # number boxes hold floats
            value = int(value)
        text = str(value)
        if parse(text) is None:  # e.g. code too long for a URL: keep the old one out
            st.query_params.pop(name, None)
        elif st.query_params.get(name) != text:
            st.query_params[name] = text
