"""Small models for the editing tests: conformance state dicts rebuilt from manifests, a tiny CLIP with
random weights, tiny generators, and a bag-of-words stand-in for CLIP's text encoder."""

from __future__ import annotations

from pathlib import Path

import clip
import numpy as np
import pytest
import torch
from clip.model import CLIP

from engine.stylegan2 import Generator, GeneratorConfig, generator_from_state_dict
from tests.manifests import DATA
from tests.manifests import state_dict_from_manifest as manifest_state_dict


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def manifest():
    return manifest_state_dict


@pytest.fixture(scope="session")
def stylegan2_64() -> Generator:
    ref = np.load(DATA / "stylegan2_64.npz")
    state = manifest_state_dict("stylegan2_64")
    return generator_from_state_dict(state, torch.from_numpy(ref["latent_avg"]))


def tiny_generator(w_dim: int = 64, width: int = 8, resolution: int = 32, seed: int = 0) -> Generator:
    """A StyleGAN2 with a handful of channels per layer: fast, and every code path of the real one."""
    torch.manual_seed(seed)
    channels = {2**i: width for i in range(2, int(np.log2(resolution)) + 1)}
    g = Generator(GeneratorConfig(resolution, channels, w_dim=w_dim))
    g.w_avg.copy_(g.mean_w(256))
    return g.eval().requires_grad_(False)


@pytest.fixture(scope="session")
def make_generator():
    return tiny_generator


@pytest.fixture()
def small_generator() -> Generator:
    return tiny_generator()


@pytest.fixture(scope="session")
def generator_18() -> Generator:
    """1024-layout W+ (18 rows of 512) with few channels, for mappers."""
    torch.manual_seed(1)
    channels = {2**i: 4 for i in range(2, 11)}
    g = Generator(GeneratorConfig(1024, channels, w_dim=512))
    return g.eval().requires_grad_(False)


def tiny_clip(seed: int = 0, image_resolution: int = 32) -> CLIP:
    """CLIP with the real vocabulary (so the packaged tokenizer works) and tiny widths, random weights."""
    torch.manual_seed(seed)
    model = CLIP(
        embed_dim=32,
        image_resolution=image_resolution,
        vision_layers=1,
        vision_width=64,
        vision_patch_size=8,
        context_length=77,
        vocab_size=49408,
        transformer_width=64,
        transformer_heads=1,
        transformer_layers=1,
    )
    return model.float().eval().requires_grad_(False)


@pytest.fixture(scope="session")
def clip_model() -> CLIP:
    return tiny_clip()


class BagOfWordsCLIP(torch.nn.Module):
    """Stand-in for CLIP's text tower: the sum of a fixed random vector per token (start/end tokens
    left out), so sentences sharing words embed alike. Counts its calls."""

    context_length = 77

    def __init__(self, dim: int = 512, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        self.table = torch.nn.Parameter(torch.randn(49408, dim, generator=gen), requires_grad=False)
        self.calls = 0
        self.sot = clip.tokenize("")[0, 0].item()
        self.eot = clip.tokenize("")[0, 1].item()

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        mask = (tokens != 0) & (tokens != self.sot) & (tokens != self.eot)
        return (self.table[tokens] * mask[..., None]).sum(1)


@pytest.fixture()
def bow_clip() -> BagOfWordsCLIP:
    return BagOfWordsCLIP()
