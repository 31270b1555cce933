"""One engine replica behind HTTP: the in-process `Engine`, answering `engine.wire` JSON.

    GET  /health    alive (no secret needed: Ray and load balancers probe it)
    GET  /ready     200 with the generator's name once the models are loaded; 503 with percent and stage before
    GET  /metrics   Prometheus text (`engine.serve.metrics`)
    POST /invert    {"caller", "photo": base64}                         → an `Inverted`
    POST /identity  {"caller", "face": array}                           → {"embedding": array or null}
    POST /edit      {"caller", "state", "instruction", "method", "ask_first"}
                    → JSON lines: {"progress": ...} while an optimization runs, then {"result": ...} or {"error": ...}
    POST /render    {"caller", "state", "preview", "format": "png" | "jpeg"} → the picture's bytes

Errors are `{"error": {"type": ..., "message": ...}}` with 413/422 (the sender's photo or prompt), 503 (busy or
loading: ask again), 409 (an optimization that `ask_first` declined) or 500. When `STYLECLIP_ENGINE_TOKEN` was
set at deploy time, every path but /health needs `Authorization: Bearer <token>`; the replica holds only the
token's SHA-256. A client that goes away cancels its request: an optimization stops at its next step.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import AsyncIterator
from typing import Any

from ray import serve
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from engine import errors, wire
from engine.photos import ImageLimits
from engine.photos.reading import too_many_bytes
from engine.serve.metrics import EngineMetrics
from engine.service.build import build_engine
from engine.service.engine import EngineConfig
from engine.values import LatentState

log = logging.getLogger(__name__)

RENDER_BATCH = 8           # renders gathered per @serve.batch call
RENDER_WAIT_S = 0.005      # how long the first render waits for company
JSON_OVERHEAD = 64 * 1024  # room for the JSON around a photo


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class EngineReplica:
    """A Ray Serve deployment class (see `engine.serve.deploy`); also usable directly, for tests.

    Args:
        demo: small random models of the real classes.
        device: torch device; None = cuda when present.
        offline: fetch no model files (None: `STYLECLIP_OFFLINE` decides).
        token_sha256: the SHA-256 (hex) of the shared secret callers must present; None = no secret.
        limits: the photo limits; request bodies are bounded by them too.
    """

    def __init__(
        self,
        demo: bool = False,
        device: str | None = None,
        offline: bool | None = None,
        token_sha256: str | None = None,
        limits: ImageLimits | None = None,
    ) -> None:
        self.limits = limits or ImageLimits()
        self.engine = build_engine(demo=demo, device=device, offline=offline,
                                   config=EngineConfig(limits=self.limits), on_ready=log.info)
        self._token_sha256 = token_sha256
        self.replica = _replica_id()
        self.metrics = EngineMetrics(self.replica)
        self.max_body = self.limits.max_bytes * 4 // 3 + JSON_OVERHEAD  # a photo travels as base64
        self.engine.load_in_background()

    # ------------------------------------------------------------------ routing

    async def __call__(self, request: Request) -> Response:
        path = request.url.path.rstrip("/") or "/"
        if path == "/health":
            return JSONResponse({"status": "alive", "replica": self.replica, "pid": os.getpid()})
        if not self._authorized(request):
            return _error_response(PermissionError("a valid engine token is required"), 401)
        if request.method == "GET":
            if path == "/ready":
                return await self._ready()
            if path == "/metrics":
                return Response(self.metrics.exposition(), media_type="text/plain; version=0.0.4")
            return _error_response(LookupError(f"no such path: GET {path}"), 404)
        handlers = {"/invert": self._invert, "/identity": self._identity, "/render": self._render}
        if request.method != "POST" or (path not in handlers and path != "/edit"):
            return _error_response(LookupError(f"no such path: {request.method} {path}"), 404)
        try:
            body = await self._json_body(request)
        except errors.ImageTooLarge as exc:
            return _error_response(exc, 413)
        except ValueError as exc:
            return _error_response(exc, 400)
        if path == "/edit":  # streamed: counted in flight while its lines are being sent
            return StreamingResponse(self._edit_lines(body), media_type="application/x-ndjson")
        with self.metrics.in_flight.track_inprogress():
            return await self._answer(path.lstrip("/"), handlers[path](body))

    def _authorized(self, request: Request) -> bool:
        if self._token_sha256 is None:
            return True
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(token_digest(presented), self._token_sha256)

    async def _json_body(self, request: Request) -> dict[str, Any]:
        """The request's JSON, read no further than the photo limit allows."""
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise too_many_bytes(int(declared) * 3 // 4, self.limits)
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > self.max_body:
                raise too_many_bytes(len(data) * 3 // 4, self.limits)
        try:
            body = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"the body is not JSON: {exc}") from None
        if not isinstance(body, dict) or not isinstance(body.get("caller"), str):
            raise ValueError("the body is a JSON object with a string \"caller\"")
        return body

    # ------------------------------------------------------------------ endpoints

    async def _ready(self) -> Response:
        try:
            name = await self.engine.generator_name()
        except errors.ModelsNotReady as exc:
            return _error_response(exc)
        except Exception as exc:  # the load failed: not ready, and say why
            return _error_response(errors.ModelsMissing(str(exc)), 503)
        return JSONResponse({"ready": True, "generator": name, "replica": self.replica})

    async def _invert(self, body: dict[str, Any]) -> Response:
        photo = wire.unb64(body["photo"])
        inverted = await self.engine.invert(photo, caller=body["caller"])
        return JSONResponse(wire.inverted_to_json(inverted))

    async def _identity(self, body: dict[str, Any]) -> Response:
        embedding = await self.engine.identity(wire.array_from_json(body["face"]), caller=body["caller"])
        return JSONResponse({"embedding": None if embedding is None else wire.array_to_json(embedding)})

    async def _render(self, body: dict[str, Any]) -> Response:
        kind = body.get("format", "png")
        state = wire.state_from_json(body["state"])
        image = await self._render_batch((state, body["caller"], bool(body.get("preview", False))))
        if isinstance(image, Exception):
            raise image
        return Response(wire.encode_picture(image, kind), media_type=f"image/{kind}")

    @serve.batch(max_batch_size=RENDER_BATCH, batch_wait_timeout_s=RENDER_WAIT_S)
    async def _render_batch(self, requests: list[tuple[LatentState, str, bool]]) -> list[Any]:
        """Renders that arrived together go to the engine together, so its render queue draws them in one
        device pass (between an optimization's steps, like every fast request)."""
        self.metrics.render_batch.observe(len(requests))
        return await asyncio.gather(
            *(self.engine.render(state, caller, preview=preview) for state, caller, preview in requests),
            return_exceptions=True,
        )

    async def _edit_lines(self, body: dict[str, Any]) -> AsyncIterator[bytes]:
        """Progress lines while the edit runs, then its result or its error. Ray cancels this generator when
        the client goes away; the edit is cancelled with it."""
        with self.metrics.in_flight.track_inprogress():
            async with contextlib.aclosing(self._edit_answers(body)) as answers:  # closed with this one
                async for line in answers:
                    yield line

    async def _edit_answers(self, body: dict[str, Any]) -> AsyncIterator[bytes]:
        start = time.monotonic()
        updates: asyncio.Queue = asyncio.Queue()
        try:
            state = wire.state_from_json(body["state"])
            instruction = wire.instruction_from_json(body["instruction"])
        except (KeyError, TypeError, ValueError) as exc:
            self.metrics.answered("edit", "bad request", time.monotonic() - start)
            yield _line({"error": {"type": "BadRequest", "message": str(exc)}})
            return
        task = asyncio.ensure_future(self.engine.edit(
            state, instruction, caller=body["caller"], method=body.get("method", "auto"),
            on_progress=updates.put_nowait, ask_first=bool(body.get("ask_first", False)),
        ))
        task.add_done_callback(lambda _: updates.put_nowait(None))
        try:
            while (update := await updates.get()) is not None:
                yield _line({"progress": wire.progress_to_json(update)})
            result = task.result()
        except (asyncio.CancelledError, GeneratorExit):  # the client went away: so does its edit
            self.metrics.answered("edit", "client gone", time.monotonic() - start)
            raise
        except Exception as exc:
            outcome = _outcome(exc)
            self.metrics.answered("edit", outcome, time.monotonic() - start)
            yield _line({"error": wire.error_to_json(exc) if outcome != "unexpected" else _unexpected(exc)})
            return
        finally:
            if not task.done():
                task.cancel()
                await asyncio.wait({task})
        self.metrics.answered("edit", "ok", time.monotonic() - start, result.route.method.value)
        yield _line({"result": wire.result_to_json(result)})

    async def _answer(self, endpoint: str, work) -> Response:
        """Run one request's work; count it; known errors become their JSON, others a 500 that says little."""
        start = time.monotonic()
        try:
            response = await work
        except Exception as exc:
            outcome = _outcome(exc)
            if outcome != "unexpected":
                response = _error_response(exc)
            elif isinstance(exc, KeyError | TypeError | ValueError):  # a field missing or of the wrong kind
                outcome, response = "bad request", _error_response(ValueError(f"a malformed request: {exc!r}"), 400)
            else:
                response = JSONResponse({"error": _unexpected(exc)}, status_code=500)
            self.metrics.answered(endpoint, outcome, time.monotonic() - start)
            return response
        self.metrics.answered(endpoint, "ok", time.monotonic() - start)
        return response


def _outcome(exc: BaseException) -> str:
    known = (errors.EngineError, errors.InversionError, errors.PromptError, errors.NoRoute, errors.ModelsMissing)
    return type(exc).__name__ if isinstance(exc, known) else "unexpected"


def _unexpected(exc: BaseException) -> dict[str, str]:
    log.error("unexpected engine error", exc_info=exc)
    return {"type": "EngineUnavailable", "message": "the engine failed unexpectedly (see its log)"}


def _error_response(exc: BaseException, status: int | None = None) -> JSONResponse:
    return JSONResponse({"error": wire.error_to_json(exc)}, status_code=status or wire.http_status(exc))


def _line(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode() + b"\n"


def _replica_id() -> str:
    """Ray's replica id inside a deployment; the process id elsewhere."""
    try:
        return serve.get_replica_context().replica_id.unique_id
    except Exception:  # not running as a Ray Serve replica (tests)
        return f"pid-{os.getpid()}"
