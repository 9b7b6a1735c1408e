"""schedlab: the landing page and Streamlit entry point (pages/ holds the other pages)."""

import streamlit as st

from schedlab.spec.catalog import SCHEDULERS
from schedlab.ui.lang import links, t
from schedlab.ui.page import setup

setup("home")
st.title("schedlab")
st.markdown(t("home.intro"))

for column, (name, params) in zip(st.columns(3), (
        ("browse", {"count": len(SCHEDULERS)}), ("paste", {}), ("share", {}))):
    with column.container(border=True):
        st.markdown(f"**{t(f'home.{name}.title')}**")
        st.caption(t(f"home.{name}.text", **params))

st.page_link("pages/explorer.py", label=t("home.open-explorer"),
             icon=":material/arrow_forward:", query_params=links())
