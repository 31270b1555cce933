"""Stopping a running optimization from the chat: read before the person's turn, the session untouched, the
optimization lane free again at once."""

from __future__ import annotations

import asyncio

import pytest

from bot import dialog
from bot.core import Conversation, TextEvent, TextReply, wording
from engine.editing import OptimizationSettings
from engine.service import Engine, EngineConfig
from tests.core.helpers import ALICE, BOB, StepWatch, open_store, optimizing_models, seed_session


@pytest.mark.parametrize("text", ["stop", "Stop!", "cancel", "/cancel", "/cancel@SomeBot", "/stop", "取消", "abort"])
def test_stop_words_mean_cancel(text):
    assert dialog.parse(text) == dialog.Cancel()


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("cancel the glasses", dialog.Drop("glasses")),  # an earlier edit, by its words
        ("cancel that", dialog.Undo()),
    ],
)
def test_cancel_with_words_is_not_a_stop(text, meant):
    assert dialog.parse(text) == meant


NEVER_ASK = float("inf")  # optimizations start at once, however long they would take


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path)
    seed_session(store, ALICE)
    seed_session(store, BOB)
    yield store
    store.close()


@pytest.fixture
def optimizing(monkeypatch):
    return optimizing_models(monkeypatch)


def test_stop_during_an_optimization_leaves_the_session_and_frees_the_lane(store, optimizing, monkeypatch):
    before = store.history(ALICE)

    async def main():
        # One optimization at a time and no queue: a second one is refused until the first has left the lane.
        engine = Engine(lambda: optimizing, EngineConfig(
            max_batch=1, slow_concurrent=1, slow_queue=0, ask_above_s=NEVER_ASK
        ))
        chat = Conversation(engine, store)
        status = StepWatch()

        try:
            running = asyncio.create_task(chat.handle(TextEvent(ALICE, "make him smile"), status))
            await asyncio.wait_for(status.started.wait(), 60)
            assert chat.stoppable_now(ALICE) and not chat.stoppable_now(BOB)
            refused = await chat.handle(TextEvent(BOB, "make him smile"))  # the lane is full: the control

            stop = await asyncio.wait_for(chat.handle(TextEvent(ALICE, "stop")), 60)
            monkeypatch.setattr(optimizing.editor, "settings", OptimizationSettings(steps=2))
            bob = await asyncio.wait_for(chat.handle(TextEvent(BOB, "make him smile")), 60)  # at once: lane free
            stopped = await asyncio.wait_for(running, 60)
            nothing = await chat.handle(TextEvent(ALICE, "/cancel"))
            return refused, stop, bob, stopped, nothing
        finally:
            await engine.close()

    refused, stop, bob, stopped, nothing = asyncio.run(main())
    assert isinstance(refused[0], TextReply) and "busy" in refused[0].text
    assert stop == []  # the stopped message answers for it
    assert stopped == [TextReply(wording.CANCELLED)]
    after = store.history(ALICE)
    assert (after.session_id, after.version, after.edits) == (before.session_id, before.version, before.edits)
    assert bob[0].caption.startswith("Done: make him smile") and "optimization, 2 steps" in bob[0].caption
    assert [e.text for e in store.history(BOB).edits] == ["make him smile"]
    assert nothing == [TextReply(wording.NOTHING_TO_STOP)]


def test_stop_words_are_read_before_the_queue_and_other_messages_keep_their_turn(store, optimizing, monkeypatch):
    async def main():
        engine = Engine(lambda: optimizing, EngineConfig(max_batch=1, ask_above_s=NEVER_ASK))
        chat = Conversation(engine, store, long_wait_s=0)
        status = StepWatch()

        try:
            running = asyncio.create_task(chat.handle(TextEvent(ALICE, "make him smile"), status))
            await asyncio.wait_for(status.started.wait(), 60)
            queued = asyncio.create_task(chat.handle(TextEvent(ALICE, "undo")))  # waits for its turn
            await asyncio.sleep(0)
            stops = [await asyncio.wait_for(chat.handle(TextEvent(ALICE, word)), 60) for word in ("取消", "cancel")]
            return await running, await asyncio.wait_for(queued, 60), stops
        finally:
            await engine.close()

    stopped, undo, stops = asyncio.run(main())
    assert stopped == [TextReply(wording.CANCELLED)]
    assert stops[0] == [] and stops[1] == [TextReply(wording.NOTHING_TO_STOP)]  # the second came too late
    assert undo == [TextReply(str(undo[0].text))] and store.history(ALICE).edits == ()  # nothing to undo
