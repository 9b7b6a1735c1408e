"""The explorer's state in the Streamlit session, mirrored into the URL."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from schedlab import ScheduleError
from schedlab.present.share import ExplorerState
from schedlab.messages import Text
from schedlab.ui.lang import told

_STATE, _GEN, _WARNING = "explorer.state", "explorer.gen", "explorer.link_warning"
_LINK = "explorer.link"  # the last link the state came from or went to


def load() -> ExplorerState:
    """The state of this session: on first load from the link if it carries one, and from
    a link followed since (a lesson's), which then starts every widget again."""
    raw = st.query_params.get("s")
    if _STATE not in st.session_state:
        state, warning = ExplorerState(), None
        if raw is not None:
            try:
                state = ExplorerState.decode(raw)
            except ScheduleError as exc:
                warning = told(exc)
        st.session_state[_STATE] = state
        st.session_state[_GEN] = 0
        st.session_state[_WARNING] = warning
        st.session_state[_LINK] = raw
    elif raw is not None and raw != st.session_state.get(_LINK):
        st.session_state[_LINK] = raw
        try:
            reset_to(ExplorerState.decode(raw))
            st.session_state[_WARNING] = None
        except ScheduleError as exc:
            st.session_state[_WARNING] = told(exc)
    return st.session_state[_STATE]


def generation() -> int:
    return st.session_state[_GEN]


def link_warning() -> Text | None:
    """Why the link this session came from could not be opened, if it could not."""
    return st.session_state.get(_WARNING)


def save(state: ExplorerState) -> None:
    """Keep the state (widgets keep their own values)."""
    st.session_state[_STATE] = state


def reset_to(state: ExplorerState) -> None:
    """Adopt a whole new state: every widget starts again from it."""
    st.session_state[_STATE] = state
    st.session_state[_GEN] += 1


def update(**changes) -> ExplorerState:
    state = replace(load(), **changes)
    save(state)
    return state


def sync_url(state: ExplorerState) -> None:
    """Put the state into the URL, so the address bar always holds a shareable link."""
    encoded = state.encode()
    if st.query_params.get("s") != encoded:
        st.query_params["s"] = encoded
    st.session_state[_LINK] = encoded  # the address bar's own: not a link followed
