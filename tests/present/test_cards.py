"""Teaching cards: one per registry scheduler in every language, each pitfall tied to a check
that really fires on it, and every closed form equal to what torch's own scheduler does."""

from __future__ import annotations

import re
import warnings

import pytest
import torch

from schedlab import Lambda, check_schedule, parse_schedule
from schedlab.messages import LANGUAGES, catalog
from schedlab.present.cards import card, closed_form
from schedlab.present.latex import escape, number
from schedlab.spec.catalog import SCHEDULERS
from schedlab.spec.examples import example_spec
from schedlab.spec.schedule import SchedulerSpec
from tests.torchref import assert_close, py_lambda, torch_curve

CJK = re.compile(r"[\u4e00-\u9fff]")
SPECIAL = set("\\{}$%#_^&~")


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_every_scheduler_has_a_card_in_every_language(name: str) -> None:
    spec = example_spec(name)
    cards = {lang: card(spec, 0.1, lang) for lang in LANGUAGES}
    en, zh = cards["en"], cards["zh"]
    for c in cards.values():
        assert c.formula.strip() and c.what.strip() and c.when.strip() and c.pitfall.strip()
        assert c.check == en.check  # the check is the mistake's, not the language's
    for part in ("what", "when", "pitfall"):
        assert getattr(en, part) != getattr(zh, part), (name, part)
        assert not CJK.search(getattr(en, part)) and CJK.search(getattr(zh, part))
    if closed_form(spec, 0.1) is not None:  # a closed form has no words in it
        assert en.formula == zh.formula


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_every_check_named_by_a_card_is_a_finding(name: str) -> None:
    check = card(example_spec(name), 0.1, "en").check
    if check is not None:
        for lang in LANGUAGES:
            assert f"finding.{check}.message" in catalog(lang), (name, check, lang)


def test_the_card_labels_exist_in_every_language() -> None:
    for lang in LANGUAGES:
        for part in ("formula", "what", "when", "pitfall", "check"):
            assert catalog(lang)[f"ui.card.labels.{part}"].strip()


