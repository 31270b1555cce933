"""The real python-telegram-bot Application, over real HTTP, against a fake Bot API on 127.0.0.1, in front of
the real core: demo engine, SQLite session store."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket

import httpx
import pytest
from PIL import Image
from skimage import data
from sqlalchemy import create_engine
from telegram.ext import AIORateLimiter

from bot.adapters.retry import Retry
from bot.adapters.telegram import (
    CANCEL_PAYLOAD,
    COMMANDS,
    FULL_SIZE_PAYLOAD,
    NOT_AN_IMAGE,
    TelegramBot,
    TelegramSettings,
    network_trouble,
)
from bot.core import ButtonPayload, Conversation, Person
from bot.core import wording as core_wording
from bot.sessions import SessionStore
from engine.editing import OptimizationSettings
from engine.service import Engine, EngineConfig
from tests.core.helpers import shared_models

from .fake_telegram import BOT_USERNAME, DOWNLOAD, FakeBotAPI
from .telegram_updates import GROUP, Updates, private_chat, user

TOKEN = "987654321:TESTtokenForTheFakeServer_0123456789ab"
ALICE, BOB = user(111, "Alice"), user(222, "Bob")


@pytest.fixture(scope="module")
def models():
    return shared_models()  # built once for the whole test session


def jpeg(array, size: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).resize((size, size)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


@pytest.fixture(scope="module")
def face() -> list[bytes]:
    """The astronaut photo in two sizes, smallest first (a small one that is not a usable face)."""
    return [jpeg(data.astronaut(), 64), jpeg(data.astronaut(), 512)]


@contextlib.asynccontextmanager
async def running(tmp_path, models, *, retry: Retry | None = None, **settings):
    api = FakeBotAPI(TOKEN)
    await api.start()
    store = SessionStore.open(f"sqlite:///{tmp_path / 'sessions.sqlite3'}")
    engine = Engine(lambda: models, EngineConfig(max_wait_s=0.0, ask_above_s=float("inf")))  # never ask
    # Flood limits off (the test sends more than 20 messages a minute to one group); 429 retries on.
    bot = TelegramBot(Conversation(engine, store), TelegramSettings(TOKEN, api.base_url, api.base_file_url, **settings),
                      rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=2), retry=retry)
    await bot.start()
    try:
        yield api, Updates(api), store
    finally:
        api.release_polls()
        await bot.stop()
        await engine.close()
        store.close()
        await api.stop()


def buttons(call) -> dict[str, str]:
    """label -> callback_data of a sent picture's inline keyboard."""
    markup = call.params["reply_markup"]
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row}


