"""The discord.py client with its real CommandTree, views and ConnectionState, fed interaction and message
payloads as Discord sends them, in front of the real core (demo engine, SQLite store); HTTP is faked."""

from __future__ import annotations

import asyncio
import contextlib
import io

import discord
import pytest
from PIL import Image
from skimage import data

from bot.adapters.discord import NOT_AN_IMAGE, NOT_YOURS, DiscordBot, network_trouble
from bot.adapters.retry import Retry
from bot.core import ButtonPayload, Conversation, Person
from bot.core import wording as core_wording
from bot.sessions import SessionStore
from engine.editing import OptimizationSettings
from engine.service import Engine, EngineConfig
from tests.core.helpers import shared_models

from .fake_discord import APPLICATION_ID, BOT_USER, CHANNEL_ID, FakeDiscord, attachment, dm, press, slash, user

ALICE, BOB = user(111111111111111111, "Alice"), user(222222222222222222, "Bob")
EPHEMERAL = 64


@pytest.fixture(scope="module")
def models():
    return shared_models()  # built once for the whole test session


@pytest.fixture(scope="module")
def face() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, "JPEG", quality=90)
    return buf.getvalue()


async def started(conversation: Conversation, fake: FakeDiscord, **options) -> DiscordBot:
    """A client as after login: loop and state set up, setup_hook run (no gateway, no command sync)."""
    bot = DiscordBot(conversation, sync_commands=False, **options)
    fake.attach(bot)
    bot._connection.user = discord.ClientUser(state=bot._connection, data=BOT_USER)  # what READY sets
    bot._connection.application_id = APPLICATION_ID
    await bot._async_setup_hook()
    await bot.setup_hook()
    return bot


@contextlib.asynccontextmanager
async def core(tmp_path, models):
    store = SessionStore.open(f"sqlite:///{tmp_path / 'sessions.sqlite3'}")
    engine = Engine(lambda: models, EngineConfig(max_wait_s=0.0, ask_above_s=float("inf")))  # never ask
    try:
        yield Conversation(engine, store), store
    finally:
        await engine.close()
        store.close()


def custom_ids(request) -> dict[str, str]:
    """label -> custom_id of the buttons a message was sent with."""
    return {c["label"]: c["custom_id"] for row in request.payload.get("components", []) for c in row["components"]}


