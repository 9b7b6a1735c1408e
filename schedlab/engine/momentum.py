"""What rebuilding an optimizer does that editing its ``param_groups`` does not: it throws
the momentum buffers away. Measured on torch's own SGD, for the lesson that shows it."""

from __future__ import annotations

import numpy as np
import torch


def update_sizes(lr: float, momentum: float, steps: int, change_at: int, factor: float,
                 rebuild: bool) -> np.ndarray:
    """The size of each SGD step (``|theta_after - theta_before|``) on a loss whose gradient
    is always 1, the lr multiplied by ``factor`` before step ``change_at``: by editing
    ``optimizer.param_groups[0]['lr']`` (the buffer kept), or by building a new optimizer
    with the new lr (``rebuild``: a fresh, empty buffer)."""
    theta = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([theta], lr=lr, momentum=momentum)
    sizes = np.empty(steps)
    for k in range(steps):
        if k == change_at:
            if rebuild:
                optimizer = torch.optim.SGD([theta], lr=lr * factor, momentum=momentum)
            else:
                optimizer.param_groups[0]["lr"] = lr * factor
        before = float(theta.detach())
        optimizer.zero_grad()
        theta.grad = torch.ones_like(theta)
        optimizer.step()
        sizes[k] = abs(float(theta.detach()) - before)
    return sizes
