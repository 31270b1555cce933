"""The engine as a client of a remote one: `EngineAPI` over HTTP to `styleclip-bot serve` (Ray Serve).

A bot process with `STYLECLIP_ENGINE_URL` loads no model and imports neither torch nor Ray: the answers are
`engine.wire` JSON turned back into the same values and errors the in-process engine gives. So the core
cannot tell the two apart, with three additions that only a network has:

- the engine cannot be reached, or fails mid-request (a replica restarting): `EngineUnavailable`, after one
  retry when the connection failed before the engine took the request (nothing happened there yet);
- Ray's own queue is full (503 without our body): `EngineBusy`;
- cancelling the awaiting task closes the connection, and the engine cancels the request.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import numpy as np

from engine import wire
from engine.errors import EngineBusy, EngineUnavailable
from engine.values import EditResult, Instruction, Inverted, LatentState, MethodChoice, ProgressCallback

log = logging.getLogger(__name__)

URL_VAR = "STYLECLIP_ENGINE_URL"
TOKEN_VAR = "STYLECLIP_ENGINE_TOKEN"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 300.0   # a render at 1024 px on a busy CPU replica; edits stream progress meanwhile


def engine_url(value: str | None = None) -> str | None:
    """The remote engine's URL: `value` (a command-line option) or $STYLECLIP_ENGINE_URL; None = in-process."""
    url = value or os.environ.get(URL_VAR) or None
    if url is not None and not url.startswith(("http://", "https://")):
        raise ValueError(f"the engine URL must start with http:// or https://, not {url!r}")
    return url


class RemoteEngine:
    """`EngineAPI` for an engine at `url`. `token` defaults to $STYLECLIP_ENGINE_TOKEN."""

    def __init__(self, url: str, token: str | None = None) -> None:
        token = token if token is not None else os.environ.get(TOKEN_VAR)
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._client = httpx.AsyncClient(
            base_url=self.url, headers=headers,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S),
        )
        self._generator: str | None = None

    async def generator_name(self) -> str:
        """The generator's name once the engine has its models (`ModelsNotReady` before, with its progress)."""
        if self._generator is None:
            answer = await self._request("GET", "/ready")
            self._generator = str(answer.json()["generator"])
        return self._generator

    async def invert(self, photo: bytes, caller: Hashable) -> Inverted:
        answer = await self._request("POST", "/invert", {"caller": str(caller), "photo": wire.b64(photo)})
        return wire.inverted_from_json(answer.json())

    async def identity(self, face: np.ndarray, caller: Hashable) -> np.ndarray | None:
        answer = await self._request("POST", "/identity", {"caller": str(caller), "face": wire.array_to_json(face)})
        embedding = answer.json()["embedding"]
        return None if embedding is None else wire.array_from_json(embedding)

    async def render(self, state: LatentState, caller: Hashable, *, preview: bool = False) -> np.ndarray:
        body = {"caller": str(caller), "state": wire.state_to_json(state), "preview": preview, "format": "png"}
        answer = await self._request("POST", "/render", body)
        return wire.decode_picture(answer.content)

    async def edit(
        self,
        state: LatentState,
        instruction: Instruction,
        caller: Hashable,
        *,
        method: MethodChoice = "auto",
        on_progress: ProgressCallback | None = None,
        ask_first: bool = False,
    ) -> EditResult:
        body = {
            "caller": str(caller), "state": wire.state_to_json(state),
            "instruction": wire.instruction_to_json(instruction), "method": method, "ask_first": ask_first,
        }
        async with self._stream("/edit", body) as lines:
            async for line in lines:
                if "progress" in line:
                    if on_progress is not None:
                        on_progress(wire.progress_from_json(line["progress"]))
                elif "result" in line:
                    return wire.result_from_json(line["result"])
                elif "error" in line:
                    raise wire.error_from_json(line["error"])
        raise EngineUnavailable("the engine stopped answering in the middle of the edit")

    async def close(self) -> None:
        await self._client.aclose()

    # ------------------------------------------------------------------ HTTP

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        for attempt in (1, 2):
            try:
                answer = await self._client.request(method, path, json=body)
            except httpx.HTTPError as exc:
                self._retry_or_raise(exc, attempt)
                continue
            _raise_for_error(answer)
            return answer
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def _stream(self, path: str, body: dict[str, Any]) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        for attempt in (1, 2):
            try:
                async with self._client.stream("POST", path, json=body) as answer:
                    if answer.status_code != 200:
                        await answer.aread()
                        _raise_for_error(answer)
                    yield _json_lines(answer, self.url)
                    return
            except httpx.HTTPError as exc:
                self._retry_or_raise(exc, attempt)

    def _retry_or_raise(self, exc: httpx.HTTPError, attempt: int) -> None:
        """Return to try once more when the first connection failed (the engine never saw the request); else
        raise `EngineUnavailable`."""
        if not isinstance(exc, httpx.ConnectError):
            raise EngineUnavailable(f"the engine at {self.url} failed mid-request: {exc!r}") from None
        if attempt > 1:
            raise EngineUnavailable(f"cannot reach the engine at {self.url}: {exc}") from None
        log.warning("the engine at %s did not answer (%s); trying once more", self.url, exc)


async def _json_lines(answer: httpx.Response, url: str) -> AsyncIterator[dict[str, Any]]:
    try:
        async for line in answer.aiter_lines():
            if line.strip():
                yield json.loads(line)
    except httpx.HTTPError as exc:
        raise EngineUnavailable(f"the engine at {url} stopped mid-answer: {exc!r}") from None
    except json.JSONDecodeError as exc:
        raise EngineUnavailable(f"the engine at {url} sent a broken line: {exc}") from None


def _raise_for_error(answer: httpx.Response) -> None:
    """Our JSON errors become the engine's exceptions; Ray's own 503 (its queue is full) becomes `EngineBusy`."""
    if answer.status_code < 400:
        return
    if answer.status_code == 401:
        raise EngineUnavailable(f"the engine refused the token (set {TOKEN_VAR} to the engine's)")
    try:
        error = answer.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict):
        raise wire.error_from_json(error)
    if answer.status_code == 503:
        raise EngineBusy("the engine's queue is full", _queued(answer.text), 0.0)
    raise EngineUnavailable(f"the engine answered {answer.status_code}: {answer.text[:200]}")


def _queued(text: str) -> int:
    """The queue length from Ray's backpressure message ("... num_queued_requests=64 ..."), else 0."""
    marker = "num_queued_requests="
    if marker in text:
        digits = "".join(c for c in text.split(marker, 1)[1][:12] if c.isdigit())
        return int(digits or 0)
    return 0
