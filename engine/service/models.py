"""The models one engine serves with: loaded once per process from the weights cache, or built small
and random for `--demo` (every code path, no download; the pictures mean nothing).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from engine.editing import (
    RELEASED_MAPPERS,
    DirectionTables,
    Editor,
    LevelsMapper,
    MapperRegistry,
    load_clip,
    load_direction_tables,
    save_style_statistics,
    standard_torgb_pattern,
    style_statistics,
)
from engine.errors import ModelsMissing
from engine.identity import IDLoss, load_id_network
from engine.inversion import DlibDetector, FaceDetector, load_encoder
from engine.service.mapper_fetch import MapperFetcher
from engine.service.prepare import (
    FIRST_RUN,
    FileStatus,
    Outcome,
    Preparation,
    missing_message,
    missing_required,
    offline_from_env,
)
from engine.stylegan2 import Generator, GeneratorConfig, load_generator, load_generator_from_e4e
from engine.weights import cache_dir, file_path, get

log = logging.getLogger(__name__)


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


def load_models(
    root: Path | None = None,
    device: str | torch.device | None = None,
    preparation: Preparation | None = None,
    offline: bool | None = None,
) -> ModelSet:
    """The full-size FFHQ models from the weights cache (fetched first by `engine.service.build`).

    The encoder and CLIP are required, and the generator, which e4e's checkpoint also carries (its
    `decoder.*` keys stand in when the generator file is missing). Mappers, global-direction tables and
    ArcFace are used when present (without them the router has fewer methods, or optimization runs
    without the identity loss), and the log says which are missing. The StyleSpace statistics, which no
    one publishes, are computed here once when fs3 is present and saved beside it. Unless offline (None:
    `STYLECLIP_OFFLINE` decides), a released mapper a prompt asks for is fetched in the background.

    Raises:
        ModelsMissing: a required file is not in the cache; the message names each and how to get it.
    """
    root = root or cache_dir()
    dev = pick_device(device)
    prep = preparation or Preparation()
    offline = offline_from_env() if offline is None else offline
    paths = {name: file_path(get(name), root) for name in (*FIRST_RUN, "s-mean-std")}
    here = {name: p.is_file() for name, p in paths.items()}
    missing = [prep.files.get(status.name, status) for status in missing_required(root)]  # with the reasons
    if missing:
        raise ModelsMissing(missing_message(missing, offline=offline))
    for name in ("fs3", "arcface-ir-se50"):
        if not here[name]:
            log.warning("%s is not in the weights cache (%s); running without it", name, paths[name])

    prep.set_stage("loading the models")
    if here["stylegan2-ffhq"]:
        generator = load_generator(paths["stylegan2-ffhq"], device=dev)
    else:
        log.info("%s is missing: using the generator e4e carries (%s, decoder.*)", paths["stylegan2-ffhq"].name,
                 paths["e4e-ffhq"])
        generator = load_generator_from_e4e(paths["e4e-ffhq"], device=dev)
    encoder = load_encoder(paths["e4e-ffhq"], device=dev, latent_avg=generator.w_avg)
    clip_model = load_clip(paths["clip-vit-b32"], device=dev)
    mappers = MapperRegistry.from_folder(root / "mappers", known=None if offline else RELEASED_MAPPERS)
    mappers.fetch = None if offline else MapperFetcher(mappers, root)
    tables = None
    if here["fs3"]:
        if not here["s-mean-std"]:
            compute_statistics(generator, paths["s-mean-std"], prep)
        tables = load_direction_tables(paths["fs3"], paths["s-mean-std"])
    arcface = paths["arcface-ir-se50"] if here["arcface-ir-se50"] else None
    id_loss = IDLoss(load_id_network(arcface, device=dev)) if arcface else None
    editor = Editor(generator, clip_model, mappers=mappers, tables=tables, id_loss=id_loss)
    return ModelSet(generator, encoder, DlibDetector(), editor, dev)


STATISTICS_SAMPLES = 100_000  # StyleCLIP's GetCode.py: S_mean_std from 100k random samples


def compute_statistics(
    generator: Generator, path: Path, preparation: Preparation | None = None, show_progress: bool | None = None
) -> Path:
    """Compute StyleSpace means and stds (`STATISTICS_SAMPLES` samples) and save them at `path` atomically.

    Once per cache: global directions need them and no one publishes them.
    """
    from tqdm import tqdm

    from engine.editing import preprocess

    prep = preparation or Preparation()
    prep.set_stage("computing StyleSpace statistics")
    samples = STATISTICS_SAMPLES
    log.info("computing StyleSpace statistics from %d samples (once; saved to %s)", samples, path)
    bar = tqdm(total=samples, desc="StyleSpace statistics", unit="sample", file=sys.stderr,
               disable=None if show_progress is None else not show_progress)

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)
        prep.set_percent(100.0 * done / total)

    with bar:
        means, stds = preprocess.style_statistics(generator, samples, progress=progress)
    tmp = path.with_name(path.name + ".tmp")
    save_style_statistics(tmp, means, stds)
    os.replace(tmp, path)
    prep.record(FileStatus("s-mean-std", path, Outcome.COMPUTED))
    return path


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


def random_vit_b32() -> nn.Module:
    """CLIP with ViT-B/32's shapes and random weights, in eval mode without gradients: what the benchmarks
    measure at full size when the real file is not here (its outputs mean nothing)."""
    import clip.model

    model = clip.model.CLIP(
        embed_dim=512, image_resolution=224, vision_layers=12, vision_width=768, vision_patch_size=32,
        context_length=77, vocab_size=49408, transformer_width=512, transformer_heads=8, transformer_layers=12,
    )
    return model.float().eval().requires_grad_(False)


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
    # A random CLIP finds every two sentences alike: only a mapper's own words pick it in the demo.
    editor = Editor(generator, clip_model, mappers=mappers, tables=tables, id_loss=None, similarity_threshold=1.01)
    encoder = DemoEncoder(generator.num_ws, generator.w_avg).eval().requires_grad_(False)
    models = ModelSet(generator.to(dev), encoder.to(dev), DlibDetector(), editor, dev, demo=True)
    clip_model.to(dev)
    return models
