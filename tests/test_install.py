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
