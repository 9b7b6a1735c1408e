"""What a registry entry is: a scheduler's parameters and everything known about it.

An entry (``SchedulerInfo``) holds torch's parameters for the scheduler and its rules:
its own length (so a pasted schedule can be drawn whole), the events on its curve, the
mistakes specific to it, the example a fresh editor shows and how to fit that example to
a run. The engine's models are the only other place that knows a scheduler by name.

Entries look each other up at run time through ``entry(name)`` (a composite asks its
children), so the family modules never import one another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from schedlab.messages import DEFAULT, Text, render
from schedlab.spec.params import Param

if TYPE_CHECKING:
    from schedlab.spec.schedule import Schedule, SchedulerSpec

FAMILIES = ("decay", "warmup/composite", "cyclic", "adaptive", "transformers", "timm")
# (their words: catalog.family)
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
    warmup of about 5% of it, a per-step factor that decays to 1% over it, and whether
    the calls come after every batch."""

    steps: int
    warmup: int
    decay: float
    per_batch: bool = False  # the run steps the scheduler after every batch


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
    # the module it comes from: torch.optim.lr_scheduler, transformers or timm.scheduler
    library: str = "torch.optim.lr_scheduler"
    # made to be stepped per batch, for schedulers where that depends on an argument
    # (timm's t_in_epochs); None: ``per_batch`` says
    batch_rule: Callable[[dict], bool] | None = None
    holds: bool = False  # keeps the lr constant by design (no warning that it does)
    # transformers' schedules: the name the HF Trainer builds it by (lr_scheduler_type)
    trainer_type: str | None = None
    # timm's: its arguments as create_scheduler_v2 takes them, given a function that turns
    # a count into epochs (or refuses); None where create_scheduler_v2 cannot make it
    to_v2: Callable[[dict, Callable[[str, Any], Any]], dict] | None = None

    def made_per_batch(self, args: dict) -> bool:
        """Made to be stepped after every batch, with these arguments."""
        return self.per_batch if self.batch_rule is None else self.batch_rule(args)

    @property
    def torch(self) -> bool:
        """One of torch's own schedulers (not transformers' or timm's)."""
        return self.library == "torch.optim.lr_scheduler"

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
        """It may run inside a composite (torch passes composites no metric; the other
        libraries' schedules are drawn on their own)."""
        return not self.composite and not self.needs_metric and self.torch


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
