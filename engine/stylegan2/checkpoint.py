"""Loading StyleGAN2 generators from rosinality-format checkpoints.

The format of `stylegan2-ffhq-config-f.pt` (rosinality's `convert_weight.py`): a dict with
`g_ema` (the generator's state dict) and `latent_avg` (mean w, [w_dim]); training checkpoints
also carry `g`, `d`, optimizer states and `args`. Every hyperparameter is read off the key names
and tensor shapes, so 256, 512 and 1024 px checkpoints and small test configs all load, and the
state dict is loaded strictly: a missing or unexpected key is an error that names it.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from pathlib import Path

import torch

from engine.stylegan2.generator import Generator, GeneratorConfig


class CheckpointError(ValueError):
    """A model file that cannot be used: unreadable, truncated, or not in the expected layout."""


def read_checkpoint(path: str | os.PathLike) -> dict:
    """`torch.load` a checkpoint safely (tensors and plain containers only) onto the CPU."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError, ... for bad files
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint (truncated or corrupt?): {exc}") from exc
    if not isinstance(obj, Mapping):
        raise CheckpointError(f"{path}: expected a dict, found {type(obj).__name__}")
    return dict(obj)


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
    with torch.device("meta"):
        skeleton = Generator(config)
    expected = skeleton.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise CheckpointError(
            f"{source}: state dict does not match a {config.img_resolution}px StyleGAN2 generator; "
            f"missing keys: {_list(missing)}; unexpected keys: {_list(unexpected)}"
        )
    wrong = [
        f"{k} {list(state[k].shape)} (expected {list(v.shape)})"
        for k, v in expected.items()
        if tuple(state[k].shape) != tuple(v.shape)
    ]
    if wrong:
        raise CheckpointError(f"{source}: tensors of the wrong shape: {_list(wrong)}")
    generator = Generator(config)
    generator.load_state_dict({k: v.float() for k, v in state.items()}, strict=True)
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
            f"{path}: no 'g_ema' entry (found {_list(sorted(map(str, ckpt)))}); "
            "expected a rosinality-format StyleGAN2 checkpoint"
        )
    generator = generator_from_state_dict(ckpt["g_ema"], ckpt.get("latent_avg"), source=str(path))
    return generator.to(device)


def _list(items: list[str], limit: int = 8) -> str:
    if not items:
        return "none"
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} … ({len(items) - limit} more)"
