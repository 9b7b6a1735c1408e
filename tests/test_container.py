"""The container image: built from the repo's Dockerfile with buildah, started, and used.

Base images cannot be pulled here, so a Debian base is made with mmdebstrap, and torch comes
from the local wheel through a build context (never from a network index). Everything lives
in a temporary buildah storage root (a tmpfs where possible), deleted afterwards: the image
is about 2 GB.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

import pytest

from tests.app.test_browser import CHART_Y
from tests.servers import free_port, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

TORCH = "torch==2.13.0"  # the Dockerfile's pin
SUITE = "bookworm"  # its python3 is 3.11, the Python of the local cp311 torch wheel
BASE = "localhost/schedlab-test-base"
IMAGE = "localhost/schedlab-test"


def _run(cmd: list[str], timeout: float = 600) -> subprocess.CompletedProcess:
    """Run a build step; a failure shows the step's own output, not a traceback."""
    done = subprocess.run(cmd, check=False, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode:
        pytest.fail(f"`{' '.join(cmd)}` failed with status {done.returncode}:\n"
                    f"{(done.stdout + done.stderr)[-3000:]}")
    return done


class Buildah:
    """buildah on a private storage root, so no image or container outlives the test."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.argv = ["buildah", "--root", str(work / "storage"), "--runroot", str(work / "run")]

    def __call__(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return _run([*self.argv, *args], timeout)

    def run_argv(self, ctr: str, config: dict, argv: list[str], env: dict[str, str]) -> list[str]:
        """`buildah run` of argv as the image's user, in its directory, with env added."""
        extra = [f"--env={key}={value}" for key, value in env.items()]
        return [*self.argv, "run", "--isolation=chroot", f"--user={config['User']}",
                f"--workingdir={config['WorkingDir']}", *extra, ctr, "--", *argv]


@pytest.fixture(scope="module")
def buildah():
    missing = [tool for tool in ("buildah", "mmdebstrap") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not found: install Debian's buildah and mmdebstrap "
                    "packages (.ci/run does) to build and start the container image")
    if os.geteuid() != 0:
        pytest.skip("building the image needs root here (mmdebstrap's root mode, buildah's "
                    "chroot isolation without user namespaces)")
    work = Path(tempfile.mkdtemp(prefix="schedlab-image-"))
    # in memory where it can be: writing ~2 GB of layers to a disk shared with other jobs and
    # deleting them again takes minutes; a tmpfs is gone at once when unmounted
    in_memory = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8g", "schedlab-image",
                                str(work)], check=False, capture_output=True).returncode == 0
    tool = Buildah(work)
    try:
        yield tool
    finally:
        subprocess.run([*tool.argv, "rm", "--all"], check=False, capture_output=True)
        if in_memory:
            subprocess.run(["umount", "--lazy", str(work)], check=False, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


def _pip_download(dest: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pip", "download", "--quiet", f"--dest={dest}",
            "--only-binary=:all:", "--python-version=3.11", *args]


def _local_torch(dest: Path) -> None:
    """torch only from a local wheel (pip's find-links): never a multi-GB download."""
    done = subprocess.run(_pip_download(dest, "--no-index", "--no-deps", TORCH),
                          check=False, capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"no local {TORCH} wheel for Python 3.11 in pip's find-links "
                    f"(PIP_FIND_LINKS): {done.stderr.strip()[-300:]}")


def _make_base(buildah: Buildah) -> None:
    """A Debian minbase with python3, installed straight into an empty image's filesystem."""
    ctr = buildah("from", "scratch").stdout.strip()
    rootfs = buildah("mount", ctr).stdout.strip()
    _run(["mmdebstrap", "--variant=minbase", "--include=python3,python3-venv",
          "--dpkgopt=path-exclude=/usr/share/doc/*", "--dpkgopt=path-exclude=/usr/share/man/*",
          "--dpkgopt=path-exclude=/usr/share/locale/*", SUITE, rootfs])
    buildah("umount", ctr)
    buildah("commit", "--rm", ctr, BASE)


@pytest.fixture(scope="module")
def image(buildah) -> dict:
    """The image built from the repo's Dockerfile; returns its configuration."""
    wheels = buildah.work / "wheels"
    _local_torch(wheels)
    # the other wheels come over the network (or pip's cache) meanwhile
    with ThreadPoolExecutor(1) as pool:
        download = pool.submit(_run, _pip_download(wheels, f"--find-links={wheels}", TORCH,
                                                   f"--requirement={ROOT / 'requirements.txt'}",
                                                   "setuptools>=68"))
        _make_base(buildah)
        download.result()
    # docker format: the OCI format has no HEALTHCHECK
    buildah("bud", "--isolation=chroot", "--format=docker", f"--build-arg=BASE={BASE}",
            f"--build-context=wheels={wheels}", f"--tag={IMAGE}", str(ROOT))
    shutil.rmtree(wheels)
    return json.loads(buildah("inspect", "--type=image", IMAGE).stdout)["Docker"]["config"]


def _uid(config: dict) -> int:
    """The image's user id (no user: root)."""
    return int(config["User"].split(":")[0] or 0)


def _started(pid: int) -> str:
    """When pid started (empty once it has ended)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def _processes_in(pid: int) -> list[tuple[int, int, str]]:
    """(pid, uid, command line) of pid's descendants running inside the container (chroot)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            todo.append(child)
            try:
                if os.readlink(f"/proc/{child}/root") == "/":
                    continue  # buildah's own helpers, outside the container
                status = Path(f"/proc/{child}/status").read_text()
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue
            uid = next(int(line.split()[1]) for line in status.splitlines()
                       if line.startswith("Uid:"))
            found.append((child, uid, cmdline.decode(errors="replace").strip()))
    return found


@pytest.fixture(scope="module")
def container(buildah, image):
    """The image's own command, as its user, on a free 127.0.0.1 port, once healthy."""
    ctr = buildah("from", IMAGE).stdout.strip()
    port = free_port()
    log_path = buildah.work / "server.log"
    env = {"STREAMLIT_SERVER_PORT": str(port), "STREAMLIT_SERVER_ADDRESS": "127.0.0.1"}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            buildah.run_argv(ctr, image, [*(image["Entrypoint"] or []), *image["Cmd"]], env),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    seen: dict[int, str] = {}  # pid: start time, so that a reused pid is never killed
    try:
        wait_until_healthy(base, proc, lambda: log_path.read_text(errors="replace"),
                           "the image's command")
        yield {"url": base, "port": port, "ctr": ctr, "pid": proc.pid, "seen": seen}
    finally:
        seen.update((pid, _started(pid)) for pid, _, _ in _processes_in(proc.pid))
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid, started in seen.items():  # training workers run in their own sessions
            if started and _started(pid) == started:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def test_the_image_runs_headless_as_a_user_and_keeps_its_data_on_a_volume(image) -> None:
    # by number: Kubernetes' runAsNonRoot cannot check a user name
    assert image["User"].split(":")[0].isdigit() and _uid(image) != 0, image["User"]
    env = dict(item.split("=", 1) for item in image["Env"])
    assert env.get("STREAMLIT_SERVER_HEADLESS") == "true"
    assert env.get("SCHEDLAB_DATA") in (image["Volumes"] or {}), (env, image["Volumes"])
    assert "/_stcore/health" in " ".join(image["Healthcheck"]["Test"])


def test_the_explorer_draws_in_a_browser_served_by_a_non_root_process(
        container, image, page) -> None:
    processes = _processes_in(container["pid"])
    assert any("streamlit" in cmd for _, _, cmd in processes), processes
    assert all(uid == _uid(image) != 0 for _, uid, _ in processes), processes

    page.goto(f"{container['url']}/explorer", wait_until="domcontentloaded")
    page.wait_for_function(CHART_Y, timeout=60_000)
    assert page.evaluate(CHART_Y)[0] == pytest.approx(0.1)
    assert page.get_by_text("Traceback").count() == 0


def test_the_train_page_starts_a_worker_that_writes_to_the_data_volume(
        buildah, container, image, page) -> None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{container['url']}/train", wait_until="domcontentloaded")
    try:
        page.get_by_role("button", name="Start").wait_for(timeout=60_000)
    except PlaywrightTimeout:
        pytest.fail(f"the Train page offers no Start button:\n{page.inner_text('body')[-2000:]}")
    assert page.get_by_text("Traceback").count() == 0

    # asked inside the container, as its user: who owns the app's run store on the data
    # volume, and which training workers have registered in it (they write heartbeats there)
    env = dict(item.split("=", 1) for item in image["Env"])
    store = f"{env['SCHEDLAB_DATA']}/runs.sqlite3"
    ask = ["python", "-c", ("import json, os, sqlite3, sys; path = sys.argv[1]; "
                            "db = sqlite3.connect(f'file:{path}?mode=ro', uri=True); "
                            "print(json.dumps([os.stat(path).st_uid, "
                            "[pid for (pid,) in db.execute('SELECT pid FROM workers')]]))"),
           store]
    deadline, owner, workers = time.monotonic() + 60, None, []
    while not workers and time.monotonic() < deadline:
        time.sleep(1)
        done = subprocess.run(buildah.run_argv(container["ctr"], image, ask, {}),
                              check=False, capture_output=True, text=True, timeout=60)
        if done.returncode == 0:  # else the store is not there yet
            owner, workers = json.loads(done.stdout)
    assert workers, f"no training worker registered in {store}: {done.stdout}{done.stderr}"
    assert owner == _uid(image)
    running = {pid: uid for pid, uid, _ in _processes_in(container["pid"])}
    container["seen"].update((pid, _started(pid)) for pid in running)
    assert all(running.get(pid) == _uid(image) for pid in workers), (workers, running)


def test_the_healthcheck_passes_only_while_the_server_answers(buildah, container, image) -> None:
    test = image["Healthcheck"]["Test"]
    argv = test[1:] if test[0] == "CMD" else ["/bin/sh", "-c", test[1]]

    def healthcheck(port: int) -> int:
        env = {"STREAMLIT_SERVER_PORT": str(port)}
        return subprocess.run(buildah.run_argv(container["ctr"], image, argv, env),
                              check=False, capture_output=True, timeout=60).returncode

    assert healthcheck(container["port"]) == 0
    assert healthcheck(free_port()) != 0  # nothing listens there


def test_the_user_has_a_writable_home(buildah, container, image) -> None:
    # tools that keep caches or settings in ~ (pip, torch's caches) work as the user too
    code = "import pathlib; home = pathlib.Path.home(); (home / '.probe').touch(); print(home)"
    write = ["python", "-c", code]
    done = subprocess.run(buildah.run_argv(container["ctr"], image, write, {}), check=False,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() not in ("/", "/root")
