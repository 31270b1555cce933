"""Telegram adapter overhead: ms from an update entering getUpdates to the bot's answer arriving, through the
real python-telegram-bot Application and real HTTP on loopback (the fake Bot API from the tests), with a
core stub that answers at once, so only the adapter, the library and the wire are timed.

    python benchmarks/adapters.py [--messages 200]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram.ext import AIORateLimiter

from bot.adapters.telegram import TelegramBot, TelegramSettings
from bot.core import ImageReply, TextReply, buttons_for
from tests.adapters.fake_telegram import FakeBotAPI
from tests.adapters.telegram_updates import Updates, private_chat, user

TOKEN = "123:benchmark-token-0123456789abcdef"


def encoded(size: int, fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (size, size, 3), dtype=np.uint8)).save(buf, fmt)
    return buf.getvalue()


class Instant:
    """A core that answers every event at once: text for text, a 256 px picture with buttons for photos."""

    def __init__(self) -> None:
        self.image = ImageReply(encoded(256, "JPEG"), encoded(256, "PNG"), "Here it is.", "photo-1-v1",
                                buttons_for(1, 1))

    async def handle(self, event, status=None):
        return [self.image] if hasattr(event, "data") else [TextReply("ok")]


async def measure(kind: str, count: int) -> list[float]:
    api = FakeBotAPI(TOKEN)
    await api.start()
    bot = TelegramBot(Instant(), TelegramSettings(TOKEN, api.base_url, api.base_file_url),
                      rate_limiter=AIORateLimiter(overall_max_rate=0, group_max_rate=0))
    await bot.start()
    updates, alice = Updates(api), user(1, "Alice")
    chat, photo = private_chat(alice), encoded(512, "JPEG")
    method = "sendPhoto" if kind == "photo" else "sendMessage"
    times = []
    try:
        for i in range(count):
            start = time.perf_counter()
            if kind == "photo":
                updates.photo(chat, alice, [photo])
            else:
                updates.text(chat, alice, "more")
            await api.wait_calls(method, i + 1)
            times.append((time.perf_counter() - start) * 1000)
    finally:
        api.release_polls()
        await bot.stop()
        await api.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    print(f"Telegram adapter round trip over loopback, {args.messages} messages each, instant core:")
    for kind, what in (("text", "text in, text out"), ("photo", "512 px photo in (getFile + download), "
                                                                 "256 px picture with buttons out")):
        times = sorted(asyncio.run(measure(kind, args.messages)))
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"  {what}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()
