"""A person's "stop" that reaches another bot process than the one running their optimization (PostgreSQL):
the running process stops it, as if the stop had come to it. Two conversations on two database engines stand
for the two processes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from bot.core import Conversation, TextEvent, TextReply, wording
from bot.core.cancelling import Stoppable
from bot.sessions import SessionStore, migrate
from bot.sessions.database import make_engine
from bot.sessions.stop_signal import StopSignals
from bot.sessions.turn_queue import TurnQueue
from engine.editing import OptimizationSettings
from engine.service import Engine, EngineConfig
from tests.core.helpers import ALICE, BOB, GENERATOR, StepWatch, astronaut_latent, new_engine, optimizing_models

from .conftest import fresh_database

WAIT_S = 30


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh PostgreSQL database, migrated."""
    with fresh_database("postgresql", request, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def stores(database: str) -> Iterator[list[SessionStore]]:
    """Two stores (two engines, two pools) on one PostgreSQL database, Alice's and Bob's sessions in it."""
    stores = [SessionStore.open(database, upgrade=False) for _ in range(2)]
    for who in (ALICE, BOB):
        stores[0].start(who, astronaut_latent(), GENERATOR)
    try:
        yield stores
    finally:
        for store in stores:
            store.close()


@pytest.fixture
def optimizing(monkeypatch):
    return optimizing_models(monkeypatch)


def test_stop_sent_to_another_process_stops_the_optimization_where_it_runs(stores, optimizing, monkeypatch):
    before = stores[0].history(ALICE)

    async def main():
        # At A one optimization at a time and no queue: a second is refused until the first has left the lane.
        engine = Engine(lambda: optimizing, EngineConfig(
            max_batch=1, slow_concurrent=1, slow_queue=0, ask_above_s=float("inf")
        ))
        a, b = Conversation(engine, stores[0]), Conversation(new_engine(), stores[1])
        status = StepWatch()

        try:
            running = asyncio.create_task(a.handle(TextEvent(ALICE, "make him smile"), status))
            await asyncio.wait_for(status.started.wait(), WAIT_S)
            refused = await a.handle(TextEvent(BOB, "make him smile"))  # the lane is full: the control
            stop = await asyncio.wait_for(b.handle(TextEvent(ALICE, "stop")), WAIT_S)
            stopped = await asyncio.wait_for(running, WAIT_S)
            monkeypatch.setattr(optimizing.editor, "settings", OptimizationSettings(steps=2))
            bob = await asyncio.wait_for(a.handle(TextEvent(BOB, "make him smile")), WAIT_S)  # the lane is free
            nothing = await b.handle(TextEvent(ALICE, "/cancel"))
            return refused, stop, stopped, bob, nothing
        finally:
            await a.engine.close()
            await b.engine.close()

    refused, stop, stopped, bob, nothing = asyncio.run(main())
    assert isinstance(refused[0], TextReply) and "busy" in refused[0].text
    assert stop == []  # the stopped message answers for it, as with a stop in the same process
    assert stopped == [TextReply(wording.CANCELLED)]
    after = stores[1].history(ALICE)
    assert (after.session_id, after.version, after.edits) == (before.session_id, before.version, before.edits)
    assert bob[0].caption.startswith("Done: make him smile") and "optimization, 2 steps" in bob[0].caption
    assert nothing == [TextReply(wording.NOTHING_TO_STOP)]  # nothing runs anywhere any more


def test_stop_at_another_process_with_nothing_to_stop_says_so(stores, monkeypatch):
    """Nobody's turn held anywhere, then a turn held at A by work that cannot be stopped: nothing to stop."""
    asked: list[Stoppable] = []  # whose stops ran, in order
    stop = Stoppable.stop

    async def recorded_stop(self: Stoppable, who):
        asked.append(self)
        return await stop(self, who)

    monkeypatch.setattr(Stoppable, "stop", recorded_stop)

    async def main():
        a, b = Conversation(new_engine(), stores[0]), Conversation(new_engine(), stores[1])
        gate, history = asyncio.Event(), a.store.history

        def held_history(who):
            asyncio.run_coroutine_threadsafe(gate.wait(), loop).result()
            return history(who)

        loop = asyncio.get_running_loop()
        try:
            idle = await b.handle(TextEvent(ALICE, "stop"))
            a.store.history = held_history  # type: ignore[method-assign]
            holding = asyncio.create_task(a.handle(TextEvent(ALICE, "history")))  # no engine call to stop
            while a.queue.taken == 0:
                await asyncio.sleep(0.005)
            busy = await asyncio.wait_for(b.handle(TextEvent(ALICE, "stop")), WAIT_S)
            gate.set()
            shown = await asyncio.wait_for(holding, WAIT_S)
            assert asked == [b.stoppable, b.stoppable, a.stoppable]  # idle: A was not asked; busy: it was
            return idle, busy, shown
        finally:
            await a.engine.close()
            await b.engine.close()

    idle, busy, shown = asyncio.run(main())
    assert idle == [TextReply(wording.NOTHING_TO_STOP)]
    assert busy == [TextReply(wording.NOTHING_TO_STOP)]  # A was asked and had nothing to stop
    assert shown[0].caption  # the history was shown, not stopped


def test_an_ask_reaches_only_the_process_holding_the_turn_and_an_unanswered_one_times_out(database):
    """A holds Alice's turn, D Bob's without listening, C listens and holds nothing: B's asks go to A only."""
    engines = {side: make_engine(database) for side in "abcd"}
    queues = {side: TurnQueue(engine) for side, engine in engines.items()}
    stopped: dict[str, list] = {side: [] for side in "abc"}

    def signals(side: str) -> StopSignals:
        async def stop(who) -> bool:
            stopped[side].append(who)
            return True

        return StopSignals(queues[side], stop, reply_timeout_s=0.3)

    async def main():
        a, b, c = (signals(side) for side in "abc")
        await a.listen()
        await c.listen()
        async with queues["a"].turn(ALICE), queues["d"].turn(BOB):
            alice = await asyncio.wait_for(b.ask(ALICE), WAIT_S)
            waited = time.perf_counter()
            bob = await asyncio.wait_for(b.ask(BOB), WAIT_S)  # D holds Bob's turn but does not listen
            waited = time.perf_counter() - waited
            own = await a.ask(ALICE)  # A's own turn: its local stop is the one to use
        nobody = await b.ask(ALICE)  # the turn is over
        return alice, bob, waited, own, nobody

    try:
        alice, bob, waited, own, nobody = asyncio.run(main())
    finally:
        for engine in engines.values():
            engine.dispose()
    assert (alice, bob, own, nobody) == (True, False, False, False)
    assert stopped == {"a": [ALICE], "b": [], "c": []}
    assert 0.3 <= waited < 2
