"""schedlab installs as a package: a wheel built from the checkout runs from anywhere."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path) -> None:
    wheels, site, src = tmp_path / "wheels", tmp_path / "site", tmp_path / "src"
    for name in ("pyproject.toml", "requirements.txt"):  # a copy: setuptools builds in-tree
        (src / name).parent.mkdir(exist_ok=True)
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "schedlab", src / "schedlab",
                    ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(wheels), str(src)], check=True, timeout=300, cwd=tmp_path)
    (wheel,) = wheels.glob("schedlab-*.whl")
    subprocess.run([*pip, "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, timeout=300, cwd=tmp_path)
    assert not (site / "tests").exists() and not (site / "bench").exists()
    env = {**os.environ, "PYTHONPATH": str(site)}  # the installed copy, not the checkout
    where = subprocess.run([sys.executable, "-c", "import schedlab.jobs.worker, schedlab; "
                            "print(schedlab.__file__)"], capture_output=True, text=True,
                           check=True, env=env, cwd=tmp_path, timeout=120)
    assert Path(where.stdout.strip()).is_relative_to(site)
    out = subprocess.run([sys.executable, "-m", "schedlab", "curve", "--scheduler",
                          "StepLR(optimizer, step_size=2, gamma=0.5)", "--steps", "5",
                          "--format", "json"], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert [r["lr"] for r in rows] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    # the messages' words travel with the package: a finding is said in full
    found = subprocess.run([sys.executable, "-m", "schedlab", "check", "--scheduler",
                            "CosineAnnealingLR(optimizer, T_max=10)", "--steps", "100",
                            "--format", "json"], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=120)
    codes = {f["code"]: f["message"] for f in json.loads(found.stdout)}
    assert "after T_max=10 of the 100" in codes["cosine-rises"], found.stdout
    # the app and its workers run from the installed copy too, started from anywhere
    assert {"home.py", "explorer.py", "train.py"} <= {f.name for f in site.glob(
        "schedlab/app/**/*.py")}
    used = subprocess.run([sys.executable, "-c", USE_THE_APP], capture_output=True, text=True,
                          env={**env, "SCHEDLAB_DATA": str(tmp_path / "data")}, cwd=tmp_path,
                          timeout=300)
    assert used.returncode == 0, used.stdout + used.stderr
    report = json.loads(used.stdout.strip().splitlines()[-1])
    assert Path(report["home"]).is_relative_to(site)
    assert report["charts"] == 1 and report["errors"] == [] and report["exception"] == []
    assert report["status"] == "done" and report["steps"] > 0, report
    assert Path(report["worker"]).is_relative_to(site), report


# Run with only the installed copy importable: the explorer from its AppTest, and a
# training run through the app's job manager (a worker process of its own).
USE_THE_APP = """
import json, re, time
from pathlib import Path
from streamlit.testing.v1 import AppTest
from schedlab import parse_schedule
from schedlab.app import HOME
from schedlab.jobs.manager import JobManager
from schedlab.training.loop import TrainConfig

at = AppTest.from_file(str(HOME), default_timeout=120).run()
at.switch_page("pages/explorer.py").run()
charts = [e for e in at.get("echarts_chart")]
jobs = JobManager(Path("data") / "runs.sqlite3", max_jobs=1)
config = TrainConfig(epochs=1, model="mlp", data="offline", batch_size=500, log_every=4)
run_id = jobs.submit(parse_schedule("StepLR(optimizer, step_size=2)"), config, "installed")
deadline = time.monotonic() + 240
while jobs.store.run(run_id)["status"] in ("queued", "running") and time.monotonic() < deadline:
    jobs.supervise()
    time.sleep(0.2)
log = (Path("data") / "runs.worker.log").read_text()
worker = re.search(r"schedlab from (\\S+)\\)", log)
print(json.dumps({"home": str(HOME), "charts": len(charts),
                  "errors": [e.value for e in at.error], "exception": list(at.exception),
                  "status": jobs.store.run(run_id)["status"],
                  "steps": len(jobs.store.steps(run_id)), "log": log[-2000:],
                  "worker": worker.group(1) if worker else log[-2000:]}))
jobs.shutdown()
"""

