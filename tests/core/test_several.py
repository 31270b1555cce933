"""Several edits in one message: each its own step, one picture, undone one by one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bot.core import ImageReply
from bot.core.conversation import _latent_state
from tests.core.helpers import ALICE, open_store, pixels, run_chat, say, seed_session


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
