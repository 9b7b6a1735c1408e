"""The exception types for user mistakes and environment problems, and quoting user text."""

from __future__ import annotations

from typing import Any

from schedlab.messages import Text, render

QUOTE_LIMIT = 60  # characters of user text quoted in a message


class SchedlabError(ValueError):
    """Every problem schedlab explains to its user, never a traceback.

    The message names what is wrong and what is allowed instead, so that a page can show it
    next to the widget that caused it. ``param`` is the name of the parameter or setting to
    blame, when there is one. Catch this to catch any of the kinds below.

    ``code`` is the message's stable key in ``schedlab/locale/<lang>.toml`` and ``params``
    the values its sentence is made from: ``str(error)`` is the English, ``error.text``
    renders in any language. Messages not yet given a key of their own are raised with the
    English sentence itself (their code is then ``text.any``).
    """

    def __init__(self, message: str = "", *, param: str | None = None,
                 code: str | None = None, params: dict[str, Any] | None = None) -> None:
        if code is None:
            code, params = "text.any", {"text": message}
        self.code, self.params = code, dict(params or {})
        super().__init__(render(code, self.params))
        self.param = param

    @property
    def text(self) -> Text:
        """The message, to be said in the reader's language."""
        return Text(self.code, self.params)


class ScheduleError(SchedlabError):
    """A schedule, a parameter or pasted code that schedlab cannot accept."""


class LinkError(ScheduleError):
    """A share link that cannot be opened (damaged, too long, or holding a bad schedule)."""


class ConfigError(SchedlabError):
    """Training or server settings out of range: epochs, batch size, model, data source,
    SCHEDLAB_* environment variables."""


class LimitError(SchedlabError):
    """A run refused by a fair-use cap (runs per session, runs queued on the server)."""


class DataError(SchedlabError):
    """Training data that cannot be had or read: missing, damaged, or not downloadable."""


class StoreError(RuntimeError):
    """The run store cannot be used: damaged, read-only, full or gone.

    The message names the file and says what to do; ``path`` is the store's file."""

    def __init__(self, message: str = "", *, path: str | None = None, code: str | None = None,
                 params: dict[str, Any] | None = None) -> None:
        if code is None:
            code, params = "text.any", {"text": message}
        self.code, self.params = code, dict(params or {})
        super().__init__(render(code, self.params))
        self.path = path

    @property
    def text(self) -> Text:
        """The message, to be said in the reader's language."""
        return Text(self.code, self.params)


def quote(text: object, limit: int = QUOTE_LIMIT) -> str:
    """User text as it may appear inside a message: one line, at most ``limit`` characters
    (cut with "..."). Messages are always shown as plain text, never as markup."""
    shown = " ".join(str(text).split())
    return shown if len(shown) <= limit else shown[:max(0, limit - 3)] + "..."