# Each card's pitfall, made on purpose: (scheduler, optimizer, steps, steps per epoch,
# stepped per). The check the card names must fire on it.
PITFALLS = {
    "StepLR": ("StepLR(optimizer, step_size=30)", None, 100 * 50, 50, "batch"),
    "MultiStepLR": ("MultiStepLR(optimizer, milestones=[150, 225])", None, 100, None, "epoch"),
    "ExponentialLR": ("ExponentialLR(optimizer, gamma=0.9)", None, 20 * 100, 100, "batch"),
    "PolynomialLR": ("PolynomialLR(optimizer)", None, 100, None, "epoch"),
    "CosineAnnealingLR": ("CosineAnnealingLR(optimizer, T_max=50)", None, 100, None, "epoch"),
    "LambdaLR": ("LambdaLR(optimizer, lambda epoch: 1 - epoch / 100)", None, 150, None,
                 "epoch"),
    "MultiplicativeLR": ("MultiplicativeLR(optimizer, lambda epoch: 0.95 ** epoch)", None,
                         100, None, "epoch"),
    "ConstantLR": ("ConstantLR(optimizer, factor=0.5, total_iters=40)", None, 100, None,
                   "epoch"),
    "LinearLR": ("LinearLR(optimizer, start_factor=0.001, end_factor=0.01, total_iters=5)",
                 None, 100, None, "epoch"),
    "SequentialLR": (("SequentialLR(optimizer, [LinearLR(optimizer, 0.1, total_iters=10), "
                      "CosineAnnealingLR(optimizer, T_max=90)], milestones=[5])"), None, 100,
                     None, "epoch"),
    "ChainedScheduler": (("ChainedScheduler([ExponentialLR(optimizer, gamma=0.9), "
                          "StepLR(optimizer, 10)])"), None, 100, None, "epoch"),
    "CyclicLR": ("CyclicLR(optimizer, base_lr=0.001, max_lr=0.1, step_size_up=100)",
                 "SGD(params, lr=0.1)", 1000, None, "batch"),
    "OneCycleLR": ("OneCycleLR(optimizer, max_lr=0.1, total_steps=10)", None, 10 * 50, 50,
                   "batch"),
    "CosineAnnealingWarmRestarts": (("CosineAnnealingWarmRestarts(optimizer, T_0=30, "
                                     "T_mult=2)"), None, 100, None, "epoch"),
    "get_constant_schedule_with_warmup": (
        "get_constant_schedule_with_warmup(optimizer, num_warmup_steps=500)", None, 1000, 100,
        "batch"),
    "get_linear_schedule_with_warmup": ("get_linear_schedule_with_warmup(optimizer, 10, 100)",
                                        None, 300, 100, "batch"),
    "get_cosine_schedule_with_warmup": ("get_cosine_schedule_with_warmup(optimizer, 10, 100)",
                                        None, 300, 100, "batch"),
    "get_cosine_with_hard_restarts_schedule_with_warmup": (
        "get_cosine_with_hard_restarts_schedule_with_warmup(optimizer, 10, 100, num_cycles=3)",
        None, 300, 100, "batch"),
    "get_polynomial_decay_schedule_with_warmup": (
        "get_polynomial_decay_schedule_with_warmup(optimizer, 10, 100, lr_end=1e-4)", None, 300,
        100, "batch"),
    "get_inverse_sqrt_schedule": ("get_inverse_sqrt_schedule(optimizer, num_warmup_steps=600)",
                                  None, 1000, 100, "batch"),
    "get_cosine_with_min_lr_schedule_with_warmup": (
        "get_cosine_with_min_lr_schedule_with_warmup(optimizer, 10, 100, min_lr_rate=0.1)",
        None, 300, 100, "batch"),
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": (
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate(optimizer, 10, 100, min_lr=1e-3)",
        None, 300, 100, "batch"),
    "get_wsd_schedule": ("get_wsd_schedule(optimizer, 10, num_decay_steps=20, "
                         "num_training_steps=100)", None, 300, 100, "batch"),
    "CosineLRScheduler": ("CosineLRScheduler(optimizer, t_initial=10)", None, 10 * 50, 50,
                          "batch"),
    "PolyLRScheduler": ("PolyLRScheduler(optimizer, t_initial=50)", None, 100, None, "epoch"),
    "TanhLRScheduler": ("TanhLRScheduler(optimizer, t_initial=1000, t_in_epochs=False)", None,
                        20, 50, "epoch"),
    "StepLRScheduler": ("StepLRScheduler(optimizer, decay_t=30, warmup_t=50)", None, 100,
                        None, "epoch"),
    "MultiStepLRScheduler": ("MultiStepLRScheduler(optimizer, decay_t=[30, 60])", None,
                             100 * 50, 50, "batch"),
}


def test_every_pitfall_with_a_check_has_an_example_here() -> None:
    with_check = {n for n in SCHEDULERS if card(example_spec(n), 0.1, "en").check}
    assert with_check == set(PITFALLS)


@pytest.mark.parametrize("name", list(PITFALLS))
def test_the_check_a_card_names_catches_its_pitfall(name: str) -> None:
    code, optimizer, steps, per_epoch, step_per = PITFALLS[name]
    schedule = parse_schedule(code, optimizer or "SGD(params, lr=0.1, momentum=0.9)")
    assert schedule.scheduler.name == name
    found = {f.key for f in check_schedule(schedule, steps, per_epoch, step_per)}
    assert card(schedule.scheduler, 0.1, "en").check in found, found