def test_slash_edit_defers_follows_up_and_buttons_survive_a_restart(tmp_path, models, face):
    async def scenario():
        fake = FakeDiscord()
        fake.install()
        async with core(tmp_path, models) as (conversation, store):
            alice = Person("discord", str(CHANNEL_ID), ALICE["id"])
            bot = await started(conversation, fake)
            assert {c.name for c in bot.tree.get_commands()} == {
                "edit", "undo", "redo", "reset", "history", "compare", "privacy", "forget", "more", "less", "drop",
                "cancel"}

            photo = attachment(fake, face, "image/jpeg")
            bot._connection.parse_interaction_create(slash(ALICE, "edit", image=photo, prompt="give him a mohawk"))
            ready, edited = await fake.wait_count("POST", "/webhooks/", 2)
            (callback,) = fake.matching("POST", "/callback")
            assert callback.payload["type"] == 5  # deferred ("thinking..."), before any work
            assert fake.requests.index(callback) < fake.requests.index(ready)
            assert fake.downloads == [photo["url"]]
            assert "mohawk" in edited.payload["content"] and "mohawk" not in ready.payload["content"]
            (png_name,) = edited.files
            assert png_name.endswith(".png")
            assert Image.open(io.BytesIO(edited.files[png_name])).size == (512, 512)  # the photo sent, face edited
            ids = custom_ids(edited)
            assert list(ids) == ["More", "Less", "Undo", "Redo", "Reset", "Face only"]
            summary = store.history(alice)
            payload, owner = ids["Undo"].split("@")
            assert ButtonPayload.decode(payload) == ButtonPayload("undo", summary.session_id, summary.version)
            assert owner == ALICE["id"] and all(len(i) <= 100 for i in ids.values())

            # Bob may not press Alice's buttons: a private note, nothing changes.
            bot._connection.parse_interaction_create(press(BOB, edited.result, ids["Undo"]))
            (_, note) = await fake.wait_count("POST", "/callback", 2)
            assert note.payload["type"] == 4  # an immediate message, not a deferral
            assert note.payload["data"]["content"] == NOT_YOURS and note.payload["data"]["flags"] == EPHEMERAL
            assert store.history(alice).version == summary.version

            # A new client (the bot restarted): Alice's old buttons still work.
            await bot.close()
            restarted = await started(conversation, fake)
            restarted._connection.parse_interaction_create(press(ALICE, edited.result, ids["Undo"]))
            (edit,) = await fake.wait_count("PATCH", "/messages/@original", 1)
            (*_, deferred) = fake.matching("POST", "/callback")
            assert deferred.payload["type"] == 6  # deferred update of the message the button is on
            after = store.history(alice)
            assert after.active_edits == () and after.can_redo
            assert ButtonPayload.decode(custom_ids(edit)["Redo"].split("@")[0]).version == after.version
            assert len(edit.files) == 1

            # The same (now outdated) button again: only Alice hears about it.
            restarted._connection.parse_interaction_create(press(ALICE, edited.result, ids["Reset"]))
            (*_, outdated) = await fake.wait_count("POST", "/webhooks/", 3)
            assert outdated.payload["content"] == core_wording.OUTDATED_BUTTON
            assert outdated.payload["flags"] == EPHEMERAL

            # "Face only": the crop comes as a message of its own; the picture it was pressed under stays.
            restarted._connection.parse_interaction_create(press(ALICE, edit.result, custom_ids(edit)["Face only"]))
            (*_, crop) = await fake.wait_count("POST", "/webhooks/", 4)
            assert crop.payload["content"] == core_wording.FACE_ONLY
            (crop_file,) = crop.files.values()
            assert Image.open(io.BytesIO(crop_file)).size == (models.generator.img_resolution,) * 2
            assert len(fake.matching("PATCH", "/messages/@original")) == 1
            await restarted.close()

    asyncio.run(scenario())


def test_commands_and_refusals(tmp_path, models, face):
    async def scenario():
        fake = FakeDiscord()
        fake.install()
        async with core(tmp_path, models) as (conversation, _):
            bot = await started(conversation, fake)
            state = bot._connection

            too_big = attachment(fake, face, "image/jpeg", size=11 * 2**20)
            state.parse_interaction_create(slash(ALICE, "edit", image=too_big, prompt="purple hair"))
            video = attachment(fake, b"....", "video/mp4")
            state.parse_interaction_create(slash(ALICE, "edit", image=video, prompt="purple hair"))
            first, second = await fake.wait_count("POST", "/callback", 2)
            texts = sorted([first.payload["data"]["content"], second.payload["data"]["content"]])
            assert texts[0] == NOT_AN_IMAGE and "11.0 MB" in texts[1] and "10 MB" in texts[1]
            assert first.payload["data"]["flags"] == second.payload["data"]["flags"] == EPHEMERAL
            assert fake.downloads == []

            state.parse_interaction_create(slash(BOB, "undo"))
            (answer,) = await fake.wait_count("POST", "/webhooks/", 1)
            assert answer.payload["content"] == core_wording.ASK_FOR_PHOTO
            state.parse_interaction_create(slash(BOB, "forget"))
            await fake.wait_count("POST", "/webhooks/", 2)
            state.parse_interaction_create(slash(BOB, "forget", confirm=True))
            (*_, done) = await fake.wait_count("POST", "/webhooks/", 3)
            assert done.payload["content"] == core_wording.forgotten(0)
            await bot.close()

    asyncio.run(scenario())


