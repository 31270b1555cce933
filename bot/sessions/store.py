"""The session store: per-person edit history, one transaction per operation, safe under concurrency."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TypeVar

import numpy as np
from sqlalchemy import ColumnElement, Engine, Select, delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.exc import StaleDataError

from bot.sessions import config
from bot.sessions.arrays import StoredArray, encode_shape
from bot.sessions.database import WRITE_OPTION, checkpoint_sqlite, make_engine
from bot.sessions.errors import ConcurrentEdit, InvalidEdit, NoSession
from bot.sessions.models import ChatSession, Edit, StoredPhoto, utcnow
from bot.sessions.records import (
    MAX_LATENT_BYTES,
    CurrentState,
    NewEdit,
    Person,
    Preview,
    Revision,
    SessionPhoto,
    SessionSummary,
)
from bot.sessions.retry import retry_on_conflict
from bot.sessions.unit import SessionUnit, build_current, build_summary

T = TypeVar("T")
log = logging.getLogger(__name__)

# PostgreSQL SQLSTATEs that mean "lost a race, try again": serialization failure, deadlock, lock timeout.
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}


class SessionStore:
    """Per-person sessions (photo latent + ordered edits with an undo pointer) in SQLite or PostgreSQL.

    Every write runs in one transaction that locks the session row (PostgreSQL: SELECT ... FOR UPDATE;
    SQLite: BEGIN IMMEDIATE) and bumps its version column, so two messages of the same person never
    interleave. A writer that loses anyway gets `ConcurrentEdit`, which the one-call operations
    retry by themselves, unless the caller passed `expect=`: then the caller computed something from a
    state that is now stale and must read again (see `retry_on_conflict`).

    Any change is a function of a `SessionUnit` (e.g. `SessionUnit.undo`). `preview(person, change)` shows
    the state it would give without keeping it; `change(person, change, expect=preview.revision)` makes it,
    unless the session moved on in between.
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow, attempts: int = 10) -> None:
        self.engine = engine
        self._clock = clock
        self._attempts = attempts

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        upgrade: bool | None = None,
        clock: Callable[[], datetime] = utcnow,
        attempts: int = 10,
    ) -> SessionStore:
        """Connect to `url` (default: $DATABASE_URL or the SQLite file) and bring the schema to head.

        Args:
            url: database URL; None reads the environment (see `config.database_url`).
            upgrade: run migrations first; None reads $STYLECLIP_BOT_DB_AUTO_UPGRADE (default on).
                When off, a schema that is not at head raises `SchemaOutOfDate`.
        """
        from bot.sessions import migrate

        engine = make_engine(url)
        if config.auto_upgrade() if upgrade is None else upgrade:
            migrate.upgrade(engine)
        else:
            migrate.require_head(engine)
        return cls(engine, clock=clock, attempts=attempts)

    def close(self) -> None:
        self.engine.dispose()

    # -- transactions -------------------------------------------------------------------------------

    @contextmanager
    def _transaction(self, *, write: bool, keep: bool = True) -> Iterator[Session]:
        """One transaction; committed on exit when `keep`, else rolled back (a snapshot to try things on)."""
        try:
            with Session(self.engine, expire_on_commit=False) as orm, orm.begin() as transaction:
                if write:
                    orm.connection(execution_options={WRITE_OPTION: True})
                yield orm
                if not keep:
                    transaction.rollback()
        except StaleDataError as exc:
            raise ConcurrentEdit() from exc
        except DBAPIError as exc:
            if _lost_race(exc):
                raise ConcurrentEdit() from exc
            raise

    @contextmanager
    def unit(self, person: Person, *, expect: Revision | None = None) -> Iterator[SessionUnit]:
        """A unit of work on the person's current session, committed on exit, rolled back on any exception.

        Args:
            person: whose current (latest) session to change.
            expect: the revision the caller read; if the session changed since, raise `ConcurrentEdit`.
        Raises:
            NoSession, ConcurrentEdit.
        """
        with self._transaction(write=True) as orm:
            row = _latest(orm, person, lock=True)
            if expect is not None and (row.id, row.version) != (expect.session_id, expect.version):
                raise ConcurrentEdit("This photo changed while the edit was being made; please try again.")
            # One version bump per unit: UPDATE ... SET version = v + 1 WHERE version = v. A writer that changed
            # the row since we read it (only possible without the row lock) makes that fail -> ConcurrentEdit.
            row.version += 1
            row.updated_at = self._clock()
            yield SessionUnit(orm, row, self._clock)

    def preview(
        self, person: Person, change: Callable[[SessionUnit], object], *, expect: Revision | None = None
    ) -> Preview:
        """The state `change` would give the person's current session, computed on a snapshot that is then
        dropped: nothing is stored and the version stays. Errors of the change itself (`NothingToUndo`, ...)
        are raised as they would be by `change`.
        """
        with self._transaction(write=True, keep=False) as orm:
            row = _latest(orm, person, lock=True, with_latent=True)
            read = Revision(row.id, row.version)
            if expect is not None and read != expect:
                raise ConcurrentEdit("This photo changed while the edit was being made; please try again.")
            unit = SessionUnit(orm, row, self._clock)
            change(unit)
            return Preview(unit.current(), read)

    def change(
        self, person: Person, change: Callable[[SessionUnit], object], *, expect: Revision | None = None
    ) -> SessionSummary:
        """Make `change` to the person's current session in one transaction; returns the new summary.

        Args:
            expect: the revision the caller read (e.g. `preview(...).revision`); if the session changed since,
                `ConcurrentEdit` and nothing is written. Without it, lost races are retried.
        """

        def once() -> SessionSummary:
            with self.unit(person, expect=expect) as unit:
                change(unit)
                return unit.summary()

        return once() if expect is not None else retry_on_conflict(once, attempts=self._attempts)

    def _write(self, person: Person, expect: Revision | None, work: Callable[[SessionUnit], T]) -> SessionSummary:
        return self.change(person, work, expect=expect)

    # -- operations ---------------------------------------------------------------------------------

    def start(
        self,
        person: Person,
        latent: StoredArray | np.ndarray,
        generator: str,
        *,
        photo: SessionPhoto | None = None,
    ) -> SessionSummary:
        """Start a new session for a new photo; the person's older sessions stay until forgotten or purged.

        Args:
            latent: the photo's inverted W+ latent, float [num_ws, w_dim].
            generator: which generator the latent belongs to (e.g. "stylegan2-ffhq-config-f").
            photo: the kept copy of the photo and where its face is, stored with the session.
        """
        stored = StoredArray.coerce(latent)
        if stored.nbytes > MAX_LATENT_BYTES:
            raise InvalidEdit(f"A latent of {stored.nbytes} bytes is larger than the {MAX_LATENT_BYTES} allowed.")
        if not generator or len(generator) > 200:
            raise InvalidEdit("The generator name must have 1 to 200 characters.")
        now = self._clock()
        with self._transaction(write=True) as orm:
            row = ChatSession(
                platform=person.platform,
                chat_id=person.chat_id,
                user_id=person.user_id,
                generator=generator,
                latent=stored.data,
                latent_shape=encode_shape(stored.shape),
                latent_dtype=stored.dtype,
                position=0,
                version=1,
                created_at=now,
                updated_at=now,
            )
            orm.add(row)
            orm.flush()
            if photo is not None:
                orm.add(_photo_row(row.id, photo, now))
                orm.flush()
            return build_summary(orm, row)

    def append(self, person: Person, edit: NewEdit, *, expect: Revision | None = None) -> SessionSummary:
        """Add an edit at the current position (discarding any undone edits after it)."""
        return self._write(person, expect, lambda unit: unit.append(edit))

    def undo(self, person: Person, *, expect: Revision | None = None) -> SessionSummary:
        return self._write(person, expect, SessionUnit.undo)

    def redo(self, person: Person, *, expect: Revision | None = None) -> SessionSummary:
        return self._write(person, expect, SessionUnit.redo)

    def reset(self, person: Person, *, expect: Revision | None = None) -> SessionSummary:
        """Back to the original photo (the edits can be redone until a new edit is made)."""
        return self._write(person, expect, SessionUnit.reset)

    def rescale_last(self, person: Person, factor: float, *, expect: Revision | None = None) -> SessionSummary:
        """"more" / "less": multiply the last active edit's strength by `factor`."""
        return self._write(person, expect, lambda unit: unit.rescale_last(factor))

    def drop_edit(
        self,
        person: Person,
        edit_id: int,
        *,
        replacements: Mapping[int, StoredArray | np.ndarray] | None = None,
        expect: Revision | None = None,
    ) -> SessionSummary:
        """Remove an earlier edit and, in the same transaction, store recomputed steps for later ones."""
        return self._write(person, expect, lambda unit: unit.drop_edit(edit_id, replacements))

    def history(self, person: Person) -> SessionSummary:
        """The current session's edits in order, undone ones marked inactive."""
        with self._transaction(write=False) as orm:
            return build_summary(orm, _latest(orm, person))

    def current(self, person: Person) -> CurrentState:
        """The photo's latent and the active steps, in order: what the engine renders from."""
        with self._transaction(write=False) as orm:
            return build_current(orm, _latest(orm, person, with_latent=True))

    def photo(self, person: Person) -> SessionPhoto | None:
        """The kept photo of the person's current session, or None (a session started without one)."""
        with self._transaction(write=False) as orm:
            row = _latest(orm, person)
            kept = orm.scalars(
                select(StoredPhoto).where(StoredPhoto.session_id == row.id).options(undefer(StoredPhoto.data))
            ).first()
            if kept is None:
                return None
            return SessionPhoto(
                data=bytes(kept.data),
                width=kept.width,
                height=kept.height,
                placement=kept.placement,
                faces=kept.faces,
                identity=None if kept.identity is None else bytes(kept.identity),
                content_type=kept.content_type,
            )

    def forget(self, person: Person) -> int:
        """Delete everything of this person on this platform, in every chat: sessions, edits, kept photos.

        On SQLite the freed pages are zeroed (secure_delete) and the WAL is checkpointed, so the bytes
        are gone from the files too; PostgreSQL reclaims dead rows at its next (auto)vacuum.
        Returns:
            The number of sessions deleted.
        """
        ids = select(ChatSession.id).where(
            ChatSession.platform == person.platform, ChatSession.user_id == person.user_id
        )
        deleted = self._delete_sessions(ids)
        checkpoint_sqlite(self.engine)
        return deleted

    def purge_idle(self, max_idle: timedelta | None = None, *, now: datetime | None = None) -> int:
        """Delete sessions idle for longer than `max_idle` (default: `config.retention()`).

        Returns:
            The number of sessions deleted.
        """
        cutoff = (now or self._clock()) - (max_idle if max_idle is not None else config.retention())
        return self._delete_sessions(select(ChatSession.id).where(ChatSession.updated_at < cutoff))

    def _delete_sessions(self, ids: Select[tuple[int]]) -> int:
        def once() -> int:
            with self._transaction(write=True) as orm:
                options = {"synchronize_session": False}
                orm.execute(delete(StoredPhoto).where(StoredPhoto.session_id.in_(ids)), execution_options=options)
                orm.execute(delete(Edit).where(Edit.session_id.in_(ids)), execution_options=options)
                result = orm.execute(delete(ChatSession).where(ChatSession.id.in_(ids)), execution_options=options)
                return int(result.rowcount)  # type: ignore[attr-defined]

        return retry_on_conflict(once, attempts=self._attempts)

    def ask(self, person: Person, question: str) -> None:
        """Keep a question for the person's next message on their current session (any process can take the
        answer; a new photo or /forget drops it with the session). The session's version does not change.

        Raises:
            NoSession.
        """
        with self._transaction(write=True) as orm:
            row = _latest(orm, person)
            orm.execute(update(ChatSession).where(ChatSession.id == row.id).values(pending_choice=question),
                        execution_options={"synchronize_session": False})

    def take_question(self, person: Person) -> str | None:
        """The question kept by `ask`, removed as it is read (one message answers it); None when there is none."""
        with self._transaction(write=False) as orm:
            asked = orm.scalar(select(ChatSession.pending_choice).where(*_owned_by(person))
                               .order_by(ChatSession.id.desc()).limit(1))
        if asked is None:
            return None  # the common case: no write
        with self._transaction(write=True) as orm:
            row = _latest(orm, person, lock=True)
            asked = row.pending_choice
            orm.execute(update(ChatSession).where(ChatSession.id == row.id).values(pending_choice=None),
                        execution_options={"synchronize_session": False})
        return asked

    def count_sessions(self, person: Person) -> int:
        """How many sessions (photos) this person has in this chat."""
        with self._transaction(write=False) as orm:
            return int(orm.scalar(select(func.count()).select_from(ChatSession).where(*_owned_by(person))) or 0)


