"""What lower precision changes: renders and CLIP text embeddings under torch.autocast against float32.

Full-size random weights (1024 px StyleGAN2, ViT-B/32-shaped CLIP). For each precision (bf16 everywhere,
fp16 on CUDA) prints the image difference to float32 (mean and max absolute, in 0..255 levels), the
cosine of the text embeddings to float32, and the seconds per render.

    python benchmarks/precision.py [--resolution 1024] [--device cpu|cuda] [--repeats 2]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from engine.editing.text import encode_text
from engine.images import to_uint8
from engine.stylegan2 import Generator, GeneratorConfig

DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
SENTENCES = ["a photo of a face.", "a bad photo of the face with curly hair.", "a sculpture of a smiling face."]


def timed_render(generator: Generator, styles, device: torch.device, repeats: int) -> tuple[np.ndarray, float]:
    times = []
    for _ in range(repeats):
        if device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        image = generator.synthesize_from_styles(styles)
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return to_uint8(image.float()).astype(np.int16), min(times)


def main() -> None:
    from engine.service.models import random_vit_b32

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    device = torch.device(args.device)
    torch.manual_seed(0)
    generator = Generator(GeneratorConfig.standard(args.resolution)).eval().requires_grad_(False).to(device)
    generator.w_avg.copy_(generator.mean_w(512))
    clip_model = random_vit_b32().to(device)
    w = generator.broadcast(generator.mapping(torch.randn(1, 512, device=device)))
    with torch.no_grad():
        styles = generator.style_vectors(w)
        reference, reference_s = timed_render(generator, styles, device, args.repeats)
        text_reference = encode_text(clip_model, SENTENCES)
    print(f"device {device}, torch {torch.__version__}, {args.resolution} px, {torch.get_num_threads()} threads")
    print(f"{'precision':<10}{'s / render':>11}{'mean |Δ|':>10}{'max |Δ|':>9}{'text cos min':>14}")
    print(f"{'float32':<10}{reference_s:>11.3f}{0:>10.3f}{0:>9d}{1:>14.5f}")
    names = ["bf16", "fp16"] if device.type == "cuda" else ["bf16"]
    for name in names:
        with torch.no_grad(), torch.autocast(device.type, dtype=DTYPES[name]):
            image, seconds = timed_render(generator, styles, device, args.repeats)
            text = encode_text(clip_model, SENTENCES)
        diff = np.abs(image - reference)
        cos = torch.nn.functional.cosine_similarity(text.float(), text_reference, dim=1).min().item()
        print(f"{name:<10}{seconds:>11.3f}{diff.mean():>10.3f}{int(diff.max()):>9d}{cos:>14.5f}")
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
