"""IR-SE ResNet blocks shared by the ArcFace identity network and the e4e encoder.

Source: TreB1eN/InsightFace_Pytorch `model.py`, as vendored in StyleCLIP
`models/facial_recognition/helpers.py` and e4e `models/encoders/helpers.py`. Module and attribute
names are kept so that the official checkpoints' keys (`input_layer.*`, `body.N.res_layer.*`,
`body.N.shortcut_layer.*`) load strictly.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


class BlockSpec(NamedTuple):
    """One bottleneck unit: input channels, output channels (`depth`), stride of its second conv."""

    in_channel: int
    depth: int
    stride: int


def _stage(in_channel: int, depth: int, num_units: int, stride: int = 2) -> list[BlockSpec]:
    return [BlockSpec(in_channel, depth, stride)] + [BlockSpec(depth, depth, 1) for _ in range(num_units - 1)]


def block_specs(num_layers: int = 50) -> list[BlockSpec]:
    """The units of an IR-SE ResNet, flattened in `body` order (50 layers: 3/4/14/3 units)."""
    units = {50: (3, 4, 14, 3), 100: (3, 13, 30, 3), 152: (3, 8, 36, 3)}
    if num_layers not in units:
        raise ValueError(f"num_layers must be one of {sorted(units)}, got {num_layers}")
    widths = (64, 64, 128, 256, 512)
    specs: list[BlockSpec] = []
    for i, n in enumerate(units[num_layers]):
        specs += _stage(widths[i], widths[i + 1], n)
    return specs


class SEModule(nn.Module):
    """Squeeze-and-excitation: per-channel gates from globally pooled features (no biases)."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, kernel_size=1, padding=0, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(channels // reduction, channels, kernel_size=1, padding=0, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate = self.sigmoid(self.fc2(self.relu(self.fc1(self.avg_pool(x)))))
        return x * gate


class BottleneckIRSE(nn.Module):
    """`bottleneck_IR_SE`: BN → conv3×3 → PReLU → conv3×3 (stride) → BN → SE, plus a shortcut."""

    def __init__(self, in_channel: int, depth: int, stride: int) -> None:
        super().__init__()
        if in_channel == depth:
            # A 1×1 max pool with a stride is plain subsampling; it has no parameters.
            self.shortcut_layer: nn.Module = nn.MaxPool2d(1, stride)
        else:
            self.shortcut_layer = nn.Sequential(
                nn.Conv2d(in_channel, depth, (1, 1), stride, bias=False),
                nn.BatchNorm2d(depth),
            )
        self.res_layer = nn.Sequential(
            nn.BatchNorm2d(in_channel),
            nn.Conv2d(in_channel, depth, (3, 3), (1, 1), 1, bias=False),
            nn.PReLU(depth),
            nn.Conv2d(depth, depth, (3, 3), stride, 1, bias=False),
            nn.BatchNorm2d(depth),
            SEModule(depth, 16),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.res_layer(x) + self.shortcut_layer(x)


def input_layer() -> nn.Sequential:
    """The stem: conv3×3 3→64 (no bias), BN, PReLU; keys `input_layer.{0,1,2}.*`."""
    return nn.Sequential(nn.Conv2d(3, 64, (3, 3), 1, 1, bias=False), nn.BatchNorm2d(64), nn.PReLU(64))


def body(num_layers: int = 50) -> nn.Sequential:
    """The bottleneck units; keys `body.N.*`. For 50 layers: 112 px in → 7 px out (×1/16), 512 channels."""
    return nn.Sequential(*(BottleneckIRSE(*spec) for spec in block_specs(num_layers)))


def l2_norm(x: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """Divide by the L2 norm along `dim`, without an epsilon (as the reference)."""
    return x / torch.linalg.vector_norm(x, 2, dim, keepdim=True)

