"""The one way the commands build an engine: demo models, or the real ones fetched and prepared first.

`styleclip-bot run` (local chat and platforms) and `styleclip-bot edit` all call `build_engine`, so a
first run anywhere fetches the missing files, computes what is not published, and reports the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from engine import service
from engine.service.engine import Engine, EngineConfig
from engine.service.models import ModelSet, pick_device
from engine.service.prepare import FIRST_RUN, Preparation, fetch_files, missing_required, offline_from_env
from engine.service.report import ready_report
from engine.weights import cache_dir

log = logging.getLogger(__name__)


def build_engine(
    *,
    demo: bool = False,
    device: str | None = None,
    offline: bool | None = None,
    show_progress: bool | None = None,
    config: EngineConfig | None = None,
    root: Path | None = None,
    on_ready: Callable[[str], object] | None = None,
) -> Engine:
    """An engine whose first load fetches the first-run files (unless offline), then loads the models.

    Args:
        demo: small random models of the real classes: nothing fetched, meaningless pictures.
        device: torch device (default: cuda when present, else cpu).
        offline: fetch nothing; None = `STYLECLIP_OFFLINE` decides.
        show_progress: progress bars on stderr; None = only when stderr is a terminal.
        config: the engine's batching and queue settings.
        root: the weights cache (default `cache_dir()`, read when the load starts).
        on_ready: called with the ready report once the models are loaded (e.g. `print`).
    """
    preparation = Preparation()

    def load() -> ModelSet:
        if demo:
            return service.demo_models(device=device)  # looked up now: tests swap in a shared set
        where = root if root is not None else cache_dir()
        is_offline = offline_from_env() if offline is None else offline
        fetch_files(FIRST_RUN, where, offline=is_offline, preparation=preparation, show_progress=show_progress)
        models = service.load_models(where, device, preparation=preparation, offline=is_offline)
        if on_ready is not None:
            on_ready(ready_report(where, preparation, device=str(pick_device(device))))
        return models

    return Engine(load, config, preparation=preparation)


async def begin_loading(engine: Engine, *, demo: bool, offline: bool | None = None, root: Path | None = None) -> None:
    """Start loading the models the way `run` wants, and return when they load or cannot.

    Real models load in the background (fetching first): the chat is answered meanwhile with
    `ModelsNotReady`. Demo models take seconds and are built before anything else is answered, and so is
    the quick failure of an offline start with a required file missing: both answer the same every time.

    Raises:
        ModelsMissing: a required file is missing and could not be fetched.
    """
    is_offline = offline_from_env() if offline is None else offline
    if not demo and not (is_offline and missing_required(root)):
        await engine.start(wait=False)
    await engine.start()
