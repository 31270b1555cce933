"""Pictures already drawn are shown again without drawing: the same bytes, a bounded memory, forgotten on /forget."""

from __future__ import annotations

import numpy as np
import pytest

from bot.core.picture_cache import Picture, PictureCache, derived_key, picture_key
from tests.core.helpers import ALICE, BOB, astronaut, open_store, run_chat, say, send_photo

W = np.arange(2 * 8, dtype=np.float32).reshape(2, 8)
STEP = np.full((2, 8), 0.5, np.float32)


def picture(side: int = 8, value: int = 0) -> Picture:
    return Picture(np.full((side, side, 3), value, np.uint8))


def test_the_key_changes_with_every_input_of_the_picture():
    base = picture_key(W, [("w_plus", STEP)], "full", "demo-128")
    assert base == picture_key(W.copy(), [("w_plus", STEP.copy())], "full", "demo-128")  # by value, not identity
    others = [
        picture_key(W + 1e-6, [("w_plus", STEP)], "full", "demo-128"),
        picture_key(W, [("w_plus", STEP * 1.5)], "full", "demo-128"),  # "more"
        picture_key(W, [], "full", "demo-128"),  # undo
        picture_key(W, [("style", STEP)], "full", "demo-128"),
        picture_key(W, [("w_plus", STEP)], "preview", "demo-128"),
        picture_key(W, [("w_plus", STEP)], "full", "stylegan2-ffhq-1024"),
        picture_key(W, [("w_plus", STEP)], "full", "demo-128", np.zeros(3, np.float32)),  # e.g. a photo to paste into
        picture_key(W.astype(np.float64), [("w_plus", STEP)], "full", "demo-128"),
    ]
    assert len({base, *others}) == len(others) + 1
    assert derived_key("compare", "a", "b") != derived_key("compare", "b", "a")


def test_least_recently_used_go_first_by_count():
    cache = PictureCache(max_items=2)
    cache.put("a", picture(value=1))
    cache.put("b", picture(value=2))
    assert cache.get("a") is not None  # "a" is now the most recent
    cache.put("c", picture(value=3))
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert len(cache) == 2


def test_the_byte_budget_counts_pixels_and_encodings():
    one = picture(side=16)  # 768 bytes of pixels
    cache = PictureCache(max_bytes=2 * 768 + 10)
    cache.put("a", one)
    cache.put("b", picture(side=16))
    assert len(cache) == 2
    one.png()  # an encoding makes "a" larger; the next put trims to the budget
    cache.put("c", picture(side=16))
    assert cache.get("a") is None and len(cache) == 2 and cache.nbytes <= cache.max_bytes
    cache.put("huge", picture(side=64))  # larger than the whole budget: nothing of it is kept
    assert cache.get("huge") is None and cache.nbytes <= cache.max_bytes


def test_encodings_are_made_once():
    item = picture(value=7)
    assert item.png() is item.png() and item.jpeg() is item.jpeg()


def test_forget_drops_only_that_persons_pictures():
    cache = PictureCache()
    cache.put("alice", picture(), ALICE)
    cache.put("bob", picture(), BOB)
    assert cache.forget(ALICE) == 1
    assert cache.get("alice") is None and cache.get("bob") is not None


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path)
    yield store
    store.close()


SCRIPT = ["make it cuter", "give him a mohawk", "more", "undo", "redo", "start over", "redo", "history", "compare"]


def chat_pngs(store, cache: PictureCache | None, person=ALICE) -> tuple[list[bytes], int]:
    """Every picture of one chat (PNG bytes) and how many renders the engine did for it."""

    async def script(chat):
        renders = 0
        real = chat.engine.render

        async def counted(*args, **kwargs):
            nonlocal renders
            renders += 1
            return await real(*args, **kwargs)

        chat.engine.render = counted
        replies = await send_photo(chat, astronaut(), person)
        for text in SCRIPT:
            replies += await say(chat, text, person)
        return [r.png for r in replies], renders

    return run_chat(store, script, **({} if cache is None else {"picture_cache": cache}))


def test_cached_pictures_equal_fresh_renders(store):
    cached, cached_renders = chat_pngs(store, PictureCache(), ALICE)
    fresh, fresh_renders = chat_pngs(store, PictureCache(max_items=0), BOB)  # keeps nothing: every picture drawn
    assert len(cached) == len(fresh) == 1 + len(SCRIPT)
    for text, a, b in zip(["photo", *SCRIPT], cached, fresh, strict=True):
        assert a == b, f"the {text!r} picture differs from a fresh render"
    # Drawn once each: photo, cuter, mohawk, more; undo / redo / start over / redo / history (its thumbnails
    # shrunk from the pictures already shown) / compare draw nothing new.
    assert cached_renders == 4
    assert fresh_renders > cached_renders + 5


def test_forget_takes_the_pictures_out_of_memory(store):
    cache = PictureCache()

    async def script(chat):
        await send_photo(chat, astronaut())
        drawn = len(cache)
        await say(chat, "/forget confirm")
        return drawn

    assert run_chat(store, script, picture_cache=cache) == 2  # the face, and the photo around it
    assert len(cache) == 0
