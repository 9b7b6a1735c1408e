"""Every sentence schedlab says, rendered from a stable code and its parameters.

Errors and findings carry a code (``"cosine-rises"``) and the values that go into their
sentence (``{"t": 30, "span": 100, "unit": Text("unit.epochs")}``); the words live in one
keyed file per language, ``schedlab/locale/<lang>.toml``, and are put together here, in
one place. A parameter may itself be a ``Text`` (a unit, a clause chosen by the code that
found the problem), rendered in the same language. Templates are Python format strings:
``{span:,}`` and ``{share:.0%}`` format numbers as the sentence needs them.
"""

from __future__ import annotations

import json
import string
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("en", "zh")  # English, Simplified Chinese
_BETWEEN = {"en": " ", "zh": ""}  # between two sentences: none after a Chinese full stop
DEFAULT = "en"


@dataclass(frozen=True)
class Text:
    """A sentence (or a part of one) to be said in the reader's language."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str = DEFAULT) -> str:
        return render(self.key, self.params, lang)

    def __str__(self) -> str:
        return self.render()


@cache
def catalog(lang: str = DEFAULT) -> dict[str, str]:
    """Every template of a language, by key (``finding.cosine-rises.fix``): from
    ``<lang>.toml`` (the library's messages) and ``<lang>.<part>.toml`` (a page's words,
    ``en.train.toml``); a key written in two files is a mistake, refused."""
    if lang not in LANGUAGES:
        raise KeyError(f"no messages for language {lang!r}; there are {', '.join(LANGUAGES)}")
    files = sorted((f for f in resources.files("schedlab.locale").iterdir()
                    if f.name == f"{lang}.toml" or
                    (f.name.startswith(f"{lang}.") and f.name.endswith(".toml"))),
                   key=lambda f: f.name)
    out: dict[str, str] = {}
    for file in files:
        for key, value in _flatten(tomllib.loads(file.read_text(encoding="utf-8")), ""):
            if key in out:
                raise KeyError(f"{key!r} is written twice in the {lang} messages "
                               f"(again in {file.name})")
            out[key] = value
    return out


def _flatten(table: dict[str, Any], prefix: str):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def render(key: str, params: dict[str, Any] | None = None, lang: str = DEFAULT) -> str:
    """The sentence ``key`` says with ``params``, in ``lang``."""
    values = {k: v.render(lang) if isinstance(v, Text) else v
              for k, v in (params or {}).items()}
    return catalog(lang)[key].format(**values)


def join(sentences, lang: str = DEFAULT) -> str:
    """Sentences said one after the other: a space between them in English, none after a
    Chinese full stop."""
    return _BETWEEN[lang].join(s.strip() for s in sentences if s.strip())


def placeholders(template: str) -> set[str]:
    """The parameter names a template uses."""
    return {name.split(".")[0].split("[")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}


def stored(text: Text | str | None) -> str | None:
    """A message as the run store keeps it: a ``Text`` as JSON (its key and values, so a
    page says it in its reader's language later), plain words as they are."""
    if not isinstance(text, Text):
        return text
    return json.dumps(_data(text), ensure_ascii=False)


def unstored(value: str | None) -> Text | None:
    """``stored``'s form back as a ``Text`` (words stored by an older schedlab, or by a
    hand, are said as they are)."""
    if value is None:
        return None
    if value.startswith('{"$key"'):
        try:
            return _text(json.loads(value))
        except (ValueError, KeyError, TypeError):
            pass
    return Text("text.any", {"text": value})


def _data(value: Any) -> Any:
    if isinstance(value, Text):
        return {"$key": value.key, "$params": {k: _data(v) for k, v in value.params.items()}}
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _text(data: Any) -> Any:
    if isinstance(data, dict) and "$key" in data:
        return Text(data["$key"], {k: _text(v) for k, v in data["$params"].items()})
    return data
