"""The bot against a real Ray Serve engine (demo models): the same conversation as in-process, the secret,
the photo limit, cancellation, and a replica killed mid-edit."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal

import numpy as np
import pytest

from bot.core import Conversation, ImageReply, TextReply, wording
from bot.i18n import _
from bot.remote import RemoteEngine
from engine.errors import EngineBusy, EngineUnavailable
from engine.service import Engine, EngineConfig, demo_models
from engine.values import Instruction, LatentState
from tests.core.helpers import ALICE, astronaut, open_store, pixels, say, send_photo

SCRIPT = ("purple hair", "make it cuter", "more", "undo", "redo")


async def chat(conversation: Conversation) -> list[tuple[str, np.ndarray | None]]:
    """The script's replies as (text, picture) pairs."""
    replies = await send_photo(conversation, astronaut())
    for text in SCRIPT:
        replies += await say(conversation, text)
    return [(r.caption, pixels(r)) if isinstance(r, ImageReply) else (r.text, None) for r in replies]


def test_a_conversation_through_the_remote_engine_is_the_one_in_process(engine_server, tmp_path):
    async def remote():
        engine = RemoteEngine(engine_server.url, engine_server.token)
        try:
            return await chat(Conversation(engine, open_store(tmp_path / "remote")))
        finally:
            await engine.close()

    async def local():
        engine = Engine(lambda: demo_models(seed=0, device="cpu"), EngineConfig(max_batch=1))
        try:
            return await chat(Conversation(engine, open_store(tmp_path / "local")))
        finally:
            await engine.close()

    (tmp_path / "remote").mkdir()
    (tmp_path / "local").mkdir()
    over_http, here = asyncio.run(remote()), asyncio.run(local())
    assert len(over_http) == len(SCRIPT) + 1
    for (text, picture), (text_here, picture_here) in zip(over_http, here, strict=True):
        assert text.split("\n")[0] == text_here.split("\n")[0]
        assert picture is not None and picture_here is not None
        # the same models, the same state: the same picture, up to float summation order across processes
        assert np.abs(picture.astype(int) - picture_here).max() <= 1
    assert "mapper" in over_http[1][0] and "global direction" in over_http[2][0]


def test_without_the_secret_only_health_answers(engine_server):
    assert engine_server.get("/health", token="wrong")[0] == 200
    status, body = engine_server.get("/ready", token="wrong")
    assert status == 401 and b"token" in body
    assert engine_server.get("/ready")[0] == 200

    async def refused():
        engine = RemoteEngine(engine_server.url, "wrong")
        try:
            await engine.render(LatentState(np.zeros((14, 512), np.float32)), "alice")
        finally:
            await engine.close()

    with pytest.raises(EngineUnavailable, match="refused the token"):
        asyncio.run(refused())


def test_a_photo_over_the_limit_is_refused_before_it_is_read(engine_server, tmp_path):
    async def send_big():
        engine = RemoteEngine(engine_server.url, engine_server.token)
        try:
            return await send_photo(Conversation(engine, open_store(tmp_path)), b"\xff\xd8" + bytes(41 * 2**20))
        finally:
            await engine.close()

    [reply] = asyncio.run(send_big())
    assert isinstance(reply, TextReply) and "the limit is 40 MB" in reply.text


def test_metrics_count_requests_by_endpoint_and_outcome(engine_server):
    status, body = engine_server.get("/metrics")
    text = body.decode()
    assert status == 200
    assert 'styleclip_engine_requests_total{endpoint="render",outcome="ok"' in text
    assert "styleclip_engine_render_batch_size_bucket" in text
    assert 'styleclip_engine_latency_seconds_count{method="mapper"' in text
    assert re.search(r'styleclip_engine_in_flight\{replica="[^"]+"\} 0\.0', text)  # streamed edits counted out too


def test_cancelling_the_call_stops_the_optimization_on_the_engine(engine_server):
    """The optimization would run for a minute; once the client goes away, the engine frees Carol's one
    optimization slot within seconds (a second one starts instead of "you already have one running")."""

    async def optimize(engine: RemoteEngine, state: LatentState) -> None:
        progress = asyncio.Event()
        task = asyncio.create_task(engine.edit(state, Instruction("a face with freckles"), "carol",
                                               method="optimization", on_progress=lambda p: progress.set()))
        done, _ = await asyncio.wait({task, asyncio.create_task(progress.wait())}, timeout=60,
                                     return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # raises what the engine said (EngineBusy while the first one still runs)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    async def start_then_cancel() -> int:
        engine = RemoteEngine(engine_server.url, engine_server.token)
        state = LatentState(await _latent(engine))
        await optimize(engine, state)
        attempt = 0
        while attempt < 60:
            attempt += 1
            try:
                await optimize(engine, state)
                break
            except EngineBusy:
                await asyncio.sleep(0.25)
        await engine.close()
        return attempt

    attempts = asyncio.run(start_then_cancel())
    assert attempts < 40  # freed within about 10 s, not after the minute the first optimization would take
    text = engine_server.get("/metrics")[1].decode()
    assert 'endpoint="edit",outcome="client gone"' in text


async def _latent(engine: RemoteEngine) -> np.ndarray:
    return (await engine.invert(astronaut(), "setup")).w_plus


def test_a_replica_killed_mid_edit_is_restarted_and_the_person_asked_to_try_again(engine_server, tmp_path):
    """The replica dies holding Alice's edit: it is frozen (SIGSTOP) before her message, so her request is
    certainly inside it, then killed. She hears to send it again, nothing is stored, Ray starts a new replica
    and her next message works. (Ray hands a request whose replica died to the new replica, which answers
    "getting the models ready" while it loads; a cut it cannot hand on is "the engine is not answering".)"""
    store = open_store(tmp_path)

    async def scenario():
        engine = RemoteEngine(engine_server.url, engine_server.token)
        conversation = Conversation(engine, store)
        await send_photo(conversation, astronaut())
        await say(conversation, "purple hair")
        before = store.history(ALICE)
        pid = json.loads(engine_server.get("/health")[1])["pid"]
        os.kill(pid, signal.SIGSTOP)
        edit = asyncio.create_task(say(conversation, "make it cuter"))
        await asyncio.sleep(1.0)
        assert not edit.done()  # waiting on the frozen replica
        os.kill(pid, signal.SIGKILL)
        [reply] = await edit
        assert isinstance(reply, TextReply)
        assert reply.text == _(wording.ENGINE_UNAVAILABLE) or re.fullmatch(
            r"Getting the models ready: \d+ % \(starting\)\. Please send that again in a minute\.", reply.text)
        assert store.history(ALICE) == before  # nothing half-written

        await asyncio.to_thread(engine_server.wait_ready)
        assert json.loads(engine_server.get("/health")[1])["pid"] != pid  # Ray started a new replica
        [again] = await say(conversation, "make it cuter")
        assert isinstance(again, ImageReply) and "global direction" in again.caption
        assert [e.text for e in store.history(ALICE).active_edits] == ["purple hair", "make it cuter"]
        await engine.close()

    try:
        asyncio.run(scenario())
    finally:
        engine_server.wait_ready()  # the next test finds a replica again, whatever happened here
        store.close()