def test_private_conversation_photo_edits_buttons_and_files(tmp_path, models, face):
    async def scenario():
        async with running(tmp_path, models) as (api, updates, store):
            chat = private_chat(ALICE)
            alice = Person("telegram", str(ALICE["id"]), str(ALICE["id"]))

            commands = api.sent("setMyCommands")
            assert [c["command"] for c in commands[0].params["commands"]] == [name for name, _ in COMMANDS]

            updates.text(chat, ALICE, "/start")
            (welcome,) = await api.wait_calls("sendMessage", 1)
            assert welcome.params["text"] == core_wording.welcome()

            # A photo whose caption is the first instruction: the photo back, then the edit.
            updates.photo(chat, ALICE, face, caption="give him a mohawk")
            ready, edited = await api.wait_calls("sendPhoto", 2)
            assert api.downloads == [api.sent("getFile")[0].params["file_id"]]  # one download: the largest size
            assert api.files[api.downloads[0]] == face[-1]
            assert any(c.params["action"] == "upload_photo" for c in api.sent("sendChatAction"))
            assert "mohawk" not in ready.params["caption"] and "mohawk" in edited.params["caption"]
            assert Image.open(io.BytesIO(edited.files["photo"])).format == "JPEG"
            keys = buttons(edited)
            assert list(keys) == ["More", "Less", "Undo", "Redo", "Reset", "Face only", "Full size"]
            assert all(len(payload.encode()) <= 64 for payload in keys.values())
            summary = store.history(alice)
            assert ButtonPayload.decode(keys["Undo"]) == ButtonPayload("undo", summary.session_id, summary.version)
            assert len(summary.active_edits) == 1

            # "more" in words: a new picture, the edit rescaled.
            updates.text(chat, ALICE, "more")
            (_, _, stronger) = await api.wait_calls("sendPhoto", 3)
            assert store.history(alice).active_edits[0].scale > 1

            # Undo under the latest picture edits that message in place, with buttons for the new version.
            updates.press(chat, ALICE, stronger.result, buttons(stronger)["Undo"])
            (media,) = await api.wait_calls("editMessageMedia", 1)
            assert int(media.params["message_id"]) == stronger.result["message_id"]
            after_undo = store.history(alice)
            assert ButtonPayload.decode(buttons(media)["Redo"]).version == after_undo.version
            assert after_undo.active_edits == () and after_undo.can_redo
            assert len(api.sent("answerCallbackQuery")) == 1

            # Full size: the PNG of that picture, as a file.
            updates.press(chat, ALICE, media.result, FULL_SIZE_PAYLOAD)
            (document,) = await api.wait_calls("sendDocument", 1)
            png = Image.open(io.BytesIO(document.files["document"]))
            assert png.format == "PNG" and png.size == (512, 512)  # the photo sent, with the face edited

            # An outdated button (the first edit's picture) changes nothing and says so to the presser only.
            updates.press(chat, ALICE, edited.result, buttons(edited)["Reset"])
            answers = await api.wait_calls("answerCallbackQuery", 3)
            assert answers[-1].params["text"] == core_wording.OUTDATED_BUTTON
            assert store.history(alice).version == after_undo.version

            # A button that is not ours, a sticker, a huge file, a non-image file: friendly refusals.
            updates.press(chat, ALICE, edited.result, "something-else")
            answers = await api.wait_calls("answerCallbackQuery", 4)
            assert answers[-1].params["text"] == core_wording.BAD_BUTTON
            updates.sticker(chat, ALICE)
            updates.document(chat, ALICE, b"%PDF-1.4", "application/pdf")
            updates.document(chat, ALICE, face[-1], "image/png", size=30 * 2**20)
            texts = [c.params["text"] for c in await api.wait_calls("sendMessage", 4)][1:]
            assert texts[:2] == [NOT_AN_IMAGE, NOT_AN_IMAGE]
            assert "30.0 MB" in texts[2] and "20 MB" in texts[2]
            assert len(api.sent("getFile")) == 1  # nothing fetched for the refused files

            # /redo as a command: the edit is back, as a new picture.
            updates.text(chat, ALICE, "/redo")
            await api.wait_calls("sendPhoto", 4)
            assert [e.text for e in store.history(alice).active_edits] == ["give him a mohawk"]

            # A command outside the menu goes to the core as well.
            updates.text(chat, ALICE, "/drop mohawk")
            (*_, dropped) = await api.wait_calls("sendPhoto", 5)
            assert dropped.params["caption"].startswith("Dropped: give him a mohawk")
            assert store.history(alice).active_edits == ()
            assert len(api.sent("answerCallbackQuery")) == 4  # every query answered, once

    asyncio.run(scenario())


