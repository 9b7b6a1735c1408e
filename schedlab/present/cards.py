r"""A teaching card for every registry scheduler: its formula with the current values, what
it does, when it is used, its classic pitfall and the sanity check that catches it.

The formula follows torch's documentation: a closed form where torch documents one
(``closed_form`` gives it as an expression tree, the same one the LaTeX is rendered from,
so a test can hold it against torch), a rule for ReduceLROnPlateau, the user's own source
for the lambdas, and the children by name for the composites. The words are
``ui.card.<name>`` in ``locale/<lang>.cards.toml``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schedlab.messages import render
from schedlab.present.familycards import FORMULAS as FAMILY_FORMULAS
from schedlab.present.formula import (PI, T, Expr, Named, add, call, cond, equation, frac,
                                      mod, mul, num, pow_, slash, sub)
from schedlab.present.pieces import Cases, Count, Iverson, Prod
from schedlab.present.latex import number, text, texttt
from schedlab.spec.catalog.rules import onecycle_total
from schedlab.spec.schedule import SchedulerSpec

ETA = r"\eta_t"
MAX_IVERSON = 6  # milestones written out one by one; more are counted


@dataclass(frozen=True)
class Card:
    """What a student reads about one scheduler, in one language."""

    formula: str  # LaTeX for st.latex, the current parameter values substituted
    what: str  # what it does
    when: str  # when people use it
    pitfall: str  # its classic mistake
    check: str | None  # the finding (``finding.<check>``) that catches that mistake


# A formula is an expression tree (a closed form: evaluable) or LaTeX text (a rule).
Formula = Callable[[dict[str, Any], float, str], "Expr | str"]
_FORMULAS: dict[str, tuple[Formula, str | None]] = {}


def _card(name: str, check: str | None) -> Callable[[Formula], Formula]:
    """Register the formula of scheduler ``name`` and the check of its pitfall."""
    def register(formula: Formula) -> Formula:
        _FORMULAS[name] = (formula, check)
        return formula
    return register


def card(spec: SchedulerSpec, base_lr: float, lang: str) -> Card:
    """The card of ``spec``'s scheduler in ``lang``, its formula for an optimizer whose lr
    is ``base_lr`` (CyclicLR and OneCycleLR set their own)."""
    formula, check = _FORMULAS[spec.name]
    made = formula(spec.args, base_lr, lang)
    latex = made if isinstance(made, str) else equation(ETA, made)
    words = [render(f"ui.card.{spec.name}.{part}", lang=lang)
             for part in ("what", "when", "pitfall")]
    return Card(latex, *words, check)


def closed_form(spec: SchedulerSpec, base_lr: float) -> Expr | None:
    """The lr at step ``t`` as an expression tree (callable: ``closed_form(...)(t)``), the
    one the card's LaTeX is written from; None where the card shows a rule."""
    made = _FORMULAS[spec.name][0](spec.args, base_lr, "en")
    return None if isinstance(made, str) else made


def _first(value: Any) -> Any:
    """Group 0's value of a per-group parameter."""
    return value[0] if isinstance(value, tuple) else value


def _cosine(end: float, start: float, angle: Expr) -> Expr:
    """end + (start - end)(1 + cos(angle))/2: torch's half cosine from start to end."""
    wave = frac(add(num(1), call("cos", angle)), num(2))
    return add(num(end), mul(sub(num(start), num(end)), wave))


# --- decays --------------------------------------------------------------------------------
@_card("StepLR", check="lr-near-zero")
def _step(kw, base, lang):
    return mul(num(base), pow_(num(kw["gamma"]), call("floor", slash(T, num(kw["step_size"])))))


@_card("MultiStepLR", check="milestone-beyond.milestones")
def _multistep(kw, base, lang):
    counts = sorted(Counter(kw["milestones"]).items())
    passed: Expr = num(0)
    if len(counts) > MAX_IVERSON:  # how many are <= t, a repeated one again (as torch)
        passed = Count(tuple(sorted(kw["milestones"])))
    else:
        for m, times in counts:
            passed = add(passed, Iverson(cond(T, ">=", num(m)), times))
    return mul(num(base), pow_(num(kw["gamma"]), passed))


@_card("ExponentialLR", check="lr-near-zero")
def _exponential(kw, base, lang):
    return mul(num(base), pow_(num(kw["gamma"]), T))


@_card("PolynomialLR", check="lr-near-zero")
def _polynomial(kw, base, lang):
    total, power = kw["total_iters"], kw["power"]
    if total == 0:  # torch never decays (and its closed form would divide by zero)
        return num(base)
    left = sub(num(1), frac(call("min", T, num(total)), num(total)))
    return mul(num(base), pow_(left, num(power)))


