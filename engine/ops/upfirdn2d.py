"""Upsample, pad, FIR-filter and downsample a batch of images (StyleGAN2's resampling op).

`upfirdn2d_ref` is the slow reference: zero insertion, padding, a true convolution with the
flipped kernel, then striding, each step spelled out. `upfirdn2d` is the same computation as one
depthwise convolution (transposed when upsampling); tests hold it to the reference.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F


def make_kernel(taps: Sequence[float]) -> torch.Tensor:
    """2-D FIR kernel from 1-D taps (outer product), normalised to sum 1."""
    k = torch.tensor(taps, dtype=torch.float32)
    if k.ndim == 1:
        k = k[None, :] * k[:, None]
    return k / k.sum()


def _check(x: torch.Tensor, kernel: torch.Tensor) -> None:
    if x.ndim != 4:
        raise ValueError(f"expected an NCHW batch, got shape {tuple(x.shape)}")
    if kernel.ndim != 2:
        raise ValueError(f"expected a 2-D kernel, got shape {tuple(kernel.shape)}")


def upfirdn2d_ref(
    x: torch.Tensor,
    kernel: torch.Tensor,
    up: int = 1,
    down: int = 1,
    pad: tuple[int, int] = (0, 0),
) -> torch.Tensor:
    """Reference implementation; `pad` = (before, after), the same on both axes; negative crops."""
    _check(x, kernel)
    n, c, h, w = x.shape
    kh, kw = kernel.shape
    p0, p1 = pad
    # Zero insertion: each pixel followed by up-1 zeros, on both axes.
    out = x.reshape(n * c, h, 1, w, 1)
    out = F.pad(out, [0, up - 1, 0, 0, 0, up - 1])
    out = out.reshape(n * c, 1, h * up, w * up)
    out = F.pad(out, [max(p0, 0), max(p1, 0), max(p0, 0), max(p1, 0)])
    out = out[:, :, max(-p0, 0) : out.shape[2] - max(-p1, 0), max(-p0, 0) : out.shape[3] - max(-p1, 0)]
    weight = torch.flip(kernel, [0, 1]).to(out.dtype).view(1, 1, kh, kw)
    out = F.conv2d(out, weight)
    out = out[:, :, ::down, ::down]
    return out.reshape(n, c, out.shape[2], out.shape[3])


def upfirdn2d(
    x: torch.Tensor,
    kernel: torch.Tensor,
    up: int = 1,
    down: int = 1,
    pad: tuple[int, int] = (0, 0),
) -> torch.Tensor:
    """Same result as `upfirdn2d_ref`, as a single depthwise (transposed) convolution.

    Args:
        x: [N, C, H, W].
        kernel: [kh, kw] FIR filter (already scaled by up**2 where the caller wants unit gain).
        up, down: integer factors.
        pad: (before, after) padding in the upsampled grid, applied to both axes.
    Returns:
        [N, C, (H*up + p0 + p1 - kh) // down + 1, ...].
    """
    _check(x, kernel)
    if up == 1:
        return _firdn(x, kernel, down, pad)
    if min(pad) < 0:
        return upfirdn2d_ref(x, kernel, up, down, pad)
    c, h, w = x.shape[1:]
    kh, kw = kernel.shape
    p0, p1 = pad
    # conv_transpose with stride `up` equals zero insertion (plus up-1 trailing zeros) followed by a
    # full convolution with the unflipped kernel; crop/pad the result to the requested padding.
    weight = kernel.to(x.dtype).view(1, 1, kh, kw).repeat(c, 1, 1, 1)
    out = F.conv_transpose2d(x, weight, stride=up, groups=c)
    # `out` covers positions -(kh-1) .. h*up-1 of the padded zero-inserted grid's convolution.
    start = kh - 1 - p0
    length = h * up + p0 + p1 - kh + 1
    out = _crop_or_pad(out, start, length, dim=2)
    start_w = kw - 1 - p0
    length_w = w * up + p0 + p1 - kw + 1
    out = _crop_or_pad(out, start_w, length_w, dim=3)
    if down > 1:
        out = out[:, :, ::down, ::down]
    return out


def _crop_or_pad(x: torch.Tensor, start: int, length: int, dim: int) -> torch.Tensor:
    """Take `length` entries from `start` along `dim`, zero-filling outside the tensor."""
    before = max(-start, 0)
    after = max(start + length - x.shape[dim], 0)
    if before or after:
        pads = [0, 0, 0, 0]
        pads[(3 - dim) * 2] = before
        pads[(3 - dim) * 2 + 1] = after
        x = F.pad(x, pads)
        start += before
    return x.narrow(dim, start, length)


def _firdn(x: torch.Tensor, kernel: torch.Tensor, down: int, pad: tuple[int, int]) -> torch.Tensor:
    c = x.shape[1]
    kh, kw = kernel.shape
    p0, p1 = pad
    x = F.pad(x, [max(p0, 0), max(p1, 0), max(p0, 0), max(p1, 0)])
    x = x[:, :, max(-p0, 0) : x.shape[2] - max(-p1, 0), max(-p0, 0) : x.shape[3] - max(-p1, 0)]
    weight = torch.flip(kernel, [0, 1]).to(x.dtype).view(1, 1, kh, kw).repeat(c, 1, 1, 1)
    return F.conv2d(x, weight, stride=down, groups=c)