def test_direct_messages_take_photos_and_free_text(tmp_path, models, face):
    async def scenario():
        fake = FakeDiscord()
        fake.install()
        async with core(tmp_path, models) as (conversation, store):
            bot = await started(conversation, fake)
            state = bot._connection
            message = dm(ALICE, attachments=[attachment(fake, face, "image/jpeg")])
            alice = Person("discord", message["channel_id"], ALICE["id"])

            # The words arrive while the photo is still downloading: they are handled after it all the same.
            fake.cdn_delay = 0.5
            state.parse_message_create(message)
            state.parse_message_create(dm(ALICE, "give him an afro"))
            (photo, edited) = await fake.wait_count("POST", "/messages", 2)
            assert photo.url.endswith(f"/channels/{message['channel_id']}/messages")
            assert list(custom_ids(photo)) == ["More", "Less", "Undo", "Redo", "Reset", "Face only"]
            assert len(photo.files) == 1
            assert fake.matching("POST", "/typing")
            assert "afro" in edited.payload["content"]
            assert [e.text for e in store.history(alice).active_edits] == ["give him an afro"]

            state.parse_message_create(dm(ALICE, attachments=[attachment(fake, b"%PDF", "application/pdf")]))
            (*_, refusal) = await fake.wait_count("POST", "/messages", 3)
            assert refusal.payload["content"] == NOT_AN_IMAGE
            await bot.close()

    asyncio.run(scenario())


def test_progress_edits_the_deferred_message_then_removes_it(tmp_path, models, face, monkeypatch):
    monkeypatch.setattr(models.editor.router, "tables", None)  # no global directions: words optimize

    async def scenario():
        fake = FakeDiscord()
        fake.install()
        async with core(tmp_path, models) as (conversation, _):
            bot = await started(conversation, fake)
            photo = attachment(fake, face, "image/jpeg")
            bot._connection.parse_interaction_create(slash(ALICE, "edit", image=photo, prompt="smile"))
            (deleted,) = await fake.wait_count("DELETE", "/messages/@original", 1)
            progress = fake.matching("PATCH", "/messages/@original")
            assert progress and all("optimizing" in p.payload["content"] for p in progress)
            _, edited = fake.matching("POST", "/webhooks/")
            assert "optimization" in edited.payload["content"]
            order = [fake.requests.index(r) for r in (progress[0], edited, deleted)]
            assert order == sorted(order)
            await bot.close()

    asyncio.run(scenario())


def test_a_reset_attachment_download_is_tried_again_then_asked_for(tmp_path, models, face):
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    async def scenario():
        fake = FakeDiscord()
        fake.install()
        async with core(tmp_path, models) as (conversation, _):
            retry = Retry(network_trouble, attempts=3, first_s=0.5, jitter=0.0, sleep=no_wait)
            bot = await started(conversation, fake, retry=retry)
            state = bot._connection

            fake.drop_downloads(2)
            state.parse_message_create(dm(ALICE, attachments=[attachment(fake, face, "image/jpeg")]))
            (photo,) = await fake.wait_count("POST", "/messages", 1)
            assert len(fake.dropped) == 2 and len(fake.downloads) == 1 and waits == [0.5, 1.0]
            assert list(custom_ids(photo)) == ["More", "Less", "Undo", "Redo", "Reset", "Face only"]

            fake.drop_downloads(3)
            state.parse_message_create(dm(BOB, attachments=[attachment(fake, face, "image/jpeg")]))
            (_, note) = await fake.wait_count("POST", "/messages", 2)
            assert note.payload["content"] == core_wording.PHOTO_NOT_FETCHED and not note.files

            fake.drop_downloads(3)
            photo = attachment(fake, face, "image/jpeg")
            state.parse_interaction_create(slash(BOB, "edit", image=photo, prompt="purple hair"))
            (answer,) = await fake.wait_count("POST", "/webhooks/", 1)
            assert answer.payload["content"] == core_wording.PHOTO_NOT_FETCHED
            assert len(fake.dropped) == 8
            await bot.close()

    asyncio.run(scenario())


