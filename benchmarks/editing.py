"""Per-method edit time of the StyleCLIP editing engine on CPU, with full-size models and random weights.

Models: a 1024 px StyleGAN2 (config-f widths, 18 × 512 W+, 26 StyleSpace layers), a ViT-B/32-shaped CLIP
and a full LevelsMapper, all randomly initialised (timings do not depend on the weights' values).
Prints the median of a few repeats for each stage of each method:

    .venv/bin/python benchmarks/editing.py [--repeats 3] [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from clip.model import CLIP

from engine.editing import (
    CLIPLoss,
    ClipObjective,
    LevelsMapper,
    OptimizationSettings,
    TextEncoder,
    direction_offsets,
    global_direction_edit,
    mapper_edit,
    optimization_edit,
    render,
    standard_torgb_pattern,
)
from engine.stylegan2 import Generator, GeneratorConfig


def vit_b32() -> CLIP:
    """ViT-B/32's shapes (as `clip.model.build_model` reads them off the released file)."""
    return CLIP(512, 224, 12, 768, 32, 77, 49408, 512, 8, 12).float().eval().requires_grad_(False)


def timed(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    g = Generator(GeneratorConfig.standard(1024)).eval().requires_grad_(False)
    clip_model = vit_b32()
    mapper = LevelsMapper().eval().requires_grad_(False)
    w = g.broadcast(g.mapping(torch.randn(1, 512)))[0]
    manipulated = sum(layer.channels for layer in g.style_layers if not layer.is_torgb)
    fs3 = torch.nn.functional.normalize(torch.randn(manipulated, 512), dim=1)
    stds = [torch.rand(layer.channels) * 0.5 for layer in g.style_layers]
    is_torgb = standard_torgb_pattern(len(stds))

    print(f"CPU, {args.threads} threads, torch {torch.__version__}; median of {args.repeats}")
    print(f"generator 1024 px: {g.num_ws} W+ rows, {len(g.style_layers)} style layers, {manipulated} fs3 rows")
    rows: list[tuple[str, float]] = []

    with torch.no_grad():
        rows.append(("render 1024 px (every method ends with this)", timed(lambda: render(g, w), args.repeats)))
        rows.append(("mapper: step 0.1·mapper(w)", timed(lambda: mapper_edit(g, w, mapper), args.repeats)))
        rows.append(("mapper: step + render", timed(lambda: render(g, w, [mapper_edit(g, w, mapper)]), args.repeats)))

        def text_direction_uncached():
            return TextEncoder(clip_model).direction("face with curly hair", "face")   # 2 × 79 templates

        dt = text_direction_uncached()
        rows.append(("global direction: text Δt (2×79 prompts, uncached)",
                     timed(text_direction_uncached, args.repeats)))
        rows.append(("global direction: Δs from fs3 (β=0.1)",
                     timed(lambda: direction_offsets(fs3, stds, dt, 0.1, is_torgb), args.repeats)))
        rows.append(("global direction: Δs + render (Δt cached)", timed(
            lambda: render(g, w, [global_direction_edit(g, w, direction_offsets(fs3, stds, dt, 0.1, is_torgb))]),
            args.repeats)))

    objective = ClipObjective(CLIPLoss(clip_model), TextEncoder(clip_model).plain("a face with curly hair"))
    one_step = OptimizationSettings(steps=1, lr=0.1)
    # step 0 of StyleCLIP's schedule has lr 0, but the forward, backward and Adam update cost the same
    step_time = timed(lambda: optimization_edit(g, w, objective, settings=one_step), max(1, args.repeats - 1))
    rows.append(("optimization: one step (render, CLIP, backward, Adam)", step_time))
    rows.append(("optimization: 300 steps, estimated", 300 * step_time))

    width = max(len(name) for name, _ in rows)
    for name, seconds in rows:
        print(f"  {name:<{width}}  {seconds:9.3f} s")


if __name__ == "__main__":
    main()
