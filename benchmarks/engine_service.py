"""The engine service under load: simulated chats sending mapper and global-direction edits at once.

Full-size models with random weights (1024 px StyleGAN2, ViT-B/32-shaped CLIP, released-shape mappers,
a 6048-row fs3): no checkpoint needed. Each simulated chat sends one edit and renders its result;
prints throughput, p50/p95 latency and the batch sizes formed, with batching on and off.

    python benchmarks/engine_service.py [--sessions 1 8 32] [--resolution 1024] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import numpy as np
import torch

from engine.editing import Editor, Instruction, LevelsMapper, MapperRegistry
from engine.inversion import DlibDetector
from engine.service import Engine, EngineConfig, LatentState, ModelSet
from engine.service.models import DemoEncoder, random_direction_tables, random_vit_b32
from engine.stylegan2 import Generator, GeneratorConfig

PROMPTS = [Instruction("mohawk"), Instruction("smiling face"), Instruction("afro"), Instruction("face with a beard")]


def full_size_models(resolution: int, device: torch.device) -> ModelSet:

    torch.manual_seed(0)
    generator = Generator(GeneratorConfig.standard(resolution)).eval().requires_grad_(False).to(device)
    generator.w_avg.copy_(generator.mean_w(512))
    clip_model = random_vit_b32().to(device)
    mappers = {name: LevelsMapper(fine=False).eval().to(device) for name in ("mohawk", "afro")}
    mappers = MapperRegistry.in_memory(mappers)
    tables = random_direction_tables(generator, clip_dim=512)
    # A random CLIP finds every two sentences alike: only a mapper's own words pick it.
    editor = Editor(generator, clip_model, mappers=mappers, tables=tables, similarity_threshold=1.01)
    encoder = DemoEncoder(generator.num_ws, generator.w_avg).to(device)
    return ModelSet(generator, encoder, DlibDetector(), editor, device, demo=True)


async def chat(engine: Engine, i: int, w_plus: np.ndarray) -> float:
    start = time.perf_counter()
    result = await engine.edit(LatentState(w_plus), PROMPTS[i % len(PROMPTS)], caller=f"chat {i}")
    await engine.render(LatentState(w_plus, (result.step,)), caller=f"chat {i}")
    return time.perf_counter() - start


async def load_test(models: ModelSet, sessions: int, batching: bool) -> None:
    config = EngineConfig(max_batch=8 if batching else 1, max_wait_s=0.005, max_queue=256, max_per_caller=4)
    engine = Engine(lambda: models, config)
    w_plus = models.generator.broadcast(models.generator.mapping(torch.randn(1, 512, device=models.device)))[0]
    w_plus = w_plus.cpu().numpy()
    for i in range(len(PROMPTS)):  # warm-up: text embeddings of the prompts, allocator
        await chat(engine, i, w_plus)
    warm_up = len(engine.batch_sizes["render"])
    start = time.perf_counter()
    latencies = await asyncio.gather(*(chat(engine, i, w_plus) for i in range(sessions)))
    wall = time.perf_counter() - start
    await engine.close()
    p50 = statistics.median(latencies)
    p95 = float(np.percentile(latencies, 95))
    renders = engine.batch_sizes["render"][warm_up:]
    print(f"{sessions:>8} {'on' if batching else 'off':>8} {sessions / wall:>10.2f} {p50:>8.2f} {p95:>8.2f}"
          f"   {renders}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--resolution", type=int, default=1024)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    models = full_size_models(args.resolution, device)
    name = torch.cuda.get_device_name() if device.type == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    print(f"{name}, {args.resolution} px, torch {torch.__version__}")
    print(f"{'sessions':>8} {'batching':>8} {'edits/s':>10} {'p50 s':>8} {'p95 s':>8}   render batch sizes")
    for sessions in args.sessions:
        for batching in (True, False):
            asyncio.run(load_test(models, sessions, batching))


if __name__ == "__main__":
    main()
