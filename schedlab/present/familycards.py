r"""The teaching cards' formulas for transformers' and timm's schedules.

transformers' functions are a factor of the optimizer's lr, piece by piece (a warmup,
then the decay); timm's are a value of the count, cycle by cycle. Each is an expression
tree (``schedlab.present.formula``) evaluated against the library itself in the tests,
where it is a closed form; timm's cycles that grow or shrink and its noise are shown as
the rule they follow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from schedlab.present.formula import (PI, T, Expr, Named, add, call, cond, frac, mod, mul,
                                      num, pow_, slash, sub)
from schedlab.present.latex import number
from schedlab.present.pieces import Cases, Count
from schedlab.spec.catalog.transformers import wsd_parts

Formula = Callable[[dict[str, Any], float, str], "Expr | str"]
FORMULAS: dict[str, tuple[Formula, str | None]] = {}  # cards.py shows them


def _card(name: str, check: str | None) -> Callable[[Formula], Formula]:
    """Register the formula of scheduler ``name`` and the check of its pitfall."""
    def register(formula: Formula) -> Formula:
        FORMULAS[name] = (formula, check)
        return formula
    return register


# --- transformers --------------------------------------------------------------------------
def _warm(base: float, w: int, after: Expr, ramp: Expr | None = None) -> Expr:
    """A linear warmup from 0 over ``w`` steps (or ``ramp``), then ``after``."""
    if w <= 0:
        return after
    ramp = ramp if ramp is not None else mul(num(base), frac(T, num(w)))
    return Cases(((ramp, cond(T, "<", num(w))), (after, cond(T, ">=", num(w)))))


def _progress(w: int, total: int, ahead: int = 0) -> Expr:
    """How far the decay has gone, 0 to 1 (``ahead``: a step ahead, as one variant has)."""
    return Named("p", frac(add(sub(T, num(w)), num(ahead)), num(max(1, total - w))))


def _wave(cycles: float, p: Expr) -> Expr:
    """transformers' cosine: ``cycles`` waves over progress 0..1, from 1."""
    return frac(add(num(1), call("cos", mul(num(2 * cycles), mul(PI, p)))), num(2))


def _floor_rate(kw: dict, base: float) -> float:
    rate = kw.get("min_lr_rate")
    return rate if rate is not None else (kw.get("min_lr") or 0.0) / base


@_card("get_constant_schedule", check=None)
def _hf_constant(kw, base, lang):
    return num(base)


@_card("get_constant_schedule_with_warmup", check="warmup-long.hf")
def _hf_constant_warmup(kw, base, lang):
    return _warm(base, kw["num_warmup_steps"], num(base))


@_card("get_linear_schedule_with_warmup", check="hf-ends-early")
def _hf_linear(kw, base, lang):
    w, total = kw["num_warmup_steps"], kw["num_training_steps"]
    down = frac(sub(num(total), T), num(max(1, total - w)))
    return _warm(base, w, mul(num(base), call("max", num(0), down)))


@_card("get_cosine_schedule_with_warmup", check="hf-ends-early")
def _hf_cosine(kw, base, lang):
    w, total = kw["num_warmup_steps"], kw["num_training_steps"]
    wave = _wave(kw["num_cycles"], _progress(w, total))
    return _warm(base, w, mul(num(base), call("max", num(0), wave)))


@_card("get_cosine_with_hard_restarts_schedule_with_warmup", check="hf-ends-early")
def _hf_restarts(kw, base, lang):
    w, total = kw["num_warmup_steps"], kw["num_training_steps"]
    p = _progress(w, total)
    angle = mul(PI, mod(mul(num(kw["num_cycles"]), p), num(1)))
    wave = frac(add(num(1), call("cos", angle)), num(2))
    after = Cases(((mul(num(base), call("max", num(0), wave)), cond(p, "<", num(1))),
                   (num(0), cond(p, ">=", num(1)))))
    return _warm(base, w, after)


@_card("get_polynomial_decay_schedule_with_warmup", check="hf-ends-early")
def _hf_polynomial(kw, base, lang):
    w, total, end, power = (kw["num_warmup_steps"], kw["num_training_steps"], kw["lr_end"],
                            kw["power"])
    if total <= w:  # no decay to write (transformers divides by zero if it gets there)
        return _warm(base, w, num(end))
    left = sub(num(1), frac(sub(T, num(w)), num(total - w)))
    decay = add(mul(num(base - end), pow_(left, num(power))), num(end))
    return _warm(base, w, Cases(((decay, cond(T, "<=", num(total))),
                                 (num(end), cond(T, ">", num(total))))))


