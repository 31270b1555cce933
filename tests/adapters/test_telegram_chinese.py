"""A conversation in Chinese through the real Telegram adapter, against the fake Bot API: someone whose
Telegram speaks Chinese ("zh-hans") is answered in Chinese, and Chinese words edit the photo."""

from __future__ import annotations

import asyncio
import json
import re

from bot import i18n
from bot.core import Person
from bot.core import wording as core_wording

from .telegram_updates import private_chat, user
from .test_telegram import buttons, face, models, running  # noqa: F401  (fixtures)

LI = user(333, "Li") | {"language_code": "zh-hans"}
HAN = re.compile(r"[\u4e00-\u9fff]")


def chinese(text: str) -> bool:
    return bool(HAN.search(text)) and "Done" not in text and "Got it" not in text


def test_a_chinese_conversation_is_answered_in_chinese(tmp_path, models, face):  # noqa: F811
    async def scenario():
        async with running(tmp_path, models) as (api, updates, store):
            chat = private_chat(LI)
            li = Person("telegram", str(LI["id"]), str(LI["id"]))

            updates.text(chat, LI, "帮助")
            (help_,) = await api.wait_calls("sendMessage", 1)
            with i18n.speaking(i18n.CHINESE):
                assert help_.params["text"] == i18n._(core_wording.HELP)
            assert chinese(help_.params["text"])

            updates.photo(chat, LI, face)
            (ready,) = await api.wait_calls("sendPhoto", 1)
            assert chinese(ready.params["caption"]) and ready.params["caption"].startswith("收到")

            updates.text(chat, LI, "让他笑一下")
            (_ready, smiled) = await api.wait_calls("sendPhoto", 2)
            assert smiled.params["caption"].startswith("完成：让他笑")
            (edit,) = store.history(li).edits
            assert json.loads(edit.instruction)["target"] == "smiling face"

            updates.text(chat, LI, "微笑并戴上眼镜")
            both = (await api.wait_calls("sendPhoto", 3))[-1]
            assert both.params["caption"].startswith("完成，共 2 处修改")
            assert [e.text for e in store.history(li).edits] == ["让他笑", "微笑", "戴上眼镜"]

            updates.text(chat, LI, "撤销")
            undone = (await api.wait_calls("sendPhoto", 4))[-1]
            assert undone.params["caption"].startswith("已撤销：戴上眼镜")

            updates.text(chat, LI, "让他变成狮子")                  # not in the table: never a silent edit
            refused = (await api.wait_calls("sendMessage", 2))[-1]
            assert chinese(refused.params["text"]) and "微笑" in refused.params["text"]
            assert len(store.history(li).edits) == 3

    asyncio.run(scenario())