def test_group_two_people_each_with_their_own_session(tmp_path, models, face):
    async def scenario():
        async with running(tmp_path, models) as (api, updates, store):
            alice = Person("telegram", str(GROUP["id"]), str(ALICE["id"]))
            bob = Person("telegram", str(GROUP["id"]), str(BOB["id"]))

            # Not addressed to the bot: ignored. Mentioned: handled, as an answer to the person's message.
            updates.photo(GROUP, ALICE, face)
            updates.text(GROUP, BOB, "purple hair")
            mentioned = updates.photo(GROUP, ALICE, face, caption=f"@{BOT_USERNAME}")
            (alice_photo,) = await api.wait_calls("sendPhoto", 1)
            assert alice_photo.params["reply_parameters"]["message_id"] == mentioned["message"]["message_id"]
            assert len(api.downloads) == 1

            updates.photo(GROUP, BOB, face, caption=f"@{BOT_USERNAME} give him a mohawk")
            await api.wait_calls("sendPhoto", 3)

            # Alice answers her own picture: that addresses the bot without a mention.
            updates.text(GROUP, ALICE, "give him an afro", reply_to=alice_photo.result)
            (*_, alice_edit) = await api.wait_calls("sendPhoto", 4)
            assert "afro" in alice_edit.params["caption"]

            # Bob presses Alice's Undo: her picture stays, and only Bob is told (in the query's answer).
            updates.press(GROUP, BOB, alice_edit.result, buttons(alice_edit)["Undo"])
            (answer,) = await api.wait_calls("answerCallbackQuery", 1)
            assert answer.params["text"] in (core_wording.OLD_PHOTO_BUTTON, core_wording.OUTDATED_BUTTON)
            assert api.sent("editMessageMedia") == []

            updates.text(GROUP, BOB, f"/undo@{BOT_USERNAME}")
            await api.wait_calls("sendPhoto", 5)
            assert [e.text for e in store.history(alice).active_edits] == ["give him an afro"]
            assert store.history(bob).active_edits == ()
            assert store.history(alice).session_id != store.history(bob).session_id

    asyncio.run(scenario())


def test_words_right_after_a_photo_wait_for_its_download(tmp_path, models, face):
    async def scenario():
        async with running(tmp_path, models) as (api, updates, _):
            api.download_delay = 0.5
            chat = private_chat(ALICE)
            updates.photo(chat, ALICE, face)
            updates.text(chat, ALICE, "give him a mohawk")  # arrives while the photo is still downloading
            _, edited = await api.wait_calls("sendPhoto", 2)
            assert "mohawk" in edited.params["caption"]
            assert api.sent("sendMessage") == []  # no "send me a photo first"

    asyncio.run(scenario())


def test_an_image_sent_as_a_file_is_taken_uncompressed(tmp_path, models):
    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, "PNG")

    async def scenario():
        async with running(tmp_path, models) as (api, updates, store):
            updates.document(private_chat(BOB), BOB, buf.getvalue(), "image/png")
            (photo,) = await api.wait_calls("sendPhoto", 1)
            assert api.files[api.downloads[0]] == buf.getvalue()
            assert photo.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "More"
            assert store.history(Person("telegram", str(BOB["id"]), str(BOB["id"]))).edits == ()

    asyncio.run(scenario())


def test_flood_limit_429_is_waited_out_and_retried(tmp_path, models):
    async def scenario():
        async with running(tmp_path, models) as (api, updates, _):
            api.fail_once("sendMessage", retry_after=1)
            updates.text(private_chat(BOB), BOB, "/help")
            (delivered,) = await api.wait_calls("sendMessage", 1)
            (rejected,) = api.rejected
            assert delivered.params["text"] == rejected.params["text"] == core_wording.HELP
            assert delivered.at - rejected.at >= 1.0  # Telegram's retry_after was honoured

    asyncio.run(scenario())


