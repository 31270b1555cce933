"""Stopping a person's running optimization from the chat, without waiting for their turn.

A person's messages take turns (`Turns`), so a "stop" queued behind an optimization would only be read once
the optimization is over. The core therefore reads a cancel before taking the turn, and cancels the engine
call the person's running message is waiting on. The engine stops the optimization at its next step and frees
its lane; the message that was waiting gets `Cancelled`, so nothing of it reaches the session store.
A stop that reached another process sharing the PostgreSQL database is passed on (`bot.sessions.stop_signal`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable
from typing import TypeVar

from engine.errors import Cancelled

T = TypeVar("T")


class Stoppable:
    """The engine calls people are waiting on, one per person (their turn lets only one run at a time)."""

    def __init__(self) -> None:
        self._calls: dict[Hashable, asyncio.Task] = {}

    async def run(self, who: Hashable, work: Awaitable[T]) -> T:
        """Await `work` on behalf of `who`, so that `stop(who)` can end it.

        Raises:
            Cancelled: `stop(who)` ended it (a cancellation of the caller itself stays a `CancelledError`).
        """
        task = asyncio.ensure_future(work)
        self._calls[who] = task
        try:
            return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # the caller itself is being cancelled (shutdown): not the person's stop
            raise Cancelled("stopped by the person") from None
        finally:
            if self._calls.get(who) is task:
                del self._calls[who]

    def count(self) -> int:
        """How many engine calls are running (for /stats)."""
        return sum(not task.done() for task in self._calls.values())

    def running(self, who: Hashable) -> bool:
        """Whether `who` has an engine call that `stop` would end."""
        task = self._calls.get(who)
        return task is not None and not task.done()

    async def stop(self, who: Hashable) -> bool:
        """Cancel `who`'s running engine call and wait until it has ended (its lane is free by then).

        Returns:
            whether there was anything to stop.
        """
        task = self._calls.get(who)
        if task is None or task.done():
            return False
        task.cancel()
        await asyncio.wait({task})
        return True
