"""Opening one of the explorer's tabs below the chart, as a click on it does: only the open
tab runs (st.tabs with on_change="rerun")."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

TABS = "explorer.tabs"  # the st.tabs key of pages/explorer.py (a page runs when imported)


def open_tab(at: AppTest, index: int) -> AppTest:
    """0: the sanity check, 1: the code, 2: the scheduler's card."""
    at.session_state[TABS] = at.tabs[index].label
    return at.run()
