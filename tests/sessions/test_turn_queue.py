"""Turn tickets on PostgreSQL: one person's messages run one at a time, in arrival order, across processes
(two queues on two engines stand for two processes); a dead process's ticket is dropped; a cancelled
message leaves no ticket behind. On SQLite there are no tickets."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from bot.sessions import migrate, turn_queue
from bot.sessions.database import make_engine
from bot.sessions.turn_queue import TurnQueue, person_key

from .conftest import fresh_database
from .helpers import ALICE, BOB, empty_tables

TIMEOUT_S = 10


@pytest.fixture(scope="module")
def database(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A PostgreSQL database migrated to head, shared by this module's tests."""
    with fresh_database("postgresql", request, tmp_path_factory.mktemp("db")) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def engines(database: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on the database, as two bot processes would have; no tickets at the start."""
    pair = (make_engine(database), make_engine(database))
    empty_tables(pair[0])
    yield pair
    for engine in pair:
        engine.dispose()


def tickets(engine: Engine) -> list[str]:
    """Whose tickets are in the table, in line order."""
    with engine.connect() as connection:
        return list(connection.execute(text("SELECT person_key FROM turn_tickets ORDER BY id")).scalars())


def gone(engine: Engine, pid: int) -> None:
    """Wait until the backend `pid` has ended (it exits just after its client hangs up)."""
    for _ in range(500):
        with engine.connect() as connection:
            if not connection.execute(text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}).first():
                return
        time.sleep(0.01)
    raise AssertionError(f"backend {pid} still runs")


class Line:
    """Messages sent through queues; each records when it runs, and the held ones wait for a gate."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}

    def send(self, queue: TurnQueue, name: str, who=ALICE, *, held: bool = False) -> asyncio.Task[None]:
        if held:
            self.gates[name] = asyncio.Event()

        async def message() -> None:
            async with queue.turn(who):
                self.log.append(f"+{name}")
                if held:
                    await self.gates[name].wait()
                await asyncio.sleep(0.01)  # room for an overlap to show
                self.log.append(f"-{name}")

        return asyncio.create_task(message())

    async def sent(self, queue: TurnQueue, name: str, who=ALICE, *, held: bool = False) -> asyncio.Task[None]:
        """Send, and return once the message is in line (its ticket taken), as an adapter would acknowledge it."""
        before = queue.taken
        task = self.send(queue, name, who, held=held)
        while queue.taken == before:
            await asyncio.sleep(0.002)
        return task

    async def running(self, name: str) -> None:
        while f"+{name}" not in self.log:
            await asyncio.sleep(0.002)


def run(coroutine) -> None:
    asyncio.run(asyncio.wait_for(coroutine, TIMEOUT_S))


def test_tickets_are_served_in_arrival_order_across_processes(engines):
    """Messages 2 and 5 wait at a slowly polling process B; 3 and 4 come later to A, which polls fast: A must
    still let B's earlier message go first, and no two run at once."""
    engine_a, engine_b = engines
    a = TurnQueue(engine_a, poll_s=0.002)
    b = TurnQueue(engine_b, poll_s=0.2)

    async def main() -> None:
        line = Line()
        first = await line.sent(a, "1", held=True)
        await line.running("1")
        others = [await line.sent(b, "2"), await line.sent(a, "3"), await line.sent(a, "4"), await line.sent(b, "5")]
        assert tickets(engine_a) == [person_key(ALICE)] * 5
        line.gates["1"].set()
        await asyncio.gather(first, *others)
        assert line.log == ["+1", "-1", "+2", "-2", "+3", "-3", "+4", "-4", "+5", "-5"]
        assert tickets(engine_a) == []

    run(main())


def test_many_at_once_from_two_processes_run_one_at_a_time_each_process_in_call_order(engines):
    """Twenty messages sent at once (tickets drawn concurrently): never two at a time, none lost, and each
    process's own messages in the order it was given them."""
    engine_a, engine_b = engines
    a, b = TurnQueue(engine_a, poll_s=0.001), TurnQueue(engine_b, poll_s=0.001)

    async def main() -> None:
        line = Line()
        names = [f"{side}{i}" for i in range(10) for side in "ab"]
        await asyncio.gather(*(line.send(a if name[0] == "a" else b, name) for name in names))
        entered = [entry[1:] for entry in line.log if entry[0] == "+"]
        assert sorted(entered) == sorted(names)
        assert line.log == [f"{sign}{name}" for name in entered for sign in "+-"]  # one at a time
        for side in "ab":
            assert [name for name in entered if name[0] == side] == [f"{side}{i}" for i in range(10)]
        assert tickets(engine_a) == []

    run(main())


def test_other_people_do_not_wait(engines):
    engine_a, engine_b = engines
    a, b = TurnQueue(engine_a), TurnQueue(engine_b)

    async def main() -> None:
        line = Line()
        alice = await line.sent(a, "alice", held=True)
        await line.running("alice")
        await asyncio.wait_for(line.send(b, "bob", BOB), 2)  # done while Alice's message still runs
        assert line.log == ["+alice", "+bob", "-bob"]
        line.gates["alice"].set()
        await alice

    run(main())


def test_a_ticket_of_a_process_that_died_is_dropped(engines):
    engine_a, engine_b = engines
    a = TurnQueue(engine_a, stale_after_s=0.3)
    crashed = TurnQueue(engine_b)
    crashed._insert(person_key(ALICE))  # took its ticket, then "died" before deleting it

    async def main() -> None:
        line = Line()
        waiting = await line.sent(a, "after")
        await asyncio.sleep(0.2)
        assert line.log == []  # the other process still lives: its ticket holds the line
        crashed.close()  # its backend ends, as when a process is killed
        gone_at = time.monotonic()
        await waiting
        assert time.monotonic() - gone_at >= 0.3  # not before it was gone for stale_after_s
        assert line.log == ["+after", "-after"]
        assert tickets(engine_a) == []

    run(main())


def test_a_queue_that_loses_its_connection_reconnects_and_keeps_its_tickets(engines):
    """A's kept-open connection is killed while A runs a message: A's heartbeat opens a new one and stamps the
    ticket with it before B, waiting behind, would take the ticket as stale."""
    engine_a, engine_b = engines
    a, b = TurnQueue(engine_a, heartbeat_s=0.05), TurnQueue(engine_b, stale_after_s=1.0)

    async def main() -> None:
        line = Line()
        first = await line.sent(a, "1", held=True)
        await line.running("1")
        old = a._holder
        assert old is not None
        with engine_b.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": old.pid})
        second = await line.sent(b, "2")
        await asyncio.sleep(1.5)
        assert line.log == ["+1"]  # B still waits
        assert a._holder is not None and a._holder != old  # for A reconnected
        line.gates["1"].set()
        await asyncio.gather(first, second)
        assert line.log == ["+1", "-1", "+2", "-2"]
        assert tickets(engine_a) == []

    run(main())


def dead_ticket(engine: Engine, who, *, days_old: float) -> None:
    """A ticket left by a process that died, taken `days_old` days ago."""
    crashed = TurnQueue(engine)
    crashed._insert(person_key(who))
    pid = crashed._holder.pid  # type: ignore[union-attr]
    crashed.close()
    gone(engine, pid)
    with engine.begin() as connection:
        connection.execute(text(
            "UPDATE turn_tickets SET created_at = created_at - make_interval(secs => :s) WHERE person_key = :key"
        ), {"key": person_key(who), "s": days_old * 86400})


def test_old_tickets_of_dead_processes_are_swept_when_a_queue_connects(engines):
    engine_a, engine_b = engines
    dead_ticket(engine_b, ALICE, days_old=0)
    dead_ticket(engine_b, BOB, days_old=2)
    assert tickets(engine_a) == [person_key(ALICE), person_key(BOB)]
    alive = TurnQueue(engine_b)
    alive._insert(person_key(ALICE))
    assert tickets(engine_a) == [person_key(ALICE)] * 2  # Bob's was swept; the recent dead one waits its turn
    alive.close()


def test_the_heartbeat_sweeps_now_and_then(engines, monkeypatch):
    engine_a, engine_b = engines
    a = TurnQueue(engine_a, heartbeat_s=0.02)

    async def main() -> None:
        line = Line()
        held = await line.sent(a, "1", held=True)  # connected (and swept) before the old ticket is left
        dead_ticket(engine_b, BOB, days_old=2)
        monkeypatch.setattr(turn_queue, "SWEEP_EVERY_S", 0.0)
        while person_key(BOB) in tickets(engine_a):
            await asyncio.sleep(0.01)
        line.gates["1"].set()
        await held

    run(main())


def test_a_cancelled_message_leaves_no_ticket(engines):
    engine_a, engine_b = engines
    a, b = TurnQueue(engine_a), TurnQueue(engine_b)

    async def main() -> None:
        line = Line()
        first = await line.sent(a, "1", held=True)
        await line.running("1")
        cancelled = await line.sent(b, "2")
        later = await line.sent(b, "3")
        assert len(tickets(engine_a)) == 3
        cancelled.cancel()
        with pytest.raises(asyncio.CancelledError):
            await cancelled
        assert len(tickets(engine_a)) == 2
        line.gates["1"].set()
        await asyncio.gather(first, later)
        assert line.log == ["+1", "-1", "+3", "-3"]
        assert tickets(engine_a) == []

    run(main())


def test_cancelled_while_taking_its_ticket_still_deletes_it(engines):
    """The insert runs in a thread that cancelling cannot stop: its ticket is deleted once it is known."""
    engine_a, _ = engines
    a = TurnQueue(engine_a)
    release, inserting, inserted = threading.Event(), threading.Event(), threading.Event()
    insert = a._insert

    def slow_insert(key: str):
        inserting.set()
        release.wait(TIMEOUT_S)
        try:
            return insert(key)
        finally:
            inserted.set()

    a._insert = slow_insert  # type: ignore[method-assign]

    async def main() -> None:
        line = Line()
        task = line.send(a, "cancelled")
        await asyncio.to_thread(inserting.wait, TIMEOUT_S)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        release.set()
        await asyncio.to_thread(inserted.wait, TIMEOUT_S)
        while tickets(engine_a):  # taken after the cancel, then deleted
            await asyncio.sleep(0.01)
        assert a.taken == 0  # never counted as in line
        a._insert = insert  # type: ignore[method-assign]
        await asyncio.wait_for(line.send(a, "next"), 2)  # nothing left holding the line
        assert line.log == ["+next", "-next"]
        assert tickets(engine_a) == []

    run(main())


def test_a_long_wait_calls_on_wait_once(engines):
    engine_a, engine_b = engines
    a, b = TurnQueue(engine_a), TurnQueue(engine_b, long_wait_s=0.1)
    notes: list[str] = []

    async def note() -> None:
        notes.append("still working")

    async def main() -> None:
        line = Line()
        first = await line.sent(a, "1", held=True)
        await line.running("1")

        async def second() -> None:
            async with b.turn(ALICE, note):
                line.log.append("+2")

        waiting = asyncio.create_task(second())
        while not notes:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)
        assert notes == ["still working"] and "+2" not in line.log
        line.gates["1"].set()
        await asyncio.gather(first, waiting)
        async with b.turn(ALICE, note):  # nobody ahead: no note
            pass
        assert notes == ["still working"]

    run(main())


def test_sqlite_takes_no_tickets(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite3'}")
    try:
        migrate.upgrade(engine)
        queue = TurnQueue(engine)

        async def main() -> None:
            async with queue.turn(ALICE):
                assert tickets(engine) == []

        run(main())
        assert not queue.enabled and queue.taken == 0
    finally:
        engine.dispose()
