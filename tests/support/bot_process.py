"""A bot process for tests: one `Conversation` on a session database, events in as JSON lines on stdin,
replies out as JSON lines on stdout, so a test can run several bot processes on one database.

    python -m tests.support.bot_process DATABASE_URL [--engine MODULE:FUNCTION]

Input, one event a line (the person as [platform, chat_id, user_id]):
    {"id": 1, "person": ["test", "chat-1", "alice"], "photo": "/path/to/photo.jpg"}
    {"id": 2, "person": ["test", "chat-1", "alice"], "text": "make it cuter"}
Output: {"ready": true} once the engine has loaded; per event {"id": 1, "queued": true} as soon as the message
holds its place in the person's line (its turn ticket taken; on SQLite, once answered), then
{"id": 1, "replies": [{"caption": ...} or {"text": ...}, ...]}. End of input: the process finishes what it
has and exits.

The engine comes from a function (`--engine`): by default small demo models in the process; `remote_engine`
is the engine at $STYLECLIP_ENGINE_URL (`styleclip-bot serve`), shared by every process.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.core import Conversation, Event, ImageReply, PhotoEvent, Reply, TextEvent
from bot.sessions import Person, SessionStore
from engine.interface import EngineAPI


def demo_engine() -> EngineAPI:
    """The tests' demo models (seeded: every process builds the same), at 128 px with short optimizations."""
    from tests.core.helpers import new_engine

    return new_engine()


def remote_engine() -> EngineAPI:
    """The engine at $STYLECLIP_ENGINE_URL, with $STYLECLIP_ENGINE_TOKEN."""
    from bot.remote import RemoteEngine

    return RemoteEngine(os.environ["STYLECLIP_ENGINE_URL"])


def engine_factory(spec: str) -> Callable[[], EngineAPI]:
    """`module:function` to the function that makes the engine."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)


def event_of(message: dict[str, Any]) -> Event:
    person = Person(*message["person"])
    if "photo" in message:
        return PhotoEvent(person, Path(message["photo"]).read_bytes(), message.get("caption"))
    return TextEvent(person, message["text"])


def reply_of(reply: Reply) -> dict[str, str]:
    return {"caption": reply.caption} if isinstance(reply, ImageReply) else {"text": reply.text}


def emit(line: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


async def serve(conversation: Conversation) -> None:
    """Hand each line's event to the conversation at once; say when it is in line, and what it answered."""
    running: set[asyncio.Task[None]] = set()

    async def answer(number: int, event: Event) -> None:
        emit({"id": number, "replies": [reply_of(reply) for reply in await conversation.handle(event)]})

    while line := await asyncio.to_thread(sys.stdin.readline):
        message = json.loads(line)
        before = conversation.queue.taken
        task = asyncio.create_task(answer(message["id"], event_of(message)))
        running.add(task)
        task.add_done_callback(running.discard)
        while conversation.queue.taken == before and not task.done():
            await asyncio.sleep(0.001)
        emit({"id": message["id"], "queued": True})
    await asyncio.gather(*running)


async def main(url: str, make_engine: Callable[[], EngineAPI]) -> None:
    store = SessionStore.open(url)
    engine = make_engine()
    try:
        await engine.generator_name()  # the models are loaded (here, or in the remote engine)
        emit({"ready": True})
        await serve(Conversation(engine, store))
    finally:
        await engine.close()
        store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="the session database")
    parser.add_argument("--engine", default=f"{__name__}:demo_engine", help="MODULE:FUNCTION making the engine")
    args = parser.parse_args()
    asyncio.run(main(args.url, engine_factory(args.engine)))
