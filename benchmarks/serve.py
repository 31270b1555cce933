"""The engine on Ray Serve: throughput and p50/p95 of chat turns with 1 and 2 replicas, and the HTTP hop's cost.

Demo models (256 px, random weights) on a local Ray. A "turn" is what a chat message costs the engine: one
global-direction or mapper edit, then a render of the result, through `RemoteEngine` as a thin bot does.
`--clients` chats send turns back to back for `--seconds`. The hop's cost is the same single render
(and the same edit) timed through HTTP and on an in-process engine over the same models, one at a time.

    python benchmarks/serve.py [--replicas 1 2] [--clients 8] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import builtins
import os
import statistics
import time
import urllib.request

os.environ.setdefault("RAY_TQDM_PATCH_PRINT", "0")

import numpy as np

from bot.remote import RemoteEngine
from engine.serve.deploy import ServeOptions, start, stop
from engine.service import Engine, EngineConfig, demo_models
from engine.values import Instruction, LatentState

PROMPTS = [Instruction("mohawk"), Instruction("make it cuter"), Instruction("purple hair"), Instruction("smiling")]
PORT = 8765


def wait_ready(url: str, timeout_s: float = 300.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/ready", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError("the engine did not get ready")


async def turn(engine, w_plus: np.ndarray, i: int, caller: str) -> float:
    start_s = time.perf_counter()
    result = await engine.edit(LatentState(w_plus), PROMPTS[i % len(PROMPTS)], caller=caller)
    await engine.render(LatentState(w_plus, (result.step,)), caller=caller)
    return time.perf_counter() - start_s


async def load(url: str, w_plus: np.ndarray, clients: int, seconds: float) -> tuple[int, list[float]]:
    engines = [RemoteEngine(url) for _ in range(clients)]
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def client(k: int) -> None:
        i = 0
        while time.perf_counter() < stop_at:
            latencies.append(await turn(engines[k], w_plus, i, f"chat-{k}"))
            i += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(k) for k in range(clients)))
    elapsed = time.perf_counter() - began
    for engine in engines:
        await engine.close()
    return len(latencies), [elapsed, *latencies]


async def hop(url: str, w_plus: np.ndarray, repeats: int) -> dict[str, tuple[float, float]]:
    """Median seconds of one render and one edit, over HTTP and in this process (same models, one at a time)."""
    remote = RemoteEngine(url)
    local = Engine(lambda: demo_models(seed=0, device="cpu"), EngineConfig(max_batch=1))
    await local.start()
    state = LatentState(w_plus)
    out: dict[str, tuple[float, float]] = {}
    for name, call in (
        ("render", lambda e: e.render(state, caller="hop")),
        ("edit (global direction)", lambda e: e.edit(state, Instruction("make it cuter"), caller="hop")),
    ):
        times = {}
        for label, engine in (("http", remote), ("local", local)):
            await call(engine)  # warm
            samples = []
            for _ in range(repeats):
                t = time.perf_counter()
                await call(engine)
                samples.append(time.perf_counter() - t)
            times[label] = statistics.median(samples)
        out[name] = (times["http"], times["local"])
    await remote.close()
    await local.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeats", type=int, default=20, help="samples per call for the hop's cost")
    args = parser.parse_args()
    url = f"http://127.0.0.1:{PORT}"
    saved_print = builtins.print
    print(f"CPU cores: {os.cpu_count()}; {args.clients} chats for {args.seconds:.0f} s per setting; demo models 256 px")
    try:
        for replicas in args.replicas:
            options = ServeOptions(demo=True, replicas=replicas, port=PORT, device="cpu")
            start(options, ray_init={"num_cpus": max(4, 2 * replicas), "include_dashboard": False,
                                     "log_to_driver": False})
            wait_ready(url)
            time.sleep(2 * replicas)  # every replica up, not only the first
            w_plus = asyncio.run(_photo(url))
            turns, [elapsed, *latencies] = asyncio.run(load(url, w_plus, args.clients, args.seconds))
            q = statistics.quantiles(latencies, n=20)
            print(f"{replicas} replica(s): {turns / elapsed:.2f} turns/s, p50 {statistics.median(latencies):.2f} s, "
                  f"p95 {q[18]:.2f} s ({turns} turns)", flush=True)
            if replicas == args.replicas[0]:
                for name, (http, local) in asyncio.run(hop(url, w_plus, args.repeats)).items():
                    print(f"  {name}: {http * 1000:.0f} ms over HTTP, {local * 1000:.0f} ms in process, "
                          f"hop {1000 * (http - local):+.0f} ms", flush=True)
            stop()
    finally:
        stop()
        builtins.print = saved_print


async def _photo(url: str) -> np.ndarray:
    from skimage import data

    from tests.core.helpers import jpeg

    engine = RemoteEngine(url)
    try:
        return (await engine.invert(jpeg(data.astronaut()), caller="setup")).w_plus
    finally:
        await engine.close()


if __name__ == "__main__":
    main()
