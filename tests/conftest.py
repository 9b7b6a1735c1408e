"""Shared fixtures: Debian's Chromium for the browser tests (never a downloaded browser)."""

from __future__ import annotations

import os

import pytest

CHROMIUM = os.environ.get("SCHEDLAB_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright launches Debian's Chromium, headless and sandbox-free (root)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}: install Debian's chromium package "
                    "(.ci/run does) to run the browser test")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--headless", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-quic"]}
