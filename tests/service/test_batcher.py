"""Micro-batching, backpressure and out-of-memory handling, on a real (small) generator."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from engine.errors import EngineBusy, EngineOutOfMemory
from engine.service.batcher import MicroBatcher
from engine.service.scheduler import DeviceScheduler
from engine.stylegan2 import Generator, GeneratorConfig


@pytest.fixture(scope="module")
def generator() -> Generator:
    torch.manual_seed(0)
    return Generator(GeneratorConfig(16, {4: 64, 8: 64, 16: 32})).eval().requires_grad_(False)


@pytest.fixture
def executor():
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


def render_batch(generator: Generator):
    def run(items: list[torch.Tensor]) -> list[torch.Tensor]:
        with torch.no_grad():
            return list(generator.synthesize(torch.stack(items)))

    return run


def test_concurrent_requests_share_one_batch_and_get_their_own_image(generator, executor):
    batcher = MicroBatcher("render", render_batch(generator), executor, DeviceScheduler(), max_wait_s=0.5)
    latents = [generator.broadcast(generator.mapping(torch.randn(1, 512)))[0] for _ in range(6)]

    async def scenario():
        return await asyncio.gather(*(batcher.submit(ws, caller=i) for i, ws in enumerate(latents)))

    images = asyncio.run(scenario())
    assert batcher.stats.batch_sizes == [6]
    with torch.no_grad():
        for ws, image in zip(latents, images, strict=True):
            torch.testing.assert_close(image, generator.synthesize(ws[None])[0], rtol=1e-5, atol=1e-5)


def test_batches_are_bounded(generator, executor):
    batcher = MicroBatcher("render", render_batch(generator), executor, DeviceScheduler(), max_batch=4, max_wait_s=0.5)
    latents = [generator.broadcast(torch.randn(1, 512))[0] for _ in range(10)]

    async def scenario():
        await asyncio.gather(*(batcher.submit(ws, caller=i) for i, ws in enumerate(latents)))

    asyncio.run(scenario())
    assert sum(batcher.stats.batch_sizes) == 10
    assert max(batcher.stats.batch_sizes) == 4


def blocked_batcher(executor, **limits):
    """A batcher whose device is held until `release` is set, so requests pile up in its queue."""
    started, release = threading.Event(), threading.Event()

    def run(items):
        started.set()
        release.wait(10)
        return items

    batcher = MicroBatcher("edit", run, executor, DeviceScheduler(), max_batch=1, max_wait_s=0, **limits)
    return batcher, started, release


async def on_device(started: threading.Event) -> None:
    while not started.is_set():
        await asyncio.sleep(0.01)


def test_full_queue_is_a_typed_busy_error_with_position(executor):
    batcher, started, release = blocked_batcher(executor, max_queue=3, max_per_caller=10)

    async def scenario():
        first = asyncio.create_task(batcher.submit(0, caller="a"))
        await on_device(started)
        waiting = [asyncio.create_task(batcher.submit(i, caller="a")) for i in range(1, 4)]
        await asyncio.sleep(0)
        with pytest.raises(EngineBusy) as info:
            await batcher.submit(99, caller="b")
        release.set()
        return info.value, await asyncio.gather(first, *waiting)

    busy, results = asyncio.run(scenario())
    assert busy.queue_position == 4
    assert busy.estimated_wait_s > 0
    assert "queue is full" in str(busy)
    assert results == [0, 1, 2, 3]


def test_one_caller_cannot_fill_the_queue(executor):
    batcher, started, release = blocked_batcher(executor, max_queue=10, max_per_caller=2)

    async def scenario():
        first = asyncio.create_task(batcher.submit(0, caller="greedy"))
        await on_device(started)
        mine = [asyncio.create_task(batcher.submit(i, caller="greedy")) for i in (1, 2)]
        await asyncio.sleep(0)
        with pytest.raises(EngineBusy, match="you already have 2 edit requests waiting"):
            await batcher.submit(3, caller="greedy")
        other = asyncio.create_task(batcher.submit(4, caller="someone else"))
        release.set()
        return await asyncio.gather(first, *mine, other)

    assert asyncio.run(scenario()) == [0, 1, 2, 4]


def test_out_of_memory_splits_the_batch_then_fails_clearly(executor):
    def run(items: list[int]) -> list[int]:
        if len(items) > 2:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
        if 13 in items:
            raise RuntimeError("CUDA out of memory. Tried to allocate 1.00 GiB")
        return [i * 10 for i in items]

    batcher = MicroBatcher("render", run, executor, DeviceScheduler(), max_batch=8, max_wait_s=0.5)

    async def scenario():
        return await asyncio.gather(*(batcher.submit(i, caller=i) for i in (1, 2, 3, 13, 5)),
                                    return_exceptions=True)

    results = asyncio.run(scenario())
    assert results[:3] == [10, 20, 30] and results[4] == 50
    assert isinstance(results[3], EngineOutOfMemory)
    assert batcher.stats.oom_splits >= 1
    assert max(batcher.stats.batch_sizes) <= 2


def test_a_failing_request_fails_alone(executor):
    def run(items: list[int]) -> list[float]:
        return [1 / i for i in items]

    batcher = MicroBatcher("edit", run, executor, DeviceScheduler(), max_wait_s=0.5)

    async def scenario():
        return await asyncio.gather(*(batcher.submit(i, caller=i) for i in (1, 0, 4)), return_exceptions=True)

    one, zero, four = asyncio.run(scenario())
    assert (one, four) == (1.0, 0.25)
    assert isinstance(zero, ZeroDivisionError)
