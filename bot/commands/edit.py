"""`styleclip-bot edit`: one edit of one photo from the shell, through the same engine the bot uses."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.commands import add_device_option

METHODS = {"auto": "auto", "mapper": "mapper", "global": "global_direction", "optimize": "optimization"}
DEMO_NOTE = "demo mode: small random models, so the picture means nothing (it only shows the path works)"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "edit",
        help="edit a face photo from words, once, and save the result",
        description="Invert the face of PHOTO, apply PROMPT with the method the router picks (or --method), "
        "and save PHOTO with the edited face blended in, at its own size (--face: the aligned face crop only). "
        "Prints which method ran and why.",
    )
    parser.add_argument("photo", type=Path, help="the photo (JPEG, PNG, WebP, HEIC, ...)")
    parser.add_argument("prompt", help='what to change, e.g. "make it cuter" or "purple hair"')
    parser.add_argument("-o", "--out", type=Path, default=None,
                        help="output file, PNG or JPEG by its extension (default: PHOTO_edited.png)")
    parser.add_argument("--face", action="store_true", help="save the aligned face crop instead of the whole photo")
    parser.add_argument("--method", choices=sorted(METHODS), default="auto", help="insist on a method")
    parser.add_argument("--strength", type=float, default=None, help="scale the method's default strength")
    parser.add_argument("--demo", action="store_true", help="use small random models: no download, meaningless images")
    add_device_option(parser)
    parser.add_argument("--offline", action="store_true",
                        help="download nothing: use the model files in the cache (also STYLECLIP_OFFLINE=1)")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    return asyncio.run(_edit(args))


async def _edit(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from bot import dialog
    from bot.dialog import Refusal, parse
    from engine.errors import EngineError, InversionError, ModelsMissing, NoRoute, PromptError
    from engine.service.build import build_engine
    from engine.values import Instruction, LatentState

    try:
        photo = args.photo.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.photo}: {exc.strerror}")
        return 2
    parsed = parse(args.prompt)
    if isinstance(parsed, Refusal):
        print(f"sorry: {parsed.message}")
        return 1
    if not isinstance(parsed, dialog.Edit):
        print(f"sorry: {args.prompt!r} is a chat command, not an edit; try something like \"purple hair\"")
        return 1
    strength = args.strength if args.strength is not None else parsed.strength
    instruction = Instruction(parsed.target, parsed.neutral, strength)
    engine = build_engine(demo=args.demo, device=args.device, offline=args.offline or None)
    bar = None
    try:
        await engine.start()
        if args.demo:
            print(DEMO_NOTE)
        inverted = await engine.invert(photo, caller="cli")
        for note in inverted.notes:
            print(note)

        def progress(update) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=update.total, desc="optimizing", unit="step")
            bar.set_postfix(loss=f"{update.loss:.4f}")
            bar.update(update.step - bar.n)

        state = LatentState(inverted.w_plus)
        result = await engine.edit(state, instruction, caller="cli", method=METHODS[args.method],
                                   on_progress=progress)
        image = await engine.render(LatentState(inverted.w_plus, (result.step,)), caller="cli")
    except ModelsMissing as exc:
        print(f"error: {exc}")
        return 2
    except (InversionError, PromptError, NoRoute) as exc:
        print(f"sorry: {exc}")
        return 1
    except EngineError as exc:
        print(f"error: {exc}")
        return 1
    finally:
        if bar is not None:
            bar.close()
        await engine.close()
    from PIL import Image

    out = args.out or args.photo.with_name(f"{args.photo.stem}_edited.png")
    if not args.face:
        image = _in_photo(photo, inverted, image)
    try:
        Image.fromarray(image).save(out, quality=95)
    except (OSError, ValueError) as exc:
        print(f"error: cannot write {out}: {exc}")
        return 2
    print(f"{result.reason} ({result.seconds:.1f} s)")
    print(out)
    return 0


def _in_photo(photo: bytes, inverted, face):
    """The edited face blended into the photo at the photo's own size (the placement is scaled from the kept copy)."""
    from engine.photos import paste_back, read_image

    if inverted.placement is None:
        return face
    full = read_image(photo)
    return paste_back(full, face, inverted.placement.resized((full.shape[1], full.shape[0])))
