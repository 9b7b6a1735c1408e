"""Real servers for the tests, never mocks: a PostgreSQL server (Debian's ``postgresql``
package) started once per test session in a temporary folder on a free loopback port and
removed afterwards, each test that asks for ``pg_url`` getting a database of its own; and
a local Ray cluster (``ray_cluster``).

PostgreSQL refuses to run as root, so under root (CI's containers) the server runs as the
``postgres`` user the package creates. Without the package the tests fail with what to
install: they are part of the suite, not optional."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator

import pytest

USER = "schedlab"


def _bin() -> str:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        pytest.fail("PostgreSQL is not installed: apt-get install postgresql (.ci/run does)")
    return os.path.dirname(found[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The server's URL without a database (``postgresql://schedlab@127.0.0.1:PORT``)."""
    bindir = _bin()
    root = tempfile.mkdtemp(prefix="schedlab-pg-")
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = os.path.join(root, "data"), _free_port()
    try:
        subprocess.run(_as_owner([f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", USER,
                                  "-E", "UTF8", "--locale=C", "--no-sync"]),
                       check=True, capture_output=True)
        subprocess.run(_as_owner([f"{bindir}/pg_ctl", "-D", data, "-l", f"{root}/log", "-w",
                                  "-t", "60", "-o", f"-h 127.0.0.1 -p {port} -k {root} "
                                  "-c fsync=off -c full_page_writes=off -c max_connections=200",
                                  "start"]), check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        log = open(f"{root}/log").read()[-2000:] if os.path.exists(f"{root}/log") else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"PostgreSQL did not start: {exc.stderr.decode()[-2000:]}{log}")
    try:
        yield f"postgresql://{USER}@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_owner([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w",
                                  "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped after the test."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    yield f"{postgres_server}/{name}"
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A real local Ray cluster (``ray start --head``, 2 CPUs) as a class's would be, its
    workers able to import this schedlab and train on the offline digits; the environment
    that finds it (``RAY_ADDRESS``). Stopped after the session."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ray = shutil.which("ray") or os.path.join(os.path.dirname(sys.executable), "ray")
    port = _free_port()
    temp = tempfile.mkdtemp(prefix="rs-", dir="/tmp")  # Ray's sockets need a short path
    env = {**os.environ, "PYTHONPATH": root, "SCHEDLAB_MNIST_MIRRORS": "",
           "SCHEDLAB_DATA": str(tmp_path_factory.mktemp("ray-data")),
           "RAY_USAGE_STATS_ENABLED": "0"}
    started = subprocess.run(
        [ray, "start", "--head", f"--port={port}", "--num-cpus=2", "--num-gpus=0",
         "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}",
         "--node-ip-address=127.0.0.1"], env=env, capture_output=True, text=True, timeout=180)
    if started.returncode != 0:
        shutil.rmtree(temp, ignore_errors=True)
        pytest.fail(f"Ray did not start: {started.stderr[-2000:]}")
    try:
        yield {"RAY_ADDRESS": f"127.0.0.1:{port}", "PYTHONPATH": root}
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)