# --- the formulas against torch --------------------------------------------------------
def _torch_lrs(name: str, kwargs: dict, base: float, steps: int) -> list[float]:
    """The lr of a fresh SGD after 0, 1, ..., steps - 1 calls of torch's scheduler.step()
    (transformers' and timm's schedules: stepped by their own libraries)."""
    if not SCHEDULERS[name].torch:
        return torch_curve("SGD", {"lr": base}, None, (name, kwargs), steps)[0][:, 0].tolist()
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    given = {k: py_lambda(v) if k in ("lr_lambda", "scale_fn") else v
             for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = getattr(torch.optim.lr_scheduler, name)(optimizer, **given)
        lrs = []
        for t in range(steps):
            if t:
                optimizer.step()
                scheduler.step()
            lrs.append(optimizer.param_groups[0]["lr"])
    return lrs


def _spec(name: str, kwargs: dict) -> SchedulerSpec:
    return SchedulerSpec(name, {k: Lambda(v) if k in ("lr_lambda", "scale_fn") else
                                tuple(v) if isinstance(v, list) else v
                                for k, v in kwargs.items()})


CLOSED_FORMS = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}, 0.1, 20),
    ("StepLR", {"step_size": 30}, 0.05, 100),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}, 0.1, 15),  # 5 twice
    ("MultiStepLR", {"milestones": [9, 1, 3, 4, 6, 7, 12, 15]}, 1.0, 20),  # unsorted, many
    ("ConstantLR", {"factor": 0.25, "total_iters": 4}, 0.1, 10),
    ("ConstantLR", {"factor": 0.5, "total_iters": 0}, 0.1, 5),
    ("LinearLR", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 6}, 0.1, 12),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 7}, 0.3, 12),
    ("LinearLR", {"start_factor": 0.5, "total_iters": 0}, 0.1, 5),
    ("ExponentialLR", {"gamma": 0.9}, 0.1, 60),
    ("PolynomialLR", {"total_iters": 8, "power": 2.0}, 0.1, 12),
    ("PolynomialLR", {"total_iters": 10, "power": 0.9}, 1e-3, 14),
    ("PolynomialLR", {"total_iters": 0}, 0.1, 4),
    ("CosineAnnealingLR", {"T_max": 10, "eta_min": 0.01}, 0.1, 45),  # rises after T_max
    ("CosineAnnealingLR", {"T_max": 7}, 2e-4, 30),
    ("LambdaLR", {"lr_lambda": "lambda e: 0.9 ** e if e > 2 else (e + 1) / 3"}, 0.1, 12),
    ("MultiplicativeLR", {"lr_lambda": "lambda e: 0.9 if e % 3 else 1.1"}, 0.1, 12),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.1, "step_size_up": 4}, 0.1, 30),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.05, "step_size_up": 3, "step_size_down": 5,
                  "mode": "triangular2"}, 0.1, 40),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.05, "step_size_up": 2.5, "mode": "exp_range",
                  "gamma": 0.97}, 0.1, 30),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.05, "step_size_up": 3,
                  "scale_fn": "lambda x: 1 / x"}, 0.1, 30),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.05, "step_size_up": 3,
                  "scale_fn": "lambda x: 0.99 ** x", "scale_mode": "iterations"}, 0.1, 30),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 100}, 0.5, 100),
    ("OneCycleLR", {"max_lr": 0.2, "epochs": 4, "steps_per_epoch": 9, "pct_start": 0.25,
                    "anneal_strategy": "linear"}, 0.5, 36),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 50, "three_phase": True,
                    "div_factor": 10.0, "final_div_factor": 100.0}, 0.5, 50),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 20, "pct_start": 0.0}, 0.5, 20),
    ("CosineAnnealingWarmRestarts", {"T_0": 5, "eta_min": 0.001}, 0.1, 23),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2}, 0.1, 50),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 3, "eta_min": 0.01}, 0.1, 90),
    ("get_constant_schedule", {}, 0.1, 5),
    ("get_constant_schedule_with_warmup", {"num_warmup_steps": 7}, 0.1, 15),
    ("get_linear_schedule_with_warmup", {"num_warmup_steps": 5, "num_training_steps": 30},
     0.1, 40),
    ("get_linear_schedule_with_warmup", {"num_warmup_steps": 0, "num_training_steps": 20},
     2e-5, 25),
    ("get_cosine_schedule_with_warmup", {"num_warmup_steps": 4, "num_training_steps": 40},
     0.1, 50),
    ("get_cosine_schedule_with_warmup", {"num_warmup_steps": 3, "num_training_steps": 30,
                                         "num_cycles": 1.5}, 0.1, 40),
    ("get_cosine_with_hard_restarts_schedule_with_warmup",
     {"num_warmup_steps": 3, "num_training_steps": 40, "num_cycles": 3}, 0.1, 50),
    ("get_polynomial_decay_schedule_with_warmup",
     {"num_warmup_steps": 5, "num_training_steps": 30, "lr_end": 1e-3, "power": 2.0}, 0.1, 40),
    ("get_inverse_sqrt_schedule", {"num_warmup_steps": 10}, 0.1, 60),
    ("get_inverse_sqrt_schedule", {"num_warmup_steps": 4, "timescale": 7}, 0.1, 40),
    ("get_cosine_with_min_lr_schedule_with_warmup",
     {"num_warmup_steps": 5, "num_training_steps": 40, "min_lr_rate": 0.1}, 0.1, 50),
    ("get_cosine_with_min_lr_schedule_with_warmup", {
        "num_warmup_steps": 5, "num_training_steps": 40, "min_lr": 1e-3, "num_cycles": 1.0},
     0.1, 50),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
     {"num_warmup_steps": 6, "num_training_steps": 40, "min_lr_rate": 0.2}, 0.1, 50),
    ("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", {
        "num_warmup_steps": 6, "num_training_steps": 40, "min_lr_rate": 0.2,
        "warmup_lr_rate": 0.1}, 0.1, 50),
    ("get_wsd_schedule", {"num_warmup_steps": 5, "num_decay_steps": 10,
                          "num_training_steps": 40}, 0.1, 50),
    ("get_wsd_schedule", {"num_warmup_steps": 6, "num_decay_steps": 9, "num_stable_steps": 7,
                          "warmup_type": "cosine", "decay_type": "1-sqrt",
                          "min_lr_ratio": 0.1}, 0.1, 30),
    ("get_wsd_schedule", {"num_warmup_steps": 6, "num_decay_steps": 9, "num_stable_steps": 7,
                          "warmup_type": "1-sqrt", "decay_type": "linear"}, 0.1, 30),
    ("CosineLRScheduler", {"t_initial": 20}, 0.1, 30),
    ("CosineLRScheduler", {"t_initial": 10, "warmup_t": 4, "warmup_lr_init": 1e-4,
                           "cycle_limit": 3, "cycle_decay": 0.5, "lr_min": 1e-3}, 0.1, 45),
    ("CosineLRScheduler", {"t_initial": 10, "warmup_t": 3, "warmup_prefix": True,
                           "k_decay": 2.0}, 0.1, 20),
    ("PolyLRScheduler", {"t_initial": 20, "power": 0.9, "warmup_t": 3}, 0.1, 30),
    ("TanhLRScheduler", {"t_initial": 20, "warmup_t": 5}, 0.1, 30),
    ("TanhLRScheduler", {"t_initial": 12, "cycle_limit": 2, "warmup_t": 2,
                         "warmup_prefix": True}, 0.1, 30),
    ("StepLRScheduler", {"decay_t": 2.4, "decay_rate": 0.97, "warmup_t": 3}, 0.1, 20),
    ("MultiStepLRScheduler", {"decay_t": [5, 9, 9], "decay_rate": 0.5, "warmup_t": 2}, 0.1, 20),
]


