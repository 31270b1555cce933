"""Where the session database lives and how long idle sessions are kept, read from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from bot.sessions.errors import DatabaseConfigError

APP_NAME = "styleclip-bot"
DATABASE_FILE = "sessions.sqlite3"
DATA_DIR_VAR = "STYLECLIP_BOT_DATA_DIR"
RETENTION_VAR = "STYLECLIP_BOT_SESSION_RETENTION_DAYS"
AUTO_UPGRADE_VAR = "STYLECLIP_BOT_DB_AUTO_UPGRADE"
PURGE_INTERVAL_VAR = "STYLECLIP_BOT_PURGE_INTERVAL_MINUTES"
DEFAULT_RETENTION_DAYS = 30.0
DEFAULT_PURGE_INTERVAL_MINUTES = 60.0


def data_dir() -> Path:
    """The bot's data folder: $STYLECLIP_BOT_DATA_DIR, else $XDG_DATA_HOME/styleclip-bot, else ~/.local/share/."""
    override = os.environ.get(DATA_DIR_VAR)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    # The XDG spec says relative paths are invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / APP_NAME


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / DATABASE_FILE}"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: `explicit`, else $DATABASE_URL, else the SQLite file in `data_dir()`.

    Bare `postgres://` / `postgresql://` URLs (as hosting platforms hand them out) get the psycopg driver.
    """
    url = explicit or os.environ.get("DATABASE_URL") or default_database_url()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def retention() -> timedelta:
    """How long a session may stay idle before `db purge` deletes it ($STYLECLIP_BOT_SESSION_RETENTION_DAYS)."""
    return timedelta(days=_positive(RETENTION_VAR, DEFAULT_RETENTION_DAYS, "days"))


def purge_interval() -> timedelta:
    """How often `run` deletes idle sessions ($STYLECLIP_BOT_PURGE_INTERVAL_MINUTES, default 60)."""
    return timedelta(minutes=_positive(PURGE_INTERVAL_VAR, DEFAULT_PURGE_INTERVAL_MINUTES, "minutes"))


def _positive(var: str, default: float, unit: str) -> float:
    """The positive number in $`var` (`default` when unset), or a clear error naming the variable."""
    raw = os.environ.get(var)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise DatabaseConfigError(f"{var} must be a number of {unit}, not {raw!r}.") from None
    if not value > 0:
        raise DatabaseConfigError(f"{var} must be a positive number of {unit}, not {raw!r}.")
    return value


def auto_upgrade() -> bool:
    """Whether opening the store upgrades the schema first ($STYLECLIP_BOT_DB_AUTO_UPGRADE, default on)."""
    raw = os.environ.get(AUTO_UPGRADE_VAR, "1").strip().lower()
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise DatabaseConfigError(f"{AUTO_UPGRADE_VAR} must be 1 or 0 (or true/false), not {raw!r}.")
