"""Small model files in the official layouts, as a mirror would serve them: an 8 px generator, an e4e
checkpoint (full IR-50 encoder, its tensors sharing one small storage so the file stays ~10 MB), a tiny
CLIP, and an fs3 table that gives "make it cuter" a clear global direction."""

from __future__ import annotations

import io

import numpy as np
import torch

from engine.editing import TextEncoder
from engine.editing.router import DEFAULT_NEUTRAL
from engine.inversion.encoder import Encoder4Editing
from engine.stylegan2 import Generator, GeneratorConfig
from tests.editing.conftest import tiny_clip

RESOLUTION = 8
CUTER = "make it cuter"
DIRECTION_CHANNELS = 30  # channels the fs3 table ties to the prompt's direction: within the router's 10..300


def _bytes(obj: object) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def generator(seed: int = 0) -> Generator:
    torch.manual_seed(seed)
    g = Generator(GeneratorConfig(RESOLUTION, {4: 16, 8: 16}, w_dim=512))
    g.w_avg.copy_(g.mean_w(256))
    return g.eval().requires_grad_(False)


def generator_file(g: Generator) -> bytes:
    """rosinality's layout: `g_ema` and `latent_avg`."""
    return _bytes({"g_ema": g.state_dict(), "latent_avg": g.w_avg.clone()})


def e4e_file(g: Generator, seed: int = 0) -> bytes:
    """e4e's layout: `state_dict` with `encoder.*` and `decoder.*`, `latent_avg` [num_ws, 512], `opts`.

    The encoder's float tensors are views of one small random storage (torch.save writes a shared storage
    once): the network is the real IR-50 shape, the file small, the output close to `latent_avg`.
    """
    with torch.device("meta"):
        shapes = {k: (v.shape, v.dtype) for k, v in Encoder4Editing(50, RESOLUTION).state_dict().items()}
    largest = max(shape.numel() for shape, dtype in shapes.values() if dtype.is_floating_point)
    pool = 0.01 * torch.randn(largest, generator=torch.Generator().manual_seed(seed))
    ones = torch.ones(largest)
    state: dict[str, torch.Tensor] = {}
    for key, (shape, dtype) in shapes.items():
        if not dtype.is_floating_point:
            state[f"encoder.{key}"] = torch.zeros(shape, dtype=dtype)
        else:
            source = ones if key.endswith("running_var") else pool
            state[f"encoder.{key}"] = source[: shape.numel()].view(shape)
    state.update({f"decoder.{k}": v for k, v in g.state_dict().items()})
    opts = {"encoder_type": "Encoder4Editing", "stylegan_size": RESOLUTION}
    return _bytes({"state_dict": state, "latent_avg": g.w_avg.repeat(g.num_ws, 1), "opts": opts})


def clip_file() -> tuple[bytes, torch.nn.Module]:
    """A tiny CLIP's state dict (what `clip.load` accepts besides TorchScript), and the model itself."""
    model = tiny_clip()
    return _bytes(model.state_dict()), model


def fs3_file(g: Generator, clip_model: torch.nn.Module, target: str, neutral: str | None) -> bytes:
    """An fs3 table [manipulated channels, clip_dim]: the first rows point along the text direction of
    `target`, the rest are orthogonal to it, so that prompt moves exactly `DIRECTION_CHANNELS` channels."""
    rows = sum(layer.channels for layer in g.style_layers if not layer.is_torgb)
    dt = TextEncoder(clip_model).direction(target, neutral or DEFAULT_NEUTRAL)
    others = torch.randn(rows, dt.numel(), generator=torch.Generator().manual_seed(1))
    others = torch.nn.functional.normalize(others - (others @ dt)[:, None] * dt, dim=1)
    others[:DIRECTION_CHANNELS] = dt
    buf = io.BytesIO()
    np.save(buf, others.numpy().astype(np.float32))
    return buf.getvalue()
