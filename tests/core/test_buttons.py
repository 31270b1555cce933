"""Buttons carry the session id and version: they act on the picture they are under, even after a restart."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core import MAX_PAYLOAD_BYTES, BadPayload, ButtonEvent, ButtonPayload, TextReply, buttons_for, wording
from tests.core.helpers import ALICE, open_store, pixels, run_chat, say, seed_session


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path)
    seed_session(store, ALICE)
    yield store
    store.close()


def press(reply, label: str) -> ButtonEvent:
    (button,) = [b for b in reply.buttons if b.label == label]
    return ButtonEvent.from_payload(ALICE, button.payload)


def test_payload_round_trip_and_limits():
    payload = ButtonPayload("reset", 2**63 - 1, 2**31).encode()
    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES
    assert ButtonPayload.decode(payload) == ButtonPayload("reset", 2**63 - 1, 2**31)
    assert [b.label for b in buttons_for(7, 3)] == ["More", "Less", "Undo", "Redo", "Reset", "Face only"]
    for bad in ("", "sc1:undo:1", "sc1:explode:1:2", "sc0:undo:1:2", "sc1:undo:x:2", "sc1:undo:1:2:3"):
        with pytest.raises(BadPayload):
            ButtonPayload.decode(bad)


def test_buttons_act_on_the_latest_picture_and_refuse_outdated_ones(store):
    async def script(chat):
        cuter = (await say(chat, "make it cuter"))[0]
        makeup = (await say(chat, "remove makeup"))[0]
        version = store.history(ALICE).version

        outdated = await chat.handle(press(cuter, "Undo"))
        assert outdated == [TextReply(wording.OUTDATED_BUTTON)]
        assert store.history(ALICE).version == version  # nothing happened

        undone = (await chat.handle(press(makeup, "Undo")))[0]
        np.testing.assert_array_equal(pixels(undone), pixels(cuter))
        assert [e.active for e in store.history(ALICE).edits] == [True, False]

        again = await chat.handle(press(makeup, "Undo"))  # the same old button twice: the picture moved on
        assert again == [TextReply(wording.OUTDATED_BUTTON)]

        stronger = (await chat.handle(press(undone, "More")))[0]
        assert stronger.caption == "Stronger: make it cuter (×1.5)"
        weaker = (await chat.handle(press(stronger, "Less")))[0]
        assert store.history(ALICE).edits[0].scale == pytest.approx(1.0)
        np.testing.assert_array_equal(pixels(weaker), pixels(cuter))
        redone = (await chat.handle(press(weaker, "Redo")))[0]
        np.testing.assert_array_equal(pixels(redone), pixels(makeup))
        reset = (await chat.handle(press(redone, "Reset")))[0]
        assert reset.caption.startswith("Back to the original photo")
        assert store.current(ALICE).steps == ()
        return reset

    last = run_chat(store, script)

    async def after_restart(chat):  # a new process: new engine and conversation, same database
        return await chat.handle(press(last, "Redo"))

    (redo,) = run_chat(store, after_restart)
    assert redo.caption == "Redone: make it cuter."

    seed_session(store, ALICE)  # a new photo: buttons of the old one do nothing

    async def old_photo(chat):
        return await chat.handle(press(redo, "Undo"))

    assert run_chat(store, old_photo) == [TextReply(wording.OLD_PHOTO_BUTTON)]


def test_nothing_to_undo_or_rescale_is_said_plainly(store):
    async def script(chat):
        return [(await say(chat, text))[0].text for text in ("undo", "redo", "more")]

    assert run_chat(store, script) == [
        "Nothing to undo: this is the original photo.", "Nothing to redo.",
        "There is no edit to make stronger or weaker yet.",
    ]
