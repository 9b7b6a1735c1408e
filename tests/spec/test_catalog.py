"""The catalog matches torch: same classes, parameter names, order and defaults."""

from __future__ import annotations

import inspect

import pytest
import torch

from schedlab.spec.catalog import FAMILIES, OPTIMIZERS, SCHEDULERS
from schedlab.spec.params import REQUIRED


def _library(name: str):
    """Where a registry scheduler comes from: torch, transformers or timm (the oracle)."""
    if SCHEDULERS[name].library == "transformers":
        import transformers.optimization

        return getattr(transformers.optimization, name)
    if SCHEDULERS[name].library == "timm.scheduler":
        from tests.timmref import timm_scheduler

        return getattr(timm_scheduler(), name)
    return getattr(torch.optim.lr_scheduler, name)


def test_every_torch_scheduler_is_in_the_catalog() -> None:
    torch_names = {n for n in torch.optim.lr_scheduler.__all__
                   if n not in ("LRScheduler", "_LRScheduler")}
    assert {n for n, i in SCHEDULERS.items() if i.torch} == torch_names
    assert len(torch_names) == 15


def test_every_transformers_lambda_schedule_is_in_the_catalog() -> None:
    """Every get_*schedule* function of transformers that builds a LambdaLR; the others
    are a factory (get_scheduler), torch's ReduceLROnPlateau under another name, and two
    that need the training loop's losses or Adafactor's own lr (GreedyLR, Adafactor)."""
    import transformers.optimization as hf

    names = {n for n in dir(hf) if n.startswith("get_") and "schedule" in n} - {
        "get_scheduler", "get_reduce_on_plateau_schedule", "get_greedy_schedule",
        "get_adafactor_schedule"}
    assert {n for n, i in SCHEDULERS.items() if i.library == "transformers"} == names
    assert len(names) == 10


def test_timms_schedulers_are_in_the_catalog() -> None:
    from tests.timmref import timm_scheduler

    timm = timm_scheduler()
    ours = {n for n, i in SCHEDULERS.items() if i.library == "timm.scheduler"}
    assert ours == {"CosineLRScheduler", "PolyLRScheduler", "TanhLRScheduler",
                    "StepLRScheduler", "MultiStepLRScheduler", "PlateauLRScheduler"}
    assert ours <= set(dir(timm))


def test_every_torch_optimizer_is_in_the_catalog() -> None:
    torch_names = {n for n in dir(torch.optim) if isinstance(getattr(torch.optim, n), type)
                   and issubclass(getattr(torch.optim, n), torch.optim.Optimizer)
                   and n != "Optimizer"}
    assert set(OPTIMIZERS) == torch_names
    for name, info in OPTIMIZERS.items():
        defaults = getattr(torch.optim, name)([torch.zeros(2, 2, requires_grad=True)]).defaults
        has = "betas" if "betas" in defaults else "momentum" if "momentum" in defaults else None
        assert info.momentum == has, name


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_parameters_match_torch_signature(name: str) -> None:
    info = SCHEDULERS[name]
    sig = inspect.signature(_library(name))
    assert [p.name for p in info.params] == list(sig.parameters)
    for p in info.params:
        torch_default = sig.parameters[p.name].default
        if torch_default is inspect.Parameter.empty:
            assert p.default is REQUIRED, f"{name}.{p.name} is required in torch"
        else:
            assert p.default == torch_default, f"{name}.{p.name}"
        assert p.help and p.range_text()
    assert info.family in FAMILIES and info.summary.endswith(")") or info.summary.endswith(".")


def test_defaults_and_examples_are_within_their_own_ranges() -> None:
    for info in SCHEDULERS.values():
        for p in info.params:
            if p.kind in ("int", "float", "choice", "bool", "int_list"):
                for value in (p.default, p.example):
                    if value is not REQUIRED and value is not None:
                        p.check(value, info.name, 1)
