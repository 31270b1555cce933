"""Engines for the session database: SQLite tuned for one process, PostgreSQL for scale, same code."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from bot.sessions.config import database_url
from bot.sessions.errors import DatabaseConfigError

# Connection execution option set by the store's writing transactions: on SQLite they take the
# write lock up front (BEGIN IMMEDIATE), so writers queue on busy_timeout instead of failing late.
WRITE_OPTION = "styleclip_write"
SQLITE_BUSY_TIMEOUT_S = 30.0


def parse_url(url: str | None = None) -> URL:
    text = database_url(url)
    try:
        return make_url(text)
    except ArgumentError:
        raise DatabaseConfigError("The database URL is not valid (expected e.g. sqlite:///path or "
                                  "postgresql+psycopg://user@host/db).") from None


def display_url(url: str | URL | None = None) -> str:
    """The URL with any password masked, for messages and logs."""
    parsed = url if isinstance(url, URL) else parse_url(url)
    return parsed.render_as_string(hide_password=True)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for `url` (default: `config.database_url()`); SQLite gets WAL, foreign keys and write locks.

    Args:
        url: a SQLAlchemy URL; None reads $DATABASE_URL or falls back to the SQLite file.
        kwargs: passed to `sqlalchemy.create_engine`.
    Returns:
        The engine. Raises `DatabaseConfigError` for an unusable URL or a missing driver.
    """
    parsed = parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, **kwargs)
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise DatabaseConfigError(
            f"No database driver for {parsed.drivername!r}: use sqlite:/// or postgresql+psycopg:// ({exc})."
        ) from None


def _sqlite_engine(url: URL, **kwargs: Any) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's own transaction handling defers it wrongly).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # safe with WAL: a crash loses no committed structure
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")  # "forget" overwrites the deleted bytes, not just unlinks them
        cursor.execute(f"PRAGMA busy_timeout={int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def checkpoint_sqlite(engine: Engine) -> None:
    """Fold the WAL back into the SQLite file and truncate it, so deleted rows leave no old copies there."""
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    finally:
        raw.close()
