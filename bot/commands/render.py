"""`styleclip-bot render`: images from a StyleGAN2 checkpoint, to check a model file by eye."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import add_device_option, torch_device


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "render",
        help="render random faces from a StyleGAN2 checkpoint",
        description="Render images from random latents of a rosinality-format StyleGAN2 checkpoint.",
    )
    parser.add_argument("checkpoint", type=Path, help="the .pt file (a dict with g_ema and latent_avg)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="one image per seed")
    parser.add_argument("--truncation", type=float, default=0.7, help="truncation psi (1 = none)")
    parser.add_argument("--preview", type=int, default=None, metavar="PX",
                        help="render the cheap low-resolution preview at PX instead of the full image")
    parser.add_argument("--out", type=Path, default=Path("."), help="output folder")
    add_device_option(parser)
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import torch

    from engine.images import to_pil
    from engine.stylegan2 import CheckpointError, load_generator

    try:
        device = torch_device(args.device)
        generator = load_generator(args.checkpoint, device=device)
    except CheckpointError as exc:
        print(f"error: {exc}")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        z = torch.randn(1, generator.w_dim, generator=torch.Generator().manual_seed(seed)).to(device)
        with torch.no_grad():
            ws = generator.broadcast(generator.mapping(z, truncation_psi=args.truncation))
            image = generator.preview(ws, args.preview) if args.preview else generator.synthesize(ws)
        path = args.out / f"seed{seed:04d}.png"
        to_pil(image)[0].save(path)
        print(path)
    return 0
