"""Inversion speed: face detection + FFHQ alignment of a real photo, and the full-size e4e encoder.

Prints the median time of `align_face` on `skimage.data.astronaut()` (512×512 JPEG bytes, split
into read / detect / warp) and on the same photo upscaled to 12 MP (a phone photo's size), then
the e4e encoder for a 1024 px generator (18 W+ levels) with random weights: seconds per batch of
1 and 4 at 256 px, and peak memory. No checkpoint needed (needs scikit-image for the photo).

    python benchmarks/inversion.py [--device cpu|cuda] [--repeats 5]
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import time

import torch
from PIL import Image

from engine.inversion import DlibDetector, Encoder4Editing, WPlusEncoder, align_face


def median_seconds(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_alignment(repeats: int) -> None:
    import skimage.data

    start = time.perf_counter()
    detector = DlibDetector()
    print(f"detector load (dlib HOG + 68-point model): {time.perf_counter() - start:.2f} s")
    photo = Image.fromarray(skimage.data.astronaut())
    for label, image in (("astronaut 512x512", photo), ("astronaut upscaled 4000x3000", photo.resize((4000, 3000)))):
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=90)
        data = buf.getvalue()
        parts: dict[str, list[float]] = {}

        def run(data: bytes = data, parts: dict[str, list[float]] = parts) -> None:
            for name, seconds in align_face(data, detector).timings.items():
                parts.setdefault(name, []).append(seconds)

        total = median_seconds(run, repeats)
        split = ", ".join(f"{name} {statistics.median(v) * 1000:.0f} ms" for name, v in parts.items())
        print(f"align_face, {label} JPEG ({len(data) / 1024:.0f} kB): {total * 1000:.0f} ms ({split})")


def bench_encoder(device: str, repeats: int) -> None:
    torch.manual_seed(0)
    start = time.perf_counter()
    encoder = WPlusEncoder(Encoder4Editing(50, stylegan_size=1024), torch.zeros(18, 512))
    encoder = encoder.eval().requires_grad_(False).to(device)
    params = sum(p.numel() for p in encoder.parameters())
    print(f"e4e 1024 (18 W+ levels), random weights: {params / 1e6:.1f} M parameters, "
          f"built in {time.perf_counter() - start:.1f} s")
    for batch in (1, 4):
        x = torch.rand(batch, 3, 256, 256, device=device) * 2 - 1

        def run(x: torch.Tensor = x) -> None:
            with torch.inference_mode():
                encoder(x)
            if device == "cuda":
                torch.cuda.synchronize()

        seconds = median_seconds(run, repeats)
        print(f"e4e encode, batch {batch} on {device}: {seconds:.3f} s per batch, {seconds / batch:.3f} s per image")
    if device == "cuda":
        print(f"peak GPU memory: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB → GiB
        print(f"peak resident memory of this process: {peak:.2f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads")
    bench_alignment(args.repeats)
    bench_encoder(args.device, args.repeats)


if __name__ == "__main__":
    main()
