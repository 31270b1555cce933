"""Session tests run against SQLite and PostgreSQL; each test module gets its own fresh database.

PostgreSQL: $TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test). Every module
works in a schema of its own (search_path in the URL), dropped afterwards, so runs never collide.
Without a reachable server the PostgreSQL cases are skipped, unless $CI is set: then they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from bot.sessions import SessionStore, migrate
from bot.sessions.database import make_engine

from .helpers import Clock, empty_tables

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def postgres_url() -> str:
    return os.environ.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[Engine]:
    """An engine on the PostgreSQL test database, or a skip (a failure under CI) when none is reachable."""
    url = make_url(postgres_url())
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        engine.dispose()
        where = url.render_as_string(hide_password=True)
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but no PostgreSQL server is reachable at {where}: {exc}")
        pytest.skip(f"no PostgreSQL server reachable at {where} (set TEST_POSTGRES_URL)")
    yield engine
    engine.dispose()


@contextmanager
def fresh_database(backend: str, request: pytest.FixtureRequest, tmp_dir: os.PathLike) -> Iterator[str]:
    """The URL of a new, empty database on `backend`; removed afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir}/sessions-{uuid.uuid4().hex[:8]}.sqlite3"
        return
    admin: Engine = request.getfixturevalue("postgres_admin")
    schema = f"test_sessions_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_url()).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A new, empty database (no tables) for one test."""
    with fresh_database(request.param, request, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def migrated_engine(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Engine]:
    """A database migrated to head, shared by the tests of one module (emptied before each test)."""
    with fresh_database(request.param, request, tmp_path_factory.mktemp("db")) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(migrated_engine: Engine, clock: Clock) -> SessionStore:
    empty_tables(migrated_engine)
    return SessionStore(migrated_engine, clock=clock)


