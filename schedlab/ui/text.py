"""Text that may quote a user (a link, a label, pasted code, an error about them) shown as
plain text.

Streamlit renders the body of st.error, st.warning, st.info, st.markdown and st.caption as
Markdown, with links, images, HTML-like tags, LaTeX, colour directives and emoji
shortcodes; a crafted label in a shared link could otherwise show a fake link or fetch an
image. Every ASCII punctuation character may be backslash-escaped in Markdown and then
stands for itself, so escaping all of them leaves nothing to interpret. Text is also cut
at a documented length, so a link cannot fill a page.
"""

from __future__ import annotations

import re
import string

MESSAGE_LIMIT = 400  # characters of a message that quotes user text
LABEL_LIMIT = 120  # characters of a label (a pinned comparison's, say)
_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})
# GFM turns bare URLs, www. addresses and e-mail addresses into links even when their
# punctuation is escaped: a zero-width space (invisible) after the scheme, "www" or "@"
# breaks the pattern
_AUTOLINKS = re.compile(r"(?i)(\b(?:https?|ftp|mailto|xmpp)(?=:)|\bwww(?=\.)|@)")
ZWSP = "\u200b"


def plain(text: object, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` on one line, cut at ``limit`` characters, with nothing left that Markdown
    (or Streamlit's extensions of it) would interpret."""
    line = " ".join(str(text).split())
    if len(line) > limit:
        line = line[:limit - 1].rstrip() + "…"
    return _AUTOLINKS.sub(lambda m: m.group(0) + ZWSP, line).translate(_ESCAPES)
