"""The depthwise-conv upfirdn2d against the step-by-step reference, values and gradients."""

from __future__ import annotations

import pytest
import torch

from engine.ops import make_kernel, upfirdn2d
from engine.ops.upfirdn2d import upfirdn2d_ref

CASES = [
    # up, down, pad: the generator's three uses first, then other combinations
    (1, 1, (1, 1)),   # Blur after the transposed conv
    (2, 1, (2, 1)),   # ToRGB skip upsampling
    (1, 1, (0, 0)),
    (2, 1, (0, 0)),
    (1, 2, (1, 1)),   # StyleGAN2 discriminator-style downsampling
    (2, 2, (1, 2)),
    (4, 1, (3, 2)),
    (1, 1, (-1, 2)),  # negative padding crops
    (2, 1, (-1, 0)),
]


@pytest.mark.parametrize(("up", "down", "pad"), CASES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_reference(up, down, pad, dtype):
    gen = torch.Generator().manual_seed(up * 100 + down * 10 + pad[0])
    x = torch.randn(2, 5, 9, 7, generator=gen, dtype=dtype, requires_grad=True)
    # An asymmetric kernel, so a missing flip would show.
    kernel = (torch.rand(4, 3, generator=gen, dtype=dtype) + 0.1) * up**2
    fast = upfirdn2d(x, kernel, up=up, down=down, pad=pad)
    ref = upfirdn2d_ref(x, kernel, up=up, down=down, pad=pad)
    assert fast.shape == ref.shape
    tol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(fast, ref, rtol=tol, atol=tol)
    weights = torch.randn(ref.shape, generator=gen, dtype=dtype)
    (grad_fast,) = torch.autograd.grad((fast * weights).sum(), x)
    (grad_ref,) = torch.autograd.grad((ref * weights).sum(), x)
    torch.testing.assert_close(grad_fast, grad_ref, rtol=tol, atol=tol)


def test_reference_is_a_true_convolution():
    # One impulse, no resampling: the output is the kernel itself (not its mirror image).
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 2, 2] = 1.0
    kernel = torch.arange(9, dtype=torch.float32).view(3, 3)
    out = upfirdn2d_ref(x, kernel, pad=(1, 1))
    torch.testing.assert_close(out[0, 0, 1:4, 1:4], kernel)


def test_upsampling_keeps_a_constant_image_constant():
    x = torch.full((1, 3, 8, 8), 0.5)
    out = upfirdn2d(x, make_kernel([1, 3, 3, 1]) * 4, up=2, pad=(2, 1))
    assert out.shape == (1, 3, 16, 16)
    torch.testing.assert_close(out[..., 2:-2, 2:-2], torch.full((1, 3, 12, 12), 0.5))


def test_make_kernel_is_a_normalised_outer_product():
    k = make_kernel([1, 3, 3, 1])
    torch.testing.assert_close(k.sum(), torch.tensor(1.0))
    torch.testing.assert_close(k, torch.outer(torch.tensor([1.0, 3, 3, 1]), torch.tensor([1.0, 3, 3, 1])) / 64)


def test_rejects_wrong_ranks():
    with pytest.raises(ValueError, match="NCHW"):
        upfirdn2d(torch.zeros(3, 8, 8), make_kernel([1, 1]))
