"""docker-compose.yml, "Serving a class": every service is there, its settings are ones
schedlab accepts, and its Ray commands use flags the installed Ray has."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_services_of_a_class_on_several_machines(compose) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "ray-head", "ray-gpu-worker", "app"}
    assert services["app"]["deploy"]["replicas"] >= 2
    gpu = services["ray-gpu-worker"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["capabilities"] == ["gpu"] and gpu["count"] == 1
    assert "cu1" in services["ray-gpu-worker"]["build"]["args"]["TORCH_INDEX"]
    assert all(s["build"]["args"]["WITH_RAY"] == "1"
               for n, s in services.items() if n != "postgres")
    assert "WITH_RAY" in (ROOT / "Dockerfile").read_text()


def test_its_settings_are_ones_schedlab_accepts(compose, monkeypatch) -> None:
    from schedlab.jobs.backends import jobs_setting
    from schedlab.jobs.manager import caps_setting, default_store_path

    app = compose["services"]["app"]["environment"]
    for key, value in app.items():
        monkeypatch.setenv(key, re.sub(r"\$\{POSTGRES_PASSWORD[^}]*\}", "pw", value))
    assert default_store_path() == "postgresql://schedlab:pw@postgres:5432/schedlab"
    assert jobs_setting() == "ray" and app["RAY_ADDRESS"].startswith("ray://ray-head:")
    caps = caps_setting()
    assert (caps.per_session, caps.total) == (2, 200)


def test_its_ray_commands_use_flags_the_installed_ray_has(compose) -> None:
    ray = shutil.which("ray") or str(Path(sys.executable).parent / "ray")
    helped = subprocess.run([ray, "start", "--help"], capture_output=True, text=True,
                            timeout=120).stdout
    for name in ("ray-head", "ray-gpu-worker"):
        command = compose["services"][name]["command"]
        assert command[:2] == ["ray", "start"]
        for flag in command[2:]:
            assert re.search(rf"^\s+{re.escape(flag.split('=')[0])}\b", helped, re.M), flag
