"""One person's messages reach the core in the order they were sent, even when preparing one (downloading a
photo) takes longer than the next: a photo followed at once by "purple hair" must not become "send me a
photo first". Different people never wait for each other here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar

E = TypeVar("E")
R = TypeVar("R")


class ArrivalOrder:
    """Hands each person's events to the core in arrival order; the preparation itself runs concurrently."""

    def __init__(self) -> None:
        self._last: dict[Hashable, asyncio.Future[None]] = {}

    async def run(
        self, who: Hashable, prepare: Callable[[], Awaitable[E | None]], handle: Callable[[E], Awaitable[R]]
    ) -> R | None:
        """Prepare an event, wait until the person's earlier events are in the core, then handle it.

        Args:
            who: the person (their events keep their order).
            prepare: builds the event (downloads, checks); None when there is nothing to hand over.
            handle: the core call, e.g. `lambda event: conversation.handle(event, status)`.
        Returns:
            what `handle` returned, or None when `prepare` gave no event.
        """
        earlier = self._last.get(who)
        mine: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._last[who] = mine
        try:
            event = await prepare()
            if earlier is not None:
                await earlier
            if event is None:
                return None
            task = asyncio.ensure_future(handle(event))
            # The core takes the person's turn on its first step (an asyncio.Lock queues in call order), so
            # one pass of the loop puts this event in line before the next one is let through.
            await asyncio.sleep(0)
        finally:
            if not mine.done():
                mine.set_result(None)
            if self._last.get(who) is mine:
                del self._last[who]
        return await task


def as_prepare(event: E | Callable[[], Awaitable[E | None]]) -> Callable[[], Awaitable[E | None]]:
    """A ready event as a preparation step for `ArrivalOrder.run` (preparation functions pass through)."""
    if callable(event):
        return event

    async def ready() -> E | None:
        return event  # type: ignore[return-value]
    return ready