@_card("get_inverse_sqrt_schedule", check="warmup-long.hf")
def _hf_inverse_sqrt(kw, base, lang):
    w, scale = kw["num_warmup_steps"], kw["timescale"]
    scale = (w or 10_000) if scale is None else scale
    root = call("sqrt", frac(add(T, num(scale - w)), num(scale)))
    return _warm(base, w, frac(num(base), root))


@_card("get_cosine_with_min_lr_schedule_with_warmup", check="hf-ends-early")
def _hf_cosine_floor(kw, base, lang):
    w, total, r = kw["num_warmup_steps"], kw["num_training_steps"], _floor_rate(kw, base)
    wave = add(mul(_wave(kw["num_cycles"], _progress(w, total)), num(1 - r)), num(r))
    return _warm(base, w, mul(num(base), call("max", num(0), wave)))


@_card("get_cosine_with_min_lr_schedule_with_warmup_lr_rate", check="hf-ends-early")
def _hf_cosine_floor_rate(kw, base, lang):
    w, total, r = kw["num_warmup_steps"], kw["num_training_steps"], _floor_rate(kw, base)
    start = kw["warmup_lr_rate"]
    if start is None:
        ramp = mul(num(base), frac(add(T, num(1)), num(max(1, w))))
    else:
        ramp = mul(num(base), add(num(start), mul(num(1 - start), frac(T, num(max(1, w - 1))))))
    wave = add(mul(_wave(kw["num_cycles"], _progress(w, total, ahead=1)), num(1 - r)), num(r))
    return _warm(base, w, mul(num(base), call("max", num(0), wave)), ramp)


_UP = {"linear": lambda p: p,
       "cosine": lambda p: frac(sub(num(1), call("cos", mul(PI, p))), num(2)),
       "1-sqrt": lambda p: sub(num(1), call("sqrt", call("max", sub(num(1), p), num(0))))}


@_card("get_wsd_schedule", check="hf-ends-early")
def _hf_wsd(kw, base, lang):
    w, s, d = wsd_parts(kw)
    r = kw["min_lr_ratio"]
    down_p = Named("p", frac(sub(T, num(w + s)), num(max(1, d))))
    down = {"linear": lambda p: sub(num(1), p),
            "cosine": lambda p: _wave(kw["num_cycles"], p),
            "1-sqrt": lambda p: sub(num(1), call("sqrt", call("max", p, num(0))))
            }[kw["decay_type"]](down_p)
    up = _UP[kw["warmup_type"]](frac(T, num(max(1, w))))
    level = lambda shape: mul(num(base), call("max", num(0),  # noqa: E731
                                              add(mul(shape, num(1 - r)), num(r))))
    pieces = []
    if w > 0:
        pieces.append((level(up), cond(T, "<", num(w))))
    if s > 0:
        pieces.append((num(base), cond(T, "<", num(w + s))))
    if d > 0:
        pieces.append((level(down), cond(T, "<", num(w + s + d))))
    pieces.append((mul(num(base), num(r)), cond(T, ">=", num(w + max(s, 0) + d))))
    return Cases(tuple(pieces)) if len(pieces) > 1 else pieces[0][0]


# --- timm ------------------------------------------------------------------------------
def _timm_warm(kw: dict, base: float, after: Expr, top: float | None = None) -> Expr:
    """timm's warmup: from warmup_lr_init to the lr (tanh without the prefix: to its own
    value at warmup_t) in warmup_t counts, then ``after``."""
    w, init = kw["warmup_t"], kw["warmup_lr_init"]
    if not w:
        return after
    top = base if top is None else top
    ramp = add(num(init), mul(T, num((top - init) / w)))
    return Cases(((ramp, cond(T, "<", num(w))), (after, cond(T, ">=", num(w)))))


def _local(kw: dict) -> Expr:
    """The count the decay sees: t, or t - warmup_t when the warmup is a prefix."""
    return sub(T, num(kw["warmup_t"])) if kw["warmup_prefix"] and kw["warmup_t"] else T


