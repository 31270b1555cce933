"""Per-person edit history in SQL: a photo's latent, its ordered edits, an undo pointer.

SQLite by default, PostgreSQL through $DATABASE_URL; the schema changes only through migrations/.
"""

from bot.sessions.arrays import StoredArray
from bot.sessions.errors import (
    ConcurrentEdit,
    DatabaseConfigError,
    EditNotFound,
    InvalidEdit,
    NoEditToRescale,
    NoSession,
    NothingToRedo,
    NothingToUndo,
    SchemaOutOfDate,
    SessionError,
)
from bot.sessions.records import (
    CurrentState,
    EditInfo,
    EditStep,
    NewEdit,
    Person,
    Preview,
    Revision,
    SessionPhoto,
    SessionSummary,
    StepKind,
)
from bot.sessions.retry import retry_on_conflict
from bot.sessions.store import SessionStore
from bot.sessions.unit import SessionUnit

__all__ = [
    "ConcurrentEdit",
    "CurrentState",
    "DatabaseConfigError",
    "EditInfo",
    "EditNotFound",
    "EditStep",
    "InvalidEdit",
    "NewEdit",
    "NoEditToRescale",
    "NoSession",
    "NothingToRedo",
    "NothingToUndo",
    "Person",
    "Preview",
    "Revision",
    "SchemaOutOfDate",
    "SessionError",
    "SessionPhoto",
    "SessionStore",
    "SessionSummary",
    "SessionUnit",
    "StepKind",
    "StoredArray",
    "retry_on_conflict",
]
