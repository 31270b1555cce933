"""Released mappers on demand: fetched in the background the first time a prompt would use one.

The 14 StyleCLIP mappers are ~130 MB each (1.8 GB together), and most people use two or three of them, so
the first run leaves them out. When the router sees a prompt that a known, missing mapper serves, the edit
takes the next method and `MapperFetcher` downloads the file (mirror first, like every file); once it is
whole the registry installs it and the next such prompt uses it.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from engine.editing.registry import MapperRegistry
from engine.weights import WeightsError, download, get

log = logging.getLogger(__name__)


class MapperFetcher:
    """Downloads requested mappers, one thread each, at most once at a time per mapper."""

    def __init__(self, registry: MapperRegistry, root: Path) -> None:
        self.registry = registry
        self.root = root
        self._lock = threading.Lock()
        self._running: dict[str, threading.Thread] = {}

    def __call__(self, name: str) -> None:
        with self._lock:
            if name in self._running or name in self.registry:
                return
            thread = threading.Thread(target=self._fetch, args=(name,), name=f"mapper-{name}", daemon=True)
            self._running[name] = thread
        thread.start()

    def _fetch(self, name: str) -> None:
        try:
            path = download(get(f"mapper-{name}"), self.root, show_progress=False)
        except WeightsError as exc:  # the next prompt for it asks again
            log.warning("mapper %r could not be downloaded: %s", name, str(exc).splitlines()[0])
        else:
            self.registry.install(name, path)
            log.info("mapper %r is installed: the next prompt for it uses it", name)
        finally:
            with self._lock:
                self._running.pop(name, None)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the downloads under way (tests, shutdown)."""
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout)
