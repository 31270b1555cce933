"""`styleclip-bot db`: migrate the session database and purge idle sessions."""

from __future__ import annotations

import argparse
from datetime import timedelta

from sqlalchemy import Engine

from bot.sessions import config, migrate
from bot.sessions.database import display_url, make_engine
from bot.sessions.errors import SessionError
from bot.sessions.store import SessionStore


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "db",
        help="manage the session database (migrations, purge)",
        description="Manage the session database: $DATABASE_URL, or a SQLite file in the data folder.",
    )
    parser.add_argument("--url", default=None, help="database URL (default: $DATABASE_URL or the SQLite file)")
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    upgrade = actions.add_parser("upgrade", help="migrate the schema forward (to the newest by default)")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(func=main, action=_upgrade)

    downgrade = actions.add_parser("downgrade", help="migrate the schema back ('base' drops every table)")
    downgrade.add_argument("revision", help="target revision, e.g. base or -1")
    downgrade.set_defaults(func=main, action=_downgrade)

    current = actions.add_parser("current", help="print the database's schema revision and the newest one")
    current.set_defaults(func=main, action=_current)

    purge = actions.add_parser("purge", help="delete sessions idle for longer than the retention period")
    purge.add_argument(
        "--idle-days", type=float, default=None,
        help=f"retention in days (default: ${config.RETENTION_VAR} or {config.DEFAULT_RETENTION_DAYS:g})",
    )
    purge.set_defaults(func=main, action=_purge)


def main(args: argparse.Namespace) -> int:
    try:
        engine = make_engine(args.url)
    except SessionError as exc:
        print(f"error: {exc}")
        return 2
    try:
        return args.action(engine, args)
    except SessionError as exc:
        print(f"error: {exc}")
        return 2
    except Exception as exc:  # connection refused, permissions, ...: say where, never the password
        first_line = str(exc).splitlines()[0] if str(exc) else ""
        print(f"error: the session database at {display_url(engine.url)} failed: {type(exc).__name__}: {first_line}")
        return 1
    finally:
        engine.dispose()


def _upgrade(engine: Engine, args: argparse.Namespace) -> int:
    migrate.upgrade(engine, args.revision)
    print(f"{display_url(engine.url)} is at revision {migrate.current_revision(engine)}.")
    return 0


def _downgrade(engine: Engine, args: argparse.Namespace) -> int:
    migrate.downgrade(engine, args.revision)
    print(f"{display_url(engine.url)} is at revision {migrate.current_revision(engine) or 'base (empty)'}.")
    return 0


def _current(engine: Engine, args: argparse.Namespace) -> int:
    current, head = migrate.current_revision(engine), migrate.head_revision()
    note = "up to date" if current == head else "run `styleclip-bot db upgrade`"
    print(f"{display_url(engine.url)}: revision {current or 'none'}, newest {head} ({note}).")
    return 0


def _purge(engine: Engine, args: argparse.Namespace) -> int:
    if args.idle_days is not None and not args.idle_days > 0:
        print("error: --idle-days must be a positive number of days.")
        return 2
    max_idle = timedelta(days=args.idle_days) if args.idle_days is not None else config.retention()
    migrate.require_head(engine)
    deleted = SessionStore(engine).purge_idle(max_idle)
    print(f"Deleted {deleted} session(s) idle for more than {max_idle.total_seconds() / 86400:g} days.")
    return 0
