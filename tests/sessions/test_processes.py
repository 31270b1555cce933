"""Two real bot processes on one PostgreSQL database: one person's messages, sent alternately to each, are
handled in the order sent, none lost or doubled, with the replies one process alone gives."""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core import Conversation, ImageReply, PhotoEvent, TextEvent
from bot.sessions import Person, SessionStore, migrate
from bot.sessions.database import make_engine
from tests.core.helpers import GENERATOR, astronaut, astronaut_latent, new_engine, open_store, run_chat

from .conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]
ALICE = Person("test", "chat-1", "alice")
WAIT_S = 60
# (process, message): each edit depends on the ones before ("more" strengthens the last, "undo" drops it)
SCRIPT = [
    ("a", "photo"),
    ("b", "make it cuter"),
    ("a", "remove makeup"),
    ("b", "more"),
    ("a", "add glasses"),
    ("b", "undo"),
]


class BotProcess:
    """`tests.support.bot_process` in a child process; its output lines arrive on a queue."""

    def __init__(self, url: str, engine: str | None = None, **env: str) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", "tests.support.bot_process", url, *(["--engine", engine] if engine else [])],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **env},  # two share the cores
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.answered: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.child.stdout is not None
        for line in self.child.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def next(self) -> dict[str, Any]:
        line = self.lines.get(timeout=WAIT_S)
        assert line is not None, f"the bot process ended early (exit status {self.child.wait()})"
        return line

    def wait_queued(self, number: int) -> None:
        """Wait until message `number` is in line; answers to earlier ones that come meanwhile are kept."""
        while (line := self.next()) != {"id": number, "queued": True}:
            assert "replies" in line, line
            self.answered.append(line)

    def send(self, message: dict[str, Any]) -> None:
        assert self.child.stdin is not None
        self.child.stdin.write(json.dumps(message) + "\n")
        self.child.stdin.flush()

    def finish(self) -> list[dict[str, Any]]:
        """Close its input and return every answer it gave, once it exits."""
        assert self.child.stdin is not None
        self.child.stdin.close()
        while (line := self.lines.get(timeout=WAIT_S)) is not None:
            self.answered.append(line)
        assert self.child.wait(WAIT_S) == 0
        return self.answered

    def kill(self) -> None:
        if self.child.poll() is None:
            self.child.kill()
            self.child.wait()


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    with fresh_database("postgresql", request, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)  # once, before the processes start (as `styleclip-bot db upgrade` would)
        engine.dispose()
        yield url


def one_process_captions(tmp_path: Path) -> list[list[str]]:
    """The same messages through one conversation on SQLite: the replies to expect."""
    store = open_store(tmp_path)

    async def script(chat) -> list[list[str]]:
        answers = []
        for _, message in SCRIPT:
            event = PhotoEvent(ALICE, astronaut()) if message == "photo" else TextEvent(ALICE, message)
            answers.append([_caption(reply) for reply in await chat.handle(event)])
        return answers

    try:
        return run_chat(store, script)
    finally:
        store.close()


def _caption(reply) -> str:
    return reply.caption if isinstance(reply, ImageReply) else reply.text


def test_one_persons_messages_alternating_between_two_processes_stay_in_order(database, tmp_path):
    answers = alternate({"a": BotProcess(database), "b": BotProcess(database)}, tmp_path)
    assert_in_order(database)
    expected = one_process_captions(tmp_path)
    got = [[reply.get("caption", reply.get("text")) for reply in answers[number]] for number in range(len(SCRIPT))]
    assert got == expected


def test_two_bot_processes_on_one_remote_engine_keep_one_persons_order(engine_server, database, tmp_path):
    """The same, with both processes drawing through one Ray Serve engine (thin bots, as deployed)."""
    env = {"STYLECLIP_ENGINE_URL": engine_server.url, "STYLECLIP_ENGINE_TOKEN": engine_server.token}
    bots = {side: BotProcess(database, "tests.support.bot_process:remote_engine", **env) for side in ("a", "b")}
    answers = alternate(bots, tmp_path)
    assert_in_order(database)
    captions = [answers[number][0].get("caption") for number in range(len(SCRIPT))]
    assert all(captions), answers  # every message answered with a picture, none with an error
    assert "global direction" in captions[1] and captions[5].startswith("Undone: add glasses")


