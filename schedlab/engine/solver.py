"""Apply a stream of per-step lr updates exactly as torch would, but vectorized.

Every torch scheduler step sets each group's lr with one of a few shapes, all written as
one affine update ``lr <- r * (lr - eta) + eta + add``, evaluated in that order:

* multiply (StepLR, ExponentialLR, LinearLR, ...):  r = factor, eta = add = 0
* set (LambdaLR, CyclicLR, OneCycleLR, ...):         r = 0, eta = 0, add = value
* cosine annealing:                                  r = ratio, eta = eta_min
* cosine's restart step:                             r = 1, add = increment

A run of multiplies is ``np.cumprod`` seeded with the incoming lr, which multiplies in
exactly torch's order, so the result is bit-for-bit torch's. Cosine decay with eta_min is
a product in ``lr - eta_min``; torch's own rounding there is damped by the decay, so it
agrees far inside the tolerance. Everything else (restart steps, rising cosine with
eta_min, whose rounding torch amplifies) is evaluated with torch's exact arithmetic: either
once per segment that starts at a fixed value, vectorized across segments, or in a plain
loop when that is cheaper.
"""

from __future__ import annotations

import numpy as np

_LOOP_COST = 1 / 20  # one Python loop step, in units of one numpy call on a short array


def run_ops(r: np.ndarray, eta: np.ndarray | None, add: np.ndarray | None,
            x0: float) -> np.ndarray:
    """The lr after each update of one param group, starting from ``x0``.

    ``eta`` and ``add`` may be None where they are zero throughout. Overflow gives inf and
    0 * inf NaN, silently, as torch's Python floats do."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        return _run_ops(r, eta, add, x0)


def _run_ops(r: np.ndarray, eta: np.ndarray | None, add: np.ndarray | None,
             x0: float) -> np.ndarray:
    n = len(r)
    if n == 0:
        return np.empty(0)
    if add is not None and not r.any():  # every step sets the lr outright
        return 0.0 + (add if eta is None else eta + add)
    if eta is None and add is None:
        return _product(x0, r)
    eta = np.broadcast_to(0.0, r.shape) if eta is None else eta
    add = np.broadcast_to(0.0, r.shape) if add is None else add
    breaks = (add != 0) | ((eta != 0) & ((r > 1) | (r <= 0)))
    nb = int(np.count_nonzero(breaks))
    if nb == 0 and not eta.any():
        return _product(x0, r)
    starts = np.flatnonzero(r == 0)
    stretches = int(np.count_nonzero(np.diff(breaks.astype(np.int8)))) + 1
    costs = {"runs": stretches + nb * _LOOP_COST, "loop": n * _LOOP_COST}
    if len(starts):
        seglen = np.diff(np.append(starts, n))
        costs["segments"] = _segment_cost(seglen, eta, add, starts, n) + min(
            int(starts[0]) * _LOOP_COST, nb + 1)
    best = min(costs, key=costs.get)
    if best == "segments":
        return _by_segments(r, eta, add, x0, starts)
    if best == "runs":
        return _by_runs(r, eta, add, x0, breaks)
    return _loop(r, eta, add, x0)


def _product(x0: float, r: np.ndarray) -> np.ndarray:
    return np.cumprod(np.concatenate(([x0], r)))[1:]


def _by_runs(r, eta, add, x0: float, breaks: np.ndarray) -> np.ndarray:
    """Runs of products (in lr - eta when eta != 0) between stretches of break points,
    which are evaluated with torch's exact arithmetic in a plain loop."""
    n = len(r)
    out = np.empty(n)
    # a product run also ends where eta changes, so each run has one eta
    edges = np.flatnonzero(np.diff(breaks.astype(np.int8)) != 0) + 1
    change = np.flatnonzero(eta[1:] != eta[:-1]) + 1
    cuts = np.union1d(edges, change[~breaks[change]]).tolist()
    prev = float(x0)
    for a, b in zip([0] + cuts, cuts + [n]):
        if breaks[a]:
            out[a:b] = _loop(r[a:b], eta[a:b], add[a:b], prev)
        elif eta[a] == 0:
            out[a:b] = _product(prev, r[a:b])
        else:
            e = float(eta[a])
            out[a:b] = e + _product(prev - e, r[a:b])
        prev = float(out[b - 1])
    return out


def _segment_cost(seglen: np.ndarray, eta, add, starts: np.ndarray, n: int) -> float:
    """Numpy calls needed to advance all segments together."""
    if len(seglen) > 1 and np.all(seglen[:-1] == seglen[0]) and seglen[-1] <= seglen[0]:
        # one block; only the columns up to the last non-multiply need a step each
        special = np.flatnonzero((eta[starts[0]:] != 0) | (add[starts[0]:] != 0))
        last = int((special % seglen[0]).max()) if len(special) else 0
        return 2 + 1.2 * last
    return 1.5 * float(seglen.max())


def _by_segments(r, eta, add, x0: float, starts: np.ndarray) -> np.ndarray:
    """Segments that start where r == 0 (a value independent of the lr before), advanced
    one offset at a time across all segments at once, with torch's exact arithmetic."""
    n = len(r)
    out = np.empty(n)
    first = int(starts[0])
    if first:
        out[:first] = run_ops(r[:first], eta[:first], add[:first], x0)
    seglen = np.diff(np.append(starts, n))
    if len(seglen) > 1 and np.all(seglen[:-1] == seglen[0]) and seglen[-1] <= seglen[0]:
        out[first:] = _equal_segments(r[first:], eta[first:], add[first:], int(seglen[0]))
        return out
    out[starts] = 0.0 + eta[starts] + add[starts]  # r == 0: the lr before does not matter
    for j in range(1, int(seglen.max())):
        p = starts[seglen > j] + j
        out[p] = r[p] * (out[p - 1] - eta[p]) + eta[p] + add[p]
    return out


def _equal_segments(r, eta, add, length: int) -> np.ndarray:
    """Segments of one length (periodic restarts): a 2-D block, one column per offset;
    columns of plain multiplies after the last special one become a single cumprod."""
    n = len(r)
    rows = -(-n // length)
    pad = rows * length - n  # the last segment may be cut short: pad with no-op updates

    def block(a: np.ndarray, fill: float) -> np.ndarray:
        return np.concatenate((a, np.full(pad, fill))).reshape(rows, length)

    R, E, A = block(np.asarray(r, float), 1.0), block(np.asarray(eta, float), 0.0), \
        block(np.asarray(add, float), 0.0)
    special = np.flatnonzero(((E != 0) | (A != 0)).any(axis=0))
    last = int(special.max()) if len(special) else 0
    out = np.empty((rows, length))
    out[:, 0] = 0.0 + E[:, 0] + A[:, 0]
    for j in range(1, last + 1):
        out[:, j] = R[:, j] * (out[:, j - 1] - E[:, j]) + E[:, j] + A[:, j]
    if last + 1 < length:
        out[:, last:] = np.cumprod(np.concatenate((out[:, last:last + 1], R[:, last + 1:]), 1),
                                   1)
    return out.reshape(-1)[:n]


def _loop(r, eta, add, x0: float) -> np.ndarray:
    out = []
    x = float(x0)
    append = out.append
    for ri, ei, ai in zip(r.tolist(), eta.tolist(), add.tolist()):
        x = ri * (x - ei) + ei + ai
        append(x)
    return np.array(out)
