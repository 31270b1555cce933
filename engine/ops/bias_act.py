"""Bias + leaky ReLU + gain, the activation of every StyleGAN2 layer."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

DEFAULT_SLOPE = 0.2
DEFAULT_GAIN = math.sqrt(2.0)


def fused_leaky_relu(
    x: torch.Tensor,
    bias: torch.Tensor,
    negative_slope: float = DEFAULT_SLOPE,
    gain: float = DEFAULT_GAIN,
    bias_dim: int = 1,
) -> torch.Tensor:
    """`leaky_relu(x + bias) * gain`, the formula of rosinality's `fused_leaky_relu` native path.

    Args:
        x: input of any rank.
        bias: one value per channel of `x` along `bias_dim`.
        bias_dim: the dimension `bias` runs along (1 for NCHW and N×C; -1 for StyleCLIP's 3-D
            mapper inputs, whose vendored op adds the bias on the last dimension).
    """
    dim = bias_dim % x.ndim
    if x.shape[dim] != bias.numel():
        raise ValueError(f"bias has {bias.numel()} values, input has {x.shape[dim]} channels on dim {dim}")
    shape = [1] * x.ndim
    shape[dim] = bias.numel()
    return F.leaky_relu(x + bias.view(shape), negative_slope) * gain
