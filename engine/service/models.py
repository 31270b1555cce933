"""The models one engine serves with: loaded once per process from the weights cache, or built small
and random for `--demo` (every code path, no download; the pictures mean nothing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from engine.editing import (
    DirectionTables,
    Editor,
    LevelsMapper,
    MapperRegistry,
    load_clip,
    load_direction_tables,
    standard_torgb_pattern,
    style_statistics,
)
from engine.identity import IDLoss, load_id_network
from engine.inversion import DlibDetector, FaceDetector, load_encoder
from engine.stylegan2 import Generator, GeneratorConfig, load_generator
from engine.weights import cache_dir, file_path, get

log = logging.getLogger(__name__)


class ModelsMissing(RuntimeError):
    """A model file the engine needs is not in the cache."""


@dataclass
class ModelSet:
    """Everything the engine runs, on one device."""

    generator: Generator
    encoder: nn.Module          # photo crops [N, 3, 256, 256] in [-1, 1] → W+ [N, num_ws, 512]
    detector: FaceDetector
    editor: Editor
    device: torch.device
    demo: bool = False


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """CUDA when present, else the CPU (or what the caller insists on)."""
    if device is not None:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_models(root: Path | None = None, device: str | torch.device | None = None) -> ModelSet:
    """The full-size FFHQ models from the weights cache (`styleclip-bot weights download`).

    The generator, encoder and CLIP are required; mappers, global-direction tables and ArcFace are
    used when present (without them the router has fewer methods, or optimization runs without
    the identity loss), and the log says which are missing.

    Raises:
        ModelsMissing: a required file is not in the cache; the message says how to get it.
    """
    root = root or cache_dir()
    dev = pick_device(device)

    def path(name: str, required: bool) -> Path | None:
        p = file_path(get(name), root)
        if p.is_file():
            return p
        if required:
            raise ModelsMissing(
                f"{p} is missing: run `styleclip-bot weights download {name}` (or use --demo to try the bot "
                "with small random models)"
            )
        log.warning("%s is not in the weights cache (%s); running without it", name, p)
        return None

    generator = load_generator(path("stylegan2-ffhq", True), device=dev)
    encoder = load_encoder(path("e4e-ffhq", True), device=dev, latent_avg=generator.w_avg)
    clip_model = load_clip(path("clip-vit-b32", True), device=dev)
    mapper_dir = root / "mappers"
    mappers = MapperRegistry.from_folder(mapper_dir) if mapper_dir.is_dir() else None
    fs3, stats = path("fs3", False), path("s-mean-std", False)
    tables = load_direction_tables(fs3, stats) if fs3 and stats else None
    arcface = path("arcface-ir-se50", False)
    id_loss = IDLoss(load_id_network(arcface, device=dev)) if arcface else None
    editor = Editor(generator, clip_model, mappers=mappers, tables=tables, id_loss=id_loss)
    return ModelSet(generator, encoder, DlibDetector(), editor, dev)


DEMO_MAPPERS = ("mohawk", "afro", "purple_hair")


class DemoEncoder(nn.Module):
    """A tiny random stand-in for e4e (pooled pixels → W+ around the mean w): demo mode only."""

    def __init__(self, num_ws: int, w_avg: torch.Tensor, w_dim: int = 512) -> None:
        super().__init__()
        self.num_ws, self.w_dim = num_ws, w_dim
        self.pool = nn.AdaptiveAvgPool2d(8)
        self.linear = nn.Linear(3 * 8 * 8, num_ws * w_dim)
        self.register_buffer("w_avg", w_avg.detach().clone())

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        codes = self.linear(self.pool(images).flatten(1)).view(-1, self.num_ws, self.w_dim)
        return self.w_avg + 0.1 * codes


def random_direction_tables(
    generator: Generator,
    clip_dim: int,
    means: list[torch.Tensor] | None = None,
    stds: list[torch.Tensor] | None = None,
) -> DirectionTables:
    """Direction tables of the right layout with random unit fs3 rows (demo models, benchmarks);
    without statistics, every style channel has mean 0 and std 1."""
    layers = generator.style_layers
    is_torgb = standard_torgb_pattern(len(layers))
    rows = sum(layer.channels for layer, rgb in zip(layers, is_torgb, strict=True) if not rgb)
    fs3 = torch.nn.functional.normalize(torch.randn(rows, clip_dim), dim=1)
    means = means if means is not None else [torch.zeros(layer.channels) for layer in layers]
    stds = stds if stds is not None else [torch.ones(layer.channels) for layer in layers]
    return DirectionTables(fs3, means, stds, is_torgb)


def demo_models(seed: int = 0, device: str | torch.device | None = None, resolution: int = 256) -> ModelSet:
    """Small randomly initialised models of the real classes (but a stand-in encoder), built in seconds.

    Every path works — face detection, inversion, the three editing methods, the router — but the
    images are meaningless: the weights were never trained.
    """
    import clip.model

    dev = pick_device(device)
    torch.manual_seed(seed)
    log_size = resolution.bit_length() - 1
    channels = {2**i: max(128 >> max(i - 4, 0), 16) for i in range(2, log_size + 1)}
    generator = Generator(GeneratorConfig(resolution, channels)).eval().requires_grad_(False)
    generator.w_avg.copy_(generator.mean_w(1024))
    clip_model = clip.model.CLIP(
        embed_dim=64, image_resolution=32, vision_layers=1, vision_width=64, vision_patch_size=16,
        context_length=77, vocab_size=49408, transformer_width=64, transformer_heads=2, transformer_layers=1,
    ).eval().requires_grad_(False)
    mappers = MapperRegistry.in_memory({name: LevelsMapper().eval().requires_grad_(False) for name in DEMO_MAPPERS})
    means, stds = style_statistics(generator, num_samples=1024)
    tables = random_direction_tables(generator, clip_dim=64, means=means, stds=stds)
    editor = Editor(generator, clip_model, mappers=mappers, tables=tables, id_loss=None)
    # A random CLIP finds every two sentences alike: only a mapper's own words pick it in the demo.
    editor.router.similarity_threshold = 1.01
    encoder = DemoEncoder(generator.num_ws, generator.w_avg).eval().requires_grad_(False)
    models = ModelSet(generator.to(dev), encoder.to(dev), DlibDetector(), editor, dev, demo=True)
    clip_model.to(dev)
    return models
