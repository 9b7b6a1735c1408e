"""What a registry entry is: a scheduler's parameters and everything known about it.

An entry (``SchedulerInfo``) holds torch's parameters for the scheduler and its rules:
its own length (so a pasted schedule can be drawn whole), the events on its curve, the
mistakes specific to it, the example a fresh editor shows and how to fit that example to
a run. The engine's models are the only other place that knows a scheduler by name.

Entries look each other up at run time through ``entry(name)`` (a composite asks its
children), so the family modules never import one another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from schedlab.messages import DEFAULT, Text, render
from schedlab.spec.catalog.optimizers import OPTIMIZERS
from schedlab.spec.params import Param

if TYPE_CHECKING:
    from schedlab.spec.schedule import Schedule, SchedulerSpec

FAMILIES = ("decay", "warmup/composite", "cyclic", "adaptive")  # their words: catalog.family
MAX_EVENTS = 200  # denser events are not worth a marker each; the curve shows them
WARMUP_SHARE = 0.25  # share of the run a warmup may take before it is a warning


@dataclass(frozen=True)
class Event:
    step: int  # scheduler-step index (row of the curve)
    kind: str  # "milestone", "phase", "restart", "reduction", "end"
    label: Text  # what the chart's marker says, in the reader's language


@dataclass(frozen=True)
class Finding:
    severity: str  # "error", "warning" or "info"
    message: str  # one sentence: what is wrong (in English)
    fix: str  # one sentence: what to do
    start: int  # the scheduler steps concerned: start (inclusive) ...
    end: int  # ... to end (exclusive)
    code: str  # a short stable name, e.g. "cosine-rises"
    key: str = ""  # its sentences' key in the messages (the code, or a variant of it)
    params: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def text(self, lang: str = DEFAULT) -> tuple[str, str]:
        """The message and the fix in ``lang``."""
        return (render(f"finding.{self.key}.message", self.params, lang),
                render(f"finding.{self.key}.fix", self.params, lang))

    def to_dict(self) -> dict:
        """For JSON: the English sentences, the code and the values they were made from."""
        out = {k: v for k, v in self.__dict__.items() if k not in ("key", "params")}
        out["params"] = {k: str(v) if isinstance(v, Text) else v
                         for k, v in self.params.items()}
        return out


def finding(severity: str, key: str, start: int, end: int, **params: Any) -> Finding:
    """A finding whose sentences are ``finding.<key>`` of the messages; its code is the
    key's first part (``"horizon-unit.batches"`` is a "horizon-unit")."""
    message = render(f"finding.{key}.message", params)
    return Finding(severity, message, render(f"finding.{key}.fix", params), start, end,
                   key.split(".")[0], key, params)


def unit(run: Run, one: bool = False) -> Text:
    """The run's unit in words: epochs or steps (``one``: epoch or step)."""
    plural = run.unit
    return Text(f"unit.{plural[:-1] if one else plural}")


