"""`styleclip-bot db ...`, driven through bot.cli.main."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect

from bot.cli import main
from bot.sessions import SessionStore, migrate
from bot.sessions.database import make_engine

from .helpers import ALICE, BOB, Clock, latent, w_plus_edit


def test_db_upgrade_current_and_downgrade(empty_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    head = migrate.head_revision()
    assert main(["db", "--url", empty_database, "current"]) == 0
    assert f"revision none, newest {head} (run `styleclip-bot db upgrade`)" in capsys.readouterr().out

    assert main(["db", "--url", empty_database, "upgrade"]) == 0
    assert f"is at revision {head}." in capsys.readouterr().out
    assert main(["db", "--url", empty_database, "current"]) == 0
    assert f"revision {head}, newest {head} (up to date)" in capsys.readouterr().out

    assert main(["db", "--url", empty_database, "downgrade", "base"]) == 0
    assert "is at revision base (empty)." in capsys.readouterr().out
    engine = make_engine(empty_database)
    try:
        assert "chat_sessions" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_db_purge_deletes_idle_sessions(empty_database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "--url", empty_database, "purge"]) == 2
    assert "run `styleclip-bot db upgrade`" in capsys.readouterr().out

    assert main(["db", "--url", empty_database, "upgrade"]) == 0
    engine = make_engine(empty_database)
    clock = Clock()
    clock.now = datetime.now(UTC) - timedelta(days=40)
    store = SessionStore(engine, clock=clock)
    store.start(ALICE, latent(), "ffhq")
    store.append(ALICE, w_plus_edit(1))
    clock.now = datetime.now(UTC) - timedelta(days=10)
    store.start(BOB, latent(), "ffhq")
    capsys.readouterr()

    assert main(["db", "--url", empty_database, "purge"]) == 0  # default retention: 30 days
    assert "Deleted 1 session(s) idle for more than 30 days." in capsys.readouterr().out
    assert main(["db", "--url", empty_database, "purge", "--idle-days", "7"]) == 0
    assert "Deleted 1 session(s) idle for more than 7 days." in capsys.readouterr().out
    assert store.count_sessions(ALICE) == store.count_sessions(BOB) == 0
    assert main(["db", "--url", empty_database, "purge", "--idle-days", "-1"]) == 2
    assert "--idle-days must be a positive number" in capsys.readouterr().out
    engine.dispose()


def test_db_uses_database_url_then_the_data_folder(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("STYLECLIP_BOT_DATA_DIR", str(tmp_path / "data"))
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "data" / "sessions.sqlite3").exists()
    assert str(tmp_path / "data" / "sessions.sqlite3") in capsys.readouterr().out

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere.sqlite3")
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "elsewhere.sqlite3").exists()


def test_db_errors_are_friendly_and_hide_the_password(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "--url", "not a url", "current"]) == 2
    assert "The database URL is not valid" in capsys.readouterr().out
    assert main(["db", "--url", "mysql://u:p@localhost/db", "current"]) == 2
    assert "No database driver for 'mysql'" in capsys.readouterr().out

    # Nothing listens on port 1: the connection is refused at once.
    assert main(["db", "--url", "postgresql+psycopg://bot:s3cret-pw@127.0.0.1:1/sessions", "current"]) == 1
    out = capsys.readouterr().out
    assert "postgresql+psycopg://bot:***@127.0.0.1:1/sessions" in out
    assert "s3cret-pw" not in out