def test_more_less_drop_and_cancel_commands(tmp_path, models, face, monkeypatch):
    async def scenario():
        fake = FakeDiscord()
        fake.install()
        async with core(tmp_path, models) as (conversation, store):
            alice = Person("discord", str(CHANNEL_ID), ALICE["id"])
            bot = await started(conversation, fake)
            state = bot._connection
            photo = attachment(fake, face, "image/jpeg")
            state.parse_interaction_create(slash(ALICE, "edit", image=photo, prompt="give him a mohawk"))
            await fake.wait_count("POST", "/webhooks/", 2)

            state.parse_interaction_create(slash(ALICE, "more"))
            (*_, stronger) = await fake.wait_count("POST", "/webhooks/", 3)
            assert stronger.payload["content"].startswith("Stronger: give him a mohawk")
            state.parse_interaction_create(slash(ALICE, "less"))
            await fake.wait_count("POST", "/webhooks/", 4)
            assert store.history(alice).active_edits[0].scale == pytest.approx(1.0)

            state.parse_interaction_create(slash(ALICE, "drop", edit="mohawk"))
            (*_, dropped) = await fake.wait_count("POST", "/webhooks/", 5)
            assert dropped.payload["content"].startswith("Dropped: give him a mohawk")
            assert store.history(alice).active_edits == ()

            state.parse_interaction_create(slash(ALICE, "cancel"))
            (*_, nothing) = await fake.wait_count("POST", "/webhooks/", 6)
            assert nothing.payload["content"] == core_wording.NOTHING_TO_STOP

            # An optimization: its status line carries Cancel; only Alice's press stops it.
            monkeypatch.setattr(models.editor, "settings", OptimizationSettings(steps=100_000))
            monkeypatch.setattr(models.editor.router, "tables", None)  # no global directions: words optimize
            before = store.history(alice)
            photo = attachment(fake, face, "image/jpeg")
            state.parse_interaction_create(slash(ALICE, "edit", image=photo, prompt="smile"))
            progress = await fake.wait_for(lambda: [r for r in fake.matching("PATCH", "/messages/@original")
                                                    if custom_ids(r)])
            cancel = custom_ids(progress[0])["Cancel"]
            assert cancel == f"stop@{ALICE['id']}"
            session = store.history(alice)  # the new photo's session, before the optimization
            assert session.session_id != before.session_id

            state.parse_interaction_create(press(ALICE, progress[0].result, cancel))
            stopped = await fake.wait_for(lambda: [r for r in fake.matching("POST", "/webhooks/")
                                                   if r.payload.get("content") == core_wording.CANCELLED])
            assert len(stopped) == 1
            (deleted,) = await fake.wait_count("DELETE", "/messages/@original", 1)  # the stopped /edit's progress
            assert deleted.url == progress[0].url
            after = store.history(alice)
            assert (after.session_id, after.version, after.edits) == (session.session_id, session.version, ())
            await bot.close()

    asyncio.run(scenario())


def test_several_attachments_use_the_first_photo_and_say_so(tmp_path, models, face):
    async def scenario():
        fake = FakeDiscord()
        fake.install()
        async with core(tmp_path, models) as (conversation, _):
            bot = await started(conversation, fake)
            pdf = attachment(fake, b"%PDF", "application/pdf")
            first, second = attachment(fake, face, "image/jpeg"), attachment(fake, face, "image/png")
            bot._connection.parse_message_create(dm(ALICE, "purple hair", attachments=[pdf, first, second]))
            (note, _, edited) = await fake.wait_count("POST", "/messages", 3)
            assert note.payload["content"] == core_wording.ALBUM_FIRST_ONLY
            assert fake.downloads == [first["url"]]
            assert "purple hair" in edited.payload["content"]
            await bot.close()

    asyncio.run(scenario())
