"""The local chat, driven through its input and output streams, and `styleclip-bot run` in a real process."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bot.adapters.console import ConsoleChat
from bot.cli import main
from bot.core import Conversation, wording
from tests.core.helpers import astronaut, cat, new_engine, open_store, shared_models

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def photos(tmp_path) -> dict[str, Path]:
    paths = {"astronaut": tmp_path / "astro naut.jpg", "cat": tmp_path / "cat.jpg"}
    paths["astronaut"].write_bytes(astronaut())
    paths["cat"].write_bytes(cat())
    return paths


def pictures(output: str) -> list[Path]:
    return [Path(p) for p in re.findall(r"picture: (.+\.png)$", output, flags=re.M)]


def chat_through_streams(tmp_path, lines: list[str]) -> str:
    store = open_store(tmp_path)
    output = io.StringIO()

    async def run():
        engine = new_engine()
        try:
            chat = ConsoleChat(Conversation(engine, store), input=io.StringIO("".join(f"{x}\n" for x in lines)),
                               output=output, out_dir=tmp_path / "out")
            assert await chat.run() == 0
        finally:
            await engine.close()

    try:
        asyncio.run(run())
    finally:
        store.close()
    return output.getvalue()


def test_photo_edit_undo_history_through_the_streams(tmp_path, photos):
    out = chat_through_streams(tmp_path, [
        "/photo", f"/photo {photos['cat']}", "make it cuter", f"/photo {photos['astronaut']}", "make it cuter",
        "undo", "  ", "history", f"'{photos['astronaut']}'", f"/photo {tmp_path / 'missing.jpg'}",
    ])
    assert out.startswith("bot: Local chat")
    assert "Which photo?" in out
    replies = out.split("\nbot: ")
    assert "face" in replies[2].lower() and "picture:" not in replies[2]  # the cat: no face found, said plainly
    assert replies[3] == wording.ASK_FOR_PHOTO  # an edit before any usable photo
    assert "(global direction, " in out
    assert "I can't read" in out and "missing.jpg" in out
    photo, cuter, undone, history, pasted = pictures(out)
    for path in (photo, cuter, undone, history, pasted):
        assert path.is_file() and path.parent == (tmp_path / "out").resolve()
    assert np.array_equal(np.asarray(Image.open(undone)), np.asarray(Image.open(photo)))
    assert not np.array_equal(np.asarray(Image.open(cuter)), np.asarray(Image.open(photo)))
    assert Image.open(history).width == 128 + 2 * 6  # after the undo: the photo's thumbnail only
    assert 'Undone ("redo" brings them back): make it cuter.' in out
    assert photo.name != pasted.name  # the pasted path started a new session: nothing overwritten


def test_run_without_a_token_starts_the_local_chat(tmp_path, photos, monkeypatch, capsys):
    for var in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STYLECLIP_BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("engine.service.demo_models", lambda **_: shared_models())  # built once per test session
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"/photo {photos['astronaut']}\ngive him a mohawk\n"))
    assert main(["run", "--demo", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "sessions.sqlite3") in out and "TELEGRAM_BOT_TOKEN" in out
    assert "Demo mode" in out and "latent mapper 'mohawk'" in out
    assert len(pictures(out)) == 2


def test_run_deletes_sessions_past_the_retention_as_it_starts(tmp_path, monkeypatch, capsys):
    from datetime import UTC, datetime, timedelta

    from bot.sessions import Person, SessionStore
    from bot.sessions.database import make_engine

    for var in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STYLECLIP_BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STYLECLIP_HOME", str(tmp_path / "no-weights"))
    monkeypatch.setenv("STYLECLIP_BOT_SESSION_RETENTION_DAYS", "1")
    url = f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
    old = SessionStore.open(url, clock=lambda: datetime.now(UTC) - timedelta(days=2))
    old.start(Person("console", "terminal", "someone"), np.zeros((4, 8), np.float32), "demo-128")
    old.close()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["run", "--out", str(tmp_path / "out")]) == 0
    store = SessionStore(make_engine(url))
    try:
        assert store.count_sessions(Person("console", "terminal", "someone")) == 0
    finally:
        store.close()


def test_run_with_missing_weights_says_so_and_keeps_chatting(tmp_path, photos, monkeypatch, capsys):
    for var in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "DATABASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STYLECLIP_BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STYLECLIP_HOME", str(tmp_path / "no-weights"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"/photo {photos['astronaut']}\nhelp\n"))
    assert main(["run", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert wording.NOT_READY in out and "more / less" in out
    assert pictures(out) == []


def test_styleclip_bot_run_in_a_terminal_process(tmp_path):
    """The real command on real pipes (no models: the missing weights are reported, the chat goes on)."""
    env = {**os.environ, "STYLECLIP_BOT_DATA_DIR": str(tmp_path), "STYLECLIP_HOME": str(tmp_path / "no-weights"),
           "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    for var in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "DATABASE_URL"):
        env.pop(var, None)
    lines = "make it cuter\n/privacy\n/quit\nhelp\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--out", str(tmp_path / "out")], input=lines,
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"Session database ready: sqlite:///{tmp_path / 'sessions.sqlite3'}" in done.stdout
    assert "Photos can't be edited yet" in done.stdout and "weights download" in done.stdout
    assert f"bot: {wording.ASK_FOR_PHOTO}" in done.stdout and "What I keep" in done.stdout
    assert "more / less" not in done.stdout  # "help" came after /quit
