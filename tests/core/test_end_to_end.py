"""The whole conversation on the real session store (SQLite file) and the demo engine."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from bot.core import ButtonPayload, ImageReply, TextEvent, TextReply, photos
from bot.core.conversation import _latent_state
from bot.sessions import NoSession
from engine.editing import Instruction
from engine.service import LatentState
from tests.core.helpers import (
    ALICE,
    GENERATOR,
    RESOLUTION,
     astronaut,
    astronaut_latent,
    open_store,
    pixels,
    run_chat,
    say,
    seed_session,
    send_photo,
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


def test_photo_cuter_makeup_more_undo_redo_history_forget(store):
    async def script(chat):
        seen = {}

        async def face_now() -> np.ndarray:
            """The store's current state, rendered independently of the reply: the face crop."""
            return await chat.engine.render(_latent_state(store.current(ALICE)), caller="test")

        async def rendered_now() -> np.ndarray:
            """That face in the kept photo, as every reply shows it."""
            return photos.from_record(store.photo(ALICE)).around(await face_now())

        # -- the photo
        photo = only(await send_photo(chat, astronaut()))
        assert isinstance(photo, ImageReply) and "what to change" in photo.caption
        seen["photo"] = pixels(photo)
        assert seen["photo"].shape == (512, 512, 3)  # the astronaut photo's own size
        assert Image.open(io.BytesIO(photo.jpeg)).format == "JPEG"
        summary = store.history(ALICE)
        assert summary.edits == () and summary.generator == GENERATOR
        assert [b.label for b in photo.buttons] == ["More", "Less", "Undo", "Redo", "Reset", "Face only"]
        assert ButtonPayload.decode(photo.buttons[0].payload) == ButtonPayload("more", summary.session_id, 1)
        # the first picture is the inverted photo itself, with no edits
        base = await chat.engine.render(LatentState(store.current(ALICE).latent.to_numpy()), caller="test")
        np.testing.assert_array_equal(seen["photo"], photos.from_record(store.photo(ALICE)).around(base))

        # -- "make it cuter": a global direction, said in one line
        cuter = only(await say(chat, "make it cuter"))
        assert cuter.caption.startswith("Done: make it cuter")
        assert "global direction, " in cuter.caption and " channels, strength 4.1" in cuter.caption
        seen["cuter"] = pixels(cuter)
        np.testing.assert_array_equal(seen["cuter"], await rendered_now())
        assert np.abs((await face_now()).astype(int) - base).mean() > 1  # the face changed, not just a seam
        assert (seen["cuter"] != seen["photo"]).any()
        (edit,) = store.history(ALICE).edits
        assert (edit.text, edit.method, edit.active) == ("make it cuter", "global_direction", True)
        assert json.loads(edit.instruction) == {"target": "cute face", "neutral": "face", "strength": None}

        # -- "remove makeup": a second edit on top of the first
        makeup = only(await say(chat, "remove makeup"))
        assert "Done: remove makeup" in makeup.caption
        seen["makeup"] = pixels(makeup)
        edits = store.history(ALICE).edits
        assert [e.text for e in edits] == ["make it cuter", "remove makeup"]
        assert json.loads(edits[1].instruction)["neutral"] == "face with makeup"
        assert len(store.current(ALICE).steps) == 2

        # -- "more": the last edit's scale grows, the picture changes
        more = only(await say(chat, "more"))
        assert more.caption == "Stronger: remove makeup (×1.5)"
        assert [e.scale for e in store.history(ALICE).edits] == [1.0, 1.5]
        seen["more"] = pixels(more)
        assert not np.array_equal(seen["more"], seen["makeup"])
        np.testing.assert_array_equal(seen["more"], await rendered_now())
        seen["more_face"] = await face_now()

        # -- "undo": exactly the picture after "make it cuter"
        undo = only(await say(chat, "undo"))
        assert undo.caption.startswith("Undone: remove makeup.")
        np.testing.assert_array_equal(pixels(undo), seen["cuter"])
        assert [e.active for e in store.history(ALICE).edits] == [True, False]

        # -- "redo": exactly the stronger picture again (the scale was kept)
        redo = only(await say(chat, "redo"))
        assert redo.caption == "Redone: remove makeup."
        np.testing.assert_array_equal(pixels(redo), seen["more"])

        # -- "history": one strip with the photo and both edits
        history = only(await say(chat, "history"))
        assert isinstance(history, ImageReply) and history.caption.startswith("2 edits")
        strip = pixels(history)
        assert strip.shape[1] == 3 * 128 + 4 * 6 and strip.shape[0] > 128
        # the last thumbnail is the current face, shrunk
        last = Image.fromarray(seen["more_face"]).resize((128, 128), Image.Resampling.LANCZOS)
        np.testing.assert_allclose(strip[6:134, 2 * 134 + 6: 2 * 134 + 134].astype(float), np.asarray(last), atol=1)

        # -- "forget": asks first, then deletes everything
        ask = only(await say(chat, "forget me"))
        assert isinstance(ask, TextReply) and "/forget confirm" in ask.text
        assert store.count_sessions(ALICE) == 1
        done = only(await say(chat, "/forget confirm"))
        assert done.text.startswith("Done: deleted 1 photo")
        assert store.count_sessions(ALICE) == 0
        with pytest.raises(NoSession):
            store.history(ALICE)
        after = only(await say(chat, "undo"))
        assert "photo" in after.text

    run_chat(store, script)