def _photo_row(session_id: int, photo: SessionPhoto, now: datetime) -> StoredPhoto:
    return StoredPhoto(
        session_id=session_id,
        content_type=photo.content_type,
        data=bytes(photo.data),
        width=photo.width,
        height=photo.height,
        placement=photo.placement,
        faces=photo.faces,
        identity=None if photo.identity is None else bytes(photo.identity),
        created_at=now,
    )


def _owned_by(person: Person) -> tuple[ColumnElement[bool], ...]:
    return (
        ChatSession.platform == person.platform,
        ChatSession.chat_id == person.chat_id,
        ChatSession.user_id == person.user_id,
    )


def _latest(orm: Session, person: Person, *, with_latent: bool = False, lock: bool = False) -> ChatSession:
    query = select(ChatSession).where(*_owned_by(person)).order_by(ChatSession.id.desc()).limit(1)
    if lock:
        # PostgreSQL: writers of one session queue on the row lock instead of failing the version check
        # (SQLite ignores FOR UPDATE; BEGIN IMMEDIATE already serializes its writers).
        query = query.with_for_update()
    if with_latent:
        query = query.options(undefer(ChatSession.latent))
    row = orm.scalars(query).first()
    if row is None:
        raise NoSession()
    return row


def _lost_race(exc: DBAPIError) -> bool:
    """Whether a driver error means another transaction got there first (worth a retry)."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    return "database is locked" in message or "database is busy" in message
