"""Our generator against rosinality's reference one: same random weights, same latent, timed interleaved.

Needs a local checkout of rosinality/stylegan2-pytorch (its `model.py` and `op/`); skipped when absent.
Its `op` package compiles CUDA extensions when imported; here the compiler call is replaced by a stub,
so only the package's plain-PyTorch paths run (it takes them for CPU tensors by itself). Prints seconds
per render of each (the best of the rounds, interleaved so both see the same machine load), their ratio
and the largest pixel difference.

    python benchmarks/reference_generator.py --checkout PATH [--resolution 1024] [--rounds 3]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np
import torch

from engine.images import to_uint8
from engine.stylegan2 import Generator, GeneratorConfig


def reference_module(checkout: Path):
    """rosinality's `model` module, imported from `checkout` without compiling its CUDA ops."""
    sys.path.insert(0, str(checkout))
    with mock.patch("torch.utils.cpp_extension.load", return_value=None):
        return importlib.import_module("model")


def timed(render) -> tuple[torch.Tensor, float]:
    start = time.perf_counter()
    with torch.no_grad():
        image = render()
    return image, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=Path(os.environ.get("ROSINALITY_STYLEGAN2", "")))
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (args.checkout / "model.py").is_file() or not (args.checkout / "op").is_dir():
        print(f"skipped: no rosinality/stylegan2-pytorch checkout at {args.checkout!s} (pass --checkout PATH)")
        return
    model = reference_module(args.checkout)
    torch.manual_seed(0)
    ours = Generator(GeneratorConfig.standard(args.resolution)).eval().requires_grad_(False)
    theirs = model.Generator(args.resolution, 512, 8, channel_multiplier=2).eval().requires_grad_(False)
    missing, unexpected = theirs.load_state_dict(ours.state_dict(), strict=False)
    if missing or [k for k in unexpected if k != "w_avg"]:
        raise SystemExit(f"the layouts differ: missing {missing[:5]}, unexpected {unexpected[:5]}")
    ws = ours.broadcast(ours.mapping(torch.randn(1, 512)))
    print(
        f"CPU, {torch.get_num_threads()} threads, torch {torch.__version__}, {args.resolution} px, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    ours_s, theirs_s = [], []
    for _ in range(args.rounds):
        reference, seconds = timed(lambda: theirs([ws], input_is_latent=True, randomize_noise=False)[0])
        theirs_s.append(seconds)
        image, seconds = timed(lambda: ours.synthesize(ws, noise_mode="const"))
        ours_s.append(seconds)
    difference = np.abs(to_uint8(image).astype(int) - to_uint8(reference).astype(int)).max()
    raw = (image - reference).abs().max().item()
    print(
        f"reference (rosinality): {min(theirs_s):.2f} s per render  (rounds: {', '.join(f'{s:.2f}' for s in theirs_s)})"
    )
    print(f"ours:                   {min(ours_s):.2f} s per render  (rounds: {', '.join(f'{s:.2f}' for s in ours_s)})")
    print(f"ratio reference / ours: {min(theirs_s) / min(ours_s):.2f}")
    print(f"max difference: {difference} of 255 levels ({raw:.2e} in [-1, 1] units)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
