"""Several edits in one message: each its own step, one picture, undone one by one."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import numpy as np
import pytest

from bot.core import Conversation, ImageReply, TextEvent, TextReply, wording
from bot.core.conversation import _latent_state
from bot.core.limits import FairUse
from engine.service import Engine, EngineConfig
from tests.core.helpers import (
    ALICE,
    StepWatch,
    open_store,
    optimizing_models,
    pixels,
    run_chat,
    say,
    seed_session,
    shared_models,
)


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path)
    yield store
    store.close()


def only(replies):
    assert len(replies) == 1, replies
    return replies[0]


def test_two_edits_in_one_message_are_two_steps_one_picture_undone_one_by_one(store):
    seed_session(store, ALICE)

    async def script(chat):
        renders = []
        render = chat.engine.render

        async def counted(state, **options):
            renders.append(len(state.steps))
            return await render(state, **options)

        chat.engine.render = counted
        both = only(await say(chat, "smile and add glasses"))
        assert isinstance(both, ImageReply)
        assert renders == [2], "the picture is rendered once, with both steps"
        lines = both.caption.splitlines()
        assert "2 edits" in lines[0]
        assert lines[1].startswith("1. smile (") and lines[2].startswith("2. add glasses (")
        assert "global direction" in lines[1]
        edits = store.history(ALICE).edits
        assert [(e.text, e.active) for e in edits] == [("smile", True), ("add glasses", True)]
        assert [json.loads(e.instruction)["target"] for e in edits] == ["smiling face", "face with glasses"]
        both_pixels = pixels(both)
        np.testing.assert_array_equal(both_pixels, await render(_latent_state(store.current(ALICE)), caller="t"))

        undone = only(await say(chat, "undo"))
        assert "Undone: add glasses" in undone.caption
        assert [e.active for e in store.history(ALICE).edits] == [True, False]
        smile_only = await render(_latent_state(store.current(ALICE)), caller="t")
        np.testing.assert_array_equal(pixels(undone), smile_only)
        assert not np.array_equal(smile_only, both_pixels)

        undone = only(await say(chat, "undo"))
        assert "Undone: smile" in undone.caption
        assert [e.active for e in store.history(ALICE).edits] == [False, False]

    run_chat(store, script)


def test_chinese_parts_and_a_phrase_that_stays_one_edit(store):
    seed_session(store, ALICE)

    async def script(chat):
        only(await say(chat, "微笑并戴上眼镜"))
        assert [e.text for e in store.history(ALICE).edits] == ["微笑", "戴上眼镜"]
        only(await say(chat, "salt and pepper hair"))
        assert [e.text for e in store.history(ALICE).edits][-1] == "salt and pepper hair"
        assert len(store.history(ALICE).edits) == 3

    run_chat(store, script)


# Each part goes through the same door as a single edit: fair use, the question before a long optimization,
# and "stop".


def test_each_part_counts_against_the_hourly_edits_and_a_refused_part_stores_nothing(store):
    seed_session(store, ALICE)

    async def script(chat):
        return await say(chat, "smile and add glasses and purple hair")

    refused = only(run_chat(store, script, fair_use=FairUse(edits_per_hour=2)))
    assert isinstance(refused, TextReply) and refused.text.startswith("You've reached the limit of 2 edits an hour")
    assert store.history(ALICE).edits == ()


def test_a_part_that_needs_a_long_optimization_is_asked_about_and_the_answer_makes_the_whole_message(
    store, monkeypatch
):
    monkeypatch.setattr(shared_models().editor.router, "tables", None)  # no global directions: only optimization
    seed_session(store, ALICE)

    async def script(chat):
        chat.engine.config = replace(chat.engine.config, ask_above_s=0.0)  # every optimization counts as long
        question = only(await say(chat, "purple hair and smile"))
        assert isinstance(question, TextReply) and 'No quick method fits "smile"' in question.text
        assert store.history(ALICE).edits == ()  # nothing made, nothing stored
        done = only(await say(chat, "start"))
        assert isinstance(done, ImageReply) and "2 edits" in done.caption
        return done

    done = run_chat(store, script)
    assert "optimization, 3 steps" in done.caption.splitlines()[2]
    assert [(e.text, e.method) for e in store.history(ALICE).edits] == [
        ("purple hair", "mapper"), ("smile", "optimization")]


def test_stop_ends_an_optimizing_part_and_the_message_stores_nothing(store, monkeypatch):
    seed_session(store, ALICE)
    optimizing = optimizing_models(monkeypatch)
    before = store.history(ALICE)

    async def main():
        engine = Engine(lambda: optimizing, EngineConfig(max_batch=1, ask_above_s=float("inf")))
        chat = Conversation(engine, store)
        status = StepWatch()

        try:
            running = asyncio.create_task(chat.handle(TextEvent(ALICE, "purple hair and smile"), status))
            await asyncio.wait_for(status.started.wait(), 60)
            stop = await asyncio.wait_for(chat.handle(TextEvent(ALICE, "stop")), 60)
            return stop, await asyncio.wait_for(running, 60)
        finally:
            await engine.close()

    stop, stopped = asyncio.run(main())
    assert stop == [] and stopped == [TextReply(wording.CANCELLED)]
    after = store.history(ALICE)
    assert (after.version, after.edits) == (before.version, before.edits)
