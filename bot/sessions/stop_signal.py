"""A person's "stop" reaching another bot process than the one running their optimization (PostgreSQL).

Behind a load balancer, "stop" often arrives at a process where nothing of the person runs. The process that
holds the person's turn is known: the head turn ticket names its queue's backend (`TurnQueue.head_holder`).
So the asking process sends a NOTIFY addressed to that backend's pid, and the holder stops the person's work
and NOTIFYs back whether there was anything to stop; the asker answers the person as a local stop would.

Every process LISTENs on a connection of its own, waited on by a thread of its own: psycopg holds a
connection's lock while it waits for notifications, so the queue's connection cannot be shared. Messages
are JSON on one channel per database; the addressee's pid (unique among running backends of the server)
keeps processes of other databases or schemas on the same server from acting on them.

On SQLite (one process) nothing is sent or listened to.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from sqlalchemy import Connection, event, func, select, text
from sqlalchemy.exc import DBAPIError

from bot.sessions.records import Person
from bot.sessions.turn_queue import TurnQueue

log = logging.getLogger(__name__)

CHANNEL = "styleclip_stop"
WAIT_S = 0.5  # how long the listening thread waits for a notification before checking whether to end
REPLY_TIMEOUT_S = 5.0  # how long an asker waits for the holder's answer (its stop waits for the engine's step)
RETRY_S = 1.0  # after losing its connection, the listener waits this long before opening another


class StopSignals:
    """Stops across processes: `ask` a person's turn holder elsewhere; answer such asks with `stop`.

    Args:
        queue: the process's turn queue (its engine, and its backend: the address others write to).
        stop: stops the person's running work in this process and returns whether there was any.
        reply_timeout_s: an ask not answered within this long counts as nothing stopped.
    """

    def __init__(
        self,
        queue: TurnQueue,
        stop: Callable[[Person], Awaitable[bool]],
        *,
        reply_timeout_s: float = REPLY_TIMEOUT_S,
    ) -> None:
        self.queue = queue
        self.enabled = queue.enabled
        self.reply_timeout_s = reply_timeout_s
        self._stop = stop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._listening: asyncio.Future[None] | None = None  # done once LISTEN has run
        self._closing = threading.Event()
        self._replies: dict[str, asyncio.Future[bool]] = {}  # asks of this process awaiting an answer
        self._answering: set[asyncio.Task[None]] = set()
        if self.enabled:
            event.listen(queue.engine, "engine_disposed", lambda _engine: self.close())

    async def listen(self) -> None:
        """Start listening (once; later calls return at once), so that asks reach this process."""
        if not self.enabled:
            return
        self._loop = asyncio.get_running_loop()  # notifications go to the loop that handles messages now
        if self._thread is None or not self._thread.is_alive():
            self._closing.clear()
            self._listening = self._loop.create_future()
            self._thread = threading.Thread(target=self._listen, name="stop-signals", daemon=True)
            self._thread.start()
        listening = self._listening
        if listening is None or listening.get_loop() is not self._loop:
            return  # listening since an earlier loop ran
        try:
            await asyncio.shield(listening)
        except DBAPIError:
            log.warning("cannot listen for stops from other processes; trying again with the next message")

    async def ask(self, who: Person) -> bool:
        """Ask the process that holds the person's turn, if another one, to stop their work there.

        Returns:
            whether something was stopped (False: no other process holds their turn, or it had nothing to stop,
            or it did not answer in time).
        """
        holder = await self.queue.head_holder(who) if self.enabled else None
        own = self.queue.backend
        if holder is None or (own is not None and holder.pid == own.pid):
            return False
        await self.listen()
        ask_id = uuid.uuid4().hex
        reply = asyncio.get_running_loop().create_future()
        self._replies[ask_id] = reply
        try:
            await asyncio.to_thread(self._notify, {"to": holder.pid, "id": ask_id, "person": _fields(who)})
            return await asyncio.wait_for(reply, self.reply_timeout_s)
        except TimeoutError:
            log.warning("backend %d was asked to stop a person's work and did not answer", holder.pid)
            return False
        finally:
            self._replies.pop(ask_id, None)

    def close(self) -> None:
        """Stop listening (the thread ends within WAIT_S); the next `listen` starts again."""
        self._closing.set()

    # -- on the event loop ----------------------------------------------------------------------------

    def _received(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            if "reply" in message:
                reply = self._replies.get(message["reply"])
                if reply is not None and not reply.done():
                    reply.set_result(bool(message["stopped"]))
                return
            own = self.queue.backend
            if own is None or message["to"] != own.pid:
                return  # for another process
            who = Person(*message["person"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed stop message on %s", CHANNEL)
            return
        answering = asyncio.get_running_loop().create_task(self._answer(message["id"], who))
        self._answering.add(answering)
        answering.add_done_callback(self._answering.discard)

    async def _answer(self, ask_id: str, who: Person) -> None:
        stopped = await self._stop(who)
        try:
            await asyncio.to_thread(self._notify, {"reply": ask_id, "stopped": stopped})
        except DBAPIError:
            log.warning("could not answer a stop asked by another process", exc_info=True)

    def _started(self, error: BaseException | None) -> None:
        if self._listening is not None and not self._listening.done():
            if error is None:
                self._listening.set_result(None)
            else:
                self._listening.set_exception(error)

    # -- in threads -----------------------------------------------------------------------------------

    def _notify(self, message: dict[str, Any]) -> None:
        with self.queue.engine.connect() as connection:
            connection.execute(select(func.pg_notify(CHANNEL, json.dumps(message, ensure_ascii=False))))
            connection.commit()  # notifications are delivered on commit

    def _listen(self) -> None:
        """The listening thread: LISTEN, then pass each notification to the loop; reconnect when lost."""
        first = True
        while not self._closing.is_set():
            try:
                connection = self.queue.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            except DBAPIError as exc:
                if first:
                    self._to_loop(self._started, exc)
                    return  # the message that started it goes on; the next one tries again
                log.warning("the stop listener cannot reach the database; trying again")
                self._closing.wait(RETRY_S)
                continue
            try:
                connection.execute(text(f"LISTEN {CHANNEL}"))
                if first:
                    self._to_loop(self._started, None)
                    first = False
                self._wait(connection)
            except Exception as exc:  # any loss (psycopg raises its own errors here): reconnect
                if first:
                    self._to_loop(self._started, exc)
                    return
                log.warning("the stop listener lost its connection; opening another", exc_info=True)
                self._closing.wait(RETRY_S)
            finally:
                with suppress(Exception):
                    connection.invalidate()  # ends the backend and its LISTEN (a pool would keep both)
                    connection.close()

    def _wait(self, connection: Connection) -> None:
        driver = connection.connection.driver_connection
        assert driver is not None
        while not self._closing.is_set():
            for note in driver.notifies(timeout=WAIT_S):
                self._to_loop(self._received, note.payload)

    def _to_loop(self, callback: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with suppress(RuntimeError):  # the loop closed meanwhile: nobody left to tell
            loop.call_soon_threadsafe(callback, *args)


def _fields(who: Person) -> list[str]:
    return [who.platform, who.chat_id, who.user_id]
