"""Trying a platform call again when the network failed it: a connection refused or reset, a timeout.

Under a burst of photos the Bot API's connections get refused or reset (`httpx.ReadError`); without a second
try the person's photo was lost and they heard nothing. Each adapter says which errors are worth another try
(never a refusal such as "file is too big"); waits double from `first_s` up to `max_s`, stretched by a random
share (`jitter`) so a burst of failed calls does not come back all at once. `sleep` and `random` are
parameters so tests run without waiting and without chance.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retry:
    """How a platform call is tried again.

    Args:
        transient: whether an error is worth another try (network trouble, not a refusal).
        attempts: tries in all, the first included.
        first_s: the wait before the second try; each later wait doubles, up to `max_s`.
        jitter: each wait is stretched by up to this share of itself, at random.
    """

    transient: Callable[[BaseException], bool]
    attempts: int = 4
    first_s: float = 0.5
    max_s: float = 8.0
    jitter: float = 0.5
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")

    def delay(self, retry: int) -> float:
        """The wait before try `retry + 1` (`retry` counts from 1)."""
        base = min(self.max_s, self.first_s * 2 ** (retry - 1))
        return base * (1 + self.jitter * self.random())

    async def run(self, call: Callable[[], Awaitable[T]], what: str) -> T:
        """Await `call()` until it succeeds, a non-transient error comes, or the tries are used up.

        Args:
            call: makes a fresh awaitable on every try.
            what: the call in a few words, for the log ("photo download").
        Returns:
            what `call()` returned.
        Raises:
            the last error, when it is not transient or no try is left.
        """
        for attempt in range(1, self.attempts + 1):
            try:
                return await call()
            except Exception as exc:
                if attempt == self.attempts or not self.transient(exc):
                    raise
                delay = self.delay(attempt)
                log.warning(
                    "%s failed (%s: %s); try %d of %d in %.1f s",
                    what,
                    type(exc).__name__,
                    exc,
                    attempt + 1,
                    self.attempts,
                    delay,
                )
                await self.sleep(delay)
        raise AssertionError("unreachable")
