"""The examples in the library's docstrings run and print what they say."""

from __future__ import annotations

import doctest

import pytest

import schedlab
from schedlab.engine import curve
from schedlab.source import parse


@pytest.mark.parametrize("module", [curve, parse])
def test_docstring_examples(module) -> None:
    result = doctest.testmod(module, extraglobs={"parse_schedule": schedlab.parse_schedule})
    assert result.attempted > 0 and result.failed == 0
