"""The person's own photo back: every answer is the sent photo with the edited face blended in.

Through the real local chat (streams in, PNG files out) and the core: the photo keeps its size, pixels
away from the face are the photo's own, the face changes with an edit, undo gives the earlier picture
back exactly; the kept copy is stripped and forgotten on request; several faces are told about.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from bot.adapters.console import ConsoleChat
from bot.core import ButtonEvent, ButtonPayload, Conversation, ImageReply, photos, wording
from engine.photos.keep import metadata_of

from .helpers import ALICE, RESOLUTION, jpeg, new_engine, open_store, pixels, run_chat, say, send_photo

# The astronaut on a wider canvas: the face takes a small part of the photo, off-centre.
CANVAS = (600, 900)
OFFSET = (40, 300)  # top, left of the 512 px astronaut
FACE = (slice(OFFSET[0] + 90, OFFSET[0] + 160), slice(OFFSET[1] + 190, OFFSET[1] + 250))
FAR = ((slice(None), slice(0, 250)), (slice(420, None), slice(None)))  # left strip, bottom rows


def wide_astronaut() -> np.ndarray:
    canvas = np.empty((*CANVAS, 3), np.uint8)
    canvas[...] = np.linspace(40, 200, CANVAS[1], dtype=np.uint8)[None, :, None]  # a gradient, not a flat colour
    canvas[OFFSET[0]:OFFSET[0] + 512, OFFSET[1]:OFFSET[1] + 512] = data.astronaut()
    return canvas


def decoded(jpeg_bytes: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(jpeg_bytes)).convert("RGB"))


def assert_far_pixels_equal(a: np.ndarray, b: np.ndarray) -> None:
    for region in FAR:
        assert np.array_equal(a[region], b[region])


def test_the_local_chat_answers_with_the_photo_itself(tmp_path):
    sent = jpeg(wide_astronaut())
    photo_path = tmp_path / "holiday.jpg"
    photo_path.write_bytes(sent)
    store = open_store(tmp_path)
    output = io.StringIO()
    lines = [f"/photo {photo_path}", "give him a mohawk", "undo", "redo", "reset"]

    async def run():
        engine = new_engine()
        try:
            chat = ConsoleChat(Conversation(engine, store), input=io.StringIO("".join(f"{x}\n" for x in lines)),
                               output=output, out_dir=tmp_path / "out")
            await chat.run()
        finally:
            await engine.close()

    try:
        asyncio.run(run())
    finally:
        store.close()
    out = output.getvalue()
    shown = [np.asarray(Image.open(p).convert("RGB")) for p in re.findall(r"picture: (.+\.png)$", out, flags=re.M)]
    faces = [Path(p) for p in re.findall(r"face only: (.+\.png)$", out, flags=re.M)]
    assert len(shown) == len(faces) == 5
    first, mohawk, undone, redone, reset = shown
    original = decoded(sent)
    for picture in shown:
        assert picture.shape == (*CANVAS, 3)  # the photo's own size, not a square crop
        assert_far_pixels_equal(picture, original)
    assert np.abs(first[FACE].astype(int) - original[FACE]).mean() > 1  # the face is the redrawn one
    assert not np.array_equal(mohawk[FACE], first[FACE])  # the edit shows on the face
    assert np.array_equal(undone, first) and np.array_equal(reset, first)  # exactly the earlier picture
    assert np.array_equal(redone, mohawk)
    assert Image.open(faces[1]).size == (RESOLUTION, RESOLUTION)  # the crop alone, as the engine drew it


def test_face_only_button_and_the_kept_copy(tmp_path):
    store = open_store(tmp_path)

    async def script(chat: Conversation):
        (ready,) = await send_photo(chat, jpeg(wide_astronaut()))
        (edited,) = await say(chat, "give him a mohawk")
        payload = ButtonPayload.decode(next(b.payload for b in edited.buttons if b.label == "Face only"))
        (face,) = await chat.handle(ButtonEvent(ALICE, payload.action, payload.session_id, payload.version))
        (again,) = await chat.handle(ButtonEvent(ALICE, payload.action, payload.session_id, payload.version))
        return ready, edited, face, again

    try:
        ready, edited, face, again = run_chat(store, script)
        assert isinstance(face, ImageReply) and face.buttons == () and face.caption == wording.FACE_ONLY
        assert pixels(face).shape == (RESOLUTION, RESOLUTION, 3)
        assert pixels(again).tobytes() == pixels(face).tobytes()  # nothing changed by looking
        assert pixels(edited).shape == (*CANVAS, 3) and ready.face_png is None  # files only where asked for

        kept = store.photo(ALICE)
        assert (kept.width, kept.height) == (CANVAS[1], CANVAS[0]) and kept.faces == 1
        assert metadata_of(kept.data) == {}
        frame = photos.from_record(kept)
        assert frame.placement.transform.image_size == (CANVAS[1], CANVAS[0])
    finally:
        store.close()


def test_forget_removes_the_kept_photo_from_the_database_file(tmp_path):
    store = open_store(tmp_path)
    sent = jpeg(wide_astronaut())

    async def script(chat: Conversation):
        await send_photo(chat, sent)
        return await say(chat, "/forget confirm")

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("sessions.sqlite3"))

    try:
        run_chat(store, script)
        assert store.count_sessions(ALICE) == 0
        assert sent[2000:2064] not in on_disk()  # the kept copy is the sent JPEG itself: none of it left
    finally:
        store.close()


def test_the_kept_photo_is_there_before_forget(tmp_path):
    """The control for the test above: the sent JPEG is stored byte for byte while the session lives."""
    store = open_store(tmp_path)
    sent = jpeg(wide_astronaut())

    async def script(chat: Conversation):
        return await send_photo(chat, sent)

    try:
        run_chat(store, script)
        assert store.photo(ALICE).data == sent
    finally:
        store.close()


def test_with_several_faces_the_largest_is_edited_and_the_reply_says_so(tmp_path):
    two = np.full((560, 1000, 3), 120, np.uint8)
    two[20:532, 460:972] = data.astronaut()
    two[150:406, 40:296] = np.asarray(Image.fromarray(data.astronaut()).resize((256, 256)))
    store = open_store(tmp_path)

    async def script(chat: Conversation):
        return await send_photo(chat, jpeg(two))

    try:
        (ready,) = run_chat(store, script)
        assert "2 faces" in ready.caption and "largest" in ready.caption
        shown, original = pixels(ready), decoded(jpeg(two))
        assert np.array_equal(shown[:, :400], original[:, :400])  # the smaller face is left as it was
        assert not np.array_equal(shown[110:180, 650:710], original[110:180, 650:710])
    finally:
        store.close()


@pytest.mark.parametrize(("floor", "warned"), [(1.01, True), (-1.01, False)])
def test_identity_watch_adds_one_line_below_the_floor(tmp_path, monkeypatch, floor, warned):
    """With ArcFace (here a deterministic stand-in network of the real class), the edit's reply warns when
    the similarity to the reconstruction falls below the floor; the first reply when the reconstruction does."""
    from tests.core.identity import engine_with_arcface

    monkeypatch.setattr(photos, "EDIT_FLOOR", floor)
    monkeypatch.setattr(photos, "RECONSTRUCTION_FLOOR", floor)
    store = open_store(tmp_path)

    async def main():
        engine = engine_with_arcface()
        try:
            chat = Conversation(engine, store)
            (ready,) = await send_photo(chat, jpeg(wide_astronaut()))
            (edited,) = await say(chat, "give him a mohawk")
            (undone,) = await say(chat, "undo")
            return ready, edited, undone
        finally:
            await engine.close()

    try:
        ready, edited, undone = asyncio.run(main())
        assert (wording.IDENTITY_CHANGED in edited.caption) is warned
        assert ("loose likeness" in ready.caption) is warned
        assert wording.IDENTITY_CHANGED not in undone.caption  # undo is not an edit
        assert len(store.photo(ALICE).identity) == 1024  # 512 float16
    finally:
        store.close()