@pytest.mark.parametrize("name,kwargs,base,steps", CLOSED_FORMS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CLOSED_FORMS)])
def test_the_closed_form_a_card_shows_is_torchs(name, kwargs, base, steps) -> None:
    lr = closed_form(_spec(name, kwargs), base)
    assert lr is not None
    ours = [lr(t) for t in range(steps)]
    assert_close(ours, _torch_lrs(name, kwargs, base, steps), max(base, 1.0), name)


def test_every_closed_form_scheduler_is_held_against_torch() -> None:
    tested = {c[0] for c in CLOSED_FORMS}
    shown = {n for n in SCHEDULERS if closed_form(example_spec(n), 0.1) is not None}
    assert shown <= tested, shown - tested


def test_the_formula_shows_the_current_values() -> None:
    step = card(_spec("StepLR", {"step_size": 30, "gamma": 0.1}), 0.1, "en").formula
    assert step == r"\eta_t = 0.1 \cdot 0.1^{\left\lfloor t / 30 \right\rfloor}"
    cosine = card(_spec("CosineAnnealingLR", {"T_max": 50, "eta_min": 1e-05}), 0.1, "en")
    assert r"10^{-5}" in cosine.formula and "50" in cosine.formula and r"\cos" in \
        cosine.formula
    assert number(1e-05) == "10^{-5}" and number(2.5e-07) == r"2.5 \times 10^{-7}"
    assert number(0.95) == "0.95" and number(30) == "30" and number(25.0) == "25"