@_card("CosineAnnealingLR", check="cosine-rises")
def _cosine_annealing(kw, base, lang):
    return _cosine(kw["eta_min"], base, frac(mul(PI, T), num(kw["T_max"])))


def _lambda(kw) -> tuple[str, Callable[[float], float], list[str]]:
    """λ (group 0's: the formula shows group 0) and the definition of every group's λ."""
    fns = kw["lr_lambda"] if isinstance(kw["lr_lambda"], tuple) else (kw["lr_lambda"],)
    if len(fns) == 1:
        return r"\lambda", fns[0], [rf"\lambda = {texttt(fns[0].source)}"]
    return r"\lambda_{0}", fns[0], [rf"\lambda_{{{i}}} = {texttt(f.source)}"
                                    for i, f in enumerate(fns)]


@_card("LambdaLR", check="lr-negative")
def _lambda_lr(kw, base, lang):
    symbol, fn, defined = _lambda(kw)
    return mul(num(base), call(symbol, T, fn=fn, defined=defined))


@_card("MultiplicativeLR", check="lr-near-zero")
def _multiplicative(kw, base, lang):
    symbol, fn, defined = _lambda(kw)
    return mul(num(base), Prod(symbol, fn, tuple(defined)))


# --- warmups and composites -------------------------------------------------------------
@_card("ConstantLR", check="warmup-long")
def _constant(kw, base, lang):
    factor, total = num(kw["factor"]), kw["total_iters"]
    if total == 0:  # torch applies the factor at step 0 and never takes it back
        return mul(num(base), factor)
    return Cases(((mul(num(base), factor), cond(T, "<", num(total))),
                  (num(base), cond(T, ">=", num(total)))))


@_card("LinearLR", check="warmup-short-of-base")
def _linear(kw, base, lang):
    start, end, total = kw["start_factor"], kw["end_factor"], kw["total_iters"]
    if total == 0:  # torch applies start_factor at step 0 and never changes it again
        return mul(num(base), num(start))
    ramp = frac(call("min", T, num(total)), num(total))
    return mul(num(base), add(num(start), mul(sub(num(end), num(start)), ramp)))


@_card("SequentialLR", check="warmup-cut")
def _sequential(kw, base, lang):
    marks, children = kw["milestones"], kw["schedulers"]
    starts = (0, *marks)
    rows = []
    for i, child in enumerate(children):
        shifted = "t" if not starts[i] else f"t - {starts[i]}"
        if i == 0:
            when = f"t < {marks[0]}" if marks else r"t \ge 0"
        elif i == len(children) - 1:
            when = rf"t \ge {starts[i]}"
        else:
            when = rf"{starts[i]} \le t < {marks[i]}"
        rows.append(rf"{texttt(child.label())}\left({shifted}\right) & {when}")
    cases = r" \\ ".join(rows)
    return rf"{ETA} = \begin{{cases}} {cases} \end{{cases}}"


@_card("ChainedScheduler", check="lr-near-zero")
def _chained(kw, base, lang):
    children = kw["schedulers"]
    steps = r"\eta_{t-1}"
    for i in range(1, len(children) + 1):
        steps = rf"g_{{{i}}}\left({steps}\right)"
    names = "".join(rf",\quad g_{{{i}}} = {texttt(c.label())}"
                    for i, c in enumerate(children, 1))
    return rf"{ETA} = {steps}{names}"


# --- cycles and plateaus ----------------------------------------------------------------
@_card("CyclicLR", check="cycle-momentum")
def _cyclic(kw, base, lang):
    up = kw["step_size_up"]
    down = up if kw["step_size_down"] is None else kw["step_size_down"]
    low, high, cycle = _first(kw["base_lr"]), _first(kw["max_lr"]), up + down
    u = Named("u", mod(T, num(cycle)))
    h = Named("h", Cases(((frac(u, num(up)), cond(u, "<=", num(up))),
                          (frac(sub(num(cycle), u), num(down)), cond(u, ">", num(up))))))
    height = mul(sub(num(high), num(low)), h)
    done = call("floor", slash(T, num(cycle)))  # cycles completed: torch's cycle - 1
    if kw["scale_fn"] is not None:
        arg = add(num(1), done) if kw["scale_mode"] == "cycle" else T
        fn = _first(kw["scale_fn"])
        scale = call(r"\phi", arg, fn=fn, defined=[rf"\phi = {texttt(fn.source)}"])
    elif kw["mode"] == "triangular2":
        scale = frac(num(1), pow_(num(2), done))
    elif kw["mode"] == "exp_range":
        scale = pow_(num(kw["gamma"]), T)
    else:
        scale = num(1)
    return add(num(low), mul(height, scale))


