"""The e4e encoder: a photo's aligned 256 px crop → a W+ latent in one forward pass.

Tov et al. 2021, "Designing an Encoder for StyleGAN Image Manipulation" (omertov/encoder4editing,
`models/encoders/psp_encoders.py` `Encoder4Editing`). An IR-SE50 body feeds a feature pyramid
(c1 64 px, c2 32 px, c3 16 px); a map2style block per W+ level predicts level 0's w from c3 and,
for every other level, a delta added to it. Module names follow the reference so the official
checkpoint's `encoder.*` keys load strictly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from engine import irse

# W+ levels 0-2 read c3 (16 px), 3-6 the middle FPN level (32 px), 7+ the fine level (64 px).
COARSE_END = 3
MIDDLE_END = 7
# `body` indices whose outputs feed the pyramid (IR-SE50: ends of stages 2, 3 and 4).
C1_INDEX, C2_INDEX, C3_INDEX = 6, 20, 23


class EqualLinear(nn.Module):
    """StyleGAN2's equalized-lr linear layer (no activation): y = x (W/√in · lr_mul)ᵀ + b · lr_mul."""

    def __init__(self, in_dim: int, out_dim: int, lr_mul: float = 1.0) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_dim))
        self.scale = 1 / math.sqrt(in_dim) * lr_mul
        self.lr_mul = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class GradualStyleBlock(nn.Module):
    """map2style: stride-2 conv3×3 + LeakyReLU(0.01) down to 1 px, then an EqualLinear → one w [N, 512]."""

    def __init__(self, in_c: int, out_c: int, spatial: int) -> None:
        super().__init__()
        self.out_c = out_c
        modules: list[nn.Module] = [nn.Conv2d(in_c, out_c, kernel_size=3, stride=2, padding=1), nn.LeakyReLU()]
        for _ in range(int(math.log2(spatial)) - 1):
            modules += [nn.Conv2d(out_c, out_c, kernel_size=3, stride=2, padding=1), nn.LeakyReLU()]
        self.convs = nn.Sequential(*modules)
        self.linear = EqualLinear(out_c, out_c, lr_mul=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.convs(x).reshape(-1, self.out_c))


class Encoder4Editing(nn.Module):
    """[N, 3, 256, 256] in [-1, 1] (mean = std = 0.5 normalisation) → raw codes [N, num_ws, 512].

    The codes are offsets from the generator's mean w: add `latent_avg` to get W+ (see `WPlusEncoder`).
    All deltas are active (the reference's `ProgressiveStage.Inference`).
    """

    def __init__(self, num_layers: int = 50, stylegan_size: int = 1024) -> None:
        super().__init__()
        self.input_layer = irse.input_layer()
        self.body = irse.body(num_layers)
        self.style_count = 2 * int(math.log2(stylegan_size)) - 2
        self.styles = nn.ModuleList(
            GradualStyleBlock(512, 512, 16 if i < COARSE_END else 32 if i < MIDDLE_END else 64)
            for i in range(self.style_count)
        )
        self.latlayer1 = nn.Conv2d(256, 512, kernel_size=1, stride=1, padding=0)
        self.latlayer2 = nn.Conv2d(128, 512, kernel_size=1, stride=1, padding=0)

    def pyramid(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The body's features c1 [N, 128, 64, 64], c2 [N, 256, 32, 32], c3 [N, 512, 16, 16] at 256 px input."""
        x = self.input_layer(x)
        taps: dict[int, torch.Tensor] = {}
        for i, unit in enumerate(self.body):
            x = unit(x)
            if i in (C1_INDEX, C2_INDEX, C3_INDEX):
                taps[i] = x
        return taps[C1_INDEX], taps[C2_INDEX], taps[C3_INDEX]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c1, c2, c3 = self.pyramid(x)
        w0 = self.styles[0](c3)
        codes = [w0]
        features = c3
        for i in range(1, self.style_count):
            if i == COARSE_END:
                p2 = _upsample_add(c3, self.latlayer1(c2))
                features = p2
            elif i == MIDDLE_END:
                features = _upsample_add(p2, self.latlayer2(c1))
            codes.append(w0 + self.styles[i](features))
        return torch.stack(codes, dim=1)


def _upsample_add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """FPN merge: bilinear (align_corners=True, as the reference) upsampling of x to y's size, plus y."""
    return F.interpolate(x, size=y.shape[-2:], mode="bilinear", align_corners=True) + y


class WPlusEncoder(nn.Module):
    """e4e with its `latent_avg`: [N, 3, 256, 256] in [-1, 1] → W+ [N, num_ws, 512]."""

    def __init__(self, encoder: Encoder4Editing, latent_avg: torch.Tensor) -> None:
        super().__init__()
        self.encoder = encoder
        if latent_avg.ndim == 1:  # one mean w: the same for every level
            latent_avg = latent_avg.expand(encoder.style_count, -1)
        if tuple(latent_avg.shape) != (encoder.style_count, 512):
            raise ValueError(f"latent_avg must be [512] or [{encoder.style_count}, 512], got {list(latent_avg.shape)}")
        self.register_buffer("latent_avg", latent_avg.detach().float().clone())

    @property
    def num_ws(self) -> int:
        return self.encoder.style_count

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if images.ndim != 4 or tuple(images.shape[1:]) != (3, 256, 256):
            raise ValueError(f"expected images [N, 3, 256, 256] in [-1, 1], got shape {list(images.shape)}")
        return self.encoder(images) + self.latent_avg
