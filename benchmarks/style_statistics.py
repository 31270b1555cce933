"""StyleSpace statistics (`engine.editing.style_statistics`) of a full-size StyleGAN2 with random weights.

Prints the seconds (wall clock, and CPU time of all threads: on a shared machine the wall clock depends on
the other load) and the peak memory one call with StyleCLIP's 100_000 samples adds (anonymous resident
memory, sampled every millisecond), per batch size; with `--compare-tf`, how the statistics of StyleCLIP's
PyTorch recipe (w layers below 8 truncated, the rest not) differ from those of its TensorFlow pipeline
(`global_directions/GetCode.py`: every layer truncated), layer by layer. No checkpoint needed. Each batch
size runs in a fresh process so that its peak memory is its own.

    python benchmarks/style_statistics.py [--samples 100000] [--batch-sizes 1024 2048 4096]
        [--device cpu|cuda] [--resolution 1024] [--compare-tf]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.editing import style_statistics
from engine.stylegan2 import Generator, GeneratorConfig


def build(resolution: int, device: str) -> Generator:
    """Random config-f weights; w_avg the mean of w, as a trained checkpoint's latent_avg roughly is."""
    torch.manual_seed(0)
    g = Generator(GeneratorConfig.standard(resolution)).eval().requires_grad_(False).to(device)
    g.w_avg.copy_(g.mean_w(4096))
    return g


def anonymous_mib() -> float:
    """Anonymous resident memory of this process (heap, tensors): file-backed pages of shared libraries,
    which the kernel drops and reloads under memory pressure, left out."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakWatcher(threading.Thread):
    """Samples `anonymous_mib` every millisecond until stopped; `peak` is the largest value seen."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = anonymous_mib()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.001):
            self.peak = max(self.peak, anonymous_mib())

    def stop(self) -> float:
        self.done.set()
        self.join()
        return max(self.peak, anonymous_mib())


def one_case(args: argparse.Namespace) -> None:
    """Run in a child process: one call, print a JSON line."""
    g = build(args.resolution, args.device)
    before = anonymous_mib()
    watcher = PeakWatcher()
    watcher.start()
    if args.device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start, cpu_start = time.perf_counter(), time.process_time()
    style_statistics(g, args.samples, batch_size=args.batch_size)
    if args.device == "cuda":
        torch.cuda.synchronize()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    added = watcher.stop() - before
    result = {"seconds": seconds, "cpu_seconds": cpu_seconds, "model_rss": before, "added_rss": added}
    if args.device == "cuda":
        result["cuda_peak"] = torch.cuda.max_memory_allocated() / 2**20
    print(json.dumps(result))


def compare_tf(args: argparse.Namespace) -> None:
    """Per layer: std of the PyTorch recipe / std of the TensorFlow recipe, and the shift of the means."""
    from engine.editing.preprocess import style_statistics_from_w, w_statistics

    g = build(args.resolution, args.device)
    mean_w, cov_w = w_statistics(g, args.samples)
    torch_means, torch_stds = style_statistics_from_w(g, mean_w, cov_w)
    tf_means, tf_stds = style_statistics_from_w(g, mean_w, cov_w, truncation_cutoff=g.num_ws)
    print(f"\nPyTorch recipe vs TensorFlow GetCode.py, {args.samples} samples, {args.resolution} px, random weights")
    print(f"{'layer':<22}{'w layer':>8}{'channels':>9}{'std ratio':>11}{'max |Δmean|/std':>17}")
    stronger = 0
    for layer, m1, s1, m2, s2 in zip(g.style_layers, torch_means, torch_stds, tf_means, tf_stds, strict=True):
        ratio = (s1 / s2).mean().item()
        shift = ((m1 - m2).abs() / s2).max().item()
        print(f"{layer.name:<22}{layer.level:>8}{layer.channels:>9}{ratio:>11.4f}{shift:>17.2e}")
        if ratio > 1.01 and not layer.is_torgb:
            stronger += layer.channels
    manipulated = sum(layer.channels for layer in g.style_layers if not layer.is_torgb)
    print(f"non-ToRGB channels with a larger std: {stronger} of {manipulated}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1024, 2048, 4096])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--compare-tf", action="store_true")
    parser.add_argument("--one-case", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_case:
        one_case(args)
        return
    print(
        f"style_statistics, {args.samples} samples, {args.resolution} px generator, {args.device}, "
        f"{torch.get_num_threads()} threads"
    )
    print(f"{'batch':>6}{'seconds':>9}{'CPU s':>8}{'samples/s':>11}{'added peak anon MiB':>20}{'model anon MiB':>15}")
    for batch in args.batch_sizes:
        cmd = [
            sys.executable,
            __file__,
            "--one-case",
            "--batch-size",
            str(batch),
            "--samples",
            str(args.samples),
            "--device",
            args.device,
            "--resolution",
            str(args.resolution),
        ]
        result = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()[-1])
        line = (
            f"{batch:>6}{result['seconds']:>9.2f}{result['cpu_seconds']:>8.1f}{args.samples / result['seconds']:>11.0f}"
            f"{result['added_rss']:>20.1f}{result['model_rss']:>15.0f}"
        )
        if "cuda_peak" in result:
            line += f"   peak CUDA memory {result['cuda_peak']:.0f} MiB"
        print(line)
    if args.compare_tf:
        compare_tf(args)


if __name__ == "__main__":
    main()
