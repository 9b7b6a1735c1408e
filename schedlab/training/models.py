"""The models trained on MNIST: the classic tutorial CNN, and a small MLP for speed."""

from __future__ import annotations

import torch
from torch import nn

from schedlab.errors import ConfigError


class CNN(nn.Module):
    """The classic tutorial CNN: conv 1->16 and 16->32 (3x3, padding 1), each with ReLU
    and 2x2 max-pool, dropout 0.3, fc 1568->128, ReLU, fc 128->10."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.dropout = nn.Dropout(0.3)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # max-pool, then ReLU: the same function as ReLU then pool (ReLU is monotonic),
        # with the ReLU on a quarter of the values
        x = torch.relu(nn.functional.max_pool2d(self.conv1(x), 2))
        x = torch.relu(nn.functional.max_pool2d(self.conv2(x), 2))
        x = self.dropout(torch.flatten(x, 1))
        return self.fc2(torch.relu(self.fc1(x)))


class MLP(nn.Module):
    """784 -> 128 -> 10 with ReLU: seconds per epoch even on a slow CPU."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(28 * 28, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))


MODELS = {"cnn": CNN, "mlp": MLP}


def build_model(name: str) -> nn.Module:
    if name not in MODELS:
        raise ConfigError(param="model", code="error.train.choice", params={
            "name": "model", "allowed": ", ".join(MODELS), "value": repr(name)})
    return MODELS[name]()


def param_groups(model: nn.Module, count: int) -> list[list[nn.Parameter]]:
    """Split the layers into ``count`` groups for an optimizer with that many param groups:
    the last group is the head (the last layer), the groups before it take one layer each
    going backwards, and group 0 keeps the rest of the backbone."""
    layers = [list(m.parameters(recurse=False)) for m in model.modules()
              if list(m.parameters(recurse=False))]
    if not 1 <= count <= len(layers):
        raise ConfigError(param="groups", code="error.train.groups", params={
            "model": type(model).__name__.lower(), "layers": len(layers), "count": count})
    cut = len(layers) - (count - 1)
    groups = [[p for layer in layers[:cut] for p in layer]]
    return groups + [layer for layer in layers[cut:]]
