"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package, started once per
test session in a temporary folder on a free loopback port and removed afterwards; each
test that asks for ``pg_url`` gets a database of its own. Never a mock.

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
