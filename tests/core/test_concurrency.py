"""One message at a time per person, in order; different people at the same time."""

from __future__ import annotations

import asyncio

import pytest

from bot.core import TextEvent
from bot.core.turns import Turns
from tests.core.helpers import ALICE, BOB, open_store, run_chat, seed_session


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path)
    seed_session(store, ALICE)
    seed_session(store, BOB)
    yield store
    store.close()


class GatedEdits:
    """Wraps the engine's `edit` so chosen prompts wait for a gate, and records when each edit starts and ends."""

    def __init__(self, engine, held: str) -> None:
        self.log: list[tuple[str, str, str]] = []
        self.gate = asyncio.Event()
        self.held = held
        self._edit = engine.edit
        engine.edit = self

    async def __call__(self, state, instruction, caller, **options):
        self.log.append(("start", caller.user_id, instruction.target))
        try:
            if instruction.target == self.held:
                await self.gate.wait()
            return await self._edit(state, instruction, caller, **options)
        finally:
            self.log.append(("end", caller.user_id, instruction.target))

    async def started(self, user: str, target: str) -> None:
        while ("start", user, target) not in self.log:
            await asyncio.sleep(0.01)


def test_one_persons_messages_run_in_order_and_the_second_hears_it_waits(store):
    notes: dict[str, list[str]] = {"first": [], "second": []}

    def status(key):
        async def record(text: str) -> None:
            notes[key].append(text)
        return record

    async def script(chat):
        gated = GatedEdits(chat.engine, held="cute face")
        first = asyncio.create_task(chat.handle(TextEvent(ALICE, "make it cuter"), status("first")))
        await asyncio.wait_for(gated.started("alice", "cute face"), 30)
        second = asyncio.create_task(chat.handle(TextEvent(ALICE, "remove makeup"), status("second")))
        while not notes["second"]:  # long_wait_s=0: the waiting note comes at once
            await asyncio.sleep(0.01)
        assert ("start", "alice", "face without makeup") not in gated.log
        gated.gate.set()
        replies = await asyncio.wait_for(asyncio.gather(first, second), 60)
        return gated.log, replies

    log, (first, second) = run_chat(store, script, long_wait_s=0)
    assert log == [
        ("start", "alice", "cute face"), ("end", "alice", "cute face"),
        ("start", "alice", "face without makeup"), ("end", "alice", "face without makeup"),
    ]
    assert first[0].caption.startswith("Done: make it cuter")
    assert second[0].caption.startswith("Done: remove makeup")
    assert notes["second"] == ["Still working on your previous message; this one comes right after."]
    assert notes["first"] == []
    assert [e.text for e in store.history(ALICE).edits] == ["make it cuter", "remove makeup"]


def test_another_person_is_served_while_the_first_waits(store):
    async def script(chat):
        gated = GatedEdits(chat.engine, held="cute face")
        alice = asyncio.create_task(chat.handle(TextEvent(ALICE, "make it cuter")))
        await asyncio.wait_for(gated.started("alice", "cute face"), 30)
        bob = await asyncio.wait_for(chat.handle(TextEvent(BOB, "remove makeup")), 30)
        alice_waiting = not alice.done()
        gated.gate.set()
        return bob, await asyncio.wait_for(alice, 60), alice_waiting

    bob, alice, alice_was_waiting = run_chat(store, script)
    assert alice_was_waiting
    assert bob[0].caption.startswith("Done: remove makeup")
    assert alice[0].caption.startswith("Done: make it cuter")
    assert [e.text for e in store.history(BOB).edits] == ["remove makeup"]
    assert [e.text for e in store.history(ALICE).edits] == ["make it cuter"]


def test_turns_note_only_long_waits_and_forget_idle_people():
    now = [0.0]
    turns = Turns(long_wait_s=5, clock=lambda: now[0])
    heard: list[str] = []

    async def note() -> None:
        heard.append("waiting")

    async def main():
        release = asyncio.Event()

        async def holder():
            async with turns.turn("alice"):
                await release.wait()

        task = asyncio.create_task(holder())
        await asyncio.sleep(0)
        async with turns.turn("bob", note):  # someone else: no wait, no note
            pass
        quick = asyncio.create_task(_enter(turns, "alice", note))
        await asyncio.sleep(0)
        now[0] = 10.0  # the holder has now run long
        slow = asyncio.create_task(_enter(turns, "alice", note))
        await asyncio.sleep(0)
        assert turns.busy("alice")
        release.set()
        await asyncio.gather(task, quick, slow)
        assert not turns.busy("alice") and not turns.busy("bob")

    asyncio.run(main())
    assert heard == ["waiting"]


async def _enter(turns: Turns, who: str, note) -> None:
    async with turns.turn(who, note):
        pass
