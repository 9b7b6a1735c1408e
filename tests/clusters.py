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
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.servers import free_port

USER = "schedlab"


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class ClusterError(RuntimeError):
    """A server the tests need did not start (the message says why)."""


@contextmanager
def running_postgres() -> Iterator[str]:
    """A PostgreSQL server of its own, for as long as the block runs: its URL without a
    database (``postgresql://schedlab@127.0.0.1:PORT``)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise ClusterError("PostgreSQL is not installed: apt-get install postgresql "
                           "(.ci/run does)")
    bindir = os.path.dirname(found[-1])
    root = tempfile.mkdtemp(prefix="schedlab-pg-")
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = os.path.join(root, "data"), free_port()
    try:
        subprocess.run(_as_owner([f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", USER,
                                  "-E", "UTF8", "--locale=C", "--no-sync"]),
                       check=True, capture_output=True)
        subprocess.run(_as_owner([f"{bindir}/pg_ctl", "-D", data, "-l", f"{root}/log", "-w",
                                  "-t", "60", "-o", f"-h 127.0.0.1 -p {port} -k {root} "
                                  "-c fsync=off -c full_page_writes=off -c max_connections=300",
                                  "start"]), check=True, capture_output=True)
    except subprocess.CalledProcessError as exc:
        log = open(f"{root}/log").read()[-2000:] if os.path.exists(f"{root}/log") else ""
        shutil.rmtree(root, ignore_errors=True)
        raise ClusterError(f"PostgreSQL did not start: {exc.stderr.decode()[-2000:]}{log}")
    try:
        yield f"postgresql://{USER}@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_owner([f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w",
                                  "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def new_database(server: str) -> str:
    """A fresh, empty database on ``server``; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return f"{server}/{name}"


@contextmanager
def running_ray(data: str, cpus: int = 2) -> Iterator[dict[str, str]]:
    """A local Ray cluster (``ray start --head``) whose workers can import this schedlab
    and train on the offline digits (their data folder ``data``); the environment that
    finds it (``RAY_ADDRESS``). Stopped after the block."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ray = shutil.which("ray") or os.path.join(os.path.dirname(sys.executable), "ray")
    port = free_port()
    temp = tempfile.mkdtemp(prefix="rs-", dir="/tmp")  # Ray's sockets need a short path
    env = {**os.environ, "PYTHONPATH": root, "SCHEDLAB_MNIST_MIRRORS": "",
           "SCHEDLAB_DATA": data, "RAY_USAGE_STATS_ENABLED": "0"}
    started = subprocess.run(
        [ray, "start", "--head", f"--port={port}", f"--num-cpus={cpus}", "--num-gpus=0",
         "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}",
         "--node-ip-address=127.0.0.1"], env=env, capture_output=True, text=True, timeout=180)
    if started.returncode != 0:
        shutil.rmtree(temp, ignore_errors=True)
        raise ClusterError(f"Ray did not start: {started.stderr[-2000:]}")
    try:
        yield {"RAY_ADDRESS": f"127.0.0.1:{port}", "PYTHONPATH": root}
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The session's PostgreSQL server's URL, without a database."""
    try:
        with running_postgres() as url:
            yield url
    except ClusterError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped after the test."""
    import psycopg

    url = new_database(postgres_server)
    yield url
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory) -> Iterator[dict[str, str]]:
    """A real local Ray cluster (2 CPUs), as a class's would be, for the session."""
    try:
        with running_ray(str(tmp_path_factory.mktemp("ray-data"))) as env:
            yield env
    except ClusterError as exc:
        pytest.fail(str(exc))
