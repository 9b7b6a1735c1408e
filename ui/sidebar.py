"""What every page shares: page setup and the navigation in the sidebar."""

from __future__ import annotations

import streamlit as st

PAGES = (("app.py", "Home", ":material/home:"),
         ("pages/explorer.py", "Schedule explorer", ":material/show_chart:"),
         ("pages/train.py", "Train on MNIST", ":material/model_training:"))


def setup(title: str) -> None:
    """Call first on every page: wide layout, the page title, the navigation."""
    st.set_page_config(page_title=f"{title} · schedlab", page_icon="📉", layout="wide")
    with st.sidebar:
        st.markdown("### schedlab")
        for path, label, icon in PAGES:
            st.page_link(path, label=label, icon=icon)
