"""One person's messages in order across bot processes sharing a PostgreSQL database: turn tickets.

`bot.core.turns.Turns` orders a person's messages inside one process. Several processes (webhook workers
behind a load balancer) need a line in the database: each message takes a ticket on arrival, a row with a
growing id, and runs once its ticket is the person's lowest. So a message that arrived earlier at a busy
process is never overtaken by a later one at an idle process, which a plain advisory lock would allow
(whoever polls first after a release wins).

Tickets are numbered under a per-person transaction-level advisory lock, so their ids follow commit order; a
sequence alone does not (a lower id may commit after a higher one was already seen as the head).

Each ticket names its process's database backend: the pid and start time of a connection the queue keeps
open while it is in use. A waiter that finds the head ticket's backend gone drops that ticket, so a process
that crashed never blocks a person for ever; a ticket that cannot be deleted closes that connection for the
same reason.

On SQLite (one process, the embedded default) there are no tickets: `turn` only yields.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, DateTime, Engine, Integer, column, delete, event, exists, func, insert, or_, select
from sqlalchemy import table as sql_table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Exists

from bot.sessions.models import TurnTicket, utcnow
from bot.sessions.records import Person

log = logging.getLogger(__name__)

POLL_S = 0.02  # how often a waiting message looks at the head of the line
PING_S = 5.0  # how often the kept-open connection is checked before it stamps a ticket
LOCK_CLASS = 0x7475726E  # "turn": the first key of the two-key advisory locks the queue takes
TICKETS = TurnTicket.__table__
ACTIVITY = sql_table(
    "pg_stat_activity",
    column("pid", Integer),
    column("backend_start", DateTime(timezone=True)),
    schema="pg_catalog",
)


@dataclass(frozen=True)
class Holder:
    """A process's database backend, as pg_stat_activity shows it while the connection lives."""

    pid: int
    started: datetime


@dataclass
class _Arrivals:
    """Tickets of one person taken in call order within this process (asyncio.Lock wakes waiters in order)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


def person_key(who: Person) -> str:
    """The person as one unambiguous string (chat ids may contain any character)."""
    return json.dumps([who.platform, who.chat_id, who.user_id], ensure_ascii=False)


def lock_key(key: str) -> int:
    """The advisory lock's second key for a person: 32 bits of a hash (a collision only serializes more)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big", signed=True)


