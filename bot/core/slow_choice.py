"""The choice offered before a long optimization: start it, use a global direction anyway, or cancel.

The bot keeps the pending choice in memory for the person's next message only (a restart forgets it and
the person simply asks again); anything else they send drops it and is handled as usual.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot import dialog

Choice = Literal["start", "global", "cancel"]

_WORDS: dict[Choice, tuple[str, ...]] = {
    "start": ("start", "start it", "yes", "ok", "okay", "go", "go ahead", "optimize", "optimise", "run it", "wait"),
    "global": (
        "global",
        "global direction",
        "use a global direction",
        "use a global direction anyway",
        "anyway",
        "quick",
        "fast",
    ),
    "cancel": ("cancel", "no", "stop", "never mind", "nevermind", "forget it"),
}
_LOOKUP = {phrase: choice for choice, phrases in _WORDS.items() for phrase in phrases}


def parse_choice(text: str) -> Choice | None:
    """The choice a reply names ("start", "use a global direction", "cancel", ...), or None."""
    words = " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())
    return _LOOKUP.get(words)


@dataclass(frozen=True)
class PendingSlowEdit:
    """An edit waiting for the person's choice, as they first sent it, and how long it was expected to take.

    For a message of several edits, `message` holds them all and `edit` is `message[index]`, the slow one: the
    choice applies to it (with the ones made earlier, `chosen`) and the whole message is made once it is answered."""

    edit: dialog.Edit
    estimated_s: float
    message: tuple[dialog.Edit, ...] = ()
    index: int = 0
    chosen: tuple[tuple[int, str], ...] = ()  # (part index, method) answered before, for a message of several
