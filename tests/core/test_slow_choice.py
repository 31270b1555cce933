"""Before a long optimization on a CPU the bot says how long it would take and lets the person choose."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot import dialog
from bot.core import ImageReply, TextReply, wording
from bot.core.slow_choice import ANSWER_WITHIN, PendingSlowEdit, parse_choice
from tests.core.helpers import ALICE, astronaut, open_store, run_chat, say, send_photo, shared_models


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("start", "start"),
        ("Yes!", "start"),
        ("use a global direction anyway", "global"),
        ("Global", "global"),
        ("cancel", "cancel"),
        ("no.", "cancel"),
        ("make it cuter", None),
        ("start over", None),
    ],
)
def test_the_choice_words(text, choice):
    assert parse_choice(text) == choice


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(shared_models().editor.router, "tables", None)  # no global directions: only optimization
    store = open_store(tmp_path)
    yield store
    store.close()


def asking(chat) -> None:
    """Every optimization counts as long on this engine."""
    chat.engine.config = replace(chat.engine.config, ask_above_s=0.0)


def test_start_runs_the_optimization_after_saying_how_long(store):
    async def script(chat):
        asking(chat)
        await send_photo(chat, astronaut())
        (question,) = await say(chat, "smile")
        assert isinstance(question, TextReply) and "optimizing it would take about" in question.text
        assert store.history(ALICE).edits == ()  # nothing ran, nothing stored
        assert chat.engine.estimates.measured_steps("cpu") == 0
        (done,) = await say(chat, "start")
        assert isinstance(done, ImageReply) and "(optimization, 3 steps, " in done.caption
        assert done.caption.startswith("Done: smile")
        assert [e.method for e in store.history(ALICE).edits] == ["optimization"]

    run_chat(store, script)


def test_cancel_and_other_messages_drop_the_question(store):
    async def script(chat):
        asking(chat)
        await send_photo(chat, astronaut())
        await say(chat, "smile")
        (cancelled,) = await say(chat, "cancel")
        assert cancelled.text == wording.SLOW_CANCELLED
        (again,) = await say(chat, "start")  # no question pending any more: an ordinary message
        assert isinstance(again, TextReply) and "Done" not in again.text
        await say(chat, "smile")
        (other,) = await say(chat, "history")  # anything else: handled as usual, the question is gone
        assert isinstance(other, ImageReply)
        assert store.history(ALICE).edits == ()

    run_chat(store, script)


def test_global_anyway_says_why_when_no_direction_fits(store):
    async def script(chat):
        asking(chat)
        await send_photo(chat, astronaut())
        await say(chat, "smile")
        (reply,) = await say(chat, "global")
        assert isinstance(reply, TextReply) and reply.text.startswith("global direction: ")
        assert store.history(ALICE).edits == ()

    run_chat(store, script)


def test_the_question_waits_on_the_session_so_another_process_or_a_restart_takes_the_answer(store):
    async def ask(chat):
        asking(chat)
        await send_photo(chat, astronaut())
        return await say(chat, "smile")

    async def answer(chat):  # another Conversation and engine on the same database: another process
        return await say(chat, "start")

    question = only_text(run_chat(store, ask))
    assert "optimizing it would take about" in question
    (done,) = run_chat(store, answer)
    assert isinstance(done, ImageReply) and done.caption.startswith("Done: smile")
    assert [e.method for e in store.history(ALICE).edits] == ["optimization"]


def test_a_question_is_answered_within_the_hour_and_keeps_a_message_of_several():
    parts = (dialog.Edit("purple hair", None, None, "purple hair"), dialog.Edit("smiling face", None, None, "smile"))
    asked = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
    pending = PendingSlowEdit(parts[1], 480.0, parts, 1, ((0, "global_direction"),), asked)
    kept = pending.dump()
    assert PendingSlowEdit.load(kept, now=asked + timedelta(minutes=59)) == pending
    assert PendingSlowEdit.load(kept, now=asked + ANSWER_WITHIN + timedelta(seconds=1)) is None  # too old
    assert PendingSlowEdit.load("not json", now=asked) is None
    assert PendingSlowEdit.load(None) is None


def only_text(replies) -> str:
    (reply,) = replies
    assert isinstance(reply, TextReply), reply
    return reply.text
