"""Loading StyleGAN2 generators from rosinality-format checkpoints, and from e4e checkpoints.

The format of `stylegan2-ffhq-config-f.pt` (rosinality's `convert_weight.py`): a dict with
`g_ema` (the generator's state dict) and `latent_avg` (mean w, [w_dim]); training checkpoints
also carry `g`, `d`, optimizer states and `args`. Every hyperparameter is read off the key names
and tensor shapes, so 256, 512 and 1024 px checkpoints and small test configs all load, and the
state dict is loaded strictly: a missing or unexpected key is an error that names it.

An e4e checkpoint (`e4e_ffhq_encode.pt`) carries the same generator under `decoder.*` keys of its
`state_dict`, so that one file can serve both the encoder and the generator.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import torch

from engine.checkpoints import CheckpointError, key_list, load_strict, read_checkpoint, strip_prefix
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


def load_generator_from_e4e(path: str | os.PathLike, device: str | torch.device = "cpu") -> Generator:
    """Load the StyleGAN2 generator an e4e checkpoint carries, in eval mode, without grads.

    e4e's pSp model saves its whole decoder (the rosinality generator it was trained with) under
    `decoder.*` keys of `state_dict`; they are loaded strictly, like `g_ema`. Its `latent_avg` is that
    generator's mean w repeated once per W+ level, [num_ws, 512] (e4e `models/psp.py`
    `__load_latent_avg(ckpt, repeat=style_count)`, saved as is by `training/coach.py`): w_avg is its
    first row, once every row is checked to be the same. A [512] latent_avg is used as it is; without
    one (e4e saves it only when trained with `start_from_latent_avg`), w_avg is estimated as in
    `generator_from_state_dict`. The file is memory-mapped: the encoder part (most of its 1.1 GB) is
    never read.

    Raises:
        CheckpointError: the file is missing or unreadable, has no `decoder.*` keys, their keys or
            shapes do not match a generator, or `latent_avg` or `opts` disagree with it.
    """
    ckpt = read_checkpoint(path, mmap=True)
    state = ckpt.get("state_dict")
    if not isinstance(state, Mapping):
        raise CheckpointError(f"{path}: no 'state_dict' entry; expected an e4e checkpoint such as e4e_ffhq_encode.pt")
    decoder = strip_prefix(state, "decoder.")
    if not decoder:
        raise CheckpointError(
            f"{path}: no 'decoder.*' keys (found e.g. {key_list(sorted(map(str, state)))}); "
            "expected an e4e checkpoint such as e4e_ffhq_encode.pt"
        )
    source = f"{path} (decoder.*)"
    latent_avg = ckpt.get("latent_avg")
    generator = generator_from_state_dict(decoder, _one_mean_w(latent_avg, source), source=source)
    if latent_avg is not None and latent_avg.ndim == 2 and len(latent_avg) != generator.num_ws:
        raise CheckpointError(
            f"{source}: latent_avg has {len(latent_avg)} rows but the generator has {generator.num_ws} W+ levels"
        )
    opts = ckpt.get("opts") if isinstance(ckpt.get("opts"), Mapping) else {}
    size = opts.get("stylegan_size")
    if size is not None and int(size) != generator.img_resolution:
        raise CheckpointError(
            f"{path}: opts say stylegan_size {size} but the decoder is a {generator.img_resolution} px generator"
        )
    return generator.to(device)


def _one_mean_w(latent_avg: torch.Tensor | None, source: str) -> torch.Tensor | None:
    """e4e's per-level latent_avg [num_ws, w_dim] → the one mean w [w_dim] it repeats."""
    if latent_avg is None:
        return None
    if not isinstance(latent_avg, torch.Tensor):
        raise CheckpointError(f"{source}: latent_avg is a {type(latent_avg).__name__}, expected a tensor")
    if latent_avg.ndim != 2:
        return latent_avg
    if not torch.equal(latent_avg, latent_avg[:1].expand_as(latent_avg)):
        raise CheckpointError(f"{source}: latent_avg rows differ; expected one mean w repeated per W+ level")
    return latent_avg[0]