@_card("OneCycleLR", check="onecycle-too-short")
def _onecycle(kw, base, lang):
    total, pct = onecycle_total(kw), kw["pct_start"]
    peak = _first(kw["max_lr"])
    start = peak / kw["div_factor"]
    lows = start / kw["final_div_factor"]
    if kw["three_phase"]:
        phases = ((float(pct * total) - 1, start, peak),
                  (float(2 * pct * total) - 2, peak, start), (total - 1, start, lows))
    else:
        phases = ((float(pct * total) - 1, start, peak), (total - 1, peak, lows))
    pieces, begin = [], 0.0
    for i, (end, a, b) in enumerate(phases):
        p = frac(sub(T, num(begin)), num(end - begin))
        if kw["anneal_strategy"] == "cos":
            lr = _cosine(b, a, mul(PI, p))
        else:
            lr = add(num(a), mul(sub(num(b), num(a)), p))
        if i == len(phases) - 1:
            when = cond(T, ">", num(begin))
        elif i == 0:
            when = cond(T, "<=", num(end))
        else:
            when = cond(num(begin), "<", T, ("<=", num(end)))
        pieces.append((lr, when))
        begin = end
    return Cases(tuple(pieces))


@_card("CosineAnnealingWarmRestarts", check="restart-cut")
def _warm_restarts(kw, base, lang):
    t0, grow = kw["T_0"], kw["T_mult"]
    if grow == 1:
        cur, length = Named(r"T_{cur}", mod(T, num(t0))), num(t0)
    else:  # cycle i starts at T_0 (T_mult^i - 1) / (T_mult - 1) and lasts T_0 T_mult^i
        i = Named("i", call("floorlog", num(grow), add(num(1), frac(
            mul(T, num(grow - 1)), num(t0)))))
        length = Named(r"T_i", mul(num(t0), pow_(num(grow), i)))
        cur = Named(r"T_{cur}", sub(T, frac(mul(num(t0), sub(pow_(num(grow), i), num(1))),
                                             num(grow - 1))))
    return _cosine(kw["eta_min"], base, frac(mul(PI, cur), length))


@_card("ReduceLROnPlateau", check=None)
def _plateau(kw, base, lang):
    """A rule, not a closed form: the lr depends on the metric torch is given."""
    better = {("min", "rel"): r"m_t < m^{*} \cdot (1 - %s)",
              ("min", "abs"): r"m_t < m^{*} - %s",
              ("max", "rel"): r"m_t > m^{*} \cdot (1 + %s)",
              ("max", "abs"): r"m_t > m^{*} + %s"}[kw["mode"], kw["threshold_mode"]]
    reduce = (rf"n > {kw['patience']} \;\Rightarrow\; \eta \leftarrow \max\left("
              rf"{number(kw['factor'])} \cdot \eta,\ {number(_first(kw['min_lr']))}\right),"
              r"\ n \leftarrow 0")
    lines = [reduce,
             rf"{_words('improved', lang)}:\ " + better % number(kw["threshold"]),
             rf"n:\ {_words('count', lang)};\quad m^{{*}}:\ {_words('best', lang)}"]
    if kw["cooldown"]:
        lines.append(_words("cooldown", lang, cooldown=kw["cooldown"]))
    return r"\begin{gathered} " + r" \\ ".join(lines) + r" \end{gathered}"


@_card("PlateauLRScheduler", check=None)
def _timm_plateau(kw, base, lang):
    """timm's: a linear warmup up to warmup_t, then torch's ReduceLROnPlateau rule."""
    torch_kw = {"mode": kw["mode"], "threshold_mode": "rel", "patience": kw["patience_t"],
                "factor": kw["decay_rate"], "min_lr": kw["lr_min"],
                "threshold": kw["threshold"], "cooldown": kw["cooldown_t"]}
    rule = _plateau(torch_kw, base, lang)
    w = kw["warmup_t"]
    if not w:
        return rule
    init = kw["warmup_lr_init"]
    warm = (rf"t \le {w}:\ \eta_t = {number(init)} + t \cdot "
            rf"\frac{{{number(base)} - {number(init)}}}{{{w}}}")
    return rule.replace(r"\begin{gathered} ", r"\begin{gathered} " + warm + r" \\ ", 1)


def _words(key: str, lang: str, **params: Any) -> str:
    return text(render(f"ui.card.rule.{key}", params, lang))


_FORMULAS.update(FAMILY_FORMULAS)  # transformers' and timm's