class TurnQueue:
    """A FIFO per person, shared by every process on the same PostgreSQL database.

    Args:
        engine: the session database's engine (`SessionStore.engine`); anything but PostgreSQL: no tickets.
        poll_s: how often a waiting message checks whether its turn came.
        long_wait_s: a message that has waited this long gets its `on_wait` called (once).
        ping_s: how long the kept-open connection is trusted without checking it.
    """

    def __init__(
        self, engine: Engine, *, poll_s: float = POLL_S, long_wait_s: float = 2.0, ping_s: float = PING_S
    ) -> None:
        self.engine = engine
        self.enabled = engine.dialect.name == "postgresql"
        self.poll_s = poll_s
        self.long_wait_s = long_wait_s
        self.ping_s = ping_s
        self.taken = 0  # tickets taken so far: a message is in line once this counted it
        self._arrivals: dict[str, _Arrivals] = {}
        self._guard = threading.Lock()  # the kept-open connection is used from worker threads
        self._keepalive: Connection | None = None
        self._holder: Holder | None = None
        self._checked = 0.0
        self._cleanups: set[asyncio.Future[None]] = set()
        if self.enabled:
            event.listen(engine, "engine_disposed", lambda _engine: self.close())

    @asynccontextmanager
    async def turn(self, who: Person, on_wait: Callable[[], Awaitable[None]] | None = None) -> AsyncIterator[None]:
        """Wait until the person's earlier messages, in every process, are done; hold the turn inside.

        The ticket is taken on the call's first step (in call order within the process) and deleted on
        exit, also when the caller is cancelled.
        """
        if not self.enabled:
            yield
            return
        key = person_key(who)
        ticket, head = await self._take(key)
        try:
            await self._wait(key, ticket, head, on_wait)
            yield
        finally:
            await asyncio.to_thread(self._delete, ticket)  # a cancelled await still lets the thread finish

    def close(self) -> None:
        """Close the kept-open connection (its tickets then read as stale); the next turn opens another."""
        with self._guard:
            self._close_keepalive()

    # -- on the event loop ----------------------------------------------------------------------------

    async def _take(self, key: str) -> tuple[int, int | None]:
        arrivals = self._arrivals.setdefault(key, _Arrivals())
        arrivals.users += 1
        try:
            async with arrivals.lock:
                work = asyncio.ensure_future(asyncio.to_thread(self._insert, key))
                try:
                    ticket, head = await asyncio.shield(work)
                except asyncio.CancelledError:
                    work.add_done_callback(self._delete_once_taken)  # the insert goes on in its thread
                    raise
                self.taken += 1
                return ticket, head
        finally:
            arrivals.users -= 1
            if arrivals.users == 0:
                del self._arrivals[key]

    async def _wait(
        self, key: str, ticket: int, head: int | None, on_wait: Callable[[], Awaitable[None]] | None
    ) -> None:
        loop = asyncio.get_running_loop()
        since, noted = loop.time(), on_wait is None
        while head != ticket:
            if not noted and loop.time() - since >= self.long_wait_s:
                noted = True
                await on_wait()  # type: ignore[misc]
            await asyncio.sleep(self.poll_s)
            head = await asyncio.to_thread(self._head, key, ticket)

    def _delete_once_taken(self, work: asyncio.Future[tuple[int, int | None]]) -> None:
        if work.cancelled() or work.exception() is not None:
            return
        cleanup = asyncio.ensure_future(asyncio.to_thread(self._delete, work.result()[0]))
        self._cleanups.add(cleanup)
        cleanup.add_done_callback(self._cleanups.discard)

    # -- in worker threads -------------------------------------------------------------------------------

    def _insert(self, key: str) -> tuple[int, int | None]:
        """A new ticket for `key`, committed, and the person's head ticket as seen right after it."""
        holder = self._holder_now()
        with self.engine.connect() as connection:
            connection.execution_options(isolation_level="READ COMMITTED")  # each statement sees the latest
            with connection.begin():
                # Numbering under the person's lock: every earlier ticket is committed before this id is drawn.
                connection.execute(select(func.pg_advisory_xact_lock(LOCK_CLASS, lock_key(key))))
                ticket = connection.execute(
                    insert(TICKETS)
                    .values(person_key=key, holder_pid=holder.pid, holder_started=holder.started, created_at=utcnow())
                    .returning(TICKETS.c.id)
                ).scalar_one()
                head = connection.execute(
                    select(func.min(TICKETS.c.id)).where(TICKETS.c.person_key == key)
                ).scalar_one()
        return ticket, head

    def _head(self, key: str, ticket: int) -> int:
        """The person's head ticket, after dropping heads whose process is gone; `ticket` if it was dropped."""
        with self.engine.begin() as connection:
            while True:
                row = connection.execute(
                    select(TICKETS.c.id, _alive().label("alive"))
                    .where(TICKETS.c.person_key == key)
                    .order_by(TICKETS.c.id)
                    .limit(1)
                ).first()
                if row is None or row.id > ticket:
                    log.warning("turn ticket %d was dropped as stale while waiting; going ahead", ticket)
                    return ticket
                if row.id == ticket or row.alive:
                    return row.id
                connection.execute(delete(TICKETS).where(TICKETS.c.id == row.id))
                log.info("dropped turn ticket %d: the process holding it is gone", row.id)

    def _delete(self, ticket: int) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(TICKETS).where(TICKETS.c.id == ticket))
        except DBAPIError:
            # Left behind, it would hold the person's line while this process lives: end the backend it names,
            # so waiters drop it as stale (the message itself is done: nothing to raise to its caller).
            log.exception("could not delete turn ticket %d; closing the connection it names", ticket)
            self.close()

    def _holder_now(self) -> Holder:
        """This process's backend, (re)opening the kept-open connection when it is new or broken."""
        with self._guard:
            now = time.monotonic()
            if self._keepalive is not None and now - self._checked >= self.ping_s:
                try:
                    self._keepalive.exec_driver_sql("SELECT 1")
                    self._checked = now
                except DBAPIError:
                    log.warning("the turn queue's connection broke; opening another")
                    self._close_keepalive()
            if self._keepalive is None or self._holder is None:
                self._keepalive, self._holder = _open_keepalive(self.engine)
                self._checked = now
            return self._holder

    def _close_keepalive(self) -> None:
        if self._keepalive is not None:
            with suppress(DBAPIError):
                self._keepalive.invalidate()  # ends the backend (a plain close would keep it in the pool)
                self._keepalive.close()
        self._keepalive = self._holder = None


def _alive() -> Exists:
    """Whether a ticket's backend still runs (start time compared where the role may see it)."""
    return (
        exists()
        .where(
            ACTIVITY.c.pid == TICKETS.c.holder_pid,
            or_(ACTIVITY.c.backend_start.is_(None), ACTIVITY.c.backend_start == TICKETS.c.holder_started),
        )
    )


def _open_keepalive(engine: Engine) -> tuple[Connection, Holder]:
    """A connection held open (in autocommit: never idle in a transaction), its backend, and a sweep of
    tickets whose backend is gone (a person who never writes again would otherwise keep them)."""
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        pid, started = connection.execute(
            select(ACTIVITY.c.pid, ACTIVITY.c.backend_start).where(ACTIVITY.c.pid == func.pg_backend_pid())
        ).one()
        swept = connection.execute(delete(TICKETS).where(~_alive())).rowcount
    except BaseException:
        connection.close()
        raise
    if swept:
        log.info("dropped %d turn tickets of processes that are gone", swept)
    return connection, Holder(pid, started)