@dataclass
class Run:
    """The run a schedule is checked against: ``steps`` calls of ``scheduler.step()``,
    once per ``step_per``, ``per_epoch`` batches an epoch (when known)."""

    schedule: Schedule
    steps: int
    per_epoch: int | None
    step_per: str

    @property
    def unit(self) -> str:
        return "epochs" if self.step_per == "epoch" else "steps"

    def other_length(self) -> int | None:
        """The run's length in the unit it is *not* stepped in (batches when stepped per
        epoch, epochs when per batch); None when the two are the same."""
        if not self.per_epoch or self.per_epoch == 1:
            return None
        if self.step_per == "epoch":
            return self.steps * self.per_epoch
        return max(1, self.steps // self.per_epoch)


class _Warmup:
    def __repr__(self) -> str:
        return "WARMUP"


WARMUP: Any = _Warmup()  # the length of a warmup: it leads into the run, sets no length


def _no_length(spec: SchedulerSpec, run: int) -> Any:
    return None


def _no_events(spec: SchedulerSpec, offset: int, end: int, lr: Any) -> list[Event]:
    return []


def _no_checks(spec: SchedulerSpec, start: int, end: int, run: Run, first: bool,
               last: bool) -> Iterator[Finding]:
    return iter(())


def _as_is(kw: dict, fit: Fit) -> dict:
    return kw


@dataclass(frozen=True)
class Fit:
    """What an example is fitted to: a run of ``steps`` calls of ``scheduler.step()``, a
    warmup of about 5% of it, and a per-step factor that decays to 1% over it."""

    steps: int
    warmup: int
    decay: float


@dataclass(frozen=True)
class SchedulerInfo:
    """One scheduler of the registry (see the module's docstring)."""

    name: str
    family: str  # one of FAMILIES (in English as it is shown; family_in says it in others)
    params: tuple[Param, ...]
    # calls of step() after which it has played out whole: an int, None (no length of its
    # own) or WARMUP; ``run`` is the run's length in calls (restarts end a cycle after it)
    length: Callable[[SchedulerSpec, int], Any] = _no_length
    # its events between rows ``offset`` and ``end`` (``lr``: the curve's lr column)
    events: Callable[[SchedulerSpec, int, int, Any], list[Event]] = _no_events
    # the mistakes specific to it, driving rows start..end of ``run``; ``first``: it sets
    # the run's first lr; ``last``: the run's final step() reaches it
    checks: Callable[..., Iterator[Finding]] = _no_checks
    # the length parameter a run's unit is judged by: (its name, its value, the value to
    # compare with the run's length), or None
    unit_length: Callable[[dict], tuple[str, int, int] | None] = lambda args: None
    # the example's arguments fitted to a run (nested schedulers as (name, kwargs) pairs)
    fit: Callable[[dict, Fit], dict] = _as_is
    # a composite's example arguments (nested schedulers as (name, kwargs) pairs)
    example_args: tuple[tuple[str, Any], ...] = ()
    per_batch: bool = False  # made to be stepped after every batch (OneCycleLR, CyclicLR)
    needs_metric: bool = False  # step() takes a metric (ReduceLROnPlateau)
    restarts: bool = False  # its length depends on the run: it ends where a cycle ends

    @property
    def summary_text(self) -> Text:
        """What it does, in one sentence, to be said in any language."""
        return Text(f"catalog.scheduler.{self.name}.summary")

    @property
    def summary(self) -> str:
        """What it does, in one English sentence."""
        return self.summary_text.render()

    def summary_in(self, lang: str = DEFAULT) -> str:
        return self.summary_text.render(lang)

    def family_in(self, lang: str = DEFAULT) -> str:
        """Its family's name in ``lang``."""
        return family_name(self.family, lang)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def composite(self) -> bool:
        return any(p.kind == "schedulers" for p in self.params)

    @property
    def switches(self) -> bool:
        """A composite that runs its schedulers one after another, at milestones."""
        return self.composite and any(p.name == "milestones" for p in self.params)

    @property
    def optimizer_first(self) -> bool:
        """Its first argument is the optimizer (not so for ChainedScheduler)."""
        return self.params[0].kind == "optimizer"

    @property
    def can_be_phase(self) -> bool:
        """It may run inside a composite (torch passes composites no metric)."""
        return not self.composite and not self.needs_metric


REGISTRY: dict[str, SchedulerInfo] = {}  # filled by the package: every entry by name


def family_name(family: str, lang: str = DEFAULT) -> str:
    """The name of a family (one of FAMILIES) in ``lang``."""
    return render(f"catalog.family.{family}", None, lang)


def entry(name: str) -> SchedulerInfo:
    return REGISTRY[name]


OPT = Param("optimizer", "optimizer", widget=False)
LAST = Param("last_epoch", "int", default=-1, low=-1, high=-1, widget=False)
GAMMA = dict(low=0, low_open=True)


def scheduler(name: str, family: str, *params: Param, opt: bool = True, last: bool = True,
              **rules: Any) -> SchedulerInfo:
    """An entry with torch's optimizer first and last_epoch last (unless told not to); its
    words are ``catalog.scheduler.<name>`` and ``catalog.param`` in the messages."""
    ps = ((OPT,) if opt else ()) + params + ((LAST,) if last else ())
    return SchedulerInfo(name, family, tuple(replace(p, owner=name) for p in ps), **rules)


# --- shared rules ------------------------------------------------------------------------
def length_param(key: str) -> Callable[[SchedulerSpec, int], int]:
    """An entry's ``length``: the parameter that is the schedule's length."""
    return lambda spec, run: spec.args[key]


def unit_param(key: str, compared: int = 1) -> Callable[[dict], tuple[str, int, int]]:
    """An entry's ``unit_length``: the parameter a run's unit is judged by, compared with
    the run's length ``compared`` times over (a CyclicLR cycle is two step_size_up)."""
    return lambda args: (key, args[key], compared * args[key])


def ends_at(what: str) -> Callable[..., list[Event]]:
    """An entry's ``events``: one mark where total_iters ends (``what``: the key of the
    words, ``event.ends.<what>``)."""
    def events(spec: SchedulerSpec, offset: int, end: int, lr: Any) -> list[Event]:
        t = spec.args["total_iters"]
        return [Event(offset + t, "end", Text(f"event.ends.{what}", {"t": t}))]
    return events


def every(offset: int, end: int, period: int, first: int, kind: str, label: Text
          ) -> list[Event]:
    """An event every ``period`` rows from ``first`` on, within offset..end."""
    span = end - offset
    if period <= 0 or first >= span:
        return []
    count = min((span - first - 1) // period + 1, 10 * MAX_EVENTS)
    return [Event(offset + first + i * period, kind, label) for i in range(count)]


def onecycle_total(kw: dict) -> int:
    """OneCycleLR's length: total_steps, or epochs x steps_per_epoch when that is not given."""
    total = kw.get("total_steps")
    return kw["epochs"] * kw["steps_per_epoch"] if total is None else total


_MAX_CYCLES = 64  # cosine restart cycles walked at most (they grow geometrically)


def restart_cycle(t_0: int, t_mult: int, run: int) -> tuple[int, int]:
    """The restart cycle of CosineAnnealingWarmRestarts that holds call ``run``: where it
    starts and how long it is (so it ends at or after ``run``)."""
    if t_mult == 1:  # restarts at every multiple of T_0: no need to walk them
        return (run - 1) // t_0 * t_0 if t_0 < run else 0, t_0
    start, length = 0, t_0
    for _ in range(_MAX_CYCLES):  # cycles grow geometrically: few passes
        if start + length >= run:
            break
        start += length
        length *= t_mult
    return start, length


def calls_reached(rows: int, last: bool) -> int:
    """The highest count a scheduler's own step counter reaches over ``rows`` curve rows:
    ``rows`` when the run's last ``scheduler.step()`` reaches it (``last``), else
    ``rows - 1`` (a SequentialLR phase that is switched away from)."""
    return rows if last else rows - 1


def check_spec(spec: SchedulerSpec, start: int, end: int, run: Run, first: bool,
               last: bool) -> Iterator[Finding]:
    """Every finding for ``spec`` (and, through its entry, its children) over start..end:
    a length counted in the wrong unit, then the entry's own checks."""
    yield from unit_mismatch(spec, start, end, run)
    yield from entry(spec.name).checks(spec, start, end, run, first, last)


def unit_mismatch(spec: SchedulerSpec, start: int, end: int, run: Run) -> Iterator[Finding]:
    """A length counted in batches but stepped per epoch, or the other way round."""
    other = run.other_length()
    own = entry(spec.name).unit_length(spec.args)
    if other is None or own is None:
        return
    key, value, compared = own
    span = end - start
    run_other = other * span // run.steps
    shown = Text("finding.horizon-unit.shown.named", {"key": key, "value": value}) \
        if key in spec.kwargs else Text("finding.horizon-unit.shown.length", {"value": value})
    looks_other = 0.5 * run_other <= compared <= 2 * run_other
    if run.step_per == "epoch" and looks_other and compared >= 4 * span:
        yield finding("warning", "horizon-unit.batches", start, end, name=spec.name,
                      shown=shown, span=span, per_epoch=run.per_epoch, other=run_other)
    elif run.step_per == "batch" and looks_other and 4 * compared <= span:
        yield finding("warning", "horizon-unit.epochs", start, end, name=spec.name,
                      shown=shown, other=run_other)


def milestone_checks(spec: SchedulerSpec, start: int, end: int, run: Run,
                     late_effect: str, unsorted: str, repeat_effect: str
                     ) -> Iterator[Finding]:
    """Milestones beyond the run, out of order or repeated (MultiStepLR, SequentialLR);
    the effects are keys of ``finding.effect`` in the messages."""
    marks, span, name = list(spec.kwargs["milestones"]), end - start, spec.name
    late = sorted({m for m in marks if m >= span})
    if late:
        yield finding("warning", "milestone-beyond.milestones", start + min(late[0], span - 1),
                      end, name=name, late=", ".join(map(str, late)), span=span,
                      unit=unit(run), effect=Text(f"finding.effect.{late_effect}"))
    if marks != sorted(marks):
        yield finding(unsorted, "milestones-unsorted", start, end, name=name,
                      marks=str(marks), sorted=str(sorted(marks)))
    twice = sorted(m for m, k in Counter(marks).items() if k > 1 and m < span)
    if twice:
        yield finding("warning", "milestones-repeat", start + twice[0], start + twice[0] + 1,
                      name=name, twice=", ".join(map(str, twice)),
                      effect=Text(f"finding.effect.{repeat_effect}"))


def cycle_momentum_check(spec: SchedulerSpec, start: int, end: int, run: Run
                         ) -> Iterator[Finding]:
    """cycle_momentum=True on an optimizer made without momentum (CyclicLR, OneCycleLR)."""
    opt = run.schedule.optimizer
    if spec.args["cycle_momentum"] and OPTIMIZERS[opt.name].momentum == "momentum" and \
            not opt.kwargs.get("momentum", 0):
        lo, hi = spec.args["base_momentum"], spec.args["max_momentum"]
        yield finding("warning", "cycle-momentum", start, end, name=spec.name,
                      optimizer=opt.name, low=lo, high=hi)
