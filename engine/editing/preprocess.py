"""Global-direction preprocessing for any generator: StyleSpace statistics and the relevance table fs3.

StyleCLIP (Patashnik et al. 2021, §6; `global_directions/` `GetCode.py`, `SingleChannel.py`,
`GetGUIData.py` `GetFs`): per manipulated channel, each of `num_images` images is rendered with that
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

ProgressFn = Callable[[int, int], None]   # (channels done, channels in all)


@torch.no_grad()
def style_statistics(
    generator: Generator,
    num_samples: int = 100_000,
    seed: int = 0,
    batch_size: int = 4096,
    progress: Callable[[int, int], object] | None = None,
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Per StyleSpace layer, the mean and std (ddof 0, as numpy's) of the style channels over random w.

    StyleCLIP's `GenerateS(num_img=100_000)` + `GetCodeMS`, without truncation. `progress(done, total)`
    is called after every batch of samples.
    """
    gen = torch.Generator().manual_seed(seed)
    sums = sq = None
    device = generator.w_avg.device
    done = 0
    while done < num_samples:
        n = min(batch_size, num_samples - done)
        z = torch.randn(n, generator.w_dim, generator=gen).to(device)
        styles = [s.double() for s in generator.style_vectors(generator.mapping(z))]
        batch_sums = [s.sum(0) for s in styles]
        batch_sq = [(s**2).sum(0) for s in styles]
        sums = batch_sums if sums is None else [a + b for a, b in zip(sums, batch_sums, strict=True)]
        sq = batch_sq if sq is None else [a + b for a, b in zip(sq, batch_sq, strict=True)]
        done += n
        if progress is not None:
            progress(done, num_samples)
    means = [s / num_samples for s in sums]
    stds = [(q / num_samples - m**2).clamp_min(0).sqrt() for q, m in zip(sq, means, strict=True)]
    return [m.float().cpu() for m in means], [s.float().cpu() for s in stds]


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
        codes = [torch.cat([s, s]) for s in base_styles]   # first half −σ, second half +σ
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
        rows.append(mean / norm if norm > 0 else mean)   # a channel that changes nothing gets a zero row
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
) -> DirectionTables:
    """Compute (or resume computing) `S_mean_std` and `fs3.npy` for `generator` in `out_dir`.

    Raises:
        DirectionFileError: `out_dir` holds a run with other settings or another generator layout.
    """
    out = Path(out_dir)
    (out / "partial").mkdir(parents=True, exist_ok=True)
    layers = generator.style_layers
    settings = {
        "num_images": num_images, "num_samples": num_samples, "sigma": sigma, "seed": seed,
        "chunk_channels": chunk_channels, "layers": [[s.name, s.channels, s.is_torgb] for s in layers],
        "clip_dim": int(clip_model.text_projection.shape[1]),
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
        means, stds = style_statistics(generator, num_samples, seed=seed + 1)
        _atomic(stats_path, lambda p: save_style_statistics(p, means, stds))

    device = generator.w_avg.device
    z = torch.randn(num_images, generator.w_dim, generator=torch.Generator().manual_seed(seed)).to(device)
    with torch.no_grad():
        base = generator.style_vectors(generator.mapping(z))
    stds_dev = [s.to(device) for s in stds]

    jobs = [
        (i, range(start, min(start + chunk_channels, layer.channels)))
        for i, layer in enumerate(layers) if not layer.is_torgb
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
