"""Synthesis speed and memory of a full-size (1024 px, config-f) StyleGAN2 with random weights.

Prints, per device: seconds per image at batch 1, 4 and 8 for the reference modulation (one
grouped conv with per-sample weights) and the shared-weight variant, the 256 px preview, and
peak memory. No checkpoint needed. Each CPU case runs in a fresh process so that its peak
resident memory is its own.

    python benchmarks/synthesis.py [--device cpu|cuda] [--repeats 3] [--resolution 1024]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import torch

from engine.stylegan2 import Generator, GeneratorConfig

BATCHES = (1, 4, 8)


def build(resolution: int, device: str) -> Generator:
    torch.manual_seed(0)
    g = Generator(GeneratorConfig.standard(resolution)).eval().requires_grad_(False)
    return g.to(device)


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def time_case(g: Generator, device: str, batch: int, mode: str, repeats: int) -> float:
    """Median seconds for one call (after a warm-up call)."""
    ws = g.broadcast(g.mapping(torch.randn(batch, g.w_dim, device=device)))

    def call() -> None:
        if mode == "preview":
            g.preview(ws, resolution=256)
        else:
            g.synthesize(ws, fused=(mode == "fused"))

    with torch.no_grad():
        call()
        sync(device)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            call()
            sync(device)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(args: argparse.Namespace) -> None:
    """Child process: one case, printed as JSON."""
    g = build(args.resolution, "cpu")
    model_rss = rss_mib()
    seconds = time_case(g, "cpu", args.batch, args.mode, args.repeats)
    print(json.dumps({"seconds": seconds, "model_rss": model_rss, "peak_rss": rss_mib()}))


def cpu_table(args: argparse.Namespace) -> None:
    print(f"device cpu, {torch.get_num_threads()} threads, torch {torch.__version__}, {args.resolution} px")
    print(f"{'case':<22}{'s / call':>10}{'s / image':>11}{'peak RSS MiB':>14}{'model RSS MiB':>15}")
    cases = [(b, m) for b in BATCHES for m in ("fused", "shared")] + [(1, "preview"), (8, "preview")]
    for batch, mode in cases:
        cmd = [sys.executable, __file__, "--one", "--batch", str(batch), "--mode", mode,
               "--repeats", str(args.repeats), "--resolution", str(args.resolution)]
        result = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        name = f"{mode} batch {batch}"
        print(f"{name:<22}{result['seconds']:>10.3f}{result['seconds'] / batch:>11.3f}"
              f"{result['peak_rss']:>14.0f}{result['model_rss']:>15.0f}")


def cuda_table(args: argparse.Namespace) -> None:
    g = build(args.resolution, "cuda")
    print(f"device {torch.cuda.get_device_name()}, torch {torch.__version__}, {args.resolution} px")
    print(f"{'case':<22}{'s / call':>10}{'s / image':>11}{'peak MiB':>10}")
    for batch, mode in [(b, m) for b in BATCHES for m in ("fused", "shared")] + [(1, "preview"), (8, "preview")]:
        torch.cuda.reset_peak_memory_stats()
        seconds = time_case(g, "cuda", batch, mode, args.repeats)
        peak = torch.cuda.max_memory_allocated() / 2**20
        name = f"{mode} batch {batch}"
        print(f"{name:<22}{seconds:>10.4f}{seconds / batch:>11.4f}{peak:>10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="fused", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args)
    elif args.device == "cuda":
        cuda_table(args)
    else:
        cpu_table(args)


if __name__ == "__main__":
    main()
