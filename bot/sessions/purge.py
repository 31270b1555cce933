"""Retention kept by the bot itself: while `run` serves, idle sessions (photo, edits, everything) are deleted
on a schedule, so what /privacy promises holds without anyone running `db purge`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

from bot.sessions import config
from bot.sessions.store import SessionStore

T = TypeVar("T")
log = logging.getLogger(__name__)


async def purge_now(store: SessionStore, max_idle: timedelta | None = None) -> int:
    """Delete the sessions idle for longer than the retention (off the event loop); failures are logged only."""
    try:
        deleted = await asyncio.to_thread(store.purge_idle, max_idle)
    except Exception:
        log.warning("deleting idle sessions failed; trying again at the next interval", exc_info=True)
        return 0
    if deleted:
        log.info("deleted %d idle session(s) past the retention period", deleted)
    return deleted


async def purge_periodically(
    store: SessionStore,
    every: timedelta | None = None,
    max_idle: timedelta | None = None,
    on_purge: Callable[[int], object] | None = None,
) -> None:
    """Until cancelled: wait `every` (default `config.purge_interval()`), purge, repeat.

    Args:
        max_idle: the retention; None reads it from the environment at each purge.
        on_purge: called with the number deleted after each purge (tests, metrics).
    """
    interval = (every or config.purge_interval()).total_seconds()
    while True:
        await asyncio.sleep(interval)
        deleted = await purge_now(store, max_idle)
        if on_purge is not None:
            on_purge(deleted)


async def while_purging(store: SessionStore, work: Awaitable[T], every: timedelta | None = None) -> T:
    """Run `work` (the bot) with retention kept: one purge first, then one every interval until `work` ends."""
    await purge_now(store)
    task = asyncio.create_task(purge_periodically(store, every))
    try:
        return await work
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
