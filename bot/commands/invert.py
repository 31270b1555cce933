"""`styleclip-bot invert`: a photo → its FFHQ-aligned crop and (with an encoder) its W+ latent."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands import add_device_option, torch_device


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "invert",
        help="align a face photo and encode it to a W+ latent with e4e",
        description="Detect the largest face in a photo, align it FFHQ-style to 256 px and save the crop; "
        "with --encoder, also encode it to a W+ latent (e4e) saved as a .pt tensor.",
    )
    parser.add_argument("photo", type=Path, help="the photo (JPEG, PNG, WebP, HEIC, ...)")
    parser.add_argument("--encoder", type=Path, default=None, help="e4e checkpoint, e.g. e4e_ffhq_encode.pt")
    parser.add_argument("--out", type=Path, default=Path("."), help="output folder")
    add_device_option(parser)
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import torch

    from engine.errors import InversionError
    from engine.inversion import DetectorUnavailable, EncoderCheckpointError, align_face, invert, load_encoder

    try:
        if args.encoder is None:
            result = align_face(args.photo)
            aligned, transform, timings, notes = result.image, result.transform, result.timings, result.notes
            latent = None
        else:
            encoder = load_encoder(args.encoder, device=torch_device(args.device))
            inverted = invert(args.photo, encoder)
            aligned, transform, timings, notes = inverted.aligned, inverted.transform, inverted.timings, inverted.notes
            latent = inverted.w_plus
    except InversionError as exc:
        print(f"sorry: {exc}")
        return 1
    except (EncoderCheckpointError, DetectorUnavailable) as exc:
        print(f"error: {exc}")
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.photo.stem
    crop_path = args.out / f"{stem}_aligned.png"
    aligned.save(crop_path)
    print(crop_path)
    if latent is not None:
        latent_path = args.out / f"{stem}_wplus.pt"
        torch.save(latent, latent_path)
        print(f"{latent_path} (W+ {list(latent.shape)})")
    for note in notes:
        print(note)
    print(f"crop: rotated {transform.angle_degrees:+.1f}°, {transform.scale:.2f} photo px per crop px")
    print("time: " + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in timings.items()))
    return 0