def alternate(bots: dict[str, BotProcess], tmp_path: Path) -> dict[int, list[dict[str, str]]]:
    """Send SCRIPT to the bot processes, each message once the one before is in line; their answers by number."""
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(astronaut())
    try:
        for bot in bots.values():
            assert bot.next() == {"ready": True}
        for number, (side, message) in enumerate(SCRIPT):
            content = {"photo": str(photo)} if message == "photo" else {"text": message}
            bots[side].send({"id": number, "person": list(vars(ALICE).values()), **content})
            bots[side].wait_queued(number)  # the next goes out once this one is in line, not once answered
        lines = [line for bot in bots.values() for line in bot.finish()]
    finally:
        for bot in bots.values():
            bot.kill()

    answers = {line["id"]: line["replies"] for line in lines}
    assert len(lines) == len(SCRIPT) and sorted(answers) == list(range(len(SCRIPT)))  # one answer each
    return answers


def assert_in_order(database: str) -> None:
    """The session holds SCRIPT's edits in the order sent: "more" met "remove makeup", "undo" took the glasses."""
    store = SessionStore.open(database, upgrade=False)
    try:
        edits = store.history(ALICE).edits
        assert store.count_sessions(ALICE) == 1
    finally:
        store.close()
    assert [(edit.text, edit.active) for edit in edits] == [
        ("make it cuter", True),
        ("remove makeup", True),
        ("add glasses", False),
    ]
    assert [edit.scale > 1 for edit in edits] == [False, True, False]  # "more" met "remove makeup"


def test_a_message_waiting_in_a_busy_process_keeps_its_place_ahead_of_a_later_one_elsewhere(database):
    """A runs "make it cuter" (held); "remove makeup" comes to A too, then "more" to idle B: "more" must wait
    for "remove makeup" and strengthen it. (Two conversations on two engines stand for the two processes.)"""
    stores = [SessionStore.open(database, upgrade=False) for _ in range(2)]
    stores[0].start(ALICE, astronaut_latent(), GENERATOR)

    async def main() -> None:
        a, b = (Conversation(new_engine(), store) for store in stores)
        gate, edit = asyncio.Event(), a.engine.edit

        async def held_edit(state, instruction, caller, **options):
            if instruction.target == "cute face":
                await gate.wait()
            return await edit(state, instruction, caller, **options)

        a.engine.edit = held_edit  # type: ignore[method-assign]
        try:
            async def sent(chat: Conversation, text: str) -> asyncio.Task:
                """Send, and return once the message is in line (as an adapter would acknowledge it)."""
                before = chat.queue.taken
                task = asyncio.create_task(chat.handle(TextEvent(ALICE, text)))
                for _ in range(1000):
                    if chat.queue.taken != before:
                        return task
                    await asyncio.sleep(0.005)
                raise AssertionError(f"{text!r} did not get in line")

            tasks = [await sent(a, "make it cuter"), await sent(a, "remove makeup"), await sent(b, "more")]
            await asyncio.sleep(0.3)  # B polls meanwhile
            assert not any(task.done() for task in tasks)
            gate.set()
            answers = await asyncio.wait_for(asyncio.gather(*tasks), WAIT_S)
            captions = [_caption(replies[0]) for replies in answers]
            assert captions[0].startswith("Done: make it cuter") and captions[1].startswith("Done: remove makeup")
            assert captions[2].startswith("Stronger"), captions[2]
        finally:
            await a.engine.close()
            await b.engine.close()

    try:
        asyncio.run(main())
        edits = stores[0].history(ALICE).edits
    finally:
        for store in stores:
            store.close()
    assert [(edit.text, edit.scale > 1) for edit in edits] == [("make it cuter", False), ("remove makeup", True)]
