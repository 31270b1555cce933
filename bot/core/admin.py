"""Admin commands, for the people the config file names as admins: `/stats`, `/block ID`, `/unblock ID`.

An ID is a user id on the admin's own platform ("123456789") or "platform:id" ("discord:2222..."); `/stats`
lists the busiest people of the day with their ids. To anyone else these commands are unknown words.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from bot.core import wording
from bot.core.events import Reply, TextReply
from bot.core.limits import Limits
from bot.sessions.usage import Who

_COMMAND = re.compile(r"^/(stats|block|unblock)(?:@\w+)?(?:\s+(\S+))?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class AdminCommand:
    name: str  # "stats", "block", "unblock"
    target: Who | None  # whom to block or unblock


def parse_admin(text: str, platform: str) -> AdminCommand | None:
    """An admin command in `text`, or None (then it is an ordinary message)."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    name, target = match.group(1).lower(), match.group(2)
    if name == "stats":
        return AdminCommand(name, None)
    if not target:
        return AdminCommand(name, None)
    on, _, user = target.rpartition(":")
    return AdminCommand(name, Who(on or platform, user)) if user else AdminCommand(name, None)


async def run_admin(command: AdminCommand, limits: Limits, queue: tuple[int, int]) -> list[Reply]:
    """Carry out an admin command.

    Args:
        queue: (people whose messages this process is handling, optimizations it is running).
    """
    usage = limits.usage
    assert usage is not None
    if command.name == "stats":
        stats = await asyncio.to_thread(usage.stats)
        return [TextReply(wording.stats(stats, *queue))]
    if command.target is None:
        return [TextReply(wording.ADMIN_USAGE)]
    if command.target in limits.rules.admins:
        return [TextReply(wording.ADMIN_NOT_BLOCKABLE)]
    block = command.name == "block"
    changed = await asyncio.to_thread(usage.block, command.target, block)
    return [TextReply(wording.blocked_now(f"{command.target.platform}:{command.target.user_id}", block, changed))]
