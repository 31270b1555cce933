"""The slow lane: long jobs (latent optimisation) with bounded concurrency, progress and cancel.

A job is a function of a `JobContext`. It wraps each device step in `ctx.step()`, which waits
for fast work to go first and raises `Cancelled` once the caller cancelled, and reports progress
with `ctx.report(...)`; the caller reads progress as an async iterator.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Hashable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from engine.errors import Cancelled, EngineBusy
from engine.service.scheduler import DeviceScheduler

R = TypeVar("R")

_DONE = object()


class JobContext:
    """What a running job sees: device steps, cancellation and a progress channel."""

    def __init__(self, scheduler: DeviceScheduler, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue) -> None:
        self._scheduler = scheduler
        self._loop = loop
        self._queue = queue
        self.cancel_event = threading.Event()
        self.steps_done = 0

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    @contextmanager
    def step(self) -> Iterator[None]:
        """One device step; fast work waiting ahead of it goes first."""
        with self.hold():
            yield
        self.steps_done += 1

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the device across a loop that calls `yield_device()` between its steps."""
        if self.cancelled:
            raise Cancelled("cancelled")
        with self._scheduler.slow_step():
            yield

    def yield_device(self) -> None:
        """Inside `hold()`: one step done; fast work waiting goes first."""
        self.steps_done += 1
        self._scheduler.yield_slow()

    def report(self, progress: Any) -> None:
        """Send a progress update to the caller (thread-safe; never blocks the job)."""
        self._loop.call_soon_threadsafe(self._queue.put_nowait, progress)


class SlowJob(Generic[R]):
    """Handle on a queued or running job."""

    def __init__(
        self, ctx: JobContext, future: asyncio.Future[R], queue: asyncio.Queue, queue_position: int, wait_s: float
    ) -> None:
        self._ctx = ctx
        self._future = future
        self._queue = queue
        self.queue_position = queue_position  # jobs ahead of this one when it was queued (0: started at once)
        self.estimated_wait_s = wait_s

    def cancel(self) -> None:
        """Stop at the next step; `result()` then raises `Cancelled`."""
        self._ctx.cancel_event.set()

    async def result(self) -> R:
        return await asyncio.shield(self._future)

    async def progress(self) -> AsyncIterator[Any]:
        """Progress updates until the job ends (then the iterator stops; `result()` tells how)."""
        while True:
            update = await self._queue.get()
            if update is _DONE:
                return
            yield update


class SlowLane:
    """Runs at most `max_concurrent` jobs; up to `max_queue` more wait; one caller has `max_per_caller`.

    `job_seconds` is the expected length of one job (a number, or a function asked at each submit, so the
    expected wait follows what was measured)."""

    def __init__(
        self,
        scheduler: DeviceScheduler,
        max_concurrent: int = 1,
        max_queue: int = 16,
        max_per_caller: int = 1,
        job_seconds: Callable[[], float] | float = 30.0,
    ) -> None:
        self._scheduler = scheduler
        self._pool = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="slow-lane")
        self.max_concurrent = max_concurrent
        self.max_queue = max_queue
        self.max_per_caller = max_per_caller
        self._job_seconds = job_seconds if callable(job_seconds) else (lambda: float(job_seconds))
        self._active = 0  # queued or running
        self._per_caller: dict[Hashable, int] = {}

    def submit(self, job: Callable[[JobContext], R], caller: Hashable) -> SlowJob[R]:
        """Queue `job`; must be called from the event loop.

        Raises:
            EngineBusy: the lane is full, or `caller` already has a job queued or running.
        """
        position = max(self._active - self.max_concurrent, 0) + 1  # among the jobs waiting to start
        wait = (position / self.max_concurrent) * self._job_seconds()
        starts_at_once = self._active < self.max_concurrent
        if self._active >= self.max_concurrent + self.max_queue:
            raise EngineBusy("the optimisation queue is full", position, wait)
        if self._per_caller.get(caller, 0) >= self.max_per_caller:
            raise EngineBusy("you already have an optimisation running", position, wait)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        ctx = JobContext(self._scheduler, loop, queue)
        self._active += 1
        self._per_caller[caller] = self._per_caller.get(caller, 0) + 1

        def run() -> R:
            try:
                if ctx.cancelled:
                    raise Cancelled("cancelled before it started")
                return job(ctx)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, _DONE)

        future = asyncio.wrap_future(self._pool.submit(run), loop=loop)
        future.add_done_callback(lambda _: self._finished(caller))
        return SlowJob(ctx, future, queue, 0 if starts_at_once else position, 0.0 if starts_at_once else wait)

    def _finished(self, caller: Hashable) -> None:
        self._active -= 1
        self._per_caller[caller] -= 1
        if not self._per_caller[caller]:
            del self._per_caller[caller]

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
