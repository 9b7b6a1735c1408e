"""The learning-rate range test's arithmetic: the swept lrs, the smoothed loss, when to stop,
and the two suggestions read off the curve. No torch: the page recomputes them from the
stored steps, and the training loop (``schedlab.training.lrfind``) uses the same functions.

The method (Smith 2017, as Lightning's ``Tuner.lr_find``, fastai's ``lr_find`` and
torch-lr-finder run it): train for a few steps while the lr rises from ``start`` to ``end``,
exponentially or linearly; smooth the loss with a bias-corrected exponential moving
average; stop once the smoothed loss exceeds ``DIVERGE`` times its best. The suggestions
are hints, not rules: *steepest* is the lr where the smoothed loss falls fastest (against
log lr in an exponential sweep) on its way down to its lowest point, *min_div_10* the lr
of the lowest smoothed loss divided by ten. Both move with the seed, the batch size and
the sweep's range.
"""

from __future__ import annotations

import math

import numpy as np

MODES = ("exp", "linear")
BETA = 0.98  # the smoothing of the loss (fastai's and Lightning's)
DIVERGE = 4.0  # stop once the smoothed loss exceeds this times its best
SKIP_BEGIN = 10  # the first steps (at most a tenth of the sweep) left out of "steepest":
# their average rests on a few losses only
SKIP_END = 1  # the last step, left out of it (where the loss may already take off)


def sweep(start: float, end: float, steps: int, mode: str) -> np.ndarray:
    """The lr of each of ``steps`` optimizer steps: ``start`` at the first, ``end`` at the
    last, in between multiplied by a constant factor ("exp") or raised by a constant
    amount ("linear")."""
    if steps == 1:
        return np.array([start])
    k = np.arange(steps) / (steps - 1)
    if mode == "exp":
        return start * (end / start) ** k
    return start + (end - start) * k


class Smoother:
    """The bias-corrected exponential moving average of the loss, fed one step at a time,
    and whether the sweep should stop there."""

    def __init__(self, beta: float = BETA) -> None:
        self.beta, self.average, self.count = beta, 0.0, 0
        self.best = math.inf

    def add(self, loss: float) -> float:
        """The smoothed loss after this step's ``loss``."""
        self.count += 1
        self.average = self.beta * self.average + (1 - self.beta) * loss
        smoothed = self.average / (1 - self.beta ** self.count)
        self.best = min(self.best, smoothed)  # a NaN never becomes the best
        return smoothed

    def diverged(self, smoothed: float) -> bool:
        """Whether the sweep should stop: the loss is no longer a number, or (after the
        first step) the smoothed loss is more than ``DIVERGE`` times its best."""
        if not math.isfinite(smoothed):
            return True
        return self.count > 1 and smoothed > DIVERGE * self.best


def smooth(losses: np.ndarray, beta: float = BETA) -> np.ndarray:
    """``Smoother`` over a whole sequence of losses."""
    smoother = Smoother(beta)
    return np.array([smoother.add(float(x)) for x in losses])


def suggest(lrs: np.ndarray, smoothed: np.ndarray, mode: str) -> dict[str, float | None]:
    """The two hints read off a sweep: ``steepest`` (None when the sweep is too short to
    tell: fewer than 3 steps once the first ones (``SKIP_BEGIN``, at most a tenth) and the
    last are left out) and
    ``min_div_10`` (None without a finite loss)."""
    lrs, smoothed = np.asarray(lrs, float), np.asarray(smoothed, float)
    finite = np.isfinite(smoothed)
    lrs, smoothed = lrs[finite], smoothed[finite]
    out: dict[str, float | None] = {"steepest": None, "min_div_10": None}
    if len(smoothed):
        out["min_div_10"] = float(lrs[int(np.argmin(smoothed))] / 10)
    begin = min(SKIP_BEGIN, len(smoothed) // 10)
    # the fall is looked for on the way down only: past the lowest loss the sweep is
    # diverging, and its swings there can be steeper than any fall before
    end = min(len(smoothed) - SKIP_END, int(np.argmin(smoothed)) + 1) if len(smoothed) else 0
    x, y = lrs[begin:end], smoothed[begin:end]
    if len(y) >= 3:
        axis = np.log(x) if mode == "exp" else x
        out["steepest"] = float(x[int(np.argmin(np.gradient(y, axis)))])
    return out
