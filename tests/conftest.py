"""Shared fixtures: Debian's Chromium for the browser tests (never a downloaded browser),
and a real PostgreSQL server and a local Ray cluster (``tests.clusters``)."""

from __future__ import annotations

import os

import pytest

from tests.clusters import pg_url, postgres_server, ray_cluster  # noqa: F401 (fixtures)

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


@pytest.fixture(autouse=True, scope="session")
def _no_internet_and_a_private_data_dir(tmp_path_factory):
    """Tests never download: MNIST mirrors are off (the offline subset stands in) and the
    data directory (cache, run store) is a fresh temporary one."""
    saved = {k: os.environ.get(k) for k in ("SCHEDLAB_MNIST_MIRRORS", "SCHEDLAB_DATA")}
    os.environ["SCHEDLAB_MNIST_MIRRORS"] = ""
    os.environ["SCHEDLAB_DATA"] = str(tmp_path_factory.mktemp("schedlab-data"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
