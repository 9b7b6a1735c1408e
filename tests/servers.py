"""Servers the tests start: a free localhost port, waiting for Streamlit's health, and the
app itself served by `streamlit run` (stopped after)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

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


@contextmanager
def streamlit_app(root: Path, env: dict[str, str] | None = None) -> Iterator[str]:
    """`python -m schedlab app` from ``root`` on a free localhost port; yields its base URL
    once /_stcore/health says ok, and stops the server after."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "schedlab", "app", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, proc, lambda: proc.stdout.read().decode(errors="replace")
                           if proc.stdout else "", "streamlit")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
