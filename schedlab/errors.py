"""The one exception type for user mistakes."""

from __future__ import annotations


class ScheduleError(ValueError):
    """A schedule, a parameter or pasted code that schedlab cannot accept.

    The message names what is wrong (a parameter, or a piece of the pasted source) and what
    is allowed instead, so that a page can show it next to the widget that caused it.
    ``param`` is the parameter's name when one parameter is to blame, else None.
    """

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


class DataError(ValueError):
    """Training data that cannot be had or read: missing, damaged, or not downloadable."""
