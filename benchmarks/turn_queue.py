"""Turn tickets on PostgreSQL: ms a message spends on its ticket when nobody is ahead (take + delete), beside
one plain round trip, and the hand-over from one process to the next when one is (release to next start).

    python benchmarks/turn_queue.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/test] [--turns 300]

Works in a scratch schema, dropped afterwards. Two engines stand for two processes.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import Engine, create_engine, make_url, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.sessions import Person, migrate
from bot.sessions.database import display_url, make_engine
from bot.sessions.turn_queue import POLL_S, TurnQueue

ALICE = Person("bench", "chat", "alice")


def report(name: str, times: list[float]) -> None:
    print(f"  {name:<44} {statistics.median(times):6.2f} ms median, {statistics.mean(times):6.2f} ms mean "
          f"({len(times)} runs)")


async def alone(queue: TurnQueue, turns: int) -> list[float]:
    """Turns of one person, one after another: the ticket's whole cost, nobody ever ahead."""
    async with queue.turn(ALICE):  # opens the kept-open connection first
        pass
    times = []
    for _ in range(turns):
        start = time.perf_counter()
        async with queue.turn(ALICE):
            pass
        times.append((time.perf_counter() - start) * 1000)
    return times


async def round_trips(engine: Engine, turns: int) -> list[float]:
    """The same number of plain `SELECT 1` transactions through a worker thread, for scale."""

    def once() -> None:
        with engine.begin() as connection:
            connection.execute(text("SELECT 1"))

    times = []
    for _ in range(turns):
        start = time.perf_counter()
        await asyncio.to_thread(once)
        times.append((time.perf_counter() - start) * 1000)
    return times


async def hand_overs(first: TurnQueue, second: TurnQueue, turns: int) -> list[float]:
    """A message waits at the second process while the first holds the turn: ms from release to its start."""

    async def holder(holding: asyncio.Event, released: asyncio.Event) -> float:
        async with first.turn(ALICE):
            holding.set()
            await released.wait()
            return time.perf_counter()

    async def waiter() -> float:
        async with second.turn(ALICE):
            return time.perf_counter()

    times = []
    for _ in range(turns):
        holding, released = asyncio.Event(), asyncio.Event()
        held = asyncio.create_task(holder(holding, released))
        await holding.wait()
        waiting = asyncio.create_task(waiter())
        await asyncio.sleep(0.03)  # in line, polling
        released.set()
        ended_at = await held
        times.append((await waiting - ended_at) * 1000)
    return times


async def measure(url: str, turns: int) -> None:
    engines = [make_engine(url), make_engine(url)]
    try:
        first, second = (TurnQueue(engine) for engine in engines)
        report("SELECT 1 in a thread (one round trip)", await round_trips(engines[0], turns))
        report("turn with nobody ahead (take + delete)", await alone(first, turns))
        hand_over = await hand_overs(first, second, max(turns // 10, 1))
        report(f"hand-over to another process (poll {POLL_S * 1000:.0f} ms)", hand_over)
    finally:
        for engine in engines:
            engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    admin = create_engine(args.url)
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(args.url).update_query_dict({"options": f"-csearch_path={schema}"})
        url_text = url.render_as_string(hide_password=False)
        migrate.upgrade(url_text)
        print(f"turn tickets on {display_url(args.url)}:")
        asyncio.run(measure(url_text, args.turns))
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