def test_compare_shows_before_and_after_side_by_side(store):
    seed_session(store, ALICE)

    async def script(chat):
        before = await chat.engine.render(LatentState(astronaut_latent()), caller="test")
        after = pixels(only(await say(chat, "turn into a lion")))
        compare = only(await say(chat, "compare"))
        image = pixels(compare)
        r = RESOLUTION
        assert image.shape[1] == 2 * r + 3 * 6
        np.testing.assert_array_equal(image[6:6 + r, 6:6 + r], before)
        np.testing.assert_array_equal(image[6:6 + r, 12 + r:12 + 2 * r], after)

    run_chat(store, script)


def test_mapper_edit_says_which_mapper_and_drop_recomputes_later_mapper_steps(store):
    seed_session(store, ALICE)

    async def script(chat):
        purple = only(await say(chat, "purple hair"))
        assert "(latent mapper 'purple_hair')" in purple.caption
        mohawk = only(await say(chat, "give him a mohawk"))
        assert "(latent mapper 'mohawk')" in mohawk.caption
        old = store.current(ALICE).steps[1].step.to_numpy()

        dropped = only(await say(chat, "drop the purple hair"))
        assert dropped.caption == "Dropped: purple hair."
        current = store.current(ALICE)
        assert [e.text for e in store.history(ALICE).edits] == ["give him a mohawk"]
        # the mohawk step is now the one the mapper gives at the photo's own latent
        fresh = await chat.engine.edit(LatentState(current.latent.to_numpy()), Instruction("mohawk hairstyle", "face"),
                                       caller="test", method="mapper")
        np.testing.assert_allclose(current.steps[0].step.to_numpy(), fresh.step.array, rtol=1e-5, atol=1e-6)
        assert not np.allclose(old, fresh.step.array)

        nothing = only(await say(chat, "drop the beard"))
        assert "can't find an edit about \"beard\"" in nothing.text and "give him a mohawk" in nothing.text

    run_chat(store, script)


def test_optimization_reports_progress_and_says_how_long(store, monkeypatch):
    monkeypatch.setattr(shared_models().editor.router, "tables", None)  # no global directions: optimize
    updates: list[str] = []

    async def status(text: str) -> None:
        updates.append(text)

    async def script(chat):
        await send_photo(chat, astronaut())
        reply = only(await chat.handle(TextEvent(ALICE, "smile"), status))
        assert "(optimization, 3 steps, " in reply.caption and reply.caption.endswith(" s)")
        (edit,) = store.history(ALICE).edits
        assert edit.method == "optimization"

    run_chat(store, script)
    assert updates and all("optimizing" in text for text in updates)
    assert updates[-1].endswith("step 3 of 3...")
