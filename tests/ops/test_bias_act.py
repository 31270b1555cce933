from __future__ import annotations

import math

import pytest
import torch

from engine.ops import fused_leaky_relu


def test_bias_on_channels_then_leaky_relu_times_sqrt2():
    x = torch.tensor([[[[-1.0]], [[2.0]]]])  # N=1, C=2, 1×1
    out = fused_leaky_relu(x, torch.tensor([0.5, -3.0]))
    expected = torch.tensor([[[[-0.5 * 0.2]], [[-1.0 * 0.2]]]]) * math.sqrt(2)
    torch.testing.assert_close(out, expected)


def test_bias_on_last_dim_for_3d_inputs():
    x = torch.zeros(2, 4, 3)
    out = fused_leaky_relu(x, torch.tensor([1.0, -1.0, 2.0]), bias_dim=-1)
    torch.testing.assert_close(out[1, 2], torch.tensor([1.0, -0.2, 2.0]) * math.sqrt(2))


def test_bias_size_is_checked():
    with pytest.raises(ValueError, match="bias has 3 values, input has 4 channels"):
        fused_leaky_relu(torch.zeros(2, 4), torch.zeros(3))
