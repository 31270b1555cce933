"""Discord's `locale` travels with the interaction: someone whose Discord speaks Chinese is answered in Chinese."""

from __future__ import annotations

import asyncio

from bot import i18n
from bot.core import wording as core_wording

from .fake_discord import FakeDiscord, slash
from .test_discord import BOB, core, models, started  # noqa: F401  (fixture)


def test_a_chinese_locale_is_answered_in_chinese(tmp_path, models):  # noqa: F811
    async def scenario():
        fake = FakeDiscord()
        fake.install()
        async with core(tmp_path, models) as (conversation, _store):
            bot = await started(conversation, fake)
            bot._connection.parse_interaction_create(slash(BOB, "undo") | {"locale": "zh-CN"})
            (answer,) = await fake.wait_count("POST", "/webhooks/", 1)
            assert answer.payload["content"] == i18n.translate(i18n.CHINESE, core_wording.ASK_FOR_PHOTO)
            assert answer.payload["content"].startswith("请先发一张")
            bot._connection.parse_interaction_create(slash(BOB, "undo"))          # "en-US"
            (_first, second) = await fake.wait_count("POST", "/webhooks/", 2)
            assert second.payload["content"] == core_wording.ASK_FOR_PHOTO
            await bot.close()

    asyncio.run(scenario())
