"""Loading the e4e encoder from the official checkpoint layout (`e4e_ffhq_encode.pt`).

e4e's `training/coach.py` saves `{"state_dict": pSp.state_dict(), "opts": vars(opts), "latent_avg": ...}`:
`encoder.*` keys are the Encoder4Editing, `decoder.*` a StyleGAN2 generator (built by
`engine.stylegan2.load_generator_from_e4e`, not here). `latent_avg` is [18, 512] (the generator's mean
w repeated per level). Only `ProgressiveStage.Inference` exists at inference, so nothing else in `opts`
changes the network.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import torch

from engine import irse
from engine.checkpoints import CheckpointError, key_list, load_strict, read_checkpoint, strip_prefix
from engine.inversion.encoder import Encoder4Editing, WPlusEncoder

_BODY_UNITS = {len(irse.block_specs(n)): n for n in (50, 100, 152)}


class EncoderCheckpointError(CheckpointError):
    """An encoder file that cannot be used: missing, unreadable, or not in the e4e layout."""


def encoder_from_state_dict(
    state: Mapping[str, torch.Tensor],
    stylegan_size: int | None = None,
    source: str = "state dict",
) -> Encoder4Editing:
    """An Encoder4Editing shaped like `state` (keys without the `encoder.` prefix), loaded strictly, eval, no grads."""
    units = {int(m.group(1)) for k in state if (m := re.match(r"body\.(\d+)\.", k))}
    styles = {int(m.group(1)) for k in state if (m := re.match(r"styles\.(\d+)\.", k))}
    if len(units) not in _BODY_UNITS or not styles:
        raise EncoderCheckpointError(
            f"{source}: not an Encoder4Editing state dict ({len(units)} body units, {len(styles)} style blocks)"
        )
    size_from_keys = 2 ** ((len(styles) + 2) // 2)
    if stylegan_size is not None and stylegan_size != size_from_keys:
        raise EncoderCheckpointError(
            f"{source}: opts say stylegan_size {stylegan_size} but the encoder has {len(styles)} style blocks "
            f"(a {size_from_keys} px generator)"
        )
    with torch.device("meta"):
        encoder = Encoder4Editing(_BODY_UNITS[len(units)], size_from_keys)
    load_strict(encoder, state, source, error=EncoderCheckpointError)
    return encoder.eval().requires_grad_(False)


def load_encoder(
    path: str | os.PathLike,
    device: str | torch.device = "cpu",
    latent_avg: torch.Tensor | None = None,
) -> WPlusEncoder:
    """Load an official e4e checkpoint as a module: [N, 3, 256, 256] in [-1, 1] → W+ [N, 18, 512].

    Args:
        path: the `.pt` file (`state_dict` with `encoder.`/`decoder.` keys, `latent_avg`, `opts`).
        device: where the module goes.
        latent_avg: used only when the file has none: the generator's mean w ([512] or [num_ws, 512]),
            e.g. `generator.w_avg`, which is what e4e falls back to.

    Raises:
        EncoderCheckpointError: the file is missing, unreadable, or its keys or shapes do not match.
    """
    # Memory-mapped: the decoder part of the file is never read.
    ckpt = read_checkpoint(path, error=EncoderCheckpointError, mmap=True)
    return encoder_from_checkpoint(ckpt, latent_avg, source=str(path)).to(device)


def encoder_from_checkpoint(
    ckpt: Mapping,
    latent_avg: torch.Tensor | None = None,
    source: str = "checkpoint",
) -> WPlusEncoder:
    """`load_encoder` on an already loaded checkpoint dict (same layout, same errors)."""
    state = ckpt.get("state_dict", ckpt)
    if not isinstance(state, Mapping):
        raise EncoderCheckpointError(f"{source}: 'state_dict' is a {type(state).__name__}, expected a dict")
    encoder_state = strip_prefix(state, "encoder.")
    if not encoder_state:
        raise EncoderCheckpointError(
            f"{source}: no 'encoder.*' keys (found e.g. {key_list(sorted(map(str, state)))}); "
            "expected an e4e checkpoint such as e4e_ffhq_encode.pt"
        )
    opts = ckpt.get("opts") if isinstance(ckpt.get("opts"), Mapping) else {}
    encoder_type = opts.get("encoder_type", "Encoder4Editing")
    if encoder_type != "Encoder4Editing":
        raise EncoderCheckpointError(f"{source}: encoder_type is {encoder_type!r}; only Encoder4Editing is supported")
    encoder = encoder_from_state_dict(encoder_state, opts.get("stylegan_size"), source=source)
    avg = ckpt.get("latent_avg")
    if avg is None:
        avg = latent_avg
    if avg is None:
        raise EncoderCheckpointError(
            f"{source}: the file has no latent_avg; pass the generator's mean w (latent_avg=generator.w_avg)"
        )
    try:
        module = WPlusEncoder(encoder, torch.as_tensor(avg))
    except ValueError as exc:
        raise EncoderCheckpointError(f"{source}: {exc}") from None
    return module.eval().requires_grad_(False)

