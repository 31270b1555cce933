"""The slow lane: progress, cancellation, limits, and fast work overtaking an optimisation."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from engine.errors import Cancelled, EngineBusy
from engine.service.batcher import MicroBatcher
from engine.service.lane import JobContext, SlowLane
from engine.service.scheduler import DeviceScheduler


def counting_job(steps: int, step_seconds: float = 0.0):
    def job(ctx: JobContext) -> int:
        total = 0
        for i in range(steps):
            with ctx.step():
                time.sleep(step_seconds)  # stands in for one optimisation step on the device
                total += i
            ctx.report({"step": i + 1, "of": steps})
        return total

    return job


def test_progress_and_result():
    async def scenario():
        lane = SlowLane(DeviceScheduler())
        job = lane.submit(counting_job(5), caller="a")
        updates = [update async for update in job.progress()]
        return updates, await job.result()

    updates, result = asyncio.run(scenario())
    assert [u["step"] for u in updates] == [1, 2, 3, 4, 5]
    assert result == sum(range(5))


def test_cancel_stops_at_the_next_step():
    async def scenario():
        lane = SlowLane(DeviceScheduler())
        job = lane.submit(counting_job(10_000, 0.001), caller="a")
        async for update in job.progress():
            if update["step"] == 3:
                job.cancel()
        with pytest.raises(Cancelled):
            await job.result()
        return update["step"]

    assert asyncio.run(scenario()) < 10


def test_limits_are_typed_busy_errors():
    async def scenario():
        lane = SlowLane(DeviceScheduler(), max_concurrent=1, max_queue=1, max_per_caller=1)
        first = lane.submit(counting_job(10_000, 0.001), caller="a")
        with pytest.raises(EngineBusy, match="already have an optimisation running"):
            lane.submit(counting_job(1), caller="a")
        second = lane.submit(counting_job(1), caller="b")
        with pytest.raises(EngineBusy, match="queue is full") as info:
            lane.submit(counting_job(1), caller="c")
        assert info.value.queue_position == 2
        first.cancel()
        with pytest.raises(Cancelled):
            await first.result()
        assert await second.result() == 0
        lane.submit(counting_job(1), caller="a")  # a's slot is free again

    asyncio.run(scenario())


def test_fast_work_waits_at_most_about_one_optimisation_step():
    scheduler = DeviceScheduler()
    seen: dict[str, int] = {}
    contexts: list[JobContext] = []

    def job(ctx: JobContext) -> None:
        contexts.append(ctx)
        for _ in range(2000):
            with ctx.step():
                time.sleep(0.01)

    def fast(items):
        seen["steps_when_run"] = contexts[0].steps_done
        return items

    async def scenario():
        lane = SlowLane(scheduler)
        with ThreadPoolExecutor(max_workers=1) as pool:
            batcher = MicroBatcher("edit", fast, pool, scheduler, max_wait_s=0)
            slow = lane.submit(job, caller="a")
            while not contexts or contexts[0].steps_done < 20:
                await asyncio.sleep(0.01)
            seen["steps_when_asked"] = contexts[0].steps_done
            assert await batcher.submit(7, caller="b") == 7
            slow.cancel()
            with pytest.raises(Cancelled):
                await slow.result()

    asyncio.run(scenario())
    # The fast request ran after the step in progress (and the few that begin while it travels from
    # the event loop to a worker thread), not after the 2000-step optimisation.
    assert seen["steps_when_run"] - seen["steps_when_asked"] <= 5


def test_scheduler_lets_waiting_fast_work_overtake_the_next_slow_step():
    scheduler = DeviceScheduler()
    order: list[str] = []
    in_step, fast_waiting = threading.Event(), threading.Event()

    def slow() -> None:
        with scheduler.slow_step():
            in_step.set()
            fast_waiting.wait(5)
            while not scheduler._fast_waiting:  # the fast thread is now blocked on the device
                time.sleep(0.001)
            order.append("slow step 1")
        with scheduler.slow_step():
            order.append("slow step 2")

    def fast() -> None:
        in_step.wait(5)
        fast_waiting.set()
        with scheduler.fast():
            order.append("fast")

    threads = [threading.Thread(target=slow), threading.Thread(target=fast)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert order == ["slow step 1", "fast", "slow step 2"]
