"""`styleclip-bot run`: the bot's main job."""

from __future__ import annotations

import argparse
import os

PLATFORM_TOKENS = {"Telegram": "TELEGRAM_BOT_TOKEN", "Discord": "DISCORD_BOT_TOKEN"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the bot on every platform whose token is set",
        description="Run the bot on every chat platform whose token is set in the environment "
        f"({', '.join(PLATFORM_TOKENS.values())}).",
    )
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
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
