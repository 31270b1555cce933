"""Loading StyleGAN2 generators from rosinality-format checkpoints.

The format of `stylegan2-ffhq-config-f.pt` (rosinality's `convert_weight.py`): a dict with
`g_ema` (the generator's state dict) and `latent_avg` (mean w, [w_dim]); training checkpoints
also carry `g`, `d`, optimizer states and `args`. Every hyperparameter is read off the key names
and tensor shapes, so 256, 512 and 1024 px checkpoints and small test configs all load, and the
state dict is loaded strictly: a missing or unexpected key is an error that names it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import torch

from engine.checkpoints import CheckpointError, key_list, load_strict, read_checkpoint
from engine.stylegan2.generator import Generator, GeneratorConfig


def infer_config(state: Mapping[str, torch.Tensor], source: str = "state dict") -> GeneratorConfig:
    """Read resolution, widths and mapping depth off a `g_ema` state dict's keys and shapes."""
    try:
        n_mlp = len([k for k in state if re.fullmatch(r"style\.\d+\.weight", k)])
        w_dim = state["style.1.weight"].shape[1]
        num_rgbs = len([k for k in state if re.fullmatch(r"to_rgbs\.\d+\.conv\.weight", k)])
        channels = {4: state["input.input"].shape[1]}
        for j in range(num_rgbs):
            channels[2 ** (j + 3)] = state[f"convs.{2 * j}.conv.weight"].shape[1]
    except KeyError as exc:
        raise CheckpointError(f"{source}: not a StyleGAN2 generator state dict (missing key {exc})") from None
    if n_mlp == 0 or num_rgbs == 0:
        raise CheckpointError(f"{source}: not a StyleGAN2 generator state dict (no mapping or ToRGB layers)")
    return GeneratorConfig(img_resolution=2 ** (num_rgbs + 2), channels=channels, w_dim=w_dim, n_mlp=n_mlp)


def generator_from_state_dict(
    state: Mapping[str, torch.Tensor],
    latent_avg: torch.Tensor | None = None,
    source: str = "state dict",
) -> Generator:
    """Build a Generator shaped like `state`, load it strictly, and set `w_avg`.

    Without `latent_avg`, w_avg is estimated from 4096 mapped samples (as rosinality's `mean_latent`).
    """
    config = infer_config(state, source)
    generator = load_strict(Generator(config), state, source, what=f"a {config.img_resolution} px StyleGAN2 generator")
    if latent_avg is not None:
        if latent_avg.numel() != config.w_dim:
            raise CheckpointError(f"{source}: latent_avg has {latent_avg.numel()} values, expected {config.w_dim}")
        generator.w_avg.copy_(latent_avg.reshape(-1).float())
    else:
        generator.w_avg.copy_(generator.mean_w())
    return generator.eval().requires_grad_(False)


def load_generator(path: str | os.PathLike, device: str | torch.device = "cpu") -> Generator:
    """Load the `g_ema` generator of a rosinality-format checkpoint, in eval mode, without grads.

    Raises:
        CheckpointError: the file is missing, unreadable, or its keys or shapes do not match.
    """
    ckpt = read_checkpoint(path)
    if "g_ema" not in ckpt:
        raise CheckpointError(
            f"{path}: no 'g_ema' entry (found {key_list(sorted(map(str, ckpt)))}); "
            "expected a rosinality-format StyleGAN2 checkpoint"
        )
    generator = generator_from_state_dict(ckpt["g_ema"], ckpt.get("latent_avg"), source=str(path))
    return generator.to(device)

