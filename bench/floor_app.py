"""Streamlit's own redraw on this machine, for bench/browser_bench.py: one number box and
one line of text, nothing else (the floor under any page's redraw)."""

import streamlit as st

gamma = st.number_input("gamma", value=0.5, step=0.001, format="%.4f")
st.markdown(f"gamma is {gamma:.4f}")
