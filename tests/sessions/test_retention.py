"""forget deletes every row of a person; purge deletes idle sessions."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.sessions import Person, SessionStore, migrate
from bot.sessions.database import make_engine
from bot.sessions.purge import purge_periodically, while_purging

from .helpers import ALICE, BOB, kept_photo, latent, row_counts, style_edit, w_plus_edit

UNTOUCHED = {"accounts": 0, "usage": 0, "turn_tickets": 0}  # the store itself never counts requests or takes turns

def fill(store: SessionStore, person: Person, edits: int) -> None:
    store.start(person, latent(), "ffhq", photo=kept_photo(b"photo of " + person.user_id.encode()))
    for n in range(edits):
        store.append(person, w_plus_edit(n) if n % 2 else style_edit(n))


def test_forget_deletes_every_row_of_the_person_and_nothing_else(store: SessionStore) -> None:
    fill(store, BOB, 2)
    bob_rows = row_counts(store.engine)
    fill(store, ALICE, 3)
    fill(store, ALICE, 1)  # a second photo in the same chat
    fill(store, Person("telegram", "another-chat", "alice"), 2)
    fill(store, Person("discord", "chat-1", "alice"), 1)  # another platform: another account

    assert store.forget(ALICE) == 3
    assert row_counts(store.engine) == {
        table: bob_rows[table] + extra for table, extra in {"chat_sessions": 1, "edits": 1, "photos": 1}.items()
    } | UNTOUCHED
    assert store.forget(Person("discord", "chat-1", "alice")) == 1
    assert store.forget(BOB) == 1
    assert row_counts(store.engine) == {"chat_sessions": 0, "edits": 0, "photos": 0} | UNTOUCHED
    assert store.forget(BOB) == 0


def test_purge_deletes_sessions_idle_longer_than_the_retention(store: SessionStore, clock) -> None:
    fill(store, ALICE, 2)
    clock.advance(days=10)
    fill(store, BOB, 1)
    clock.advance(days=25)  # alice idle 35 days, bob 25

    assert store.purge_idle(timedelta(days=30)) == 1
    assert store.count_sessions(ALICE) == 0
    assert len(store.history(BOB).edits) == 1
    assert row_counts(store.engine) == {"chat_sessions": 1, "edits": 1, "photos": 1} | UNTOUCHED

    store.undo(BOB)  # using a session keeps it alive
    clock.advance(days=29)
    assert store.purge_idle(timedelta(days=30)) == 0
    clock.advance(days=2)
    assert store.purge_idle(timedelta(days=30)) == 1
    assert row_counts(store.engine) == {"chat_sessions": 0, "edits": 0, "photos": 0} | UNTOUCHED


def test_purge_reads_the_retention_from_the_environment(store: SessionStore, clock, monkeypatch) -> None:
    fill(store, ALICE, 1)
    clock.advance(days=3)
    monkeypatch.setenv("STYLECLIP_BOT_SESSION_RETENTION_DAYS", "5")
    assert store.purge_idle() == 0
    monkeypatch.setenv("STYLECLIP_BOT_SESSION_RETENTION_DAYS", "2.5")
    assert store.purge_idle() == 1


def test_forget_leaves_no_copy_of_the_data_in_the_sqlite_files(tmp_path) -> None:
    path = tmp_path / "sessions.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    store = SessionStore(engine)
    secret = b"PRIVATE-PHOTO-" + bytes(range(256)) * 8
    store.start(ALICE, latent(), "ffhq", photo=kept_photo(secret, identity=b"PRIVATE-FACE" * 100))
    store.append(ALICE, replace(w_plus_edit(1), text="PRIVATE-WORDS give me a mohawk"))
    fill(store, BOB, 1)

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("sessions.sqlite3"))

    assert secret in on_disk() and b"PRIVATE-WORDS" in on_disk() and b"PRIVATE-FACE" in on_disk()
    store.forget(ALICE)
    assert secret[:64] not in on_disk()
    assert b"PRIVATE-FACE" not in on_disk()
    assert b"PRIVATE-WORDS" not in on_disk()
    assert len(store.history(BOB).edits) == 1
    store.close()


def test_the_scheduled_purge_deletes_what_outlived_a_short_retention(store: SessionStore, clock) -> None:
    fill(store, ALICE, 1)
    clock.advance(minutes=90)
    fill(store, BOB, 1)  # fresh
    runs: list[int] = []

    async def main() -> None:
        done = asyncio.Event()

        def on_purge(deleted: int) -> None:
            runs.append(deleted)
            if len(runs) == 2:
                done.set()

        task = asyncio.create_task(
            purge_periodically(store, every=timedelta(milliseconds=1), max_idle=timedelta(hours=1), on_purge=on_purge)
        )
        await done.wait()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    assert runs == [1, 0]  # alice's idle session at the first run; nothing more at the second
    assert store.count_sessions(ALICE) == 0 and store.count_sessions(BOB) == 1
    assert row_counts(store.engine) == {"chat_sessions": 1, "edits": 1, "photos": 1} | UNTOUCHED


def test_the_bot_purges_before_it_serves(store: SessionStore, clock, monkeypatch) -> None:
    fill(store, ALICE, 1)
    clock.advance(hours=2)
    monkeypatch.setenv("STYLECLIP_BOT_SESSION_RETENTION_DAYS", str(1 / 24))  # one hour

    async def serve() -> int:
        return store.count_sessions(ALICE)  # what the bot would find on its first message

    assert asyncio.run(while_purging(store, serve(), every=timedelta(hours=1))) == 0
