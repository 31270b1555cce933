"""Errors become friendly replies and leave the session as it was."""

from __future__ import annotations

import asyncio
import logging
import re

import numpy as np
import pytest

from bot.core import Conversation, TextEvent, TextReply, wording
from engine.service import Engine, EngineBusy, EngineOutOfMemory, ModelsMissing
from tests.core.helpers import ALICE, BOB, cat, open_store, run_chat, say, seed_session, send_photo, shared_models


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path)
    yield store
    store.close()


def test_edits_before_a_photo_ask_for_one_and_refusals_store_nothing(store):
    async def script(chat):
        return [(await say(chat, text))[0].text for text in ("make it cuter", "🙂🙂🙂", "x" * 1000, "history")]

    ask, emoji, long, history = run_chat(store, script)
    assert ask == wording.ASK_FOR_PHOTO and history == wording.ASK_FOR_PHOTO
    assert emoji != ask and long != ask and emoji and long
    assert store.count_sessions(ALICE) == 0


def test_photos_without_a_face_or_not_images_are_explained(store):
    async def script(chat):
        return (await send_photo(chat, cat()))[0].text, (await send_photo(chat, b"%PDF-1.4 not a photo"))[0].text

    no_face, not_image = run_chat(store, script)
    assert "face" in no_face.lower()
    assert "picture" in not_image.lower() or "image" in not_image.lower()
    assert store.count_sessions(ALICE) == 0


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (EngineBusy("the optimisation queue is full", 3, 90.0), "try again in about 90 s"),
        (EngineOutOfMemory("no"), wording.OUT_OF_MEMORY),
    ],
)
def test_engine_trouble_becomes_a_reply_and_changes_nothing(store, error, expected):
    seed_session(store, ALICE)
    before = store.history(ALICE)

    async def script(chat):
        async def fail(*args, **kwargs):
            raise error

        chat.engine.edit = fail
        return await say(chat, "make it cuter")

    (reply,) = run_chat(store, script)
    assert expected in reply.text
    assert store.history(ALICE) == before


def test_an_unexpected_error_is_logged_with_a_reference_and_the_session_is_unchanged(store, caplog):
    seed_session(store, ALICE)
    before = store.history(ALICE)

    async def script(chat):
        async def broken(*args, **kwargs):
            raise RuntimeError("renderer exploded")

        chat.engine.render = broken
        return await say(chat, "make it cuter")

    with caplog.at_level(logging.ERROR, logger="bot.core.conversation"):
        (reply,) = run_chat(store, script)
    match = re.search(r"reference ([0-9a-f]{8})", reply.text)
    assert match and "unchanged" in reply.text
    (record,) = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.exc_info and "renderer exploded" in str(record.exc_info[1])
    assert store.history(ALICE) == before  # the edit was computed, but not stored without its picture


def test_missing_model_files_tell_the_operator_and_the_person_a_short_note(store, caplog):
    def load():
        raise ModelsMissing("/weights/stylegan2-ffhq-config-f.pt is missing: run `styleclip-bot weights download`")

    async def main():
        engine = Engine(load)
        try:
            chat = Conversation(engine, store)
            return await send_photo(chat, cat(), BOB)
        finally:
            await engine.close()

    with caplog.at_level(logging.ERROR):
        (reply,) = asyncio.run(main())
    assert reply == TextReply(wording.NOT_READY)
    assert any("weights download" in r.getMessage() for r in caplog.records)


def test_a_session_of_another_generator_asks_for_the_photo_again(store):
    store.start(ALICE, np.zeros((18, 512), np.float32), "stylegan2-ffhq-1024")

    async def script(chat):
        return await say(chat, "make it cuter")

    assert run_chat(store, script) == [TextReply(wording.STALE_PHOTO)]


def test_a_failing_status_callback_does_not_fail_the_message(store, monkeypatch):
    seed_session(store, ALICE)
    monkeypatch.setattr(shared_models().editor.router, "tables", None)  # optimize: progress goes to status
    calls: list[str] = []

    async def broken(text: str) -> None:
        calls.append(text)
        raise ConnectionError("platform down")

    async def script(chat):
        return await chat.handle(TextEvent(ALICE, "smile"), broken)

    (reply,) = run_chat(store, script)
    assert calls and reply.caption.startswith("Done: smile")
    assert len(store.history(ALICE).edits) == 1
