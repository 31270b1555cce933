"""Micro-batching: requests from different chats that arrive within a few milliseconds run as one
batch on the device, and each caller gets its own result back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Hashable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from engine.errors import EngineBusy, EngineOutOfMemory
from engine.service.scheduler import DeviceScheduler

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


def is_out_of_memory(exc: BaseException) -> bool:
    """CUDA OOM (torch.cuda.OutOfMemoryError subclasses RuntimeError) or the CPU allocator's."""
    return isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and "out of memory" in str(exc))


@dataclass
class _Pending(Generic[T, R]):
    item: T
    caller: Hashable
    future: asyncio.Future[R]


@dataclass
class BatchStats:
    """What the batcher did, for tests and benchmarks."""

    batch_sizes: list[int] = field(default_factory=list)
    oom_splits: int = 0


class MicroBatcher(Generic[T, R]):
    """Collects requests for up to `max_wait_s` (or `max_batch` of them) and runs them together.

    `run_batch(items) -> results` runs in `executor` (never on the event loop), holding the
    device through `scheduler.fast()`. A batch that runs out of memory is split in halves and
    retried; a batch that fails otherwise is retried one item at a time, so one bad request
    fails alone.
    """

    def __init__(
        self,
        name: str,
        run_batch: Callable[[list[T]], list[R]],
        executor: Executor,
        scheduler: DeviceScheduler,
        max_batch: int = 8,           # the most requests in one device call
        max_wait_s: float = 0.005,    # how long the first request waits for company
        max_queue: int = 64,          # waiting requests beyond which callers get EngineBusy
        max_per_caller: int = 4,      # waiting requests one caller may have
        batch_seconds_guess: float = 0.1,  # for wait estimates until a batch has been timed
    ) -> None:
        if max_batch < 1 or max_queue < 1 or max_per_caller < 1:
            raise ValueError("max_batch, max_queue and max_per_caller must be at least 1")
        self.name = name
        self._run_batch = run_batch
        self._executor = executor
        self._scheduler = scheduler
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.max_queue = max_queue
        self.max_per_caller = max_per_caller
        self._batch_seconds = batch_seconds_guess
        self._pending: deque[_Pending[T, R]] = deque()
        self._per_caller: dict[Hashable, int] = {}
        self._wakeup: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None
        self.stats = BatchStats()

    def estimated_wait_s(self, position: int) -> float:
        return (position // self.max_batch + 1) * self._batch_seconds

    async def submit(self, item: T, caller: Hashable) -> R:
        """Queue `item` for the next batch and wait for its result.

        Raises:
            EngineBusy: the queue is full, or `caller` already has `max_per_caller` requests waiting.
        """
        position = len(self._pending) + 1
        if len(self._pending) >= self.max_queue:
            raise EngineBusy(f"the {self.name} queue is full", position, self.estimated_wait_s(position))
        if self._per_caller.get(caller, 0) >= self.max_per_caller:
            raise EngineBusy(
                f"you already have {self.max_per_caller} {self.name} requests waiting",
                position,
                self.estimated_wait_s(position),
            )
        loop = asyncio.get_running_loop()
        self._ensure_dispatcher(loop)
        entry = _Pending(item, caller, loop.create_future())
        self._pending.append(entry)
        self._per_caller[caller] = self._per_caller.get(caller, 0) + 1
        assert self._wakeup is not None
        self._wakeup.set()
        try:
            return await entry.future
        finally:
            if not entry.future.done():  # the caller gave up: don't run it
                entry.future.cancel()

    def _ensure_dispatcher(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._dispatcher is None or self._dispatcher.done() or self._dispatcher.get_loop() is not loop:
            self._wakeup = asyncio.Event()
            self._dispatcher = loop.create_task(self._dispatch(), name=f"{self.name}-batcher")

    async def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            await asyncio.gather(self._dispatcher, return_exceptions=True)
        for entry in self._pending:
            entry.future.cancel()
        self._pending.clear()
        self._per_caller.clear()

    async def _dispatch(self) -> None:
        assert self._wakeup is not None
        while True:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
            deadline = time.monotonic() + self.max_wait_s
            while len(self._pending) < self.max_batch and (delay := deadline - time.monotonic()) > 0:
                self._wakeup.clear()
                try:
                    await asyncio.wait_for(self._wakeup.wait(), delay)
                except TimeoutError:
                    break
            batch = self._take_batch()
            if batch:
                await self._run(batch)

    def _take_batch(self) -> list[_Pending[T, R]]:
        batch: list[_Pending[T, R]] = []
        while self._pending and len(batch) < self.max_batch:
            entry = self._pending.popleft()
            self._per_caller[entry.caller] -= 1
            if not self._per_caller[entry.caller]:
                del self._per_caller[entry.caller]
            if not entry.future.cancelled():
                batch.append(entry)
        return batch

    async def _run(self, batch: list[_Pending[T, R]]) -> None:
        loop = asyncio.get_running_loop()
        items = [entry.item for entry in batch]
        start = time.monotonic()
        outcomes = await loop.run_in_executor(self._executor, self._run_on_device, items)
        self._batch_seconds = 0.8 * self._batch_seconds + 0.2 * (time.monotonic() - start)
        for entry, (ok, value) in zip(batch, outcomes, strict=True):
            if entry.future.done():
                continue
            if ok:
                entry.future.set_result(value)
            else:
                entry.future.set_exception(value)

    def _run_on_device(self, items: list[T]) -> list[tuple[bool, object]]:
        """Run one batch (in a worker thread); returns (ok, result or exception) per item."""
        with self._scheduler.fast():
            return self._run_split(items)

    def _run_split(self, items: list[T]) -> list[tuple[bool, object]]:
        try:
            results = self._run_batch(items)
        except Exception as exc:
            if is_out_of_memory(exc) and len(items) > 1:
                self.stats.oom_splits += 1
                _free_device_cache()
                half = len(items) // 2
                log.warning("%s: out of memory at batch %d, retrying as %d + %d", self.name, len(items), half,
                            len(items) - half)
                return self._run_split(items[:half]) + self._run_split(items[half:])
            if is_out_of_memory(exc):
                _free_device_cache()
                return [(False, EngineOutOfMemory(f"the {self.name} request did not fit in device memory"))]
            if len(items) > 1:
                log.warning("%s: batch of %d failed (%s); retrying one by one", self.name, len(items), exc)
                return [outcome for item in items for outcome in self._run_split([item])]
            return [(False, exc)]
        if len(results) != len(items):
            raise RuntimeError(f"{self.name}: batch function returned {len(results)} results for {len(items)} items")
        self.stats.batch_sizes.append(len(items))
        return [(True, result) for result in results]


def _free_device_cache() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
