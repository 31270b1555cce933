"""ArrivalOrder: one person's events enter the core in arrival order; other people don't wait."""

from __future__ import annotations

import asyncio

from bot.adapters.ordering import ArrivalOrder, as_prepare


def test_slow_preparation_keeps_the_persons_order_and_blocks_no_one_else():
    handled: list[str] = []

    async def handle(event: str) -> str:
        handled.append(event)
        return event.upper()

    def prepared(event: str | None, delay: float):
        async def prepare():
            await asyncio.sleep(delay)
            return event
        return prepare

    async def scenario():
        order = ArrivalOrder()
        results = await asyncio.gather(
            order.run("alice", prepared("a1", 0.2), handle),   # a slow download
            order.run("alice", prepared(None, 0.0), handle),   # refused while preparing: nothing to hand over
            order.run("alice", as_prepare("a3"), handle),
            order.run("bob", as_prepare("b1"), handle),
        )
        assert results == ["A1", None, "A3", "B1"]
        assert order._last == {}  # nothing kept once everyone is through

    asyncio.run(scenario())
    assert handled == ["b1", "a1", "a3"]


def test_a_failed_preparation_lets_the_next_event_through():
    async def broken():
        raise RuntimeError("download failed")

    async def scenario():
        order = ArrivalOrder()
        first = asyncio.ensure_future(order.run("alice", broken, asyncio.sleep))
        second = await asyncio.wait_for(order.run("alice", as_prepare(0), lambda e: asyncio.sleep(e, "ok")), 5)
        assert second == "ok"
        assert isinstance(first.exception(), RuntimeError)

    asyncio.run(scenario())
