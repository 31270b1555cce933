"""Every configured chat platform in one process, sharing one engine and one session store.

`styleclip-bot run` calls `run_platforms` when a platform token is set. SIGINT/SIGTERM stop it gracefully:
no new updates are taken, running edits get `GRACE_S` seconds to finish, then the engine cancels the rest
and the database is closed by the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.adapters import tokens
from bot.adapters.discord import DiscordBot, run_discord
from bot.adapters.telegram import TelegramBot, TelegramSettings
from bot.metrics import BotMetrics

log = logging.getLogger(__name__)

GRACE_S = 30.0


async def run_platforms(store, *, demo: bool = False, device: str | None = None, offline: bool | None = None,
                        engine_url: str | None = None, stop: asyncio.Event | None = None,
                        metrics: BotMetrics | None = None) -> int:
    """Serve Telegram and/or Discord (whichever tokens are set) until SIGINT/SIGTERM or `stop` is set.

    Args:
        store: the open session store (closed by the caller).
        demo: small random models instead of the installed weights.
        device: torch device for the engine.
        offline: fetch no model files (None: `STYLECLIP_OFFLINE` decides).
        engine_url: a remote engine (`styleclip-bot serve`) instead of models in this process.
        stop: an event that ends serving (tests); signals set it too.
        metrics: where the conversation counts (default: its own `BotMetrics`).
    Returns:
        the process exit status: 0 after a clean stop, 1 when a platform failed to start or crashed.
    """
    from bot.core import Conversation
    from bot.core.limits import ConfigError as LimitsConfigError
    from bot.core.limits import FairUse
    from bot.engines import open_engine, prepare

    telegram_settings = TelegramSettings.from_env()
    discord_token = tokens.token("discord")
    tokens.install_token_mask([telegram_settings.token if telegram_settings else None, discord_token])

    try:
        fair_use = FairUse.from_config(tokens.read_config())
    except (tokens.ConfigError, LimitsConfigError) as exc:
        log.error("could not start: %s", exc)
        return 1
    engine = open_engine(url=engine_url, demo=demo, device=device, offline=offline, on_ready=print)
    conversation = Conversation(engine, store, fair_use=fair_use, metrics=metrics)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / not the main thread
            loop.add_signal_handler(sig, stop.set)

    telegram = TelegramBot(conversation, telegram_settings) if telegram_settings else None
    discord_bot = DiscordBot(conversation) if discord_token else None
    discord_task: asyncio.Task | None = None
    status = 0
    loading = asyncio.create_task(prepare(engine, demo=demo, offline=offline, say=log.warning))
    try:
        if demo:  # built in seconds: before the first message, as the models always answer then
            await loading
        if telegram:
            await telegram.start()
            print(f"Telegram: connected as @{telegram.application.bot.username}.")
        if discord_bot and discord_token:
            discord_task = asyncio.create_task(run_discord(discord_bot, discord_token))
        waiters = {asyncio.create_task(stop.wait())} | ({discord_task} if discord_task else set())
        done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if discord_task in done and discord_task.exception():
            log.error("Discord stopped: %s", discord_task.exception())
            status = 1
        print("Stopping: finishing running edits ...")
    except Exception as exc:  # a wrong token, an unreachable server: say so (masked), stop the rest
        log.error("could not start: %s: %s", type(exc).__name__, exc)
        status = 1
    finally:
        loading.cancel()
        await _stop(telegram, discord_bot, discord_task)
        await engine.close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)
    return status


async def _stop(telegram: TelegramBot | None, discord_bot: DiscordBot | None,
                discord_task: asyncio.Task | None) -> None:
    async def stop_all() -> None:
        if telegram:
            await telegram.stop()
        if discord_bot:
            await discord_bot.close()
        if discord_task:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await discord_task

    try:
        await asyncio.wait_for(stop_all(), GRACE_S)
    except TimeoutError:
        log.warning("edits still running after %.0f s: cancelling them", GRACE_S)
