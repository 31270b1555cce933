"""What the remote client makes of answers that are not the engine's own: Ray's backpressure, a broken stream,
a proxy's error page. A small HTTP server on loopback plays the other end (no Ray needed)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from bot.core import Conversation, TextReply, wording
from bot.remote import RemoteEngine, engine_url
from engine.errors import EngineBusy, EngineUnavailable, NoFaceFound
from engine.values import Instruction, LatentState
from tests.core.helpers import astronaut, open_store, send_photo

STATE = LatentState(np.zeros((14, 512), np.float32))


class Scripted(BaseHTTPRequestHandler):
    """Answers every request with the (status, content type, body) its server was given."""

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        status, content_type, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()


def call(server, coroutine_of):
    async def main():
        engine = RemoteEngine(f"http://127.0.0.1:{server.server_port}", token="secret-secret")
        try:
            return await coroutine_of(engine)
        finally:
            await engine.close()

    return asyncio.run(main())


def test_rays_backpressure_is_busy_with_the_queue_it_found(server):
    server.answer = (503, "text/plain", b"Request dropped due to backpressure (num_queued_requests=64, "
                                        b"max_queued_requests=64).")
    with pytest.raises(EngineBusy) as caught:
        call(server, lambda e: e.render(STATE, "alice"))
    assert caught.value.queue_position == 64


def test_the_engines_own_errors_come_back_as_themselves(server):
    server.answer = (422, "application/json",
                     b'{"error": {"type": "NoFaceFound", "message": "I could not find a face."}}')
    with pytest.raises(NoFaceFound, match="I could not find a face"):
        call(server, lambda e: e.invert(b"photo", "alice"))


def test_an_edit_stream_that_ends_without_a_result_is_unavailable_not_a_hang(server):
    server.answer = (200, "application/x-ndjson",
                     b'{"progress": {"step": 1, "total": 80, "loss": 0.5, "preview": null}}\n')
    seen = []
    with pytest.raises(EngineUnavailable, match="stopped answering in the middle of the edit"):
        call(server, lambda e: e.edit(STATE, Instruction("a beard"), "alice", on_progress=seen.append))
    assert [(p.step, p.total) for p in seen] == [(1, 80)]


def test_a_proxys_error_page_is_unavailable_with_its_status(server):
    server.answer = (502, "text/html", b"<html>Bad Gateway</html>")
    with pytest.raises(EngineUnavailable, match="answered 502"):
        call(server, lambda e: e.render(STATE, "alice"))


@pytest.mark.parametrize("value", ["engine:8000", "ftp://engine", "127.0.0.1:8000"])
def test_an_engine_url_without_http_is_refused(value):
    with pytest.raises(ValueError, match="must start with http:// or https://"):
        engine_url(value)


def test_no_url_means_the_engine_in_this_process(monkeypatch):
    monkeypatch.delenv("STYLECLIP_ENGINE_URL", raising=False)
    assert engine_url(None) is None
    monkeypatch.setenv("STYLECLIP_ENGINE_URL", "http://gpu-1:8000")
    assert engine_url(None) == "http://gpu-1:8000"
    assert engine_url("https://other:9000") == "https://other:9000"


def test_an_engine_still_loading_its_models_is_said_in_the_chat(server, tmp_path):
    server.answer = (503, "application/json", b'{"error": {"type": "ModelsNotReady", "message": "loading", '
                                              b'"percent": 37.0, "stage": "downloading the models"}}')

    async def photo(engine):
        return await send_photo(Conversation(engine, open_store(tmp_path)), astronaut())

    [reply] = call(server, photo)
    assert isinstance(reply, TextReply)
    assert reply.text == wording.getting_ready(37.0, "downloading the models")
