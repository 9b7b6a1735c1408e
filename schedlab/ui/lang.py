"""The reader's language, and the page's words in it.

The address bar decides: ``?lang=en`` or ``?lang=zh``. Without it, the browser's language
does (``st.context.locale``, where Streamlit has it), else English; the page then writes
its choice into the address bar, so that a copied link opens in the same language. The
switch in the sidebar changes it. Every word a page shows comes from ``t(key)``: the
``ui.`` keys of ``schedlab/locale/<lang>*.toml``.
"""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from schedlab.errors import quote
from schedlab.messages import DEFAULT, LANGUAGES, Text, join, render
from schedlab.ui.text import plain

NAMES = {"en": "English", "zh": "简体中文"}  # each in its own language
PARAM = "lang"
KEYED = "lang.keyed"  # the keys of the widgets made with ``keyed``


def _known(asked: str | None) -> str | None:
    """The language a ``lang`` value names: ``zh``, ``ZH``, ``zh-CN`` and ``zh_Hans`` all
    name Chinese; None for anything else (an empty value included)."""
    code = (asked or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGUAGES else None


def current() -> str:
    """The language of this rerun (see the module's docstring)."""
    asked = _known(st.query_params.get(PARAM))
    if asked is not None:
        return asked
    try:
        locale = (st.context.locale or "").lower()
    except Exception:  # noqa: BLE001 (no browser: a test, or a bare script run)
        locale = ""
    return next((lang for lang in LANGUAGES if locale.startswith(lang)), DEFAULT)


def t(key: str, **params: Any) -> str:
    """The page's words ``ui.<key>`` in the reader's language."""
    return render(f"ui.{key}", params, current())


def words(prefix: str, options) -> Callable[[Any], str]:
    """A widget's ``format_func`` naming each option by ``ui.<prefix><option>``, in the
    language of this rerun: Streamlit may call it after the rerun, where the address bar
    is out of reach."""
    names = {option: t(f"{prefix}{option}") for option in options}
    return names.__getitem__


def say(text: Text | list[Text] | tuple[Text, ...] | tuple[str, ...]) -> str:
    """A message (an error's or a finding's ``Text``), or several one after the other, in
    the reader's language."""
    lang = current()
    if isinstance(text, Text):
        return text.render(lang)
    return join((p.render(lang) if isinstance(p, Text) else p for p in text), lang)


def told(error: BaseException) -> Text:
    """An error's message, kept to be said later in whatever language the reader then
    reads (a message kept as words would stay in the language it was made in)."""
    text = getattr(error, "text", None)
    return text if isinstance(text, Text) else Text("text.any", {"text": str(error)})


def ui(key: str, **params: Any) -> Text:
    """The page's words ``ui.<key>``, kept to be said later (``t`` says them now)."""
    return Text(f"ui.{key}", params)


def said(error: BaseException) -> str:
    """An error's message in the reader's language (schedlab's errors carry their code;
    any other exception says its own words)."""
    return told(error).render(current())


def keep() -> None:
    """Put the language in the address bar (once per page) and say so when the one asked
    for is not available; call at the top of every page."""
    asked = st.query_params.get(PARAM)
    lang = current()
    if asked != lang:
        st.query_params[PARAM] = lang
    if asked and _known(asked) is None:  # shown as text: a link's words are never markup
        st.warning(plain(t("lang.unknown", asked=quote(asked, 20), shown=NAMES[lang],
                           known=", ".join(f"{c} ({NAMES[c]})" for c in LANGUAGES))))


def switch() -> None:
    """English / 简体中文, in the sidebar; a change reruns the page in the new language,
    every widget of ``keyed`` carrying its value over."""
    lang = current()
    chosen = st.radio(t("lang.label"), LANGUAGES, index=LANGUAGES.index(lang),
                      format_func=NAMES.__getitem__, horizontal=True, key=f"lang.{lang}")
    if chosen != lang:
        for key in st.session_state.get(KEYED, ()):
            if _variant(key, lang) in st.session_state:
                st.session_state[_variant(key, chosen)] = st.session_state[_variant(key, lang)]
        st.query_params[PARAM] = chosen
        st.rerun()


def keyed(key: str) -> str:
    """The key of a widget whose option labels are words (a select box of devices, a
    scheduler with its family): one widget per language, since Streamlit keeps an option
    by its label; ``switch`` carries the value across. English keeps ``key`` itself."""
    st.session_state.setdefault(KEYED, set()).add(key)
    return _variant(key, current())


def _variant(key: str, lang: str) -> str:
    return key if lang == DEFAULT else f"{key}@{lang}"


def links() -> dict[str, str]:
    """The query a link to another page carries: the language."""
    return {PARAM: current()}
