"""Fair use through the core: limits with a friendly answer that says when they reset, kept in the database
(a restart forgets nothing), quick edits still allowed once the day's optimizations are used up, and the
admins' /stats, /block and /unblock."""

from __future__ import annotations

import pytest

from bot.core import TextReply, wording
from bot.core.limits import FairUse
from bot.sessions.usage import Who
from engine.editing import OptimizationSettings
from tests.core.helpers import ALICE, BOB, astronaut, open_store, run_chat, say, seed_session, send_photo, shared_models

LIMITED = FairUse(photos_per_hour=1, edits_per_hour=2, optimizations_per_day=0)


def texts(replies) -> list[str]:
    return [r.text if isinstance(r, TextReply) else r.caption for r in replies]


def test_limits_answer_kindly_and_hold_across_a_restart(tmp_path):
    store = open_store(tmp_path)
    seed_session(store, ALICE)

    async def first_run(chat):
        return [await say(chat, text) for text in ("purple hair", "make it cuter", "give him a mohawk")]

    try:
        done, done_too, refused = run_chat(store, first_run, fair_use=LIMITED)
    finally:
        store.close()
    assert texts(done)[0].startswith("Done: purple hair") and texts(done_too)[0].startswith("Done: make it cuter")
    (answer,) = texts(refused)
    assert answer.startswith("You've reached the limit of 2 edits an hour") and "UTC (in about 60 min)" in answer

    store = open_store(tmp_path)  # a new process: new store, engine and conversation on the same file

    async def after_restart(chat):
        return (
            await say(chat, "give him a mohawk"),
            await send_photo(chat, astronaut()),
            await send_photo(chat, astronaut()),
        )

    try:
        edit, photo, second_photo = run_chat(store, after_restart, fair_use=LIMITED)
        assert [e.text for e in store.history(ALICE).edits] == []  # the new photo's session
    finally:
        store.close()
    assert texts(edit)[0].startswith("You've reached the limit of 2 edits an hour")
    assert texts(photo)[0].startswith("Got it!")
    assert texts(second_photo)[0].startswith("You've reached the limit of 1 photos an hour")


def test_without_optimizations_left_quick_edits_still_work(tmp_path, monkeypatch):
    models = shared_models()
    monkeypatch.setattr(models.editor.router, "tables", None)  # only mappers are quick now
    monkeypatch.setattr(models.editor, "settings", OptimizationSettings(steps=2))
    store = open_store(tmp_path)
    seed_session(store, ALICE)

    async def script(chat):
        return [await say(chat, text) for text in ("make him smile", "make him smile", "purple hair")]

    try:
        optimized, refused, quick = run_chat(store, script, fair_use=FairUse(optimizations_per_day=1))
        methods = [e.method for e in store.history(ALICE).edits]
    finally:
        store.close()
    assert "optimization" in texts(optimized)[0]
    assert texts(refused)[0].startswith("You've reached the limit of 1 slow edits a day")
    assert "Quick edits" in texts(refused)[0]
    assert texts(quick)[0].startswith("Done: purple hair")
    assert methods == ["optimization", "mapper"]


def test_admins_see_stats_and_block_and_unblock(tmp_path):
    store = open_store(tmp_path)
    seed_session(store, ALICE)
    seed_session(store, BOB)
    rules = FairUse(admins=frozenset({Who("test", "bob")}))

    async def script(chat):
        asked = {}
        asked["edit"] = await say(chat, "purple hair")
        asked["stats"] = await say(chat, "/stats", BOB)
        asked["not admin"] = await say(chat, "/stats")
        asked["block"] = await say(chat, "/block alice", BOB)
        asked["blocked"] = await say(chat, "make it cuter")
        asked["again"] = await say(chat, "/block test:alice", BOB)
        asked["admin"] = await say(chat, "/block test:bob", BOB)
        asked["bare"] = await say(chat, "/unblock", BOB)
        asked["unblock"] = await say(chat, "/unblock test:alice", BOB)
        asked["back"] = await say(chat, "make it cuter")
        return {key: texts(replies)[0] for key, replies in asked.items()}

    try:
        said = run_chat(store, script, fair_use=rules)
    finally:
        store.close()
    stats = said["stats"].splitlines()
    assert stats[0] == "People: 1 (1 today, 0 blocked)"  # Bob's admin command is not counted
    assert stats[1] == "Sessions: 2" and stats[2].startswith("Edits today: 1 (")
    assert stats[3] == "Queue here: 1 people being answered, 0 optimizations running"  # Bob's own /stats
    assert stats[4] == "Busiest today: test:alice (1)"
    assert "People:" not in said["not admin"]
    assert said["block"] == "test:alice is blocked now."
    assert said["blocked"] == wording.BLOCKED
    assert said["again"] == "test:alice was already blocked."
    assert said["admin"] == wording.ADMIN_NOT_BLOCKABLE and said["bare"] == wording.ADMIN_USAGE
    assert said["unblock"] == "test:alice is unblocked."
    assert said["back"].startswith("Done: make it cuter")


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ({"limits": {"edits_per_hour": -1}}, "edits_per_hour"),
        ({"limits": {"photos_per_hour": "many"}}, "photos_per_hour"),
        ({"admins": {"telegram": 123}}, "telegram"),
    ],
)
def test_config_file_mistakes_are_named(config, problem):
    with pytest.raises(ValueError, match=problem):
        FairUse.from_config(config)


def test_config_file_sets_limits_and_admins():
    rules = FairUse.from_config({"limits": {"edits_per_hour": 0}, "admins": {"telegram": [123, "456"]}})
    assert rules.edits_per_hour == 0 and rules.photos_per_hour == FairUse().photos_per_hour
    assert rules.admins == {Who("telegram", "123"), Who("telegram", "456")}


def test_limits_and_admins_come_from_the_config_file(tmp_path):
    from bot.adapters.tokens import read_config

    config = tmp_path / "config.toml"
    config.write_text('[limits]\nphotos_per_hour = 5\noptimizations_per_day = 0\n\n[admins]\ndiscord = ["42"]\n')
    config.chmod(0o600)
    rules = FairUse.from_config(read_config({"STYLECLIP_BOT_CONFIG": str(config)}))
    assert (rules.photos_per_hour, rules.edits_per_hour, rules.optimizations_per_day) == (5, 60, 0)
    assert rules.admins == {Who("discord", "42")}
    assert read_config({"STYLECLIP_BOT_CONFIG": str(tmp_path / "absent.toml")}) == {}
