"""A new prompt's text direction: CLIP over all 77 positions with the neutral text embedded each time,
against the shortened context with the neutral text embedded once; interleaved, same model, same load.

ViT-B/32-shaped CLIP with random weights (the text tower's cost does not depend on the weights).

    python benchmarks/text_direction.py [--prompts 3]
"""

from __future__ import annotations

import argparse
import os
import time

import torch

from engine.editing.text import IMAGENET_TEMPLATES, TextEncoder, direction_from_features, ensemble, tokenize

PROMPTS = ["face with freckles", "face with glasses", "old face", "smiling face", "face with a beard"]


def full_context_direction(clip_model, target: str, neutral: str) -> torch.Tensor:
    """The direction as computed before: both texts' 79 templates through all 77 positions."""
    with torch.no_grad():
        embed = [
            ensemble(clip_model.encode_text(tokenize(clip_model, [t.format(text) for t in IMAGENET_TEMPLATES])).float())
            for text in (target, neutral)
        ]
    return direction_from_features(*embed)


def main() -> None:
    from engine.service.models import random_vit_b32

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    clip_model = random_vit_b32()
    text = TextEncoder(clip_model)
    start = time.perf_counter()
    text.ensemble("face")
    print(f"CPU, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.2f}")
    print(f"neutral text at load (shortened context): {time.perf_counter() - start:.2f} s")
    print(f"{'prompt':<22}{'77 tokens, s':>13}{'shortened, s':>13}{'ratio':>7}{'cos':>9}")
    for prompt in PROMPTS[: args.prompts]:
        start = time.perf_counter()
        before = full_context_direction(clip_model, prompt, "face")
        before_s = time.perf_counter() - start
        start = time.perf_counter()
        after = text.direction(prompt, "face")
        after_s = time.perf_counter() - start
        cos = torch.nn.functional.cosine_similarity(before, after, dim=0).item()
        print(f"{prompt:<22}{before_s:>13.2f}{after_s:>13.2f}{before_s / after_s:>7.1f}{cos:>9.6f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
