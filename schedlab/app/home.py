"""schedlab: the landing page and Streamlit entry point (pages/ holds the other pages)."""

import streamlit as st

from schedlab.spec.catalog import SCHEDULERS
from schedlab.ui.page import setup

setup("Home")
st.title("schedlab")
st.markdown(
    "See exactly what a PyTorch learning-rate schedule does, step by step. The values are "
    "torch's own, computed for millions of steps in milliseconds, without running your code.")

a, b, c = st.columns(3)
with a.container(border=True):
    st.markdown("**Browse**")
    st.caption(f"All {len(SCHEDULERS)} torch schedulers, their parameters generated as "
               "widgets, every param group and the momentum.")
with b.container(border=True):
    st.markdown("**Paste**")
    st.caption("The optimizer and scheduler lines from your training script, as they are: "
               "see the curve before a long run.")
with c.container(border=True):
    st.markdown("**Compare and share**")
    st.caption("Pin up to six schedules side by side; the link in the address bar reopens "
               "the same view.")

st.page_link("pages/explorer.py", label="Open the schedule explorer",
             icon=":material/arrow_forward:")
