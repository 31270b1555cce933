"""`styleclip-bot run`: the bot's main job."""

from __future__ import annotations

import argparse
import os

PLATFORM_TOKENS = {"Telegram": "TELEGRAM_BOT_TOKEN", "Discord": "DISCORD_BOT_TOKEN"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the bot on every platform whose token is set",
        description="Open the session database (bringing its schema up to date unless "
        "STYLECLIP_BOT_DB_AUTO_UPGRADE=0) and run the bot on every chat platform whose token is set "
        f"in the environment ({', '.join(PLATFORM_TOKENS.values())}).",
    )
    parser.add_argument("--database-url", default=None, help="database URL (default: $DATABASE_URL or SQLite)")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from bot.sessions import SessionError, SessionStore
    from bot.sessions.database import display_url

    try:
        store = SessionStore.open(args.database_url)
    except SessionError as exc:
        print(f"error: {exc}")
        return 2
    try:
        print(f"Session database ready: {display_url(store.engine.url)}")
    finally:
        store.close()
    configured = [name for name, var in PLATFORM_TOKENS.items() if os.environ.get(var)]
    if not configured:
        print(
            "No chat platform is configured: set "
            + " or ".join(PLATFORM_TOKENS.values())
            + " to connect the bot. Nothing to run."
        )
        return 0
    print(f"Configured platforms: {', '.join(configured)}. The platform adapters are not part of this build yet.")
    return 0
