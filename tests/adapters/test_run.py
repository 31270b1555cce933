"""`styleclip-bot run --demo` with a Telegram token and the Bot API URL pointed at a fake server: it serves a
conversation, stops cleanly on SIGTERM, and never prints or logs the token."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import threading

from PIL import Image
from skimage import data

from bot import cli

from .fake_telegram import FakeBotAPI
from .telegram_updates import Updates, private_chat, user

TOKEN = "555000111:RunCommandTestToken_abcdefghijklmnop"


def test_run_serves_telegram_until_sigterm(tmp_path, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)  # the noisiest level: every request URL python-telegram-bot logs
    buf = io.BytesIO()
    Image.fromarray(data.astronaut()).save(buf, "JPEG", quality=90)
    photo = buf.getvalue()
    ready, finished = threading.Event(), threading.Event()
    seen: dict = {}

    async def drive() -> None:
        """The people's side, in its own thread and loop: a photo with a caption, then SIGTERM."""
        api = FakeBotAPI(TOKEN)
        await api.start()
        seen["api"] = api
        ready.set()
        try:
            await api.wait_calls("setMyCommands", 1, timeout=120)
            chat, alice = private_chat(user(7, "Alice")), user(7, "Alice")
            Updates(api).photo(chat, alice, [photo], caption="give him a mohawk")
            seen["photos"] = await api.wait_calls("sendPhoto", 2, timeout=60)
        finally:
            api.release_polls()
            os.kill(os.getpid(), signal.SIGTERM)  # the bot's handler turns it into a graceful stop
            await asyncio.get_running_loop().run_in_executor(None, finished.wait, 60)
            await api.stop()

    driver = threading.Thread(target=asyncio.run, args=(drive(),), daemon=True)
    driver.start()
    assert ready.wait(30)
    api = seen["api"]
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", api.base_url)
    monkeypatch.setenv("TELEGRAM_FILE_BASE_URL", api.base_file_url)
    try:
        status = cli.main(["run", "--demo", "--database-url", f"sqlite:///{tmp_path / 'sessions.sqlite3'}"])
    finally:
        finished.set()
        driver.join(30)

    assert status == 0
    _, edited = seen["photos"]
    assert "mohawk" in edited.params["caption"]
    out = capsys.readouterr().out
    assert "Telegram: connected as @styleclip_test_bot" in out and "Stopping" in out
    assert "Telegram: running as @styleclip_test_bot (long polling)" in caplog.text
    assert "/bot***" in caplog.text  # the API URL was logged, masked
    assert TOKEN not in out and TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in caplog.text
