"""Who may use the device next: fast work first, slow work one step at a time.

A 30-second optimisation is a loop of short steps. It takes the device for one step at a time and
gives way whenever fast work (render, mapper and global-direction batches) is waiting, so a fast
request waits at most for the step in progress, never for the whole optimisation.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class DeviceScheduler:
    """A lock with two priorities; thread-based because device work runs in worker threads."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._fast_waiting = 0

    @contextmanager
    def fast(self) -> Iterator[None]:
        """Hold the device for a fast batch; slow work waiting behind it yields."""
        with self._cond:
            self._fast_waiting += 1
            try:
                self._cond.wait_for(lambda: not self._busy)
            finally:
                self._fast_waiting -= 1
            self._busy = True
        try:
            yield
        finally:
            self._release()

    @contextmanager
    def slow_step(self) -> Iterator[None]:
        """Hold the device for one step of slow work, after every waiting fast batch has run."""
        with self._cond:
            self._cond.wait_for(lambda: not self._busy and self._fast_waiting == 0)
            self._busy = True
        try:
            yield
        finally:
            self._release()

    def yield_slow(self) -> None:
        """Inside `slow_step`: let any fast work that is waiting go first, then take the device back."""
        with self._cond:
            if not self._fast_waiting:
                return
            self._busy = False
            self._cond.notify_all()
            self._cond.wait_for(lambda: not self._busy and self._fast_waiting == 0)
            self._busy = True

    def _release(self) -> None:
        with self._cond:
            self._busy = False
            self._cond.notify_all()
