"""A fake Telegram Bot API server on 127.0.0.1 for the real python-telegram-bot `Application` to talk to.

It speaks the Bot API's HTTP shape (`POST /bot<token>/<method>` with form or multipart bodies, answers
`{"ok": ..., "result": ...}`, files under `/file/bot<token>/<path>`), keeps the messages it was asked to
send, and feeds `getUpdates` long polls from a queue the test fills. `fail_once(method, retry_after)` answers
the next call of a method with 429 Too Many Requests, as Telegram does under flood limits; `reset(method, times)`
resets the connection of the next calls instead of answering (the client sees `httpx.ReadError`), as the Bot
API did under a burst of photos; `reset(DOWNLOAD, times)` does that to file downloads.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 4242
BOT_USERNAME = "styleclip_test_bot"
DOWNLOAD = "download"  # `reset` target: fetching a file through the file URL
JSON_FIELDS = {"reply_markup", "media", "commands", "reply_parameters", "entities", "caption_entities", "scope"}


@dataclass
class Call:
    """One request the bot made: method, decoded parameters, uploaded files (part name -> bytes)."""

    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = 0.0  # time.monotonic() when it arrived
    result: Any = None  # what the server answered


class FakeBotAPI:
    def __init__(self, token: str, *, download_limit: int = 20 * 1024 * 1024) -> None:
        self.token = token
        self.download_limit = download_limit
        self.calls: list[Call] = []
        self.updates: asyncio.Queue[dict] = asyncio.Queue()
        self.files: dict[str, bytes] = {}
        self.rejected: list[Call] = []  # requests answered with 429
        self.downloads: list[str] = []  # file ids fetched through the file URL
        self.dropped: list[str] = []  # methods (or DOWNLOAD) whose connection was reset, in order
        self.download_delay = 0.0  # seconds each file download takes (a slow network)
        self._fail: dict[str, int] = {}
        self._resets: dict[str, int] = {}
        self._ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.closing = asyncio.Event()  # set before stopping the bot: pending long polls return at once
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post(f"/bot{self.token}/{{method}}", self._api)
        app.router.add_post("/bot{other}/{method}", self._unauthorized)
        app.router.add_get(f"/file/bot{self.token}/{{path:.+}}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def release_polls(self) -> None:
        """End pending and future long polls now (call before stopping the bot, whose stop waits for them)."""
        self.closing.set()

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- what tests feed ---------------------------------------------------------------------------------

    def fail_once(self, method: str, retry_after: int = 1) -> None:
        """Answer the next `method` call with 429 and `retry_after`, like a flood limit."""
        self._fail[method] = retry_after

    def reset(self, method: str, times: int = 1) -> None:
        """Reset the connection of the next `times` calls of `method` (or of file downloads: `DOWNLOAD`)."""
        self._resets[method] = times

    def _drop(self, request: web.Request, target: str) -> bool:
        """Reset the connection (a TCP RST: no answer at all) when `target` is due for it."""
        if not self._resets.get(target):
            return False
        self._resets[target] -= 1
        self.dropped.append(target)
        transport = request.transport
        sock = transport.get_extra_info("socket") if transport else None
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        if transport is not None:
            transport.abort()
        return True

    def add_file(self, data: bytes, *, size: int | None = None) -> dict:
        """Store a file the bot may download; returns the ids a PhotoSize/Document carries."""
        file_id = f"file-{next(self._ids)}"
        self.files[file_id] = data
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(data) if size is None else size}

    def push(self, update: dict) -> dict:
        update = {"update_id": next(self._update_ids), **update}
        self.updates.put_nowait(update)
        return update

    def message_id(self) -> int:
        return next(self._ids)

    # -- what tests read ---------------------------------------------------------------------------------

    def sent(self, *methods: str) -> list[Call]:
        return [c for c in self.calls if c.method in methods]

    async def wait_for(self, predicate, timeout: float = 30.0):
        """Wait until `predicate()` is truthy after some request arrives; returns its value."""
        async def until() -> Any:
            async with self._changed:
                while not (value := predicate()):
                    await self._changed.wait()
                return value
        return await asyncio.wait_for(until(), timeout)

    async def wait_calls(self, method: str, count: int, timeout: float = 30.0) -> list[Call]:
        return await self.wait_for(lambda: len(self.sent(method)) >= count and self.sent(method), timeout)

    # -- the HTTP side -------------------------------------------------------------------------------

    async def _unauthorized(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        if self._drop(request, DOWNLOAD):
            return web.Response(status=500)  # never arrives: the connection is gone
        self.downloads.append(file_id)
        await asyncio.sleep(self.download_delay)
        return web.Response(body=self.files[file_id])

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        form = await request.post()
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        for key, value in form.items():
            if hasattr(value, "file"):
                files[key] = value.file.read()
            elif key in JSON_FIELDS:
                params[key] = json.loads(value)
            else:
                params[key] = value
        call = Call(method, params, files, time.monotonic())
        if self._drop(request, method):
            async with self._changed:
                self._changed.notify_all()
            return web.Response(status=500)  # never arrives: the connection is gone
        if method in self._fail:
            retry_after = self._fail.pop(method)
            self.rejected.append(call)
            return web.json_response({
                "ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }, status=429)
        if method == "getUpdates":
            return await self._get_updates(params)
        self.calls.append(call)
        handler = getattr(self, f"_m_{method}", None)
        try:
            result = handler(call) if handler else True
        except LookupError as exc:
            result = None
            answer = {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
        else:
            answer = {"ok": True, "result": result}
        call.result = result
        async with self._changed:
            self._changed.notify_all()
        return web.json_response(answer, status=200 if answer["ok"] else 400)

    async def _get_updates(self, params: dict) -> web.Response:
        timeout = float(params.get("timeout", 0) or 0)
        batch: list[dict] = []
        if timeout and self.updates.empty() and not self.closing.is_set():
            waiters = [asyncio.ensure_future(self.updates.get()), asyncio.ensure_future(self.closing.wait())]
            done, pending = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
            if waiters[0] in done:
                batch.append(waiters[0].result())
        while not self.updates.empty():
            batch.append(self.updates.get_nowait())
        return web.json_response({"ok": True, "result": batch})

    # -- methods -------------------------------------------------------------------------------------

    def _bot_user(self) -> dict:
        return {"id": BOT_ID, "is_bot": True, "first_name": "StyleCLIP", "username": BOT_USERNAME}

    def _m_getMe(self, call: Call) -> dict:
        return {**self._bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    def _message(self, call: Call, **content: Any) -> dict:
        chat_id = int(call.params["chat_id"])
        return {"message_id": self.message_id(), "date": int(time.time()), "from": self._bot_user(),
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "group"},
                **content}

    def _m_sendMessage(self, call: Call) -> dict:
        return self._message(call, text=call.params["text"])

    def _m_sendPhoto(self, call: Call) -> dict:
        data = call.files.get("photo", b"")
        meta = self.add_file(data)
        return self._message(call, photo=[{**meta, "width": 256, "height": 256}],
                             caption=call.params.get("caption", ""))

    def _m_sendDocument(self, call: Call) -> dict:
        data = call.files.get("document", b"")
        meta = self.add_file(data)
        return self._message(call, document={**meta, "file_name": "file", "mime_type": "image/png"})

    def _m_getFile(self, call: Call) -> dict:
        file_id = call.params["file_id"]
        if file_id not in self.files:
            raise LookupError("wrong file_id")
        if len(self.files[file_id]) > self.download_limit:
            raise LookupError("file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self.files[file_id]),
                "file_path": f"photos/{file_id}"}

    def _m_editMessageText(self, call: Call) -> dict:
        return self._message(call, text=call.params["text"]) | {"message_id": int(call.params["message_id"])}

    def _m_editMessageMedia(self, call: Call) -> dict:
        media = call.params["media"]
        data = call.files.get(media["media"].removeprefix("attach://"), b"")
        meta = self.add_file(data)
        return self._message(call, photo=[{**meta, "width": 256, "height": 256}],
                             caption=media.get("caption", "")) | {"message_id": int(call.params["message_id"])}

    def _m_editMessageCaption(self, call: Call) -> dict:
        return self._message(call, caption=call.params.get("caption", "")) | {
            "message_id": int(call.params["message_id"])}
