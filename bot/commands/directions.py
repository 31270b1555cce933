"""`styleclip-bot directions`: precompute global-direction tables (fs3 + StyleSpace statistics) for a
generator, so prompts can be applied as global directions in its domain (faces, cats, cars ...)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from bot.commands import add_device_option, torch_device


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "directions",
        help="precompute global-direction tables (fs3, S_mean_std) for a generator; resumable",
        description="Compute StyleCLIP's channel-relevance table fs3.npy and StyleSpace statistics S_mean_std "
        "for a StyleGAN2 checkpoint, with CLIP. Hours on a GPU for a 1024 px generator; an interrupted run "
        "resumes where it stopped when started again with the same arguments.",
    )
    parser.add_argument("checkpoint", type=Path, help="rosinality-format StyleGAN2 checkpoint (.pt)")
    parser.add_argument("clip", type=Path, help="CLIP weights file, e.g. ViT-B-32.pt")
    parser.add_argument("--out", type=Path, required=True, help="output folder (also holds the partial results)")
    parser.add_argument("--images", type=int, default=100, help="images averaged per channel (StyleCLIP: 100)")
    parser.add_argument(
        "--samples",
        type=int,
        default=100_000,
        help="latents for the StyleSpace statistics (StyleCLIP's recipe: seed 5, truncation 0.7 below w layer 8)",
    )
    parser.add_argument("--sigma", type=float, default=5.0, help="channel moved to ±sigma standard deviations")
    parser.add_argument("--batch-size", type=int, default=32, help="images rendered at once")
    parser.add_argument("--seed", type=int, default=0, help="seed of the images each fs3 row averages over")
    add_device_option(parser)
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from engine.editing import DirectionFileError, load_clip, precompute_direction_tables
    from engine.stylegan2 import CheckpointError, load_generator

    for name, value in (("--images", args.images), ("--samples", args.samples), ("--batch-size", args.batch_size)):
        if value < 1:
            print(f"error: {name} must be at least 1")
            return 2
    try:
        device = torch_device(args.device)
        generator = load_generator(args.checkpoint, device=device)
        clip_model = load_clip(args.clip, device=device)
    except (CheckpointError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}")
        return 2
    bars: dict[str, tqdm] = {}

    def progress_of(desc: str, unit: str) -> Callable[[int, int], None]:
        def progress(done: int, total: int) -> None:
            bar = bars.get(desc) or bars.setdefault(desc, tqdm(total=total, unit=unit, desc=desc))
            bar.n = done
            bar.refresh()

        return progress

    try:
        tables = precompute_direction_tables(
            generator,
            clip_model,
            args.out,
            num_images=args.images,
            num_samples=args.samples,
            sigma=args.sigma,
            seed=args.seed,
            batch_size=args.batch_size,
            progress=progress_of("fs3", "channel"),
            statistics_progress=progress_of("statistics", "sample"),
        )
    except DirectionFileError as exc:
        print(f"error: {exc}")
        return 2
    finally:
        for bar in bars.values():
            bar.close()
    print(f"{args.out / 'fs3.npy'}: {tables.fs3.shape[0]} channels × {tables.fs3.shape[1]}")
    print(
        f"{args.out / 'S_mean_std'}: {len(tables.style_std)} layers, StyleCLIP's recipe over {args.samples} "
        "samples (seed 5, truncation 0.7 on w layers below 8)"
    )
    return 0
