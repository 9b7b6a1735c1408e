"""What every page shares: page setup, the navigation, and the catch-all for bugs."""

from __future__ import annotations

import traceback
from typing import Callable

import streamlit as st

from schedlab.ui.lang import keep, links, switch, t
from schedlab.ui.memory import tune_process

PAGES = (("home.py", "home", ":material/home:"),
         ("pages/explorer.py", "explorer", ":material/show_chart:"),
         ("pages/train.py", "train", ":material/model_training:"),
         ("pages/lrfind.py", "lrfind", ":material/troubleshoot:"),
         ("pages/lessons.py", "lessons", ":material/school:"))


def setup(page: str) -> None:
    """Call first on every page (``page``: its key in PAGES, "home", "explorer"...): wide
    layout, the page title, the language, the navigation."""
    st.set_page_config(page_title=f"{t('nav.' + page)} · schedlab", page_icon="📉",
                       layout="wide")
    tune_process()  # once per server process
    keep()
    with st.sidebar:
        st.markdown("### schedlab")
        for path, name, icon in PAGES:
            st.page_link(path, label=t(f"nav.{name}"), icon=icon, query_params=links())
        switch()


def guarded(main: Callable[[], None], apology: str) -> None:
    """Run a page's body; an unexpected error shows an apology and, folded away, the
    details for a bug report: never a bare traceback. (Streamlit's own rerun and stop are
    BaseExceptions and pass through.)"""
    try:
        main()
    except Exception:
        st.error(apology)
        with st.expander(t("page.bug-details")):
            st.code(traceback.format_exc(), language=None)


def folded(label: str, key: str, expanded: bool = False):
    """A folded panel (st.expander) that draws its contents only while open: use as
    ``panel = folded(...)``, then ``if panel.open: with panel: ...``. It stays as the
    reader left it when its label changes (an optimizer's name, the language) or its
    ``expanded`` does: Streamlit counts those as another widget, which would start
    folded and drop what was just typed inside."""
    kept = f"{key}.kept"
    if kept in st.session_state:
        st.session_state[key] = st.session_state[kept]
    panel = st.expander(label, expanded=expanded, key=key, on_change=_keep, args=(key,))
    st.session_state[kept] = bool(panel.open)
    return panel


def _keep(key: str) -> None:
    st.session_state[f"{key}.kept"] = bool(st.session_state.get(key))
