"""StyleGAN2 building blocks, with the parameter names of rosinality's port (the official
checkpoints' key layout). Bottom-up: equalized-lr linear, then modulated convolution, then the
styled conv and ToRGB layers the generator stacks.

Modulated layers take the style vector `s` (the output of their `modulation` layer) rather than
`w`: the generator computes `s` itself, which is what makes StyleSpace editing a plain addition.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from engine.ops import fused_leaky_relu, make_kernel, upfirdn2d


class PixelNorm(nn.Module):
    """Normalise each vector to unit root-mean-square along `dim` (features, for the mapping net)."""

    def __init__(self, dim: int = 1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(torch.mean(x**2, dim=self.dim, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    """Linear layer with equalized learning rate: weights stored at N(0, 1/lr_mul), scaled at run time."""

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        bias_init: float = 0.0,
        lr_mul: float = 1.0,
        activate: bool = False,   # fused bias + leaky ReLU instead of a plain bias
        bias_dim: int = 1,        # where the activation adds its bias (see fused_leaky_relu)
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale = lr_mul / math.sqrt(in_dim)
        self.lr_mul = lr_mul
        self.activate = activate
        self.bias_dim = bias_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.activate:
            out = F.linear(x, self.weight * self.scale)
            return fused_leaky_relu(out, self.bias * self.lr_mul, bias_dim=self.bias_dim)
        return F.linear(x, self.weight * self.scale, bias=self.bias * self.lr_mul)


class BiasLeakyReLU(nn.Module):
    """Learned per-channel bias, leaky ReLU and √2 gain (rosinality's `FusedLeakyReLU`)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fused_leaky_relu(x, self.bias)


class Blur(nn.Module):
    """FIR low-pass filter applied after a transposed convolution."""

    def __init__(self, kernel: Sequence[float], pad: tuple[int, int], upsample_factor: int = 1) -> None:
        super().__init__()
        self.register_buffer("kernel", make_kernel(kernel) * upsample_factor**2)
        self.pad = pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    """2× FIR upsampling of the ToRGB skip image."""

    def __init__(self, kernel: Sequence[float], factor: int = 2) -> None:
        super().__init__()
        self.factor = factor
        self.register_buffer("kernel", make_kernel(kernel) * factor**2)
        p = self.kernel.shape[0] - factor
        self.pad = ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class ModulatedConv2d(nn.Module):
    """Convolution whose weights are scaled per input channel by a style vector, then (optionally)
    demodulated to unit output variance; with `upsample`, a stride-2 transposed conv and a blur."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        style_dim: int,
        demodulate: bool = True,
        upsample: bool = False,
        blur_kernel: Sequence[float] = (1, 3, 3, 1),
    ) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.demodulate = demodulate
        self.upsample = upsample
        if upsample:
            factor = 2
            p = (len(blur_kernel) - factor) - (kernel_size - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2 + factor - 1, p // 2 + 1), upsample_factor=factor)
        self.scale = 1 / math.sqrt(in_channels * kernel_size**2)
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.randn(1, out_channels, in_channels, kernel_size, kernel_size))
        self.modulation = EqualLinear(style_dim, in_channels, bias_init=1.0)

    def forward(self, x: torch.Tensor, s: torch.Tensor, fused: bool = True) -> torch.Tensor:
        """Args: x [N, in, H, W]; s [N, in], the style vector. Returns [N, out, H', W'].

        `fused=True` is the reference: one grouped conv with per-sample weights. `fused=False`
        scales activations instead of weights and shares one weight across the batch (the
        StyleGAN2 paper's alternative formulation), which is faster for larger batches.
        """
        n = x.shape[0]
        if fused:
            return self._forward_fused(x, s)
        weight = self.weight[0] * self.scale  # [out, in, k, k]
        x = x * s.view(n, -1, 1, 1)
        if self.upsample:
            x = F.conv_transpose2d(x, weight.transpose(0, 1), stride=2)
            x = self.blur(x)
        else:
            x = F.conv2d(x, weight, padding=self.padding)
        if self.demodulate:
            demod = torch.rsqrt((weight.unsqueeze(0) * s.view(n, 1, -1, 1, 1)).pow(2).sum([2, 3, 4]) + 1e-8)
            x = x * demod.view(n, -1, 1, 1)
        return x

    def _forward_fused(self, x: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        k = self.kernel_size
        weight = self.scale * self.weight * s.view(n, 1, self.in_channels, 1, 1)
        if self.demodulate:
            demod = torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8)
            weight = weight * demod.view(n, self.out_channels, 1, 1, 1)
        x = x.reshape(1, n * self.in_channels, h, w)
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(n * self.in_channels, self.out_channels, k, k)
            out = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=n)
            out = out.view(n, self.out_channels, out.shape[2], out.shape[3])
            return self.blur(out)
        weight = weight.view(n * self.out_channels, self.in_channels, k, k)
        out = F.conv2d(x, weight, padding=self.padding, groups=n)
        return out.view(n, self.out_channels, out.shape[2], out.shape[3])


class NoiseInjection(nn.Module):
    """Adds per-pixel noise scaled by one learned weight."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        if noise is None:
            return x
        return x + self.weight * noise


class StyledConv(nn.Module):
    """Modulated conv, noise, bias and activation: one synthesis layer."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        style_dim: int,
        upsample: bool = False,
        blur_kernel: Sequence[float] = (1, 3, 3, 1),
    ) -> None:
        super().__init__()
        self.conv = ModulatedConv2d(
            in_channels, out_channels, kernel_size, style_dim, upsample=upsample, blur_kernel=blur_kernel
        )
        self.noise = NoiseInjection()
        self.activate = BiasLeakyReLU(out_channels)

    def forward(
        self, x: torch.Tensor, s: torch.Tensor, noise: torch.Tensor | None, fused: bool = True
    ) -> torch.Tensor:
        return self.activate(self.noise(self.conv(x, s, fused=fused), noise))


class ToRGB(nn.Module):
    """1×1 modulated conv (no demodulation) to RGB, added to the upsampled skip image."""

    def __init__(
        self, in_channels: int, style_dim: int, upsample: bool = True, blur_kernel: Sequence[float] = (1, 3, 3, 1)
    ) -> None:
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2d(in_channels, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(
        self, x: torch.Tensor, s: torch.Tensor, skip: torch.Tensor | None = None, fused: bool = True
    ) -> torch.Tensor:
        out = self.conv(x, s, fused=fused) + self.bias
        if skip is not None:
            out = out + self.upsample(skip)
        return out


class ConstantInput(nn.Module):
    """The learned 4×4 constant the synthesis starts from."""

    def __init__(self, channels: int, size: int = 4) -> None:
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, batch: int) -> torch.Tensor:
        return self.input.repeat(batch, 1, 1, 1)
