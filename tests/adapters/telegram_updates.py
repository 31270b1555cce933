"""Bot API update payloads, as Telegram sends them, for the fake server's getUpdates queue."""

from __future__ import annotations

import time

from .fake_telegram import BOT_USERNAME, FakeBotAPI

GROUP = {"id": -1001234, "type": "supergroup", "title": "friends"}


def user(user_id: int, name: str) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}


def private_chat(person: dict) -> dict:
    return {"id": person["id"], "type": "private", "first_name": person["first_name"]}


class Updates:
    """Builds updates for one fake server (message ids come from it, so they never clash with the bot's)."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    def _message(self, chat: dict, sender: dict, **content) -> dict:
        message = {"message_id": self.api.message_id(), "date": int(time.time()), "chat": chat, "from": sender}
        return {"message": message | content}

    def text(self, chat: dict, sender: dict, text: str, *, reply_to: dict | None = None) -> dict:
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        mention = f"@{BOT_USERNAME}"
        if mention in text:
            entities.append({"type": "mention", "offset": text.index(mention), "length": len(mention)})
        extra = {"reply_to_message": reply_to} if reply_to else {}
        return self.api.push(self._message(chat, sender, text=text, entities=entities, **extra))

    def photo(self, chat: dict, sender: dict, sizes: list[bytes], caption: str | None = None, *,
              album: str | None = None) -> dict:
        """A compressed photo in several sizes, smallest first (as Telegram orders them); `album`: the media
        group it belongs to (Telegram sends each photo of an album as its own update)."""
        photo = [{**self.api.add_file(data), "width": 90 * (i + 1), "height": 90 * (i + 1)}
                 for i, data in enumerate(sizes)]
        extra: dict = {"media_group_id": album} if album else {}
        if caption:
            extra["caption"] = caption
            mention = f"@{BOT_USERNAME}"
            if mention in caption:
                extra["caption_entities"] = [
                    {"type": "mention", "offset": caption.index(mention), "length": len(mention)}]
        return self.api.push(self._message(chat, sender, photo=photo, **extra))

    def document(self, chat: dict, sender: dict, data: bytes, mime_type: str, *, size: int | None = None) -> dict:
        meta = self.api.add_file(data, size=size)
        document = {**meta, "file_name": "picture" + ("." + mime_type.split("/")[-1]), "mime_type": mime_type}
        return self.api.push(self._message(chat, sender, document=document))

    def sticker(self, chat: dict, sender: dict) -> dict:
        sticker = {**self.api.add_file(b"webp"), "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False}
        return self.api.push(self._message(chat, sender, sticker=sticker))

    def press(self, chat: dict, sender: dict, message: dict, data: str) -> dict:
        """A button pressed under `message` (a message dict the bot sent)."""
        query = {"id": str(self.api.message_id()), "from": sender, "chat_instance": str(chat["id"]),
                 "message": message, "data": data}
        return self.api.push({"callback_query": query})
