"""Fixtures of the page tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    """A data directory (and so a run store) of the test's own; the page's job manager for
    it is released afterwards (its workers stopped). MNIST mirrors stay off (tests/conftest)."""
    monkeypatch.setenv("SCHEDLAB_DATA", str(tmp_path))
    yield tmp_path
    st.cache_resource.clear()
