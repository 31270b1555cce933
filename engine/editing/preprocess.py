"""Global-direction preprocessing for any generator: StyleSpace statistics and the relevance table fs3.

StyleSpace statistics: StyleCLIP's PyTorch recipe (`global_torch/manipulate.py`), see `style_statistics`.

fs3 (Patashnik et al. 2021, §6; `global_directions/` `SingleChannel.py`, `GetGUIData.py` `GetFs`): per
manipulated channel, each of `num_images` images is rendered with that
channel moved to −5σ and +5σ; CLIP embeds both; per image the difference of the two unit embeddings is
normalised; the mean over images, normalised, is the channel's fs3 row. About 4 h on a GPU for FFHQ 1024
at 100 images; the work is saved in chunks of channels, so an interrupted run resumes where it stopped.

Outputs in the output folder, in StyleCLIP's layouts: `S_mean_std` (pickle of per-layer means and
stds), `fs3.npy` ([non-ToRGB channels, clip_dim]), and `partial/` chunks while running.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engine.editing.global_direction import (
    DirectionFileError,
    DirectionTables,
    load_direction_tables,
    load_style_statistics,
    save_style_statistics,
)
from engine.stylegan2 import Generator

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

ProgressFn = Callable[[int, int], None]  # (done, in all): channels, or samples for the statistics


# StyleCLIP's recipe for the StyleSpace statistics (`global_torch/manipulate.py`, `Manipulator.GenerateS`
# and `GetCodeMS`, as `global_torch/StyleCLIP.py` runs them with num_img=100_000).
STATISTICS_SEED = 5  # z = np.random.RandomState(5).randn(num_samples, z_dim)
TRUNCATION_PSI = 0.7  # Manipulator.truncation_psi: w pulled toward w_avg ...
TRUNCATION_CUTOFF = 8  # ... on the w layers below this one (Manipulator.truncation_cutoff); the rest untruncated


@torch.no_grad()
def style_statistics(
    generator: Generator,
    num_samples: int = 100_000,
    progress: ProgressFn | None = None,
    batch_size: int = 2048,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per StyleSpace layer, the mean and std (ddof 0) of its style channels, as StyleCLIP computes them.

    StyleCLIP's PyTorch global directions (`global_torch/manipulate.py` `GenerateS` + `GetCodeMS`):
    `z = RandomState(5).randn(num_samples, 512)`, mapped to w, truncated with ψ = 0.7 toward `w_avg` on the
    w layers below 8, each layer's style vector from its own w layer, numpy mean and std over the samples.
    Style vectors are affine maps of w, so the mean and covariance of w (float64 running sums, one batch
    of z at a time) give every layer's exact mean and std without holding [num_samples, 9088] styles.

    Args:
        num_samples: number of z drawn (StyleCLIP: 100_000).
        progress: called as `progress(samples done, num_samples)` after each batch.
        batch_size: z mapped at once; memory only, the result does not depend on it.

    Returns:
        (means, stds): per layer, in `generator.style_layers` order, float32 [C] on the CPU.
    """
    mean_w, cov_w = w_statistics(generator, num_samples, progress, batch_size)
    return style_statistics_from_w(generator, mean_w, cov_w)


