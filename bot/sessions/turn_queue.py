"""One person's messages in order across bot processes sharing a PostgreSQL database: turn tickets.

`bot.core.turns.Turns` orders a person's messages inside one process. Several processes (webhook workers
behind a load balancer) need a line in the database: each message takes a ticket on arrival, a row with a
growing id, and runs once its ticket is the person's lowest. So a message that arrived earlier at a busy
process is never overtaken by a later one at an idle process, which a plain advisory lock would allow
(whoever polls first after a release wins).

Tickets are numbered under a per-person transaction-level advisory lock, so their ids follow commit order; a
sequence alone does not (a lower id may commit after a higher one was already seen as the head).

Each ticket names its process's database backend: the pid and start time of the one connection the queue
keeps open and runs all its statements on (in autocommit; the store's pool is left to the store). A waiter
that finds the head ticket's backend gone drops that ticket, so a process that crashed never blocks a person
for ever; a ticket that cannot be deleted closes that connection for the same reason.

On SQLite (one process, the embedded default) there are no tickets: `turn` only yields.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Integer,
    Row,
    Text,
    column,
    delete,
    event,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy import table as sql_table
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Exists

from bot.sessions.models import TurnTicket, UTCDateTime, utcnow
from bot.sessions.records import Person

log = logging.getLogger(__name__)
T = TypeVar("T")

POLL_S = 0.02  # how often a waiting message looks at the head of the line
HEARTBEAT_S = 1.0  # how often the kept-open connection is checked while this process has tickets
STALE_AFTER_S = 5.0  # how long a head ticket's backend must be gone before a waiter drops it
SWEEP_AGE = timedelta(days=1)  # a dead process's tickets this old are swept (no turn lasts a day)
SWEEP_EVERY_S = 3600.0  # besides at connecting, the heartbeat sweeps this often
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
        heartbeat_s: while the process has tickets, its connection is checked this often; a lost one is
            replaced and its tickets stamped with the new backend, before waiters elsewhere take them as stale.
        stale_after_s: a waiter drops the head ticket once its backend has been gone this long.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        poll_s: float = POLL_S,
        long_wait_s: float = 2.0,
        heartbeat_s: float = HEARTBEAT_S,
        stale_after_s: float = STALE_AFTER_S,
    ) -> None:
        self.engine = engine
        self.enabled = engine.dialect.name == "postgresql"
        self.poll_s = poll_s
        self.long_wait_s = long_wait_s
        self.heartbeat_s = heartbeat_s
        self.stale_after_s = stale_after_s
        self.taken = 0  # tickets taken so far: a message is in line once this counted it
        self._held = 0  # tickets of this process not yet deleted
        self._heartbeat: asyncio.Task[None] | None = None
        self._swept_at = 0.0  # event loop time of the heartbeat's last sweep
        self._arrivals: dict[str, _Arrivals] = {}
        # One thread of its own does the queue's database work, so waiting messages never hold up the
        # store's threads; the lock also covers `close` from other threads.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="turn-queue")
        self._guard = threading.Lock()
        self._keepalive: Connection | None = None
        self._holder: Holder | None = None
        self._cleanups: set[asyncio.Future[None]] = set()  # deletes of tickets taken after a cancel
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
        self._held += 1
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.create_task(self._beat())
        try:
            await self._wait(key, ticket, head, on_wait)
            yield
        finally:
            try:
                await asyncio.shield(self._in_worker(self._delete, ticket))  # done even if cancelled meanwhile
            finally:
                self._held -= 1

    @property
    def backend(self) -> Holder | None:
        """This process's backend, which its tickets name; None until the queue first connects."""
        return self._holder

    async def head_holder(self, who: Person) -> Holder | None:
        """The running backend that holds the person's head ticket (their current turn); None: nobody's."""
        if not self.enabled:
            return None
        return await self._in_worker(self._head_holder, person_key(who))

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
                work = self._in_worker(self._insert, key)
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
        dead_since: dict[int, float] = {}  # head tickets seen with their backend gone, and since when
        while head != ticket:
            if not noted and loop.time() - since >= self.long_wait_s:
                noted = True
                await on_wait()  # type: ignore[misc]
            await asyncio.sleep(self.poll_s)
            seen = await self._in_worker(self._head, key)
            if seen is None or seen.id > ticket:
                log.warning("turn ticket %d was dropped as stale while waiting; going ahead", ticket)
                return
            head = seen.id
            if head == ticket or seen.alive:
                dead_since.clear()
            elif loop.time() - dead_since.setdefault(head, loop.time()) >= self.stale_after_s:
                await self._in_worker(self._drop_stale, head)

    async def _beat(self) -> None:
        """While this process has tickets, keep its connection (and so its tickets) alive; sweep now and then."""
        loop = asyncio.get_running_loop()
        while self._held:
            await asyncio.sleep(self.heartbeat_s)
            if not self._held:
                break
            sweep = loop.time() - self._swept_at >= SWEEP_EVERY_S
            try:
                await self._in_worker(self._on_connection, _sweep if sweep else _ping)
            except DBAPIError:
                log.warning("the turn queue cannot reach the database", exc_info=True)
            else:
                self._swept_at = loop.time() if sweep else self._swept_at

    def _in_worker(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        return asyncio.get_running_loop().run_in_executor(self._worker, function, *args)

    def _delete_once_taken(self, work: asyncio.Future[tuple[int, int | None]]) -> None:
        if work.cancelled() or work.exception() is not None:
            return
        cleanup = self._in_worker(self._delete, work.result()[0])
        self._cleanups.add(cleanup)
        cleanup.add_done_callback(self._cleanups.discard)

    # -- in worker threads, on the kept-open connection -----------------------------------------------------

    def _insert(self, key: str) -> tuple[int, int | None]:
        """A new ticket for `key`, committed, and the person's head ticket as seen right after it."""

        def take(connection: Connection, holder: Holder) -> tuple[int, int | None]:
            # One statement, its own transaction: the person's lock first, then the id is drawn, then the commit
            # lets the next one in. So every earlier ticket is committed before this id is drawn.
            line = select(func.pg_advisory_xact_lock(LOCK_CLASS, lock_key(key)).label("locked")).subquery("line")
            row = select(
                literal(key, Text()),
                literal(holder.pid, Integer()),
                literal(holder.started, UTCDateTime()),
                literal(utcnow(), UTCDateTime()),
            ).select_from(line)
            taking = insert(TICKETS).from_select(["person_key", "holder_pid", "holder_started", "created_at"], row)
            ticket = connection.execute(taking.returning(TICKETS.c.id)).scalar_one()
            # A statement of its own: a snapshot taken after the lock, which sees every earlier ticket.
            head = connection.execute(select(func.min(TICKETS.c.id)).where(TICKETS.c.person_key == key)).scalar_one()
            return ticket, head

        return self._on_connection(take)

    def _head(self, key: str) -> Row[tuple[int, bool]] | None:
        """The person's head ticket (`id`) and whether its backend still runs (`alive`); None: no tickets."""
        return self._on_connection(
            lambda connection, _: connection.execute(
                select(TICKETS.c.id, _alive().label("alive"))
                .where(TICKETS.c.person_key == key)
                .order_by(TICKETS.c.id)
                .limit(1)
            ).first()
        )

    def _head_holder(self, key: str) -> Holder | None:
        row = self._on_connection(
            lambda connection, _: connection.execute(
                select(TICKETS.c.holder_pid, TICKETS.c.holder_started, _alive().label("alive"))
                .where(TICKETS.c.person_key == key)
                .order_by(TICKETS.c.id)
                .limit(1)
            ).first()
        )
        return Holder(row.holder_pid, row.holder_started) if row is not None and row.alive else None

    def _drop_stale(self, ticket: int) -> None:
        """Delete `ticket` unless its backend runs again (its process has stamped it anew meanwhile)."""
        dropped = self._on_connection(
            lambda connection, _: connection.execute(
                delete(TICKETS).where(TICKETS.c.id == ticket, ~_alive())
            ).rowcount
        )
        if dropped:
            log.info("dropped turn ticket %d: the process holding it is gone", ticket)

    def _delete(self, ticket: int) -> None:
        try:
            self._on_connection(lambda connection, _: connection.execute(delete(TICKETS).where(TICKETS.c.id == ticket)))
        except DBAPIError:
            # Left behind, it would hold the person's line while this process lives: end the backend it names,
            # so waiters drop it as stale (the message itself is done: nothing to raise to its caller).
            log.exception("could not delete turn ticket %d; closing the connection it names", ticket)
            self.close()

    def _on_connection(self, work: Callable[[Connection, Holder], T]) -> T:
        """`work` on the kept-open connection, opened on first use; once more on a new one if it was lost."""
        with self._guard:
            for attempt in (1, 2):
                if self._keepalive is None or self._holder is None:
                    self._keepalive, self._holder = _open_keepalive(self.engine, self._holder)
                try:
                    return work(self._keepalive, self._holder)
                except DBAPIError as exc:
                    if attempt == 2 or not exc.connection_invalidated:
                        raise
                    log.warning("the turn queue's connection was lost; opening another")
                    with suppress(DBAPIError):
                        self._keepalive.close()
                    self._keepalive = None  # the old holder's tickets move to the new one
            raise AssertionError("unreachable")

    def _close_keepalive(self) -> None:
        if self._keepalive is not None:
            with suppress(DBAPIError):
                self._keepalive.invalidate()  # ends the backend (a plain close would keep it in the pool)
                self._keepalive.close()
        self._keepalive = self._holder = None


def _ping(connection: Connection, _holder: Holder) -> None:
    connection.execute(select(1))


def _alive() -> Exists:
    """Whether a ticket's backend still runs (start time compared where the role may see it)."""
    return (
        exists()
        .where(
            ACTIVITY.c.pid == TICKETS.c.holder_pid,
            or_(ACTIVITY.c.backend_start.is_(None), ACTIVITY.c.backend_start == TICKETS.c.holder_started),
        )
    )


def _open_keepalive(engine: Engine, previous: Holder | None) -> tuple[Connection, Holder]:
    """A connection to hold open (in autocommit: never idle in a transaction) and its backend.

    Tickets stamped with `previous` (this queue's backend before its connection was lost) are stamped anew,
    and old tickets whose backend is gone are swept.
    """
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        pid, started = connection.execute(
            select(ACTIVITY.c.pid, ACTIVITY.c.backend_start).where(ACTIVITY.c.pid == func.pg_backend_pid())
        ).one()
        if previous is not None:
            connection.execute(
                update(TICKETS)
                .where(TICKETS.c.holder_pid == previous.pid, TICKETS.c.holder_started == previous.started)
                .values(holder_pid=pid, holder_started=started)
            )
        _sweep(connection)
    except BaseException:
        connection.close()
        raise
    return connection, Holder(pid, started)


def _sweep(connection: Connection, _holder: Holder | None = None) -> None:
    """Delete old tickets whose backend is gone: a person who never writes again would otherwise keep them."""
    swept = connection.execute(
        delete(TICKETS).where(~_alive(), TICKETS.c.created_at < utcnow() - SWEEP_AGE)
    ).rowcount
    if swept:
        log.info("dropped %d turn tickets of processes that are gone", swept)
