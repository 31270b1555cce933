"""One message at a time per person, different people at once: an asyncio lock per person, made on demand."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class Turn:
    """One person's place in line: the lock their messages take turns on, and what the current one is doing."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0            # holding or waiting; the slot is dropped at 0 so idle people cost nothing
    started: float = 0.0      # when the current holder got its turn (monotonic)
    slow: bool = False        # the current holder is known to be slow (an optimization)


class Turns:
    """Per-person ordering. `turn(person)` waits for the person's earlier messages to finish.

    Args:
        long_wait_s: if the message being handled has run at least this long (or is marked slow) when another
            arrives, the newcomer's `on_wait` is called, so the person hears why nothing happens yet.
    """

    def __init__(self, long_wait_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.long_wait_s = long_wait_s
        self._clock = clock
        self._slots: dict[Hashable, Turn] = {}

    @asynccontextmanager
    async def turn(self, who: Hashable, on_wait: Callable[[], Awaitable[None]] | None = None) -> AsyncIterator[Turn]:
        slot = self._slots.setdefault(who, Turn())
        slot.users += 1
        try:
            if slot.lock.locked() and on_wait is not None and (
                slot.slow or self._clock() - slot.started >= self.long_wait_s
            ):
                await on_wait()
            async with slot.lock:
                slot.started, slot.slow = self._clock(), False
                yield slot
        finally:
            slot.users -= 1
            if slot.users == 0:
                del self._slots[who]

    def __len__(self) -> int:
        """How many people have a message being handled or waiting."""
        return len(self._slots)

    def busy(self, who: Hashable) -> bool:
        """Whether a message of `who` is being handled or waiting."""
        return who in self._slots