def test_status_message_shows_optimization_progress_then_goes(tmp_path, models, face, monkeypatch):
    monkeypatch.setattr(models.editor, "settings", OptimizationSettings(steps=6))
    monkeypatch.setattr(models.editor.router, "tables", None)  # no global directions: words optimize

    async def scenario():
        async with running(tmp_path, models) as (api, updates, store):
            chat = private_chat(ALICE)
            updates.photo(chat, ALICE, face)
            await api.wait_calls("sendPhoto", 1)
            updates.text(chat, ALICE, "smile")
            (_, result) = await api.wait_calls("sendPhoto", 2)
            assert "optimization, 6 steps" in result.params["caption"]
            (status,) = api.sent("sendMessage")
            assert status.params["text"].startswith("No quick method fits, so I'm optimizing")
            status_id = status.result["message_id"]
            edits = api.sent("editMessageText")
            assert all(int(c.params["message_id"]) == status_id for c in edits)
            assert (edits[-1].params["text"] if edits else status.params["text"]).endswith("of 6...")
            (deleted,) = await api.wait_calls("deleteMessage", 1)  # gone once the picture is there
            assert int(deleted.params["message_id"]) == status_id and deleted.at > result.at
            (edit,) = store.history(Person("telegram", str(ALICE["id"]), str(ALICE["id"]))).edits
            assert edit.method == "optimization"

    asyncio.run(scenario())


