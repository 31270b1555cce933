"""Bot tokens: read from the environment (or a private config file), and masked out of every log line and
error text.

A leaked token hands the bot to whoever reads the log, and HTTP client libraries log request URLs that
contain the Telegram token (`.../bot<token>/getUpdates`), so masking happens on the handlers, where every
record passes whichever logger it came from.
"""

from __future__ import annotations

import logging
import os
import stat
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

TOKEN_VARS = {"telegram": "TELEGRAM_BOT_TOKEN", "discord": "DISCORD_BOT_TOKEN"}
CONFIG_VAR = "STYLECLIP_BOT_CONFIG"
MASK = "***"
MIN_SECRET_LENGTH = 8  # shorter strings would mask ordinary words; real tokens are 40+ characters


class ConfigError(ValueError):
    """The config file cannot be read; the message names the file (never a token)."""


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    """$STYLECLIP_BOT_CONFIG, else $XDG_CONFIG_HOME/styleclip-bot/config.toml (~/.config/... by default)."""
    env = os.environ if environ is None else environ
    if env.get(CONFIG_VAR):
        return Path(env[CONFIG_VAR]).expanduser()
    base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "styleclip-bot" / "config.toml"


def token(platform: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The platform's bot token: its environment variable, else `[platform] token` in the config file.

    The file (TOML, e.g. `[telegram]` / `token = "123:AA..."`) is optional; one that others may read is
    still used, with a warning to `chmod 600` it.
    """
    env = os.environ if environ is None else environ
    value = env.get(TOKEN_VARS[platform], "").strip()
    if value:
        return value
    section = _read_config(config_path(env)).get(platform, {})
    value = section.get("token", "") if isinstance(section, dict) else ""
    return value.strip() if isinstance(value, str) and value.strip() else None


def read_config(environ: Mapping[str, str] | None = None) -> dict:
    """The whole config file (`[telegram]`, `[discord]`, `[limits]`, `[admins]` ...); {} when there is none."""
    return _read_config(config_path(os.environ if environ is None else environ))


def _read_config(path: Path) -> dict:
    try:
        data = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s holds bot tokens and others may read it: chmod 600 %s", path, path)
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # The parser's message quotes no values, only positions.
        raise ConfigError(f"the config file {path} is not valid TOML: {exc}") from None


def secrets_of(tokens: Iterable[str | None]) -> list[str]:
    """The strings to mask for these tokens: each whole token and, for Telegram's "<bot id>:<secret>", the
    secret part alone (it shows up on its own in some URLs). Longest first, so a part never splits a whole."""
    found: set[str] = set()
    for value in tokens:
        if not value or len(value) < MIN_SECRET_LENGTH:
            continue
        found.add(value)
        _, sep, secret = value.partition(":")
        if sep and len(secret) >= MIN_SECRET_LENGTH:
            found.add(secret)
    return sorted(found, key=len, reverse=True)


def mask(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


class TokenMask(logging.Filter):
    """A filter that rewrites each record with the secrets replaced by "***" (message, arguments, traceback)."""

    def __init__(self, tokens: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = secrets_of(tokens)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        record.msg, record.args = mask(message, self.secrets), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:  # formatters print this cached text rather than formatting exc_info again
            record.exc_text = mask(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = mask(record.stack_info, self.secrets)
        return True


def install_token_mask(tokens: Iterable[str | None], logger: logging.Logger | None = None) -> TokenMask:
    """Attach one `TokenMask` to every handler of `logger` (the root logger by default).

    Handlers see records from all loggers below them; a filter on a logger would miss records propagated
    from its children (httpx, telegram, discord). Call it after logging is configured.
    """
    target = logger or logging.getLogger()
    mask_filter = TokenMask(tokens)
    for handler in target.handlers:
        for old in [f for f in handler.filters if isinstance(f, TokenMask)]:
            handler.removeFilter(old)
        handler.addFilter(mask_filter)
    # httpx logs every request URL at INFO, and Telegram's URLs carry the token: keep them out altogether.
    logging.getLogger("httpx").setLevel(max(logging.getLogger("httpx").level, logging.WARNING))
    return mask_filter


def remove_token_mask(logger: logging.Logger | None = None) -> None:
    """Take the `TokenMask` filters off the handlers of `logger` (the root logger by default) again."""
    for handler in (logger or logging.getLogger()).handlers:
        for old in [f for f in handler.filters if isinstance(f, TokenMask)]:
            handler.removeFilter(old)
