"""What each person used recently, and who is blocked: the fair-use limits' memory, in the session database.

Counts live in SQL, not in memory, so a limit holds across restarts and across several bot processes that
share one database. Taking a count is one transaction that first locks the person's `accounts` row
(PostgreSQL: SELECT ... FOR UPDATE; SQLite: BEGIN IMMEDIATE), so two processes count one person in turn and
never both let the last request through. Records older than a day (the longest window) are deleted as new
ones come: they are only counts with a time, and nothing else is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.sessions.database import WRITE_OPTION
from bot.sessions.models import Account, ChatSession, Edit, UsageRecord, utcnow

UsageKind = Literal["photo", "edit", "optimization"]
KEPT_FOR = timedelta(days=1)  # the longest window a limit counts over


@dataclass(frozen=True)
class Who:
    """A person on a platform, in every chat (limits and blocks follow the person, not the chat)."""

    platform: str
    user_id: str


@dataclass(frozen=True)
class UsageStats:
    """What `/stats` shows, from the database (so for every process sharing it)."""

    people: int  # everyone the limits have counted
    active_today: int  # people with a counted request since midnight UTC
    sessions: int  # photos being edited, everyone's
    edits_today: int  # edits stored since midnight UTC
    methods_today: dict[str, int]  # of those, how many each method made
    blocked: int
    busiest: tuple[tuple[Who, int], ...]  # the people with most requests today, most first


class UsageStore:
    """Counts per person and kind over a sliding window, and the blocked list.

    Args:
        engine: the session database's engine (`SessionStore.engine`).
        clock: now, as an aware UTC datetime (tests move it).
    """

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.engine = engine
        self.clock = clock

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as orm, orm.begin():
            if write:
                orm.connection(execution_options={WRITE_OPTION: True})
            yield orm

    def take(self, who: Who, kind: UsageKind, limit: int, window: timedelta) -> datetime | None:
        """Count one `kind` for `who`, unless `limit` of them were already counted within `window`.

        Args:
            limit: how many `window` admits; 0 means no limit (still counted, for the statistics).
        Returns:
            None when counted; else when the oldest counted one leaves the window (the limit resets then).
        """
        now = self.clock()
        with self._transaction(write=True) as orm:
            self._lock(orm, who, now)
            resets_at = _resets_at(orm, who, kind, limit, window, now)
            if resets_at is not None:
                return resets_at
            orm.add(UsageRecord(platform=who.platform, user_id=who.user_id, kind=kind, at=now))
            orm.execute(
                delete(UsageRecord).where(UsageRecord.at < now - KEPT_FOR),
                execution_options={"synchronize_session": False},
            )
        return None

    def resets_at(self, who: Who, kind: UsageKind, limit: int, window: timedelta) -> datetime | None:
        """None when one more `kind` fits `limit` within `window` now; else when it will (counts nothing)."""
        with self._transaction(write=False) as orm:
            return _resets_at(orm, who, kind, limit, window, self.clock())

    def count(self, who: Who, kind: UsageKind, window: timedelta) -> int:
        """How many `kind` were counted for `who` within `window`."""
        since = self.clock() - window
        with self._transaction(write=False) as orm:
            query = (
                select(func.count())
                .select_from(UsageRecord)
                .where(*_of(who), UsageRecord.kind == kind, UsageRecord.at > since)
            )
            return int(orm.scalar(query) or 0)

    def block(self, who: Who, blocked: bool = True) -> bool:
        """Block (or unblock) `who`; returns whether that changed anything."""
        with self._transaction(write=True) as orm:
            row = self._lock(orm, who, self.clock())
            changed = row.blocked != blocked
            row.blocked = blocked
            return changed

    def is_blocked(self, who: Who) -> bool:
        with self._transaction(write=False) as orm:
            return bool(
                orm.scalar(
                    select(Account.blocked).where(Account.platform == who.platform, Account.user_id == who.user_id)
                )
            )

    def stats(self, top: int = 5) -> UsageStats:
        """Everyone's numbers since midnight UTC (see `UsageStats`)."""
        now = self.clock()
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        with self._transaction(write=False) as orm:
            people = int(orm.scalar(select(func.count()).select_from(Account)) or 0)
            blocked = int(orm.scalar(select(func.count()).select_from(Account).where(Account.blocked)) or 0)
            today = (
                select(UsageRecord.platform, UsageRecord.user_id, func.count().label("n"))
                .where(UsageRecord.at >= midnight)
                .group_by(UsageRecord.platform, UsageRecord.user_id)
            )
            rows = orm.execute(today).all()
            sessions = int(orm.scalar(select(func.count()).select_from(ChatSession)) or 0)
            methods = dict(
                orm.execute(
                    select(Edit.method, func.count()).where(Edit.created_at >= midnight).group_by(Edit.method)
                ).all()
            )
        busiest = sorted(((Who(p, u), int(n)) for p, u, n in rows), key=lambda item: (-item[1], item[0].user_id))
        return UsageStats(
            people=people,
            active_today=len(rows),
            sessions=sessions,
            edits_today=sum(methods.values()),
            methods_today={str(k): int(v) for k, v in methods.items()},
            blocked=blocked,
            busiest=tuple(busiest[:top]),
        )

    def _lock(self, orm: Session, who: Who, now: datetime) -> Account:
        """The person's account row, made if new, locked until the transaction ends."""
        insert = postgresql.insert if orm.bind.dialect.name == "postgresql" else sqlite.insert
        orm.execute(
            insert(Account)
            .values(platform=who.platform, user_id=who.user_id, blocked=False, created_at=now)
            .on_conflict_do_nothing()
        )
        return orm.scalars(
            select(Account).where(Account.platform == who.platform, Account.user_id == who.user_id).with_for_update()
        ).one()


def _of(who: Who):
    return UsageRecord.platform == who.platform, UsageRecord.user_id == who.user_id


def _resets_at(
    orm: Session, who: Who, kind: UsageKind, limit: int, window: timedelta, now: datetime
) -> datetime | None:
    """When the `limit`-th newest `kind` of `who` leaves the window, if `limit` are in it now; else None."""
    if limit <= 0:
        return None
    recent = orm.scalars(
        select(UsageRecord.at)
        .where(*_of(who), UsageRecord.kind == kind, UsageRecord.at > now - window)
        .order_by(UsageRecord.at.desc())
        .limit(limit)
    ).all()
    return recent[-1] + window if len(recent) >= limit else None
