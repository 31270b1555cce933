"""Discord's HTTP side, faked at discord.py's own seams, plus gateway payloads as Discord sends them.

Interaction responses, follow-ups and edits go through discord.py's webhook adapter (a context variable);
channel messages and typing go through `client.http.request`; attachment downloads through
`client.http.get_from_cdn`. The fake records every request (method, route, JSON payload, files) and answers
with message objects shaped like Discord's, so the library builds its real `Message`s from them.
`drop_downloads(times)` makes the next attachment downloads fail as a reset connection does.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
from discord.webhook.async_ import AsyncWebhookAdapter, async_context

APPLICATION_ID = 900000000000000001
GUILD_ID = 700000000000000001
CHANNEL_ID = 710000000000000001
FILE_LIMIT = 10 * 1024 * 1024
BOT_USER = {"id": "900000000000000001", "username": "styleclip", "discriminator": "0", "avatar": None, "bot": True}
_ids = itertools.count(800000000000000001)


def snowflake() -> str:
    return str(next(_ids))


@dataclass
class Request:
    method: str
    path: str  # the route's template, e.g. "/webhooks/{webhook_id}/{webhook_token}"
    url: str
    payload: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)  # filename -> content
    result: Any = None


class FakeDiscord:
    """Records requests from any number of clients (a restarted bot talks to the same fake)."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.cdn: dict[str, bytes] = {}
        self.downloads: list[str] = []
        self.cdn_delay = 0.0  # seconds each attachment download takes
        self.dropped: list[str] = []  # attachment downloads that failed on purpose
        self._drops = 0
        self._changed = asyncio.Condition()

    def attach(self, client: discord.Client) -> None:
        """Route this client's HTTP calls here (interaction webhooks are routed by `install`)."""
        client.http.request = self._http_request  # type: ignore[method-assign]
        client.http.get_from_cdn = self._cdn  # type: ignore[method-assign]

    def install(self) -> None:
        """Send this task's (and its child tasks') interaction webhook calls here."""
        async_context.set(_Adapter(self))

    def drop_downloads(self, times: int = 1) -> None:
        """The next `times` attachment downloads fail as a reset connection does."""
        self._drops = times

    # -- reading -------------------------------------------------------------------------------------

    def matching(self, method: str, path_part: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    async def wait_for(self, predicate, timeout: float = 30.0):
        async def until():
            async with self._changed:
                while not (value := predicate()):
                    await self._changed.wait()
                return value
        return await asyncio.wait_for(until(), timeout)

    async def wait_count(self, method: str, path_part: str, count: int) -> list[Request]:
        return await self.wait_for(lambda: len(r := self.matching(method, path_part)) >= count and r)

    # -- answering -----------------------------------------------------------------------------------

    async def _cdn(self, url: str) -> bytes:
        if self._drops:
            self._drops -= 1
            self.dropped.append(url)
            raise aiohttp.ClientOSError(104, "Connection reset by peer")
        self.downloads.append(url)
        await asyncio.sleep(self.cdn_delay)
        return self.cdn[url]

    async def _http_request(self, route, *, files=None, form=None, **kwargs) -> Any:
        payload = kwargs.get("json") or {}
        if form:
            payload = json.loads(next(part["value"] for part in form if part["name"] == "payload_json"))
        return await self._record(route, payload, files)

    async def _record(self, route, payload: dict | None, files) -> Any:
        request = Request(route.method, route.path, route.url, payload or {},
                          {f.filename: _read(f) for f in files or ()})
        request.result = self._answer(route, request)
        self.requests.append(request)
        async with self._changed:
            self._changed.notify_all()
        return request.result

    def _answer(self, route, request: Request) -> Any:
        path = route.path
        if path.endswith("/callback"):
            kind = request.payload.get("type")
            return {"interaction": {"id": str(route.webhook_id), "type": 2,
                                    "response_message_loading": kind == 5,
                                    "response_message_ephemeral": bool(request.payload.get("data", {}).get("flags"))}}
        if path.endswith("/typing") or request.method == "DELETE":
            return None
        channel_id = str(route.channel_id or CHANNEL_ID)
        return message(channel_id, BOT_USER, request.payload.get("content") or "",
                       components=request.payload.get("components", []),
                       attachments=[{"id": snowflake(), "filename": name, "size": len(data),
                                     "url": f"https://cdn.example/{name}", "proxy_url": f"https://cdn.example/{name}"}
                                    for name, data in request.files.items()])


class _Adapter(AsyncWebhookAdapter):
    def __init__(self, fake: FakeDiscord) -> None:
        super().__init__()
        self.fake = fake

    async def request(self, route, session, *, payload=None, multipart=None, proxy=None, proxy_auth=None,
                      files=None, reason=None, auth_token=None, params=None) -> Any:
        if multipart:
            payload = json.loads(next(part["value"] for part in multipart if part["name"] == "payload_json"))
        return await self.fake._record(route, payload, files)


def _read(file: discord.File) -> bytes:
    file.reset()
    return file.fp.read()


# -- payloads ------------------------------------------------------------------------------------------


def user(user_id: int, name: str) -> dict:
    return {"id": str(user_id), "username": name.lower(), "global_name": name, "discriminator": "0", "avatar": None}


def member(person: dict) -> dict:
    return {"user": person, "roles": [], "joined_at": "2024-01-01T00:00:00+00:00", "deaf": False, "mute": False,
            "flags": 0, "permissions": "2248473465835073"}


def message(channel_id: str, author: dict, content: str, **extra) -> dict:
    return {"id": snowflake(), "channel_id": channel_id, "author": author, "content": content,
            "timestamp": "2026-01-01T00:00:00+00:00", "edited_timestamp": None, "tts": False,
            "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": False, "type": 0, "flags": 0} | extra


def attachment(fake: FakeDiscord, data: bytes, content_type: str, *, size: int | None = None) -> dict:
    attachment_id = snowflake()
    url = f"https://cdn.discordapp.com/attachments/{CHANNEL_ID}/{attachment_id}/photo"
    fake.cdn[url] = data
    return {"id": attachment_id, "filename": "photo", "size": len(data) if size is None else size, "url": url,
            "proxy_url": url, "content_type": content_type}


def _interaction(kind: int, person: dict, data: dict, **extra) -> dict:
    return {"id": snowflake(), "application_id": str(APPLICATION_ID), "type": kind, "token": f"token-{snowflake()}",
            "version": 1, "guild_id": str(GUILD_ID), "channel_id": str(CHANNEL_ID),
            "channel": {"id": str(CHANNEL_ID), "type": 0, "guild_id": str(GUILD_ID), "name": "general",
                        "position": 0, "permission_overwrites": []},
            "member": member(person), "app_permissions": "2248473465835073", "locale": "en-US",
            "attachment_size_limit": FILE_LIMIT, "data": data} | extra


def slash(person: dict, name: str, **options: Any) -> dict:
    """A slash command in a server channel; `discord.Attachment` options are given as attachment dicts."""
    resolved: dict = {}
    opts = []
    for key, value in options.items():
        if isinstance(value, dict):  # an attachment
            resolved.setdefault("attachments", {})[value["id"]] = value
            opts.append({"name": key, "type": 11, "value": value["id"]})
        elif isinstance(value, bool):
            opts.append({"name": key, "type": 5, "value": value})
        else:
            opts.append({"name": key, "type": 3, "value": value})
    data = {"id": snowflake(), "name": name, "type": 1, "options": opts}
    if resolved:
        data["resolved"] = resolved
    return _interaction(2, person, data)


def press(person: dict, on_message: dict, custom_id: str) -> dict:
    """A button pressed under `on_message` (a message dict the bot sent)."""
    return _interaction(3, person, {"custom_id": custom_id, "component_type": 2}, message=on_message)


def dm(person: dict, content: str = "", attachments: list[dict] | None = None) -> dict:
    channel_id = str(int(person["id"]) + 1)
    return message(channel_id, person, content, attachments=attachments or [])
