"""Ready lessons: each one link into the explorer, with a short text."""

from __future__ import annotations

import streamlit as st

from schedlab.present.lessons import lessons, rebuild_figure
from schedlab.ui.lang import current, t
from schedlab.ui.page import guarded, setup


@st.cache_resource(show_spinner=False)
def _links(lang: str) -> list[tuple[str, str | None]]:
    """(key, encoded state or None) of every lesson in ``lang``: made once per server
    process and language."""
    return [(lesson.key, lesson.state and lesson.state.encode()) for lesson in lessons(lang)]


@st.cache_resource(show_spinner=False)
def _rebuild(lang: str):
    return rebuild_figure(lang)


def main() -> None:
    st.title(t("nav.lessons"))
    st.caption(t("lessons.intro"))
    lang = current()
    for key, encoded in _links(lang):
        with st.container(border=True):
            st.markdown(f"**{t(f'lessons.{key}.title')}**")
            st.markdown(t(f"lessons.{key}.text"))
            if encoded is None:  # a lesson with a chart of its own
                st.plotly_chart(_rebuild(lang), key=f"lesson.{key}")
                continue
            st.page_link("pages/explorer.py", label=t("lessons.open"),
                         icon=":material/arrow_forward:",
                         query_params={"s": encoded, "lang": lang})


setup("lessons")
guarded(main, t("lessons.apology"))
