"""Fair-use counts and blocks in the session database, on SQLite and PostgreSQL: sliding windows, the reset
time, a restart (a new store on the same database), and two processes counting one person at once."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import Engine

from bot.sessions import SessionStore
from bot.sessions.database import make_engine
from bot.sessions.usage import UsageStore, Who

from .helpers import ALICE, Clock, latent, w_plus_edit

HOUR = timedelta(hours=1)
ANN, BEN = Who("telegram", "alice"), Who("discord", "ben")


def usage(store: SessionStore, clock: Clock) -> UsageStore:
    return UsageStore(store.engine, clock=clock)


def test_a_limit_refuses_once_used_up_and_says_when_it_resets(store, clock):
    counts = usage(store, clock)
    first = clock.now
    assert counts.take(ANN, "photo", 2, HOUR) is None
    clock.advance(minutes=10)
    assert counts.take(ANN, "photo", 2, HOUR) is None
    clock.advance(minutes=10)
    assert counts.take(ANN, "photo", 2, HOUR) == first + HOUR  # the oldest leaves the window then
    assert counts.count(ANN, "photo", HOUR) == 2  # the refused one was not counted
    assert counts.take(BEN, "photo", 2, HOUR) is None  # someone else: their own count
    assert counts.take(ANN, "edit", 2, HOUR) is None  # another kind: its own count
    clock.advance(minutes=41)  # the first photo is now more than an hour old
    assert counts.resets_at(ANN, "photo", 2, HOUR) is None
    assert counts.take(ANN, "photo", 2, HOUR) is None


def test_zero_means_no_limit_but_still_counts(store, clock):
    counts = usage(store, clock)
    for _ in range(5):
        assert counts.take(ANN, "edit", 0, HOUR) is None
    assert counts.count(ANN, "edit", HOUR) == 5
    clock.advance(days=1, seconds=1)
    counts.take(BEN, "edit", 0, HOUR)  # each count clears what is older than a day
    assert counts.count(ANN, "edit", timedelta(days=30)) == 0


def test_counts_and_blocks_hold_across_a_restart(store, clock, migrated_engine: Engine):
    counts = usage(store, clock)
    counts.take(ANN, "optimization", 1, timedelta(days=1))
    assert counts.block(BEN) and not counts.block(BEN)  # the second changed nothing
    again = make_engine(migrated_engine.url.render_as_string(hide_password=False))  # a new process, say
    try:
        restarted = UsageStore(again, clock=clock)
        assert restarted.take(ANN, "optimization", 1, timedelta(days=1)) is not None
        assert restarted.is_blocked(BEN) and not restarted.is_blocked(ANN)
        assert restarted.block(BEN, False) and not restarted.is_blocked(BEN)
    finally:
        again.dispose()


def test_two_processes_never_both_take_the_last_one(store, clock, migrated_engine: Engine):
    """Eight requests at once from two engines (two processes sharing the database): exactly the limit passes."""
    engines = [make_engine(migrated_engine.url.render_as_string(hide_password=False)) for _ in range(2)]
    stores = [UsageStore(engine, clock=clock) for engine in engines]
    results: list[bool] = []
    start = threading.Barrier(8)

    def ask(counts: UsageStore) -> None:
        start.wait()
        results.append(counts.take(ANN, "edit", 3, HOUR) is None)

    threads = [threading.Thread(target=ask, args=(stores[i % 2],)) for i in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        for engine in engines:
            engine.dispose()
    assert sorted(results) == [False] * 5 + [True] * 3
    assert usage(store, clock).count(ANN, "edit", HOUR) == 3


def test_stats_count_people_sessions_edits_and_methods_of_today(store, clock):
    counts = usage(store, clock)
    store.start(ALICE, latent(), "ffhq")
    store.change(ALICE, lambda unit: unit.append(w_plus_edit(1)))
    for _ in range(3):
        counts.take(ANN, "edit", 0, HOUR)
    counts.take(BEN, "photo", 0, HOUR)
    counts.block(Who("telegram", "mallory"))
    stats = counts.stats()
    assert (stats.people, stats.active_today, stats.blocked, stats.sessions) == (3, 2, 1, 1)
    assert stats.edits_today == 1 and stats.methods_today == {"mapper": 1}
    assert stats.busiest == ((ANN, 3), (BEN, 1))