def test_rules_and_composites_name_what_they_are_made_of() -> None:
    seq = card(example_spec("SequentialLR"), 0.1, "en").formula
    assert "LinearLR" in seq and "CosineAnnealingLR" in seq and "t - 5" in seq
    chained = card(example_spec("ChainedScheduler"), 0.1, "en").formula
    assert "ConstantLR" in chained and "ExponentialLR" in chained
    plateau = {lang: card(_spec("ReduceLROnPlateau", {"patience": 3, "factor": 0.5,
                                                      "cooldown": 2}), 0.1, lang).formula
               for lang in LANGUAGES}
    assert "n > 3" in plateau["en"] and r"0.5 \cdot \eta" in plateau["en"]
    assert CJK.search(plateau["zh"]) and plateau["en"] != plateau["zh"]
    lam = card(_spec("LambdaLR", {"lr_lambda": "lambda my_epoch: 0.5 ** (my_epoch % 3)"}),
               0.1, "en").formula
    assert r"my\_epoch" in lam and r"\%" in lam and "my_epoch" not in lam


# --- user text is escaped --------------------------------------------------------------
HOSTILE = r"lambda e: }\input{/etc/passwd} $x$ 100% #1 a_b c^d e&f ~g {"
ESCAPES = (r"\textbackslash{}", r"\textasciicircum{}", r"\textasciitilde{}", r"\{", r"\}",
           r"\$", r"\%", r"\#", r"\_", r"\&")


def _unescaped(latex: str) -> set[str]:
    """The LaTeX special characters left once the escape sequences are taken out."""
    for sequence in ESCAPES:
        latex = latex.replace(sequence, "")
    return set(latex) & SPECIAL


def _texttt(latex: str) -> list[str]:
    """The arguments of every \\texttt{...} in ``latex``, by brace matching."""
    out, at = [], latex.find(r"\texttt{")
    while at >= 0:
        i, depth = at + len(r"\texttt{"), 1
        start = i
        while depth:
            if latex[i] == "\\":
                i += 2
                continue
            depth += {"{": 1, "}": -1}.get(latex[i], 0)
            i += 1
        out.append(latex[start:i - 1])
        at = latex.find(r"\texttt{", i)
    return out


def _forged(source: str) -> Lambda:
    """A Lambda whose source is text the lambda language would refuse (defence in depth)."""
    lam = Lambda("lambda e: 1")
    object.__setattr__(lam, "source", source)
    return lam


def test_escape_leaves_no_special_character() -> None:
    escaped = escape(HOSTILE)
    assert not _unescaped(escaped)
    assert r"\}" in escaped and r"\textbackslash{}input" in escaped and r"\$x\$" in escaped
    assert r"100\%" in escaped and r"\#1" in escaped and r"a\_b" in escaped
    assert r"c\textasciicircum{}d" in escaped and r"e\&f" in escaped
    assert r"\textasciitilde{}g" in escaped and escape("a\n\tb") == "a b"


@pytest.mark.parametrize("name", ["LambdaLR", "MultiplicativeLR", "SequentialLR"])
def test_a_hostile_lambda_source_is_escaped_in_the_formula(name: str) -> None:
    lam = _forged(HOSTILE)
    spec = SchedulerSpec(name, {"lr_lambda": lam}) if name != "SequentialLR" else \
        SchedulerSpec(name, {"schedulers": (SchedulerSpec("LambdaLR", {"lr_lambda": lam}),
                                            example_spec("ExponentialLR")),
                             "milestones": (3,)})
    formula = card(spec, 0.1, "en").formula
    shown = _texttt(formula)
    assert shown and any("passwd" in s for s in shown)
    assert all(not _unescaped(s) for s in shown), shown
    assert formula.count(r"\begin{") == formula.count(r"\end{")


def test_cyclic_scale_fn_source_is_escaped() -> None:
    spec = SchedulerSpec("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1,
                                      "scale_fn": _forged(HOSTILE)})
    shown = _texttt(card(spec, 0.1, "en").formula)
    assert shown and all(not _unescaped(s) for s in shown)
