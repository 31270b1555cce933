"""Retrying a unit of work that lost an optimistic-lock race."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from bot.sessions.errors import ConcurrentEdit

T = TypeVar("T")
log = logging.getLogger(__name__)


def retry_on_conflict(
    work: Callable[[], T],
    *,
    attempts: int = 10,
    base_delay_s: float = 0.002,
    max_delay_s: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run `work` until it does not raise `ConcurrentEdit`, with jittered exponential backoff.

    `work` must read what it needs afresh on every call (pass `expect=` from a read made inside it).
    Args:
        work: the unit of work; called up to `attempts` times.
        attempts: total tries before the last `ConcurrentEdit` is raised to the caller.
    Returns:
        What `work` returned.
    """
    if attempts < 1:
        raise ValueError("attempts must be at least 1")
    rng = rng or random.Random()
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except ConcurrentEdit:
            if attempt == attempts:
                raise
            delay = min(max_delay_s, base_delay_s * 2 ** (attempt - 1))
            log.debug("concurrent edit, retry %d of %d", attempt, attempts - 1)
            sleep(delay * (0.5 + rng.random()))
    raise AssertionError("unreachable")
