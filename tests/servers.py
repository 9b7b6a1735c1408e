"""Servers the tests start: a free localhost port, and waiting for Streamlit's health."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from typing import Callable

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_healthy(base: str, proc: subprocess.Popen, output: Callable[[], str],
                       what: str, timeout: float = 90) -> None:
    """Return once ``base``/_stcore/health says ok; fail with the server's output if the
    process ends or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not become healthy:\n{output()[-3000:]}")
        time.sleep(0.3)
