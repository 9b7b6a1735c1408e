"""Number boxes that never use another value than the one typed.

Streamlit's integer boxes read ``2.5`` as 2 and ``1e9`` as 1, and a box with bounds only
turns red on a value out of range while the page keeps the old one. So every box here is
a float box without bounds, shown with up to 12 significant digits; the page checks the
value and, when it is not allowed, says so under the box with the allowed range.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

from schedlab.ui.lang import t

FORMAT = "%.12g"  # 1000000 stays 1000000 (plain %g would show 1e+06)


def number_box(label: str, value: float | int | None, key: str, *, step: float = 1.0,
               help: str | None = None, placeholder: str | None = None) -> float | None:
    """The number typed into the box, or None when it is empty. The first value goes in
    through the session state rather than ``value=``: a box made with a value snaps back
    to it when emptied, and the page could not tell that it was."""
    if key not in st.session_state and value is not None:
        st.session_state[key] = float(value)
    return st.number_input(label, value=None, step=step, format=FORMAT, key=key, help=help,
                           placeholder=placeholder or t("numbers.placeholder"))


def spin_step(value: Any) -> float:
    """A spinner step of a tenth of the value's magnitude, so arrows make sensible changes."""
    if not isinstance(value, (int, float)) or not value or not math.isfinite(value):
        return 0.01
    return 10.0 ** math.floor(math.log10(abs(value))) / 10
