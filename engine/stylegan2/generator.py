"""The StyleGAN2 generator (Karras et al. 2020), laid out as rosinality's PyTorch port so the
official converted checkpoints load key for key.

Three latent spaces: z (Gaussian) → w by the mapping network; W+ (`ws`, one w per layer input,
`[N, num_ws, w_dim]`); StyleSpace (`s`, the output of each modulated layer's affine `modulation`,
26 vectors / 9088 channels at 1024 px), where global-direction edits are additions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn

from engine.stylegan2.layers import (
    ConstantInput,
    EqualLinear,
    ModulatedConv2d,
    PixelNorm,
    StyledConv,
    ToRGB,
)

NoiseMode = Literal["const", "random", "none"]


def default_channels(img_resolution: int, channel_multiplier: int = 2) -> dict[int, int]:
    """Feature maps per resolution, as in the official config-f (channel_multiplier=2)."""
    table = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16}
    return {
        res: ch if res <= 32 else ch * channel_multiplier
        for res, ch in table.items()
        if res <= img_resolution
    }


@dataclass(frozen=True)
class GeneratorConfig:
    img_resolution: int                      # output side in pixels, a power of two >= 8
    channels: dict[int, int]                 # feature maps per resolution, 4 .. img_resolution
    w_dim: int = 512                         # z, w and style dimension
    n_mlp: int = 8                           # mapping network depth
    lr_mlp: float = 0.01                     # equalized-lr multiplier of the mapping network
    blur_kernel: tuple[float, ...] = field(default=(1, 3, 3, 1))

    @classmethod
    def standard(cls, img_resolution: int, channel_multiplier: int = 2, **kwargs) -> GeneratorConfig:
        return cls(img_resolution, default_channels(img_resolution, channel_multiplier), **kwargs)

    @property
    def log_size(self) -> int:
        return int(math.log2(self.img_resolution))

    @property
    def num_ws(self) -> int:
        return self.log_size * 2 - 2


@dataclass(frozen=True)
class StyleLayer:
    """One modulated layer of StyleSpace, in synthesis order."""

    name: str            # the official StyleSpace name, e.g. "conv1_resolution_64"
    level: int           # the W+ row that feeds it
    channels: int        # style dimension = the layer's input channels
    is_torgb: bool
    resolution: int


class Generator(nn.Module):
    """rosinality-layout StyleGAN2 generator with W+ and StyleSpace access."""

    def __init__(self, config: GeneratorConfig) -> None:
        super().__init__()
        self.config = config
        res = config.img_resolution
        if res < 8 or res & (res - 1):
            raise ValueError(f"img_resolution must be a power of two >= 8, got {res}")
        ch = config.channels
        w_dim = config.w_dim
        kernel = config.blur_kernel

        self.style = nn.Sequential(
            PixelNorm(),
            *[EqualLinear(w_dim, w_dim, lr_mul=config.lr_mlp, activate=True) for _ in range(config.n_mlp)],
        )
        self.input = ConstantInput(ch[4])
        self.conv1 = StyledConv(ch[4], ch[4], 3, w_dim, blur_kernel=kernel)
        self.to_rgb1 = ToRGB(ch[4], w_dim, upsample=False)

        self.convs = nn.ModuleList()
        self.to_rgbs = nn.ModuleList()
        self.noises = nn.Module()
        num_noises = (config.log_size - 2) * 2 + 1
        for i in range(num_noises):
            side = 2 ** ((i + 5) // 2)
            self.noises.register_buffer(f"noise_{i}", torch.randn(1, 1, side, side))
        in_ch = ch[4]
        for i in range(3, config.log_size + 1):
            out_ch = ch[2**i]
            self.convs.append(StyledConv(in_ch, out_ch, 3, w_dim, upsample=True, blur_kernel=kernel))
            self.convs.append(StyledConv(out_ch, out_ch, 3, w_dim, blur_kernel=kernel))
            self.to_rgbs.append(ToRGB(out_ch, w_dim, blur_kernel=kernel))
            in_ch = out_ch
        # Mean w for truncation; the checkpoint's `latent_avg`, not part of `g_ema`.
        self.register_buffer("w_avg", torch.zeros(w_dim), persistent=False)
        self.style_layers = self._style_layer_table()

    # ------------------------------------------------------------------ structure

    @property
    def num_ws(self) -> int:
        return self.config.num_ws

    @property
    def img_resolution(self) -> int:
        return self.config.img_resolution

    @property
    def w_dim(self) -> int:
        return self.config.w_dim

    def _modulated_convs(self) -> list[ModulatedConv2d]:
        """Every modulated conv, in StyleSpace order (conv, conv, toRGB per resolution)."""
        mods = [self.conv1.conv, self.to_rgb1.conv]
        for j, to_rgb in enumerate(self.to_rgbs):
            mods += [self.convs[2 * j].conv, self.convs[2 * j + 1].conv, to_rgb.conv]
        return mods

    def _style_layer_table(self) -> tuple[StyleLayer, ...]:
        layers = [
            StyleLayer("conv1_resolution_4", 0, self.config.channels[4], False, 4),
            StyleLayer("toRGB_resolution_4", 1, self.config.channels[4], True, 4),
        ]
        for j in range(len(self.to_rgbs)):
            res = 2 ** (j + 3)
            convs = (self.convs[2 * j].conv, self.convs[2 * j + 1].conv, self.to_rgbs[j].conv)
            names = ("conv0", "conv1", "toRGB")
            for k, (name, conv) in enumerate(zip(names, convs, strict=True)):
                layers.append(StyleLayer(f"{name}_resolution_{res}", 2 * j + 1 + k, conv.in_channels, k == 2, res))
        return tuple(layers)

    # ------------------------------------------------------------------ latents

    def mapping(self, z: torch.Tensor, truncation_psi: float = 1.0) -> torch.Tensor:
        """z [N, w_dim] → w [N, w_dim], pulled toward `w_avg` by `truncation_psi` (1 = none)."""
        _check_shape("z", z, (None, self.w_dim))
        return self.truncate(self.style(z), truncation_psi)

    def truncate(self, w: torch.Tensor, truncation_psi: float) -> torch.Tensor:
        """w_avg + psi * (w - w_avg), for w or ws."""
        if truncation_psi == 1.0:
            return w
        return torch.lerp(self.w_avg.to(w.dtype), w, truncation_psi)

    def broadcast(self, w: torch.Tensor) -> torch.Tensor:
        """w [N, w_dim] → ws [N, num_ws, w_dim] (the same w for every layer)."""
        _check_shape("w", w, (None, self.w_dim))
        return w.unsqueeze(1).repeat(1, self.num_ws, 1)

    @torch.no_grad()
    def mean_w(self, num_samples: int = 4096, seed: int = 1234) -> torch.Tensor:
        """Mean of the mapping output over random z: the fallback when a checkpoint has no latent_avg."""
        gen = torch.Generator().manual_seed(seed)
        z = torch.randn(num_samples, self.w_dim, generator=gen).to(self.w_avg.device)
        return self.style(z).mean(0)

    def style_affines(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per StyleSpace layer, its affine map from w: `s = w @ A.T + b`, as (A [C, w_dim], b [C]).

        The equalized-lr scales are applied, so these are the maps `style_vectors` evaluates.
        """
        return [
            (conv.modulation.weight * conv.modulation.scale, conv.modulation.bias * conv.modulation.lr_mul)
            for conv in self._modulated_convs()
        ]

    def style_vectors(self, ws: torch.Tensor) -> list[torch.Tensor]:
        """ws [N, num_ws, w_dim] (or w [N, w_dim]) → one style vector [N, C] per StyleSpace layer."""
        ws = self._as_ws(ws)
        return [
            conv.modulation(ws[:, layer.level])
            for conv, layer in zip(self._modulated_convs(), self.style_layers, strict=True)
        ]

    # ------------------------------------------------------------------ synthesis

    def synthesize(
        self,
        ws: torch.Tensor,
        style_offsets: Sequence[torch.Tensor | None] | None = None,
        noise_mode: NoiseMode = "const",
        max_resolution: int | None = None,
        fused: bool = True,
    ) -> torch.Tensor:
        """Render ws [N, num_ws, w_dim] (or w [N, w_dim]) to images [N, 3, R, R], roughly in [-1, 1].

        Args:
            style_offsets: optional per-layer additions to the style vectors, in StyleSpace order
                ([C] or [N, C] tensors, None for untouched layers).
            noise_mode: "const" uses the checkpoint's stored noise (deterministic), "random" draws
                fresh noise, "none" leaves it out.
            max_resolution: stop early and return the ToRGB skip image at this resolution (a
                cheap preview: the layers above it are never run).
            fused: the reference grouped-conv modulation (True) or the shared-weight variant.
        """
        styles = self.style_vectors(ws)
        if style_offsets is not None:
            styles = add_style_offsets(styles, style_offsets)
        return self.synthesize_from_styles(styles, noise_mode, max_resolution, fused)

    def preview(self, ws: torch.Tensor, resolution: int = 256, noise_mode: NoiseMode = "const") -> torch.Tensor:
        """A low-resolution image of `ws` from StyleGAN2's intermediate skip output."""
        return self.synthesize(ws, noise_mode=noise_mode, max_resolution=resolution)

    def synthesize_from_styles(
        self,
        styles: Sequence[torch.Tensor],
        noise_mode: NoiseMode = "const",
        max_resolution: int | None = None,
        fused: bool = True,
    ) -> torch.Tensor:
        """Render from StyleSpace: one [N, C] tensor per layer, in `style_layers` order."""
        if len(styles) != len(self.style_layers):
            raise ValueError(f"expected {len(self.style_layers)} style vectors, got {len(styles)}")
        top = self._check_resolution(max_resolution)
        n = styles[0].shape[0]
        noise = self._noise(n, noise_mode, styles[0])
        x = self.input(n)
        x = self.conv1(x, styles[0], noise[0], fused=fused)
        skip = self.to_rgb1(x, styles[1], fused=fused)
        for j, to_rgb in enumerate(self.to_rgbs):
            if 2 ** (j + 3) > top:
                break
            s0, s1, s2 = styles[2 + 3 * j : 5 + 3 * j]
            x = self.convs[2 * j](x, s0, noise[1 + 2 * j], fused=fused)
            x = self.convs[2 * j + 1](x, s1, noise[2 + 2 * j], fused=fused)
            skip = to_rgb(x, s2, skip, fused=fused)
        return skip

    def forward(self, ws: torch.Tensor, noise_mode: NoiseMode = "const") -> torch.Tensor:
        return self.synthesize(ws, noise_mode=noise_mode)

    # ------------------------------------------------------------------ helpers

    def _as_ws(self, ws: torch.Tensor) -> torch.Tensor:
        if ws.ndim == 2:
            return self.broadcast(ws)
        _check_shape("ws", ws, (None, self.num_ws, self.w_dim))
        return ws

    def _check_resolution(self, max_resolution: int | None) -> int:
        if max_resolution is None:
            return self.img_resolution
        if max_resolution < 4 or max_resolution > self.img_resolution or max_resolution & (max_resolution - 1):
            raise ValueError(
                f"max_resolution must be a power of two in [4, {self.img_resolution}], got {max_resolution}"
            )
        return max_resolution

    def _noise(self, n: int, mode: NoiseMode, like: torch.Tensor) -> list[torch.Tensor | None]:
        buffers = [getattr(self.noises, f"noise_{i}") for i in range((self.config.log_size - 2) * 2 + 1)]
        if mode == "const":
            return list(buffers)
        if mode == "random":
            return [torch.randn(n, 1, b.shape[2], b.shape[3], device=like.device, dtype=like.dtype) for b in buffers]
        if mode == "none":
            return [None] * len(buffers)
        raise ValueError(f"noise_mode must be 'const', 'random' or 'none', got {mode!r}")


def add_style_offsets(
    styles: Sequence[torch.Tensor], offsets: Sequence[torch.Tensor | None]
) -> list[torch.Tensor]:
    """styles[i] + offsets[i] per layer ([C] offsets broadcast over the batch)."""
    if len(offsets) != len(styles):
        raise ValueError(f"expected {len(styles)} style offsets (one per layer, None to skip), got {len(offsets)}")
    out = []
    for i, (s, ds) in enumerate(zip(styles, offsets, strict=True)):
        if ds is None:
            out.append(s)
            continue
        if ds.shape[-1] != s.shape[-1]:
            raise ValueError(f"style offset {i} has {ds.shape[-1]} channels, layer has {s.shape[-1]}")
        out.append(s + ds.to(device=s.device, dtype=s.dtype))
    return out


def _check_shape(name: str, x: torch.Tensor, shape: tuple[int | None, ...]) -> None:
    ok = x.ndim == len(shape) and all(want is None or got == want for got, want in zip(x.shape, shape, strict=True))
    if not ok:
        want = ", ".join("N" if d is None else str(d) for d in shape)
        raise ValueError(f"{name} must have shape [{want}], got {list(x.shape)}")
