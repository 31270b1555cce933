"""The bot core under load: simulated people chatting at once through `Conversation`, on the demo engine
and a SQLite session store in a temporary folder.

Each person's session starts from one inverted photo (face detection is timed once, apart); then each sends
the same script of messages. Prints the latency per kind of message (p50 / p95), the messages per second
overall, and how much of an edit's time is the core's own work (store, PNG/JPEG encoding) rather than the
engine's.

    python benchmarks/conversation.py [--people 1 4 16] [--resolution 256]
"""

# ruff: noqa: E402  (imports follow the sys.path fix below)
from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from PIL import Image

from bot.core import Conversation, PhotoEvent, TextEvent
from bot.sessions import Person, SessionStore
from engine.service import Engine, demo_models

SCRIPT = ["make it cuter", "remove makeup", "give him a mohawk", "more", "undo", "redo", "history", "compare"]


async def chat(conversation: Conversation, person: Person, timings: dict[str, list[float]]) -> None:
    for text in SCRIPT:
        start = time.perf_counter()
        await conversation.handle(TextEvent(person, text))
        timings[text].append(time.perf_counter() - start)


async def main(people: list[int], resolution: int) -> None:
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, "JPEG", quality=95)
    models = demo_models(seed=0, resolution=resolution)
    print(f"demo models, {resolution} px, CPU; script: {SCRIPT}")
    with tempfile.TemporaryDirectory() as folder:
        store = SessionStore.open(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        engine = Engine(lambda: models)
        conversation = Conversation(engine, store)
        engine_seconds = 0.0
        real_edit = engine.edit

        async def timed_edit(*args, **kwargs):
            nonlocal engine_seconds
            start = time.perf_counter()
            try:
                return await real_edit(*args, **kwargs)
            finally:
                engine_seconds += time.perf_counter() - start

        engine.edit = timed_edit
        start = time.perf_counter()
        await conversation.handle(PhotoEvent(Person("bench", "0", "warmup"), buf.getvalue()))
        print(f"photo message (detection, alignment, encoding, first render): {time.perf_counter() - start:.2f} s")
        latent = store.current(Person("bench", "0", "warmup")).latent
        for count in people:
            crowd = [Person("bench", str(count), f"p{i}") for i in range(count)]
            for person in crowd:
                store.start(person, latent, await conversation.generator_name())
            timings: dict[str, list[float]] = defaultdict(list)
            engine_seconds = 0.0
            start = time.perf_counter()
            await asyncio.gather(*(chat(conversation, person, timings) for person in crowd))
            wall = time.perf_counter() - start
            messages = count * len(SCRIPT)
            print(f"\n{count} people at once: {messages} messages in {wall:.2f} s = {messages / wall:.1f} messages/s")
            for text in SCRIPT:
                values = sorted(timings[text])
                p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
                print(f"  {text:<18} p50 {1000 * statistics.median(values):7.1f} ms   p95 {1000 * p95:7.1f} ms")
            edits = sum(sum(timings[text]) for text in SCRIPT[:3])
            print(f"  the three edit messages took {edits:.2f} s in all, {engine_seconds:.2f} s of it in engine.edit "
                  "(the rest: queueing behind others, store, render, encoding)")
        await engine.close()
        store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--resolution", type=int, default=256)
    args = parser.parse_args()
    asyncio.run(main(args.people, args.resolution))
