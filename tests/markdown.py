"""What a reader sees of the Markdown source Streamlit renders (AppTest reports the source):
backslash escapes stand for the character itself."""

from __future__ import annotations

import re


def shown(source: str) -> str:
    return re.sub(r"\\(.)", r"\1", source)
