"""The session schema (SQLAlchemy 2.x typed ORM). It changes only through migrations/ (Alembic)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from engine.values import STEP_KIND_NAMES

# Constraint names are part of the schema that migrations must reproduce, so they are derived, not random.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ChatSession(Base):
    """One photo being edited by one person in one chat on one platform."""

    __tablename__ = "chat_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    generator: Mapped[str] = mapped_column(String(200))  # which generator the latent belongs to
    latent: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)  # inverted W+, little-endian
    latent_shape: Mapped[str] = mapped_column(String(64))  # "18,512"
    latent_dtype: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)  # seq of the last active edit; 0 = the photo itself
    version: Mapped[int] = mapped_column(Integer)  # optimistic lock: +1 per unit of work, checked on UPDATE
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # A question asked before a long optimization, awaiting the person's next message (JSON; see bot.core.slow_choice)
    pending_choice: Mapped[str | None] = mapped_column(Text, nullable=True, deferred=True)

    # The store sets the version itself (once per unit of work); the ORM adds WHERE version = <old> to UPDATEs.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version, "version_id_generator": False}
    __table_args__ = (
        CheckConstraint("position >= 0", name="position_not_negative"),
        Index("ix_chat_sessions_person", "platform", "chat_id", "user_id"),
        Index("ix_chat_sessions_platform_user", "platform", "user_id"),
        Index("ix_chat_sessions_updated_at", "updated_at"),
    )


class Edit(Base):
    """One edit: what the person wrote, what the router chose and why, and the step it made."""

    __tablename__ = "edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # order in the session; gaps allowed, never renumbered
    text: Mapped[str] = mapped_column(Text)  # the words the person wrote
    instruction: Mapped[str] = mapped_column(Text)  # the parsed instruction
    method: Mapped[str] = mapped_column(String(32))  # mapper / global_direction / optimization
    reason: Mapped[str] = mapped_column(Text)  # why the router chose it
    strength: Mapped[float] = mapped_column(Double)  # alpha / strength the step was made with
    scale: Mapped[float] = mapped_column(Double)  # "more"/"less" factor applied on top of the step
    step_kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    step_shape: Mapped[str] = mapped_column(String(64))
    step_dtype: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("session_id", "seq"),
        CheckConstraint("seq > 0", name="seq_positive"),
        CheckConstraint("scale > 0", name="scale_positive"),
        CheckConstraint(f"step_kind IN ({', '.join(map(repr, STEP_KIND_NAMES))})", name="step_kind"),
    )


class StoredPhoto(Base):
    """The photo a session edits, kept so every answer is that photo with the face edited; deleted with it.

    A stripped copy (upright, long side ≤ 2048 px, no metadata), where its face lies, and the identity
    reference the edits are watched against.
    """

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"), unique=True)
    content_type: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    placement: Mapped[str] = mapped_column(Text)  # JSON: the alignment transform and face outline, in this copy
    faces: Mapped[int] = mapped_column(Integer)  # faces found in the photo; the largest is edited
    identity: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)  # ArcFace embedding, or NULL
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("width > 0 AND height > 0", name="size_positive"),
        CheckConstraint("faces > 0", name="faces_positive"),
    )


USAGE_KINDS = ("photo", "edit", "optimization")


class Account(Base):
    """One person on one platform, as the fair-use limits know them (in every chat): whether they are blocked.

    The row is also what a usage count locks, so two processes sharing the database count one person in turn.
    """

    __tablename__ = "accounts"

    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    blocked: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UsageRecord(Base):
    """One counted request of a person: a photo, an edit, an optimization. Kept one day, the longest window."""

    __tablename__ = "usage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        CheckConstraint("kind IN ('photo', 'edit', 'optimization')", name="kind"),
        Index("ix_usage_person_kind_at", "platform", "user_id", "kind", "at"),
        Index("ix_usage_at", "at"),
    )


class TurnTicket(Base):
    """One message of a person, waiting for or holding that person's turn, when bot processes share PostgreSQL.

    The lowest id of a person runs; the others wait (see `bot.sessions.turn_queue`). The holder is the database
    backend of the owning process's kept-open connection (pid and start time, as pg_stat_activity shows it), so
    a ticket whose process died can be recognised and dropped.
    """

    __tablename__ = "turn_tickets"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    person_key: Mapped[str] = mapped_column(Text)
    holder_pid: Mapped[int] = mapped_column(Integer)
    holder_started: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (Index("ix_turn_tickets_person_key_id", "person_key", "id"),)
