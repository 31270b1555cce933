"""The bot's metrics count what a conversation really saw: events, replies, explained failures, bugs, seconds."""

from __future__ import annotations

import asyncio

import pytest

from bot.core import ButtonEvent, Conversation
from bot.metrics import BotMetrics
from engine.service import EngineBusy
from tests.core.helpers import ALICE, BOB, astronaut, cat, open_store, run_chat, say, send_photo


@pytest.fixture
def store(tmp_path):
    store = open_store(tmp_path)
    yield store
    store.close()


def sample(metrics: BotMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


def test_a_conversation_counts_its_events_replies_failures_and_seconds(store, caplog):
    async def script(chat: Conversation):
        await say(chat, "make it cuter", BOB)                    # no photo yet: NoSession
        await send_photo(chat, cat())                            # NoFaceFound
        await send_photo(chat, b"%PDF-1.4 not a photo")          # NotAnImage
        (photo,) = await send_photo(chat, astronaut())           # a picture
        await say(chat, "make it cuter")                         # a picture
        (undo,) = [b for b in photo.buttons if b.label == "Undo"]
        await chat.handle(ButtonEvent.from_payload(ALICE, undo.payload))  # under an outdated picture: a sentence

        async def slow_and_busy(*args, **kwargs):
            await asyncio.sleep(0.3)
            raise EngineBusy("the optimisation queue is full", 3, 90.0)

        async def broken(*args, **kwargs):
            raise RuntimeError("renderer exploded")

        chat.engine.edit = slow_and_busy
        await say(chat, "remove makeup")
        chat.engine.render = broken
        await say(chat, "more")                                  # a new picture to draw, a bug: "unexpected"
        return chat.metrics

    metrics = run_chat(store, script)
    messages = {k: sample(metrics, "styleclip_bot_messages_total", kind=k) for k in ("photo", "text", "button")}
    replies = {k: sample(metrics, "styleclip_bot_replies_total", kind=k) for k in ("image", "text")}
    errors = {k: sample(metrics, "styleclip_bot_errors_total", kind=k)
              for k in ("NoSession", "NoFaceFound", "NotAnImage", "EngineBusy", "unexpected", "LimitReached")}
    assert messages == {"photo": 3, "text": 4, "button": 1}
    assert replies == {"image": 2, "text": 6}
    assert errors == {"NoSession": 1, "NoFaceFound": 1, "NotAnImage": 1, "EngineBusy": 1, "unexpected": 1,
                      "LimitReached": 0}
    handled = {k: sample(metrics, "styleclip_bot_handling_seconds_count", kind=k) for k in ("photo", "text", "button")}
    assert handled == messages
    # the busy edit took 0.3 s: in the text histogram, above the 0.25 s bucket
    assert sample(metrics, "styleclip_bot_handling_seconds_sum", kind="text") >= 0.3
    assert sample(metrics, "styleclip_bot_handling_seconds_bucket", kind="text", le="0.25") <= 3
    assert sample(metrics, "styleclip_bot_handling_seconds_bucket", kind="text", le="+Inf") == 4


def test_each_conversation_counts_on_its_own(store):
    async def script(chat: Conversation):
        await say(chat, "help")
        return chat.metrics

    first, second = run_chat(store, script), run_chat(store, script)
    assert first.registry is not second.registry
    assert sample(first, "styleclip_bot_messages_total", kind="text") == 1
    assert sample(second, "styleclip_bot_messages_total", kind="text") == 1
    assert sample(first, "styleclip_bot_messages_total", kind="photo") == 0  # there before any photo came


def test_a_cancel_outside_any_turn_is_counted_in_the_metrics_given(store):
    metrics = BotMetrics()

    async def script(chat: Conversation):
        return await say(chat, "cancel")

    (reply,) = run_chat(store, script, metrics=metrics)
    assert reply.text
    assert sample(metrics, "styleclip_bot_messages_total", kind="text") == 1
    assert sample(metrics, "styleclip_bot_replies_total", kind="text") == 1
    assert sample(metrics, "styleclip_bot_handling_seconds_count", kind="text") == 1
