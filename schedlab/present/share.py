"""The explorer's whole state, and its round trip through a URL query parameter.

The state (schedule, run, view options, metric settings and the comparison list) is JSON,
compressed and base64url-encoded into one parameter, so a copied link reopens the same
view. Decoding trusts nothing: size limits before and after decompression, strict JSON
shapes, and every schedule re-checked; any problem is a ScheduleError.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass, field, replace
from typing import Any

from schedlab.engine.cost import check_page, estimate_curve
from schedlab.errors import LinkError, ScheduleError
from schedlab.spec.examples import example_schedule
from schedlab.spec.horizon import Horizon, MetricSettings
from schedlab.spec.schedule import Schedule

MAX_PINNED = 6
MAX_ENCODED = 16_000  # characters in the URL parameter
MAX_JSON = 200_000  # bytes once decompressed
X_UNITS = ("step", "epoch")


@dataclass(frozen=True)
class View:
    x_unit: str = "step"
    log_y: bool = False
    momentum: bool = True

    def __post_init__(self) -> None:
        if self.x_unit not in X_UNITS or not isinstance(self.log_y, bool) or not isinstance(
                self.momentum, bool):
            raise ScheduleError(code="error.link.view")


@dataclass(frozen=True)
class Pinned:
    """A schedule kept for comparison, with the run it was drawn over."""

    label: str
    schedule: Schedule
    horizon: Horizon
    metric: MetricSettings = MetricSettings()

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "schedule": self.schedule.to_dict(),
                "horizon": self.horizon.to_dict(), "metric": self.metric.to_dict()}

    @classmethod
    def from_dict(cls, data: Any) -> Pinned:
        if not isinstance(data, dict) or set(data) != {"label", "schedule", "horizon",
                                                       "metric"}:
            raise ScheduleError(code="error.link.pinned-fields")
        label = data["label"]
        if not isinstance(label, str) or not 0 < len(label) <= 120:
            raise ScheduleError(code="error.link.pinned-label", params={"most": 120})
        return cls(label, Schedule.from_dict(data["schedule"]),
                   Horizon.from_dict(data["horizon"]), MetricSettings.from_dict(data["metric"]))


@dataclass(frozen=True)
class ExplorerState:
    schedule: Schedule = field(default_factory=lambda: example_schedule("StepLR"))
    horizon: Horizon = Horizon()
    view: View = View()
    metric: MetricSettings = MetricSettings()
    compare: tuple[Pinned, ...] = ()

    def __post_init__(self) -> None:
        # every state can be drawn within the budget: a link, a pin or a widget change
        # that could not is refused here, before anything is computed
        check_page([estimate_curve(s, h.scheduler_steps) for s, h in self.curves()])

    def curves(self) -> list[tuple[Schedule, Horizon]]:
        """What the page draws: the current schedule and each compared one, with its run."""
        return [(self.schedule, self.horizon)] + [(p.schedule, p.horizon)
                                                  for p in self.compare]

    def pin(self, label: str) -> ExplorerState:
        """Add the current schedule to the comparison list (the oldest goes past 6)."""
        pinned = Pinned(label, self.schedule, self.horizon, self.metric)
        return replace(self, compare=(self.compare + (pinned,))[-MAX_PINNED:])

    def to_dict(self) -> dict[str, Any]:
        return {"v": 1, "schedule": self.schedule.to_dict(), "horizon": self.horizon.to_dict(),
                "view": {"x_unit": self.view.x_unit, "log_y": self.view.log_y,
                         "momentum": self.view.momentum},
                "metric": self.metric.to_dict(), "compare": [p.to_dict() for p in self.compare]}

    @classmethod
    def from_dict(cls, data: Any) -> ExplorerState:
        keys = {"v", "schedule", "horizon", "view", "metric", "compare"}
        if not isinstance(data, dict) or data.get("v") != 1 or not set(data) <= keys:
            raise ScheduleError(code="error.link.format")
        view = data.get("view", {})
        if not isinstance(view, dict) or not set(view) <= {"x_unit", "log_y", "momentum"}:
            raise ScheduleError(code="error.link.view-malformed")
        compare = data.get("compare", [])
        if not isinstance(compare, list) or len(compare) > MAX_PINNED:
            raise ScheduleError(code="error.link.pinned-many", params={"most": MAX_PINNED})
        return cls(Schedule.from_dict(data["schedule"]), Horizon.from_dict(data["horizon"]),
                   View(**view), MetricSettings.from_dict(data.get("metric", {})),
                   tuple(Pinned.from_dict(p) for p in compare))

    def encode(self) -> str:
        raw = json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")

    @classmethod
    def decode(cls, text: Any) -> ExplorerState:
        """The state from a link parameter; LinkError (a ScheduleError) for anything
        malformed, the schedule inside it included."""
        try:
            return cls._decode(text)
        except LinkError:
            raise
        except ScheduleError as exc:
            raise LinkError(param=exc.param, code=exc.code, params=exc.params) from None

    @classmethod
    def _decode(cls, text: Any) -> ExplorerState:
        if not isinstance(text, str) or not text or len(text) > MAX_ENCODED:
            raise LinkError(code="error.link.missing")
        try:
            packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            inflate = zlib.decompressobj()
            raw = inflate.decompress(packed, MAX_JSON)
            too_large = bool(inflate.unconsumed_tail)
            data = None if too_large else json.loads(raw)
        except (binascii.Error, ValueError, zlib.error, RecursionError):
            raise LinkError(code="error.link.damaged") from None
        if too_large:
            raise LinkError(code="error.link.too-large")
        try:
            return cls.from_dict(data)
        except TypeError as exc:  # unexpected keyword arguments in a dataclass
            raise LinkError(code="error.link.unexpected", params={"detail": str(exc)}) from None


def pin_label(state: ExplorerState) -> str:
    """A readable legend name: the scheduler with its arguments, the optimizer and lr."""
    s = state.schedule
    lr = s.optimizer.kwargs.get("lr")
    text = s.scheduler.label() + f" · {s.optimizer.name}" + (
        f" lr={lr:g}" if isinstance(lr, (int, float)) else "")
    if state.horizon.step_per == "batch":
        text += " · per batch"
    return text if len(text) <= 100 else text[:97] + "..."
