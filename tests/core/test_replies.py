"""What the bot says and draws: the one-line "how", texts, the history strip and the comparison."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from bot.core import ImageReply, TextReply, pictures, wording
from engine.service import EditResult, Step
from engine.values import EditRoute, Method
from tests.core.helpers import ALICE, astronaut, open_store, run_chat, say, send_photo

STEP = Step("style", np.zeros(4, np.float32))


@pytest.mark.parametrize(
    ("result", "line"),
    [
        (EditResult(STEP, EditRoute(method=Method.GLOBAL_DIRECTION, channels=37, beta=0.15, alpha=4.1),
                    "any words", 4.1, "cute face", 0.1),
         "global direction, 37 channels, strength 4.1"),
        (EditResult(STEP, EditRoute(method=Method.MAPPER, mapper="mohawk"), "a reason naming 'afro'", 1.0,
                    "mohawk hairstyle", 0.1),
         "latent mapper 'mohawk'"),
        (EditResult(STEP, EditRoute(method=Method.MAPPER, mapper="afro", similarity=0.93), "", 1.5, "afro hair", 0.1),
         "latent mapper 'afro', strength 1.5"),
        (EditResult(STEP, EditRoute(method=Method.OPTIMIZATION, steps=80), "optimization: 12 channels", 1.0, "lion",
                    21.4),
         "optimization, 80 steps, 21 s"),
    ],
)
def test_each_edit_is_explained_in_one_short_line(result, line):
    assert wording.how(result) == line
    assert wording.edited("make it cuter", result) == f"Done: make it cuter\n({line})"


def test_a_queued_optimization_says_its_place_then_its_steps():
    import asyncio

    from bot.core.conversation import _ProgressRelay
    from bot.core.turns import Turn
    from engine.service import Progress

    said: list[str] = []

    async def status(text: str) -> None:
        said.append(text)

    async def scenario() -> None:
        relay = _ProgressRelay(status, Turn())
        relay(Progress(0, 300, float("nan"), queue_position=2, estimated_wait_s=41.0))
        await relay.flush()
        relay(Progress(7, 300, 0.8))
        await relay.flush()

    asyncio.run(scenario())
    assert said == [
        "No quick method fits, so I'll optimize. 2 other optimizations are ahead of yours (about 41 s)...",
        "No quick method fits, so I'm optimizing: step 7 of 300...",
    ]


def test_privacy_states_the_retention():
    text = wording.privacy(timedelta(days=7))
    assert "7 days" in text and "/forget" in text
    assert "copy of the photo" in text and "2048" in text and "metadata" in text and "location" in text


def test_history_strip_has_one_labelled_thumbnail_per_step():
    frames = [(np.full((64, 64, 3), v, np.uint8), label)
              for v, label in ((0, "photo"), (255, "make it much much cuter than before please"), (90, "глаза"))]
    strip = np.asarray(pictures.history_strip(frames))
    assert strip.shape == (128 + 30 + 12, 3 * 128 + 4 * 6, 3)
    assert (strip[6:134, 6:134] == 0).all() and (strip[6:134, 140:268] == 255).all()
    assert (strip[140:165, 6:134] < 128).any()  # the label is drawn under its thumbnail
    with pytest.raises(ValueError):
        pictures.history_strip([])


def test_a_long_history_wraps_into_rows():
    frames = [(np.full((16, 16, 3), 10 * i, np.uint8), f"edit {i}") for i in range(11)]
    strip = np.asarray(pictures.history_strip(frames, thumb=32, per_row=4))
    assert strip.shape == (3 * (32 + 30 + 6) + 6, 4 * (32 + 6) + 6, 3)
    cell = (strip.shape[0] - 6) // 3
    assert (strip[6 + 2 * cell:6 + 2 * cell + 32, 6 + 2 * 38:6 + 2 * 38 + 32] == 100).all()  # the 11th: row 3, column 3


def test_side_by_side_resizes_the_second_picture():
    image = np.asarray(pictures.side_by_side(np.zeros((32, 32, 3), np.uint8), np.full((64, 64, 3), 200, np.uint8)))
    assert image.shape == (32 + 30 + 12, 2 * 32 + 18, 3)
    assert (image[6:38, 44:76] == 200).all()
    with pytest.raises(ValueError):
        pictures.side_by_side(np.zeros((8, 8), np.uint8), np.zeros((8, 8, 3), np.uint8))


def test_texts_need_no_photo(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLECLIP_BOT_SESSION_RETENTION_DAYS", "3")
    store = open_store(tmp_path)

    async def script(chat):
        return [(await say(chat, text))[0] for text in ("/start", "help", "thanks!", "/privacy", "forget")]

    try:
        start, help_, thanks, privacy, forget = run_chat(store, script)
    finally:
        store.close()
    assert start == TextReply(wording.welcome()) and help_ == TextReply(wording.HELP)
    assert thanks == TextReply(wording.THANKS) and forget == TextReply(wording.FORGET_ASK)
    assert "3 days" in privacy.text


def test_a_photo_caption_is_read_as_the_first_message(tmp_path):
    store = open_store(tmp_path)

    async def script(chat):
        return await send_photo(chat, astronaut(), ALICE, caption="purple hair please")

    try:
        photo, edit = run_chat(store, script)
        assert isinstance(photo, ImageReply) and isinstance(edit, ImageReply)
        assert edit.caption == "Done: purple hair\n(latent mapper 'purple_hair')"
        assert [e.text for e in store.history(ALICE).edits] == ["purple hair"]
    finally:
        store.close()
