"""User text on the pages is plain text: nothing Markdown or its extensions would render."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from schedlab.ui.text import LABEL_LIMIT, MESSAGE_LIMIT, ZWSP, plain
from tests.markdown import shown

CRAFTED = ["![x](http://h/i.png)", "[Sign in](https://h)", "<img src=x>", "<b>b</b>",
           "**bold** _it_", "$x^2$", ":red[red]", ":material/home:", "# head", "> quote",
           "1. item", "- item", "`code`", "| a | b |", "www.example.com", "a@b.com",
           "mailto:a@b.com", "&amp;", "\\*", "~~del~~", "line\n\nparagraph"]


def _all_escaped(out: str) -> bool:
    """Every ASCII punctuation character comes as a backslash escape."""
    i = 0
    while i < len(out):
        if out[i] == "\\":
            if i + 1 == len(out) or out[i + 1] not in string.punctuation:
                return False
            i += 2
        elif out[i] in string.punctuation:
            return False
        else:
            i += 1
    return True


def test_every_markdown_character_is_escaped_and_reads_back_unchanged() -> None:
    for text in CRAFTED:
        out = plain(text)
        assert _all_escaped(out), out
        assert shown(out).replace(ZWSP, "") == " ".join(text.split())
    assert not _all_escaped("a*b") and not _all_escaped("a\\")  # the check itself works


def test_autolink_patterns_are_broken() -> None:
    for text in ("http://h.org", "https://h.org", "ftp://h", "www.h.org", "a@b.org"):
        assert ZWSP in plain(text)
    assert ZWSP not in plain("StepLR: step_size=30 at 10:30")  # nothing else is touched


@given(st.text(max_size=2000))
def test_any_text_is_one_line_and_cut_at_the_limit(text: str) -> None:
    out = shown(plain(text)).replace(ZWSP, "")
    assert "\n" not in out and len(out) <= MESSAGE_LIMIT
    assert len(shown(plain(text, LABEL_LIMIT)).replace(ZWSP, "")) <= LABEL_LIMIT