def _cycled(kw: dict, base: float, shape, ramps_to_own: bool = False) -> Expr | str:
    """A cosine, polynomial or tanh decay over cycles of t_initial counts (cycle_mul=1),
    each peak cycle_decay times the one before, lr_min after cycle_limit of them;
    ``ramps_to_own``: a warmup that is no prefix ramps to the decay's value at its end
    (timm's tanh), not to the base lr."""
    if kw["noise_range_t"] is not None or kw["cycle_mul"] != 1:
        return _timm_rule(kw)
    first, low = kw["t_initial"], kw["lr_min"]
    k = kw["k_decay"] if "k_decay" in kw else 1.0  # (the tanh has no k_decay)
    i = Named("i", call("floor", slash(_local(kw), num(first))))
    cur = Named(r"T_{cur}", sub(_local(kw), mul(num(first), i)))
    top = mul(num(base), pow_(num(kw["cycle_decay"]), i)) if kw["cycle_decay"] != 1 \
        else num(base)
    ratio = frac(pow_(cur, num(k)), num(first ** k)) if k != 1 else frac(cur, num(first))
    value = shape(low, top, ratio)
    after = Cases(((value, cond(i, "<", num(kw["cycle_limit"]))),
                   (num(low), cond(i, ">=", num(kw["cycle_limit"]))))) \
        if kw["cycle_limit"] < 10**6 else value
    topped = None
    if ramps_to_own and kw["warmup_t"] and not kw["warmup_prefix"]:
        topped = after.value(kw["warmup_t"])
    return _timm_warm(kw, base, after, topped)


def _cosine_shape(low: float, top: Expr, ratio: Expr) -> Expr:
    return add(num(low), mul(sub(top, num(low)),
                             frac(add(num(1), call("cos", mul(PI, ratio))), num(2))))


def _tanh_shape(lb: float, ub: float):
    def shape(low: float, top: Expr, ratio: Expr) -> Expr:
        inner = add(mul(num(lb), sub(num(1), ratio)), mul(num(ub), ratio))
        return add(num(low), mul(sub(top, num(low)),
                                 frac(sub(num(1), call("tanh", inner)), num(2))))
    return shape


def _timm_rule(kw: dict) -> str:
    """Cycles that grow or shrink, or noise: the rule, with the values."""
    parts = [rf"T_i = {number(kw['t_initial'])} \cdot {number(kw['cycle_mul'])}^{{i}}",
             rf"\text{{peak}}_i = \eta_0 \cdot {number(kw['cycle_decay'])}^{{i}}",
             rf"i < {kw['cycle_limit']}"]
    if kw["noise_range_t"] is not None:
        parts.append(rf"\eta_t \leftarrow \eta_t (1 + n_t),\ |n_t| < "
                     rf"{number(kw['noise_pct'])}")
    return r"\begin{gathered} " + r" \\ ".join(parts) + r" \end{gathered}"


@_card("CosineLRScheduler", check="timm-unit.epochs")
def _timm_cosine(kw, base, lang):
    return _cycled(kw, base, _cosine_shape)


@_card("PolyLRScheduler", check="timm-ends-early")
def _timm_poly(kw, base, lang):
    power = kw["power"]
    return _cycled(kw, base, lambda low, top, ratio: add(
        num(low), mul(sub(top, num(low)), pow_(sub(num(1), ratio), num(power)))))


@_card("TanhLRScheduler", check="timm-unit.updates")
def _timm_tanh(kw, base, lang):
    return _cycled(kw, base, _tanh_shape(kw["lb"], kw["ub"]), ramps_to_own=True)


@_card("StepLRScheduler", check="warmup-long.timm")
def _timm_step(kw, base, lang):
    if kw["noise_range_t"] is not None:
        return _timm_rule({**kw, "t_initial": kw["decay_t"], "cycle_mul": 1,
                           "cycle_decay": kw["decay_rate"], "cycle_limit": "\\infty"})
    after = mul(num(base), pow_(num(kw["decay_rate"]),
                                call("floor", slash(_local(kw), num(kw["decay_t"])))))
    return _timm_warm(kw, base, after)


@_card("MultiStepLRScheduler", check="timm-unit.epochs")
def _timm_multistep(kw, base, lang):
    shift = kw["warmup_t"] if kw["warmup_prefix"] else 0
    if kw["noise_range_t"] is not None:
        return _timm_rule({**kw, "t_initial": 1, "cycle_mul": 1,
                           "cycle_decay": kw["decay_rate"], "cycle_limit": "\\infty"})
    marks = tuple(sorted(m + shift - 1 for m in kw["decay_t"]))  # timm: a count early
    after = mul(num(base), pow_(num(kw["decay_rate"]), Count(marks)))
    return _timm_warm(kw, base, after)