@torch.no_grad()
def w_statistics(
    generator: Generator,
    num_samples: int,
    progress: ProgressFn | None = None,
    batch_size: int = 2048,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean [w_dim] and population covariance [w_dim, w_dim] (float64) of the untruncated w of StyleCLIP's z.

    The z stream is the reference's exactly: a RandomState draws the same numbers in batches as at once.
    """
    if num_samples < 1 or batch_size < 1:
        raise ValueError(f"num_samples and batch_size must be at least 1, got {num_samples} and {batch_size}")
    rng = np.random.RandomState(STATISTICS_SEED)
    device = generator.w_avg.device
    center = generator.w_avg.double()  # sums of w - w_avg: no cancellation when |mean w| >> std w
    total = torch.zeros(generator.w_dim, dtype=torch.float64, device=device)
    outer = torch.zeros(generator.w_dim, generator.w_dim, dtype=torch.float64, device=device)
    done = 0
    while done < num_samples:
        n = min(batch_size, num_samples - done)
        # float64 draws, cast to float32 before the mapping, as the reference's MappingNetwork does
        z = torch.from_numpy(rng.randn(n, generator.w_dim)).to(device=device, dtype=torch.float32)
        d = generator.mapping(z).double() - center
        total += d.sum(0)
        outer += d.T @ d
        done += n
        if progress is not None:
            progress(done, num_samples)
    mean_d = total / num_samples
    cov = outer / num_samples - torch.outer(mean_d, mean_d)
    return center + mean_d, cov


def style_statistics_from_w(
    generator: Generator,
    mean_w: torch.Tensor,
    cov_w: torch.Tensor,
    truncation_psi: float = TRUNCATION_PSI,
    truncation_cutoff: int = TRUNCATION_CUTOFF,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per-layer style mean and std from the moments of w, truncated on the w layers below `truncation_cutoff`.

    w_t = w_avg + ψ (w - w_avg), s = A w_t + b: mean A E[w_t] + b, variance diag(A Cov[w_t] Aᵀ), Cov[w_t] = ψ² Cov[w].
    (`truncation_cutoff=generator.num_ws` truncates every layer: the TensorFlow pipeline's `GetCode.py`.)
    """
    w_avg = generator.w_avg.double()
    means, stds = [], []
    for layer, (a, b) in zip(generator.style_layers, generator.style_affines(), strict=True):
        psi = truncation_psi if layer.level < truncation_cutoff else 1.0
        a = a.double()
        mean = a @ (w_avg + psi * (mean_w - w_avg)) + b.double()
        var = ((a @ cov_w) * a).sum(1) * psi**2
        means.append(mean.float().cpu())
        stds.append(var.clamp_min(0).sqrt().float().cpu())
    return means, stds


def statistics_recipe(num_samples: int) -> dict[str, object]:
    """How `style_statistics` drew its samples, for the settings a precomputed table records."""
    return {
        "reference": "StyleCLIP global_torch/manipulate.py GenerateS + GetCodeMS",
        "seed": STATISTICS_SEED,
        "truncation_psi": TRUNCATION_PSI,
        "truncation_cutoff": TRUNCATION_CUTOFF,
        "num_samples": num_samples,
    }


def clip_preprocess(images: torch.Tensor, input_resolution: int) -> torch.Tensor:
    """Generator images in [-1, 1] → CLIP's input: [0, 1], resized (bicubic, antialiased), normalised."""
    x = ((images + 1) / 2).clamp(0, 1)
    x = F.interpolate(x, size=(input_resolution, input_resolution), mode="bicubic", antialias=True, align_corners=False)
    mean = torch.tensor(CLIP_MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def channel_relevance_rows(
    generator: Generator,
    clip_model: nn.Module,
    base_styles: list[torch.Tensor],
    style_std: list[torch.Tensor],
    layer: int,
    channels: range,
    sigma: float = 5.0,
    batch_size: int = 32,
) -> torch.Tensor:
    """fs3 rows [len(channels), D] of `layer` (see module docstring) for images with `base_styles`."""
    n = base_styles[0].shape[0]
    rows = []
    for c in channels:
        codes = [torch.cat([s, s]) for s in base_styles]  # first half −σ, second half +σ
        delta = sigma * float(style_std[layer][c])
        codes[layer] = codes[layer].clone()
        codes[layer][:n, c] -= delta
        codes[layer][n:, c] += delta
        features = []
        for start in range(0, 2 * n, batch_size):
            chunk = [s[start : start + batch_size] for s in codes]
            images = generator.synthesize_from_styles(chunk)
            f = clip_model.encode_image(clip_preprocess(images, clip_model.visual.input_resolution)).float()
            features.append(f / f.norm(dim=-1, keepdim=True))
        f = torch.cat(features)
        diff = f[n:] - f[:n]
        diff = diff / diff.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        mean = diff.mean(0)
        norm = mean.norm()
        rows.append(mean / norm if norm > 0 else mean)  # a channel that changes nothing gets a zero row
    return torch.stack(rows).cpu()


def precompute_direction_tables(
    generator: Generator,
    clip_model: nn.Module,
    out_dir: str | os.PathLike,
    num_images: int = 100,
    num_samples: int = 100_000,
    sigma: float = 5.0,
    seed: int = 0,
    chunk_channels: int = 64,
    batch_size: int = 32,
    progress: ProgressFn | None = None,
    statistics_progress: ProgressFn | None = None,
) -> DirectionTables:
    """Compute (or resume computing) `S_mean_std` and `fs3.npy` for `generator` in `out_dir`.

    `S_mean_std` follows StyleCLIP's recipe (`style_statistics`, recorded in `settings.json`); `seed`
    draws the images the fs3 rows average over. `progress` counts channels, `statistics_progress` samples.

    Raises:
        DirectionFileError: `out_dir` holds a run with other settings or another generator layout.
    """
    out = Path(out_dir)
    (out / "partial").mkdir(parents=True, exist_ok=True)
    layers = generator.style_layers
    settings = {
        "num_images": num_images,
        "num_samples": num_samples,
        "sigma": sigma,
        "seed": seed,
        "chunk_channels": chunk_channels,
        "layers": [[s.name, s.channels, s.is_torgb] for s in layers],
        "clip_dim": int(clip_model.text_projection.shape[1]),
        "statistics": statistics_recipe(num_samples),
    }
    meta = out / "settings.json"
    if meta.exists():
        previous = json.loads(meta.read_text())
        if previous != settings:
            changed = sorted(k for k in settings if previous.get(k) != settings[k])
            raise DirectionFileError(
                f"{out} holds a run with other settings ({', '.join(changed)}); use another folder or delete it"
            )
    else:
        meta.write_text(json.dumps(settings, indent=1))

    stats_path = out / "S_mean_std"
    if stats_path.exists():
        _, stds = load_style_statistics(stats_path)
    else:
        means, stds = style_statistics(generator, num_samples, progress=statistics_progress)
        _atomic(stats_path, lambda p: save_style_statistics(p, means, stds))

    device = generator.w_avg.device
    z = torch.randn(num_images, generator.w_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    with torch.no_grad():
        base = generator.style_vectors(generator.mapping(z))
    stds_dev = [s.to(device) for s in stds]

    jobs = [
        (i, range(start, min(start + chunk_channels, layer.channels)))
        for i, layer in enumerate(layers)
        if not layer.is_torgb
        for start in range(0, layer.channels, chunk_channels)
    ]
    total = sum(len(r) for _, r in jobs)
    done = 0
    parts = []
    for i, channels in jobs:
        path = out / "partial" / f"layer{i:02d}_ch{channels.start:04d}.npy"
        if not path.exists():
            rows = channel_relevance_rows(generator, clip_model, base, stds_dev, i, channels, sigma, batch_size)
            _atomic(path, lambda p, rows=rows: np.save(p, rows.numpy().astype(np.float32)))
        parts.append(path)
        done += len(channels)
        if progress is not None:
            progress(done, total)
    fs3 = np.concatenate([np.load(p) for p in parts])
    _atomic(out / "fs3.npy", lambda p: np.save(p, fs3))
    return load_direction_tables(out / "fs3.npy", stats_path, [s.is_torgb for s in layers])


def _atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write through a temporary file and rename, so an interrupted run never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        write(f)
    os.replace(tmp, path)
