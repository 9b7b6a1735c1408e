"""LaTeX for the teaching cards' words and numbers: user text escaped (every special
character), catalog sentences as text, parameter values written compactly."""

from __future__ import annotations

import math

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "%": r"\%",
            "#": r"\#", "_": r"\_", "&": r"\&", "^": r"\textasciicircum{}",
            "~": r"\textasciitilde{}"}


def escape(words: str) -> str:
    """``words`` safe inside a LaTeX text command: every special character escaped,
    whitespace runs (newlines too) made one space."""
    return "".join(_SPECIAL.get(c, c) for c in " ".join(words.split()))


def texttt(words: str) -> str:
    r"""User text (a lambda's source) as ``\texttt{...}``, escaped."""
    return r"\texttt{" + escape(words) + "}"


def text(words: str) -> str:
    r"""Words (a sentence of the catalogs) as ``\text{...}``, escaped."""
    return r"\text{" + escape(words) + "}"


def number(x: float) -> str:
    """A parameter value as LaTeX, compactly: 30, 0.95, 0.333333, 4 \\times 10^{-7}."""
    if isinstance(x, int) or (x.is_integer() and abs(x) < 1e6):
        return str(int(x))
    if math.isinf(x):
        return r"\infty" if x > 0 else r"-\infty"
    text = repr(x) if len(repr(x)) <= 9 else f"{x:.6g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    if mantissa in ("1", "-1"):
        return mantissa[:-1] + power
    return f"{mantissa} \\times {power}"
