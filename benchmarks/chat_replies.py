"""How long each kind of reply takes through the real local chat, with full-size models on this machine.

The models are random but full size and written in the official file layouts into a scratch weights folder
(1024 px rosinality generator, a ViT-B/32-shaped CLIP state dict, the e4e checkpoint rebuilt from the
conformance manifest, a 6048-row `fs3.npy` with `S_mean_std`, a released-shape mohawk mapper), then loaded
by `load_models` as `styleclip-bot run` does. One person chats through `ConsoleChat` (pictures written as
PNG files) against a SQLite session store. Prints each reply's time beside the issue's target.

    python benchmarks/chat_replies.py [--weights DIR] [--photo PATH] [--repeats 2]

The weights folder is kept (about 1.6 GB) so later runs skip building it.
"""

# ruff: noqa: E402  (imports follow the sys.path fix below)
from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np
import torch

# (message, what it measures, target in seconds); each row is one reply through the local chat.
SCRIPT = [
    ("make it cuter", "new-prompt global edit", 2.5),
    ("give him a mohawk", "mapper edit", 2.5),
    ("more", "more", 2.5),
    ("undo", "undo", 0.15),
    ("redo", "redo", 0.15),
    ("start over", "reset", 0.15),
    ("redo", "redo", 0.15),
    ("history", "history", 0.15),
    ("compare", "compare", 0.15),
    ("add a beard", "new-prompt global edit", 2.5),
    ("undo", "undo", 0.15),
]
NEW_PROMPTS = ["face with freckles", "face with glasses", "old face"]


def build_weights(root: Path) -> None:
    """Full-size random models in the layouts `load_models` reads (nothing downloaded)."""

    from engine.editing import LevelsMapper, save_style_statistics, style_statistics
    from engine.service.models import random_direction_tables, random_vit_b32
    from engine.stylegan2 import Generator, GeneratorConfig
    from tests.manifests import state_dict_from_manifest

    root.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    generator = Generator(GeneratorConfig.standard(1024)).eval().requires_grad_(False)
    generator.w_avg.copy_(generator.mean_w(512))
    torch.save(
        {"g_ema": generator.state_dict(), "latent_avg": generator.w_avg.clone()}, root / "stylegan2-ffhq-config-f.pt"
    )
    clip_model = random_vit_b32()
    torch.save(clip_model.state_dict(), root / "ViT-B-32.pt")
    encoder = {
        f"encoder.{k}" if not k.startswith("encoder.") else k: v
        for k, v in state_dict_from_manifest("e4e_1024").items()
    }
    torch.save(
        {
            "state_dict": encoder,
            "latent_avg": generator.w_avg.expand(18, -1).clone(),
            "opts": {"encoder_type": "Encoder4Editing", "stylegan_size": 1024},
        },
        root / "e4e_ffhq_encode.pt",
    )
    means, stds = style_statistics(generator, num_samples=256)
    tables = random_direction_tables(generator, clip_dim=512, means=means, stds=stds)
    np.save(root / "fs3.npy", tables.fs3.numpy())
    save_style_statistics(root / "S_mean_std", means, stds)
    (root / "mappers").mkdir(exist_ok=True)
    mapper = LevelsMapper(fine=False)
    torch.save(
        {
            "state_dict": {f"mapper.{k}": v for k, v in mapper.state_dict().items()},
            "opts": {"no_fine_mapper": True, "stylegan_size": 1024},
        },
        root / "mappers" / "mohawk.pt",
    )


def photo_bytes(path: Path | None) -> bytes:
    if path is not None:
        return path.read_bytes()
    from PIL import Image
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, "JPEG", quality=95)
    return buf.getvalue()


async def timed(chat, line: str) -> tuple[float, list]:
    start = time.perf_counter()
    replies = await chat.handle_line(line)
    for reply in replies:
        chat.show(reply)
    return time.perf_counter() - start, replies


async def run(weights: Path, photo: bytes, repeats: int) -> None:
    from bot.adapters.console import ConsoleChat
    from bot.core import Conversation
    from bot.sessions import Person, SessionStore
    from engine.service import Engine, load_models

    load = time.perf_counter()
    engine = Engine(lambda: load_models(weights, device="cpu"))
    await engine.start()
    print(
        f"models loaded in {time.perf_counter() - load:.1f} s; CPU, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}; load average before: {os.getloadavg()[0]:.2f}"
    )
    rows: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        store = SessionStore.open(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        out = io.StringIO()
        for round_ in range(repeats):
            person = Person("console", "bench", f"round{round_}")
            chat = ConsoleChat(
                Conversation(engine, store), output=out, out_dir=Path(folder) / "pictures", person=person
            )
            photo_path = Path(folder) / f"photo{round_}.jpg"
            photo_path.write_bytes(photo)
            seconds, _ = await timed(chat, f"/photo {photo_path}")
            rows.append((f"/photo ({round_ + 1})", "photo → first picture", seconds, 5.0))
            for line, what, target in SCRIPT:
                if round_ and what == "new-prompt global edit":
                    line = {"make it cuter": "make it happier", "add a beard": "add a moustache"}[line]
                seconds, replies = await timed(chat, line)
                caption = getattr(replies[0], "caption", None) or getattr(replies[0], "text", "")
                rows.append((line, what, seconds, target))
                print(f"  {line:<20} {seconds:7.2f} s  ({caption.splitlines()[-1][:70]})", flush=True)
        text = engine.models.editor.text
        for prompt in NEW_PROMPTS:
            start = time.perf_counter()
            text.direction(prompt, "face")
            rows.append((prompt, "text direction of a new prompt", time.perf_counter() - start, 2.0))
        store.close()
    await engine.close()
    print(f"\n{'message':<28}{'measures':<34}{'s':>8}{'target':>8}  met")
    for line, what, seconds, target in rows:
        print(f"{line:<28}{what:<34}{seconds:>8.2f}{target:>8.2f}  {'yes' if seconds <= target else 'no'}")
    print("\nmedian per kind:")
    for what in dict.fromkeys(r[1] for r in rows):
        values = [r[2] for r in rows if r[1] == what]
        target = next(r[3] for r in rows if r[1] == what)
        print(f"  {what:<34}{statistics.median(values):>8.2f} s  (n={len(values)}, target {target:g} s)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=Path(tempfile.gettempdir()) / "styleclip-bench-weights")
    parser.add_argument("--photo", type=Path, default=None, help="a photo with a face (default: skimage's astronaut)")
    parser.add_argument("--repeats", type=int, default=2, help="chats, each from a new photo")
    args = parser.parse_args()
    if not (args.weights / "mappers" / "mohawk.pt").is_file():
        print(f"building full-size random weights in {args.weights} ...", flush=True)
        build_weights(args.weights)
    asyncio.run(run(args.weights, photo_bytes(args.photo), args.repeats))


if __name__ == "__main__":
    main()
