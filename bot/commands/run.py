"""`styleclip-bot run`: the bot's main job (a local chat in the terminal while no platform is configured)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.metrics import BotMetrics

PLATFORM_TOKENS = {"Telegram": "TELEGRAM_BOT_TOKEN", "Discord": "DISCORD_BOT_TOKEN"}
DEMO_NOTE = "Demo mode: small random models, so the pictures mean nothing (they only show the path works)."

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the bot on every platform whose token is set",
        description="Open the session database (bringing its schema up to date unless "
        "STYLECLIP_BOT_DB_AUTO_UPGRADE=0) and run the bot on every chat platform whose token is set "
        f"in the environment ({', '.join(PLATFORM_TOKENS.values())}) or in the config file "
        "($STYLECLIP_BOT_CONFIG, default ~/.config/styleclip-bot/config.toml). With none set, chat with the bot "
        "in this terminal: /photo PATH loads a photo, text edits it, results are saved as PNG files. "
        "Sessions idle longer than the retention are deleted at start and every "
        "$STYLECLIP_BOT_PURGE_INTERVAL_MINUTES (default 60). With $STYLECLIP_BOT_METRICS_PORT set, Prometheus "
        "metrics are served at http://$STYLECLIP_BOT_METRICS_HOST:PORT/metrics (host default 127.0.0.1).",
    )
    parser.add_argument("--database-url", default=None, help="database URL (default: $DATABASE_URL or SQLite)")
    parser.add_argument("--demo", action="store_true", help="use small random models: no download, meaningless images")
    parser.add_argument("--device", default=None, help="torch device (default: cuda when present, else cpu)")
    parser.add_argument("--engine-url", default=None, metavar="URL",
                        help="use the engine at URL (`styleclip-bot serve`) and load no model here "
                        "(default: $STYLECLIP_ENGINE_URL; unset: the models run in this process)")
    parser.add_argument("--offline", action="store_true",
                        help="download nothing: use the model files in the cache (also STYLECLIP_OFFLINE=1)")
    parser.add_argument("--out", type=Path, default=Path("styleclip-chat"),
                        help="local chat: folder for the result pictures (default: ./styleclip-chat)")
    parser.add_argument("--open", action="store_true", help="local chat: open each result in the image viewer")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from bot import metrics
    from bot.remote import engine_url
    from bot.sessions import SessionError, SessionStore
    from bot.sessions import config as session_config
    from bot.sessions.database import display_url
    from bot.sessions.purge import while_purging

    try:
        every = session_config.purge_interval()  # a bad setting is said before anything starts
        session_config.retention()
        args.engine_url = engine_url(args.engine_url)
        metrics_at = metrics.address()
        store = SessionStore.open(args.database_url)
    except (SessionError, metrics.MetricsConfigError, ValueError) as exc:
        print(f"error: {exc}")
        return 2
    counted = metrics.BotMetrics()
    exporter = metrics.Exporter(counted, metrics_at)
    try:
        print(f"Session database ready: {display_url(store.engine.url)}")
        try:
            if served := exporter.start():
                print(f"Metrics: {served.url()}")
        except metrics.MetricsConfigError as exc:
            print(f"error: {exc}")
            return 2
        from bot.adapters import tokens

        try:
            configured = [name for name in PLATFORM_TOKENS if tokens.token(name.lower())]
        except tokens.ConfigError as exc:
            print(f"error: {exc}")
            return 2
        if configured:
            from bot.adapters.platforms import run_platforms

            print(f"Starting {', '.join(configured)}. Stop with Ctrl+C.")
            if args.demo:
                print(DEMO_NOTE)
            platforms = run_platforms(store, demo=args.demo, device=args.device, offline=args.offline or None,
                                      engine_url=args.engine_url, metrics=counted)
            return asyncio.run(while_purging(store, platforms, every))
        print(
            "No chat platform is configured: set "
            + " or ".join(PLATFORM_TOKENS.values())
            + " (or put them in the config file) to connect the bot. Starting a local chat in this terminal instead."
        )
        return asyncio.run(while_purging(store, _local_chat(store, args, counted), every))
    finally:
        exporter.stop()
        store.close()


async def _local_chat(store, args: argparse.Namespace, metrics: BotMetrics) -> int:
    from bot.adapters.console import chat
    from bot.core import Conversation
    from bot.engines import open_engine, prepare

    offline = args.offline or None
    engine = open_engine(url=args.engine_url, demo=args.demo, device=args.device, offline=offline, on_ready=print)
    if args.demo and args.engine_url is None:
        print(DEMO_NOTE)
    # the models load (or the remote engine is asked) while the person picks a photo
    loading = asyncio.create_task(prepare(engine, demo=args.demo, offline=offline, say=print))
    try:
        return await chat(Conversation(engine, store, metrics=metrics), out_dir=args.out, open_images=args.open)
    finally:
        loading.cancel()
        await engine.close()
