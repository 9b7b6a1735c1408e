"""timm's scheduler modules as the test oracle, loaded without timm's package init.

``import timm`` imports torchvision, whose PyPI build fails against the CPU torch here;
timm's schedulers need only torch and numpy. A bare ``timm`` package module whose
``__path__`` is the installed package's folder lets ``timm.scheduler`` load alone."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types


def timm_scheduler():
    """The ``timm.scheduler`` module (its classes: CosineLRScheduler, ...)."""
    if "timm" not in sys.modules:
        spec = importlib.util.find_spec("timm")
        assert spec is not None and spec.submodule_search_locations, "pip install timm"
        bare = types.ModuleType("timm")
        bare.__path__ = list(spec.submodule_search_locations)
        sys.modules["timm"] = bare
    return importlib.import_module("timm.scheduler")
