"""Fair use: per-person limits on photos, edits and optimizations, a blocked list, and who the admins are.

The numbers come from the config file's `[limits]` table (0 = no limit) and the admins from its `[admins]`
table, one list of user ids per platform:

    [limits]
    photos_per_hour = 20
    edits_per_hour = 60
    optimizations_per_day = 10

    [admins]
    telegram = [123456789]
    discord = ["222222222222222222"]

Counts live in the database (`UsageStore`), so they hold across restarts and across processes. Admins are
never limited or blocked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.sessions import Person
from bot.sessions.usage import UsageKind, UsageStore, Who

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


class ConfigError(ValueError):
    """The `[limits]` or `[admins]` table of the config file is not what it should be."""


@dataclass(frozen=True)
class FairUse:
    """The limits (0 = none) and the admins, as `platform:user_id` strings."""

    photos_per_hour: int = 20
    edits_per_hour: int = 60
    optimizations_per_day: int = 10
    admins: frozenset[Who] = field(default_factory=frozenset)

    @classmethod
    def from_config(cls, config: Mapping) -> FairUse:
        """From the parsed config file (missing tables and keys keep the defaults)."""
        limits = config.get("limits", {})
        admins = config.get("admins", {})
        if not isinstance(limits, Mapping) or not isinstance(admins, Mapping):
            raise ConfigError("[limits] and [admins] in the config file must be tables")
        values = {}
        for name in ("photos_per_hour", "edits_per_hour", "optimizations_per_day"):
            if name in limits:
                value = limits[name]
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise ConfigError(f"[limits] {name} must be a whole number, 0 or more (0: no limit)")
                values[name] = value
        who = set()
        for platform, ids in admins.items():
            if not isinstance(ids, list) or not all(isinstance(i, int | str) and str(i).strip() for i in ids):
                raise ConfigError(f"[admins] {platform} must be a list of user ids")
            who.update(Who(str(platform), str(i).strip()) for i in ids)
        return cls(**values, admins=frozenset(who))

    def limit(self, kind: UsageKind) -> tuple[int, timedelta]:
        return {
            "photo": (self.photos_per_hour, HOUR),
            "edit": (self.edits_per_hour, HOUR),
            "optimization": (self.optimizations_per_day, DAY),
        }[kind]


class LimitReached(Exception):
    """The person used up a limit; `resets_at` is when the next request fits again."""

    def __init__(self, kind: UsageKind, limit: int, window: timedelta, resets_at: datetime, now: datetime) -> None:
        super().__init__(f"{kind} limit of {limit} reached")
        self.kind = kind
        self.limit = limit
        self.window = window
        self.resets_at = resets_at
        self.now = now


class Blocked(Exception):
    """An admin blocked this person."""


def who(person: Person) -> Who:
    return Who(person.platform, person.user_id)


class Limits:
    """The core's view of fair use: check before work, count after. Without a usage store, nothing is limited.

    Args:
        rules: the limits and admins.
        usage: where counts live; None: no limits, no blocks, no admins (the local chat, tests).
    """

    def __init__(self, rules: FairUse | None = None, usage: UsageStore | None = None) -> None:
        self.rules = rules or FairUse()
        self.usage = usage

    def is_admin(self, person: Person) -> bool:
        return self.usage is not None and who(person) in self.rules.admins

    def _exempt(self, person: Person) -> bool:
        return self.usage is None or who(person) in self.rules.admins

    async def check_blocked(self, person: Person) -> None:
        """Raises `Blocked` when an admin blocked this person."""
        if not self._exempt(person) and await asyncio.to_thread(self.usage.is_blocked, who(person)):
            raise Blocked()

    async def take(self, person: Person, kind: UsageKind) -> None:
        """Count one photo or edit; raises `LimitReached` (counting nothing) when the limit is used up."""
        if self.usage is None:
            return
        limit, window = self.rules.limit(kind)
        if who(person) in self.rules.admins:
            limit = 0  # counted for the statistics, never refused
        resets_at = await asyncio.to_thread(self.usage.take, who(person), kind, limit, window)
        if resets_at is not None:
            raise LimitReached(kind, limit, window, resets_at, self.usage.clock())

    async def optimization_refused(self, person: Person) -> LimitReached | None:
        """None while the person has an optimization left today; else the error for an edit only an
        optimization could make (the others still go through the quick methods)."""
        if self._exempt(person):
            return None
        limit, window = self.rules.limit("optimization")
        resets_at = await asyncio.to_thread(self.usage.resets_at, who(person), "optimization", limit, window)
        return None if resets_at is None else LimitReached("optimization", limit, window, resets_at, self.usage.clock())

    async def optimized(self, person: Person) -> None:
        """Count an optimization that ran (a stopped or failed one is not counted)."""
        if self.usage is not None:
            await asyncio.to_thread(self.usage.take, who(person), "optimization", 0, DAY)
