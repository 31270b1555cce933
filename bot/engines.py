"""Which engine a bot process talks to: the models in this process, or a remote engine at a URL.

`styleclip-bot run` (local chat and platforms) opens one here and prepares it while the chat is answered:
an in-process engine fetches and loads its models; a remote one is only asked whether it is ready, so a bot
started before its engine still starts (people hear "try again" until the engine answers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.remote import RemoteEngine
from engine.errors import EngineUnavailable, ModelsMissing, ModelsNotReady
from engine.interface import EngineAPI

log = logging.getLogger(__name__)


def open_engine(
    *, url: str | None, demo: bool, device: str | None, offline: bool | None, on_ready: Callable[[str], object]
) -> EngineAPI:
    """A `RemoteEngine` when `url` is set (no model loaded, no torch imported), else the in-process engine."""
    if url is not None:
        return RemoteEngine(url)
    from engine.service.build import build_engine

    return build_engine(demo=demo, device=device, offline=offline, on_ready=on_ready)


async def prepare(engine: EngineAPI, *, demo: bool, offline: bool | None, say: Callable[[str], object]) -> None:
    """Load the in-process engine's models (returns when loaded or failed), or check on the remote engine.

    A problem is said (`say`), never raised: without models the chat still answers, and says why it can't edit.
    """
    if isinstance(engine, RemoteEngine):
        try:
            name = await engine.generator_name()
        except ModelsNotReady as exc:
            say(f"Engine at {engine.url}: loading its models ({exc.stage}, {exc.percent:.0f} %).")
        except (EngineUnavailable, ModelsMissing) as exc:
            say(f"Engine at {engine.url} is not usable yet ({exc}); edits will say \"try again\" until it is.")
        else:
            say(f"Engine at {engine.url}: ready ({name}).")
        return
    from engine.service.build import begin_loading

    try:
        await begin_loading(engine, demo=demo, offline=offline)
    except ModelsMissing as exc:
        say(f"Photos can't be edited yet: {exc}")
    except Exception:
        log.exception("the models failed to load")
