"""What every page shares: page setup, the navigation, and the catch-all for bugs."""

from __future__ import annotations

import traceback
from typing import Callable

import streamlit as st

from schedlab.ui.memory import tune_process

PAGES = (("home.py", "Home", ":material/home:"),
         ("pages/explorer.py", "Schedule explorer", ":material/show_chart:"),
         ("pages/train.py", "Train on MNIST", ":material/model_training:"))


def setup(title: str) -> None:
    """Call first on every page: wide layout, the page title, the navigation."""
    st.set_page_config(page_title=f"{title} · schedlab", page_icon="📉", layout="wide")
    tune_process()  # once per server process
    with st.sidebar:
        st.markdown("### schedlab")
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)


def guarded(main: Callable[[], None], apology: str) -> None:
    """Run a page's body; an unexpected error shows an apology and, folded away, the
    details for a bug report: never a bare traceback. (Streamlit's own rerun and stop are
    BaseExceptions and pass through.)"""
    try:
        main()
    except Exception:
        st.error(apology)
        with st.expander("Details for a bug report"):
            st.code(traceback.format_exc(), language=None)