def test_webhook_mode_takes_updates_with_the_secret_only(tmp_path, models):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    webhook = {"webhook_url": "https://bot.example.org/tg/hook", "webhook_port": port,
               "webhook_listen": "127.0.0.1", "webhook_secret": "hook-secret-123"}

    async def scenario():
        async with running(tmp_path, models, **webhook) as (api, updates, _):
            (hook,) = api.sent("setWebhook")
            assert hook.params["url"] == webhook["webhook_url"]
            assert hook.params["secret_token"] == webhook["webhook_secret"]
            updates.text(private_chat(BOB), BOB, "/help")
            update = api.updates.get_nowait()  # delivered by POST this time, not by getUpdates
            async with httpx.AsyncClient() as client:
                url = f"http://127.0.0.1:{port}/tg/hook"
                forged = await client.post(url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"})
                assert forged.status_code == 403
                real = await client.post(url, json=update,
                                         headers={"X-Telegram-Bot-Api-Secret-Token": webhook["webhook_secret"]})
                assert real.status_code == 200
            (answer,) = await api.wait_calls("sendMessage", 1)
            assert answer.params["text"] == core_wording.HELP

    asyncio.run(scenario())


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert TelegramSettings.from_env() is None
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("TELEGRAM_DOWNLOAD_LIMIT_MB", "2000")
    settings = TelegramSettings.from_env()
    assert settings.base_url == "http://127.0.0.1:8081/bot" and settings.base_file_url is None
    assert settings.download_limit == 2000 * 2**20 and settings.webhook_url is None
    store = SessionStore(create_engine("sqlite://"))  # an unused in-memory database
    bot = TelegramBot(Conversation(None, store), settings)  # building touches no network
    assert bot.application.bot.base_url == f"http://127.0.0.1:8081/bot{TOKEN}"


def test_the_photo_comes_back_at_its_own_size_with_only_the_face_edited(tmp_path, models):
    """A photo wider than the face, through the real Application: each answer's full-size file is the photo."""
    import numpy as np

    wide = np.empty((600, 900, 3), np.uint8)
    wide[...] = np.linspace(40, 200, 900, dtype=np.uint8)[None, :, None]
    wide[40:552, 300:812] = data.astronaut()
    buf = io.BytesIO()
    Image.fromarray(wide).save(buf, "JPEG", quality=90)
    sent = buf.getvalue()
    original = np.asarray(Image.open(io.BytesIO(sent)).convert("RGB"))
    face, far = (slice(130, 200), slice(490, 550)), (slice(420, None), slice(None))

    async def full_size(api, updates, chat, message, count):
        updates.press(chat, ALICE, message, FULL_SIZE_PAYLOAD)
        documents = await api.wait_calls("sendDocument", count)
        return np.asarray(Image.open(io.BytesIO(documents[-1].files["document"])).convert("RGB"))

    async def scenario():
        async with running(tmp_path, models) as (api, updates, _):
            chat = private_chat(ALICE)
            updates.photo(chat, ALICE, [sent])
            (ready,) = await api.wait_calls("sendPhoto", 1)
            assert Image.open(io.BytesIO(ready.files["photo"])).size == (900, 600)
            first = await full_size(api, updates, chat, ready.result, 1)

            updates.text(chat, ALICE, "give him a mohawk")
            (_, edited) = await api.wait_calls("sendPhoto", 2)
            mohawk = await full_size(api, updates, chat, edited.result, 2)

            updates.press(chat, ALICE, edited.result, buttons(edited)["Face only"])
            (*_, crop) = await api.wait_calls("sendPhoto", 3)
            assert Image.open(io.BytesIO(crop.files["photo"])).size == (models.generator.img_resolution,) * 2
            assert api.sent("editMessageMedia") == []  # the face comes as a picture of its own

            updates.text(chat, ALICE, "undo")
            (*_, undone) = await api.wait_calls("sendPhoto", 4)
            back = await full_size(api, updates, chat, undone.result, 3)
            return first, mohawk, back

    first, mohawk, back = asyncio.run(scenario())
    for picture in (first, mohawk, back):
        assert picture.shape == original.shape
        assert np.array_equal(picture[far], original[far]) and np.array_equal(picture[:, :250], original[:, :250])
    assert not np.array_equal(mohawk[face], first[face])
    assert np.array_equal(back, first)


class NoWait:
    """The retry's sleep: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def quick_retry(waits: NoWait, attempts: int = 4) -> Retry:
    return Retry(network_trouble, attempts=attempts, first_s=0.5, jitter=0.0, sleep=waits)


def test_a_reset_photo_download_is_tried_again(tmp_path, models, face):
    waits = NoWait()

    async def scenario():
        async with running(tmp_path, models, retry=quick_retry(waits)) as (api, updates, store):
            api.reset("getFile")
            api.reset(DOWNLOAD, times=2)
            updates.photo(private_chat(ALICE), ALICE, face)
            await api.wait_calls("sendPhoto", 1)
            assert api.dropped == ["getFile", DOWNLOAD, DOWNLOAD]
            assert api.files[api.downloads[-1]] == face[-1]
            assert waits.waits == [0.5, 1.0, 2.0]  # 0.5 s, then doubling: three failures, the fourth try works
            assert api.sent("sendMessage") == []
            assert store.history(Person("telegram", str(ALICE["id"]), str(ALICE["id"]))).edits == ()

    asyncio.run(scenario())


def test_a_photo_that_cannot_be_fetched_is_asked_for_again(tmp_path, models, face):
    waits = NoWait()

    async def scenario():
        async with running(tmp_path, models, retry=quick_retry(waits, attempts=3)) as (api, updates, _):
            api.reset(DOWNLOAD, times=3)
            updates.photo(private_chat(ALICE), ALICE, face, caption="purple hair")
            (answer,) = await api.wait_calls("sendMessage", 1)
            assert answer.params["text"] == core_wording.PHOTO_NOT_FETCHED
            assert api.dropped == [DOWNLOAD] * 3 and waits.waits == [0.5, 1.0]
            assert api.sent("sendPhoto") == []
            # The person sends it again and it arrives.
            updates.photo(private_chat(ALICE), ALICE, face)
            await api.wait_calls("sendPhoto", 1)

    asyncio.run(scenario())


def test_a_reset_reply_is_sent_again_and_a_lost_one_is_said_or_logged(tmp_path, models, face, caplog):
    waits = NoWait()

    async def scenario():
        async with running(tmp_path, models, retry=quick_retry(waits, attempts=2)) as (api, updates, _):
            chat = private_chat(BOB)
            api.reset("sendPhoto")
            updates.photo(chat, BOB, face)
            (photo,) = await api.wait_calls("sendPhoto", 1)
            assert api.dropped == ["sendPhoto"] and photo.params["reply_markup"]

            # Both tries of the picture fail: a short note says so instead.
            api.reset("sendPhoto", times=2)
            updates.text(chat, BOB, "purple hair")
            (note,) = await api.wait_calls("sendMessage", 1)
            assert note.params["text"] == core_wording.ANSWER_NOT_SENT
            assert len(api.sent("sendPhoto")) == 1

            # When even the note cannot be sent, the loss is logged.
            api.reset("sendMessage", times=4)  # both tries of the answer, both of the note
            updates.text(chat, BOB, "/help")
            await api.wait_for(lambda: api.dropped.count("sendMessage") == 4)

            async def logged() -> None:
                while not any("lost, and the note saying so too" in r.getMessage() for r in caplog.records):
                    await asyncio.sleep(0.01)

            await asyncio.wait_for(logged(), 30)
            assert [c.params["text"] for c in api.sent("sendMessage")] == [core_wording.ANSWER_NOT_SENT]

    asyncio.run(scenario())


def test_cancel_button_on_the_status_line_stops_the_optimization(tmp_path, models, face, monkeypatch):
    monkeypatch.setattr(models.editor, "settings", OptimizationSettings(steps=100_000))
    monkeypatch.setattr(models.editor.router, "tables", None)  # no global directions: words optimize

    async def scenario():
        async with running(tmp_path, models) as (api, updates, store):
            chat = private_chat(ALICE)
            alice = Person("telegram", str(ALICE["id"]), str(ALICE["id"]))
            updates.photo(chat, ALICE, face)
            await api.wait_calls("sendPhoto", 1)
            before = store.history(alice)
            updates.text(chat, ALICE, "smile")
            (status,) = await api.wait_calls("sendMessage", 1)
            assert buttons(status) == {"Cancel": CANCEL_PAYLOAD}

            updates.press(chat, BOB, status.result, CANCEL_PAYLOAD)  # someone else's press stops nothing
            (refused,) = await api.wait_calls("answerCallbackQuery", 1)
            assert refused.params["text"] == core_wording.NOTHING_TO_STOP

            updates.press(chat, ALICE, status.result, CANCEL_PAYLOAD)
            (_, stopped) = await api.wait_calls("sendMessage", 2)
            assert stopped.params["text"] == core_wording.CANCELLED
            (_, answer) = await api.wait_calls("answerCallbackQuery", 2)
            assert "text" not in answer.params
            (deleted,) = await api.wait_calls("deleteMessage", 1)
            assert int(deleted.params["message_id"]) == status.result["message_id"]
            after = store.history(alice)
            assert (after.version, after.edits) == (before.version, before.edits)

            updates.text(chat, ALICE, "/cancel")  # nothing runs now
            (*_, nothing) = await api.wait_calls("sendMessage", 3)
            assert nothing.params["text"] == core_wording.NOTHING_TO_STOP

    asyncio.run(scenario())


def test_an_album_uses_its_first_photo_and_says_so(tmp_path, models, face):
    async def scenario():
        async with running(tmp_path, models) as (api, updates, store):
            chat = private_chat(BOB)
            first = updates.photo(chat, BOB, face, caption="purple hair", album="album-1")
            updates.photo(chat, BOB, [face[0]], album="album-1")
            updates.photo(chat, BOB, [face[0]], album="album-1")
            (note,) = await api.wait_calls("sendMessage", 1)
            assert note.params["text"] == core_wording.ALBUM_FIRST_ONLY
            _, edited = await api.wait_calls("sendPhoto", 2)
            assert "purple hair" in edited.params["caption"]
            largest = first["message"]["photo"][-1]["file_id"]
            assert api.downloads == [largest]  # the other photos were not even fetched
            bob = Person("telegram", str(BOB["id"]), str(BOB["id"]))
            assert [e.text for e in store.history(bob).edits] == ["purple hair"]
            # A later album is an album of its own.
            updates.photo(chat, BOB, face, album="album-2")
            updates.photo(chat, BOB, face, album="album-2")
            await api.wait_calls("sendPhoto", 3)
            assert len(api.sent("sendMessage")) == 2 and len(api.downloads) == 2

    asyncio.run(scenario())
