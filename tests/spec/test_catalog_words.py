"""The registry's words come from the language catalogs: every scheduler, family, parameter
and optimizer is said in English and in Chinese, and the English is what it always was."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from schedlab.errors import ScheduleError
from schedlab.messages import LANGUAGES, Text, catalog
from schedlab.source.parse import parse_schedule
from schedlab.spec.catalog import (FAMILIES, OPTIMIZERS, SCHEDULERS, UNTRAINABLE_OPTIONS,
                                   family_name)
from schedlab.training.loop import check_trainable

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
PARAMS = [(name, p) for name, info in SCHEDULERS.items() for p in info.params]


def _words_used() -> set[str]:
    """Every key the registry says something with."""
    keys = {f"catalog.family.{f}" for f in FAMILIES}
    keys |= {info.summary_text.key for info in SCHEDULERS.values()}
    keys |= {p.help_text.key for _, p in PARAMS}
    keys |= {o.summary_text.key for o in OPTIMIZERS.values()}
    keys |= {o.cannot_train_text.key for o in OPTIMIZERS.values() if not o.trains}
    return keys | {text.key for text in UNTRAINABLE_OPTIONS.values()}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_scheduler_and_family_is_said_in_each_language(lang) -> None:
    for name, info in SCHEDULERS.items():
        summary = info.summary_in(lang)
        assert summary.strip() and summary[-1] in ".。", name
        assert info.family_in(lang) == family_name(info.family, lang)
    assert len({family_name(f, lang) for f in FAMILIES}) == len(FAMILIES)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name,p", PARAMS, ids=[f"{n}.{p.name}" for n, p in PARAMS])
def test_every_parameter_has_its_help_in_each_language(name, p, lang) -> None:
    assert p.owner == name  # the entry bound it: its scheduler's own wording can be found
    assert p.help_text.key in catalog(lang), f"no help for {name}.{p.name} in {lang}"
    assert p.help_in(lang).strip()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_optimizer_and_refusal_is_said_in_each_language(lang) -> None:
    for name, info in OPTIMIZERS.items():
        assert info.summary_in(lang).strip(), name
        assert (info.cannot_train_in(lang) is None) == info.trains, name
    for option, reason in UNTRAINABLE_OPTIONS.items():
        assert isinstance(reason, Text) and reason.render(lang).strip(), option


def test_the_catalog_files_hold_exactly_the_words_the_registry_uses() -> None:
    """A key nobody asks for is a typo: a scheduler's own wording misspelt would silently
    lose to the shared one."""
    used = _words_used()
    for lang in LANGUAGES:
        written = {key for key in catalog(lang) if key.startswith("catalog.")}
        assert sorted(written - used) == [], f"unused words in {lang}.catalog.toml"
        assert sorted(used - written) == [], f"missing words in {lang}.catalog.toml"


def test_the_english_is_what_the_catalog_said_before() -> None:
    assert SCHEDULERS["StepLR"].summary == "Multiply the lr by gamma every step_size steps."
    assert SCHEDULERS["CosineAnnealingWarmRestarts"].summary == (
        "Cosine from the base lr to eta_min, restarting every T_0 steps (each cycle T_mult "
        "times longer).")
    assert SCHEDULERS["LinearLR"].family == "warmup/composite"
    assert family_name("warmup/composite") == "warmup/composite"
    assert SCHEDULERS["StepLR"].param("gamma").help == "factor applied at each decay"
    assert SCHEDULERS["ExponentialLR"].param("gamma").help == "factor applied at every step"
    assert SCHEDULERS["ChainedScheduler"].param("optimizer").help == (
        "the wrapped optimizer (optional)")
    assert SCHEDULERS["StepLR"].param("optimizer").help == "the wrapped optimizer"
    assert SCHEDULERS["LambdaLR"].param("lr_lambda").help == (
        "function of the epoch (or a list, one per param group); numbers, arithmetic, "
        "comparisons, if/else and math functions only")
    assert SCHEDULERS["OneCycleLR"].param("last_epoch").help == (
        "only -1 (a fresh run) is drawn; other values resume a checkpoint")
    assert OPTIMIZERS["AdamW"].summary == "Adam with decoupled weight decay"
    assert OPTIMIZERS["SGD"].cannot_train is None
    assert OPTIMIZERS["SparseAdam"].cannot_train == (
        "it needs sparse gradients (nn.Embedding(sparse=True)) and both models here have "
        "dense ones, which torch refuses; train with Adam instead")
    assert str(UNTRAINABLE_OPTIONS["capturable"]) == (
        "it is for CUDA graph capture, which the training loop does not use (and it fails "
        "on the CPU); leave it out")


def test_chinese_keeps_torchs_names_and_uses_full_width_punctuation() -> None:
    english, chinese = catalog("en"), catalog("zh")
    names = set(SCHEDULERS) | set(OPTIMIZERS)
    for key in _words_used():
        zh = chinese[key]
        assert CJK.search(zh), f"{key} is not in Chinese: {zh!r}"
        assert not re.search(r"[,;:?!]", zh), f"{key}: half-width punctuation in {zh!r}"
        assert not re.search(r"\([^()]*[\u4e00-\u9fff]", zh), f"{key}: half-width ( in {zh!r}"
        kept = {w for w in re.findall(r"[A-Za-z_][\w.]*(?:\(\))?", english[key])
                if "_" in w or w.endswith("()") or w in names}
        assert all(w in zh for w in kept), f"{key}: {kept} not all in {zh!r}"


def test_an_optimizer_the_loop_cannot_drive_is_refused_in_the_readers_language() -> None:
    schedule = parse_schedule("StepLR(optimizer, 5)", "LBFGS(params, lr=1)")
    with pytest.raises(ScheduleError) as caught:
        check_trainable(schedule)
    error = caught.value
    assert isinstance(error.params["reason"], Text)
    assert str(error) == f"LBFGS cannot be trained here: {OPTIMIZERS['LBFGS'].cannot_train}"
    zh = error.text.render("zh")
    assert zh.startswith("LBFGS ") and "closure" in zh and "训练" in zh
    assert OPTIMIZERS["LBFGS"].cannot_train_in("zh") in zh

    schedule = parse_schedule("StepLR(optimizer, 5)", "Adam(params, lr=0.1, capturable=True)")
    with pytest.raises(ScheduleError) as caught:
        check_trainable(schedule)
    zh = caught.value.text.render("zh")
    assert "capturable=True" in zh and UNTRAINABLE_OPTIONS["capturable"].render("zh") in zh
    assert CJK.search(zh)


def test_the_registry_holds_no_sentence_of_its_own() -> None:
    """Prose in the registry's Python would be said in English only: its words belong in
    schedlab/locale/<lang>.catalog.toml. (Docstrings, and what a programming error such
    as a TypeError says to a programmer, are not said to users.)"""
    files = sorted((ROOT / "schedlab/spec/catalog").glob("*.py")) + [
        ROOT / "schedlab/spec/params.py"]
    found = []
    for path in files:
        tree = ast.parse(path.read_text())
        skip = {id(node.body[0].value) for node in ast.walk(tree)
                if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
                and node.body and isinstance(node.body[0], ast.Expr)}
        skip |= {id(c) for node in ast.walk(tree) if isinstance(node, ast.Raise)
                 and getattr(getattr(node.exc, "func", None), "id", "") == "TypeError"
                 for c in ast.walk(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and \
                    id(node) not in skip and not node.value.startswith("lambda ") and \
                    re.search(r"[a-z]{2,} [a-z]{2,} [a-z]{2,}", node.value):
                found.append(f"{path.name}:{node.lineno}: {node.value!r}")
    assert not found, "\n".join(found)
