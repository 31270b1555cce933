"""Shared pieces of the core and adapter tests: one set of demo models per test session, real photos."""

from __future__ import annotations

import asyncio
import functools
import io

import numpy as np
from PIL import Image

from bot.core import Conversation, ImageReply, Person, PhotoEvent, Reply, TextEvent
from bot.sessions import SessionStore
from engine.editing import OptimizationSettings
from engine.service import Engine, EngineConfig, ModelSet, demo_models

ALICE = Person("test", "chat-1", "alice")
BOB = Person("test", "chat-1", "bob")
RESOLUTION = 128
GENERATOR = f"demo-{RESOLUTION}"


@functools.cache
def shared_models() -> ModelSet:
    """Demo models (random weights, at 128 px to keep renders cheap), built once: a few seconds."""
    models = demo_models(seed=0, device="cpu", resolution=RESOLUTION)
    models.editor.settings = OptimizationSettings(steps=3)
    return models


class StepWatch:
    """A status callback that notes when an optimization reports its first step (`started`)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    async def __call__(self, text: str) -> None:
        if "step" in text:
            self.started.set()


def optimizing_models(monkeypatch) -> ModelSet:
    """The shared models with every edit an optimization (no direction tables), for as long as a test lets it."""
    models = shared_models()
    monkeypatch.setattr(models.editor.router, "tables", None)
    monkeypatch.setattr(models.editor, "settings", OptimizationSettings(steps=100_000))
    return models


def new_engine() -> Engine:
    """An engine over the shared models; make one per event loop (its queues belong to the loop)."""
    # ask_above_s: optimizations start at once whatever the machine's speed (test_slow_choice turns asking on)
    return Engine(lambda: shared_models(), EngineConfig(max_batch=1, ask_above_s=float("inf")))


def open_store(tmp_path) -> SessionStore:
    return SessionStore.open(f"sqlite:///{tmp_path / 'sessions.sqlite3'}")


def jpeg(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, "JPEG", quality=95)
    return buf.getvalue()


@functools.cache
def astronaut() -> bytes:
    from skimage import data

    return jpeg(data.astronaut())


@functools.cache
def cat() -> bytes:
    from skimage import data

    return jpeg(data.chelsea())


def pixels(reply: Reply) -> np.ndarray:
    """The full-size picture of an image reply, decoded (PNG: exactly what was rendered)."""
    assert isinstance(reply, ImageReply), reply
    return np.asarray(Image.open(io.BytesIO(reply.png)).convert("RGB"))


def run_chat(store: SessionStore, script, **options):
    """Run `script(conversation)` (a coroutine function) on a fresh loop with a fresh engine."""

    async def main():
        engine = new_engine()
        try:
            return await script(Conversation(engine, store, **options))
        finally:
            await engine.close()

    return asyncio.run(main())


async def say(conversation: Conversation, text: str, person: Person = ALICE, status=None) -> list[Reply]:
    if status is None:
        return await conversation.handle(TextEvent(person, text))
    return await conversation.handle(TextEvent(person, text), status)


async def send_photo(conversation: Conversation, data: bytes, person: Person = ALICE, caption=None) -> list[Reply]:
    return await conversation.handle(PhotoEvent(person, data, caption))


@functools.cache
def astronaut_latent() -> np.ndarray:
    """The astronaut's inverted W+ latent (inverted once; sessions seeded with it skip face detection)."""

    async def invert():
        engine = new_engine()
        try:
            return (await engine.invert(astronaut(), caller="setup")).w_plus
        finally:
            await engine.close()

    return asyncio.run(invert())


def seed_session(store: SessionStore, person: Person) -> int:
    """Give `person` a session on the astronaut, as a photo message would; returns the session id."""
    return store.start(person, astronaut_latent(), GENERATOR).session_id
