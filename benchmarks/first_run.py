"""First run from a loopback mirror with full-size files: download, StyleSpace statistics, first edit.

Builds random-weight files of the real sizes in the official layouts (rosinality generator 1024 px, e4e
with its decoder, CLIP ViT-B/32 as a state dict, ArcFace IR-SE50, fs3 [6048, 512]) into a scratch folder,
serves them over HTTP on 127.0.0.1 as `STYLECLIP_WEIGHTS_MIRROR`, then in a fresh process runs what
`styleclip-bot run` runs on a first start (`build_engine`: fetch, load, statistics) and the first
"make it cuter" on a photo (invert, global-direction edit, render). Prints each stage's seconds and the
measuring process's peak RSS. The fs3 table ties 100 channels to that prompt's text direction, so the
first edit is a global direction, as it is with the published table.

    python benchmarks/first_run.py [--dir /tmp/first-run] [--samples 100000] [--device cpu]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import io
import itertools
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import torch

MB = 1e6


def build_files(mirror: Path) -> None:
    """Random weights, real shapes, official layouts: what the mirror serves."""
    from engine.editing import TextEncoder
    from engine.editing.router import DEFAULT_NEUTRAL
    from engine.identity import Backbone
    from engine.inversion.encoder import Encoder4Editing
    from engine.service.models import random_vit_b32
    from engine.stylegan2 import Generator, GeneratorConfig

    mirror.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    g = Generator(GeneratorConfig.standard(1024)).eval().requires_grad_(False)
    g.w_avg.copy_(g.mean_w(1024))
    torch.save({"g_ema": g.state_dict(), "latent_avg": g.w_avg.clone()}, mirror / "stylegan2-ffhq-config-f.pt")
    with torch.device("meta"):
        shapes = {k: (v.shape, v.dtype) for k, v in Encoder4Editing(50, 1024).state_dict().items()}
    encoder = {
        f"encoder.{k}": (0.01 * torch.randn(s) if d.is_floating_point else torch.zeros(s, dtype=d))
        for k, (s, d) in shapes.items()
    }
    for k, (s, _) in shapes.items():
        if k.endswith("running_var"):
            encoder[f"encoder.{k}"] = torch.ones(s)
    state = {**encoder, **{f"decoder.{k}": v for k, v in g.state_dict().items()}}
    opts = {"encoder_type": "Encoder4Editing", "stylegan_size": 1024}
    torch.save(
        {"state_dict": state, "latent_avg": g.w_avg.repeat(g.num_ws, 1), "opts": opts}, mirror / "e4e_ffhq_encode.pt"
    )
    del encoder, state
    clip_model = random_vit_b32()
    torch.save(clip_model.state_dict(), mirror / "ViT-B-32.pt")
    torch.save(Backbone().state_dict(), mirror / "model_ir_se50.pth")
    rows = sum(layer.channels for layer in g.style_layers if not layer.is_torgb)
    dt = TextEncoder(clip_model).direction("cute face", DEFAULT_NEUTRAL)
    fs3 = torch.nn.functional.normalize(torch.randn(rows, 512), dim=1)
    fs3 = torch.nn.functional.normalize(fs3 - (fs3 @ dt)[:, None] * dt, dim=1)
    fs3[:100] = dt
    np.save(mirror / "fs3.npy", fs3.numpy().astype(np.float32))


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per file would bury the figures
        pass


def serve(folder: Path) -> ThreadingHTTPServer:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB  # Linux reports KiB


def measure(cache: Path, samples: int, device: str) -> None:
    """The first run itself, in a process of its own (its peak RSS is the first run's)."""
    from skimage import data

    from engine.editing import Instruction
    from engine.service import LatentState, models
    from engine.service.build import build_engine
    from engine.weights import registry

    # Random CLIP weights are not OpenAI's file: drop its published checksum for this run.
    registry.REGISTRY = tuple(
        dataclasses.replace(e, sha256=None) if e.name == "clip-vit-b32" else e for e in registry.REGISTRY
    )
    models.STATISTICS_SAMPLES = samples
    stages: list[tuple[str, float]] = []
    engine = build_engine(device=device, show_progress=False, root=cache)
    prep = engine.preparation
    original = prep.set_stage

    def timed_stage(stage: str, percent: float = 0.0) -> None:
        stages.append((stage, time.perf_counter()))
        original(stage, percent)

    prep.set_stage = timed_stage  # type: ignore[method-assign]
    buf = io.BytesIO()
    from PIL import Image

    Image.fromarray(data.astronaut()).save(buf, "JPEG", quality=90)

    async def run() -> dict[str, float]:
        start = time.perf_counter()
        await engine.start()
        loaded = time.perf_counter()
        inverted = await engine.invert(buf.getvalue(), caller="bench")
        result = await engine.edit(LatentState(inverted.w_plus), Instruction("cute face", "face"), caller="bench")
        await engine.render(LatentState(inverted.w_plus, (result.step,)), caller="bench")
        done = time.perf_counter()
        await engine.close()
        marks = [*stages, ("end of loading", loaded)]
        times = {f"stage: {name}": b - a for (name, a), (_, b) in itertools.pairwise(marks)}
        times["models ready, total"] = loaded - start
        times[f"first edit ({result.method}), invert + edit + render"] = done - loaded
        return times

    for name, seconds in asyncio.run(run()).items():
        print(f"{name:<58} {seconds:8.1f} s")
    sizes = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
    print(f"{'downloaded into the cache':<58} {sizes / 1e9:8.2f} GB")
    print(f"{'peak RSS of the first-run process':<58} {peak_rss_mb():8.0f} MB")
    print(f"statistics samples: {samples}; device: {device}; torch threads: {torch.get_num_threads()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/styleclip-first-run"))
    parser.add_argument("--samples", type=int, default=100_000, help="StyleSpace statistics samples")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    mirror, cache = args.dir / "mirror", args.dir / "cache"
    if args.measure:
        measure(cache, args.samples, args.device)
        return
    if not (mirror / "fs3.npy").is_file():
        start = time.perf_counter()
        build_files(mirror)
        print(f"built the mirror's files in {time.perf_counter() - start:.0f} s")
    shutil.rmtree(cache, ignore_errors=True)
    httpd = serve(mirror)
    env = {
        **os.environ,
        "STYLECLIP_WEIGHTS_MIRROR": f"http://127.0.0.1:{httpd.server_address[1]}",
        "STYLECLIP_WEIGHTS_MIRROR_ONLY": "1",
        "STYLECLIP_OFFLINE": "0",
    }
    try:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--measure",
                "--dir",
                str(args.dir),
                "--samples",
                str(args.samples),
                "--device",
                args.device,
            ],
            env=env,
            check=True,
        )
    finally:
        httpd.shutdown()


if __name__ == "__main__":
    main()
