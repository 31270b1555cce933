"""The choice offered before a long optimization: start it, use a global direction anyway, or cancel.

The question is kept on the person's session (`SessionStore.ask`) for their next text message only, so the
answer counts whichever bot process takes it and after a restart; anything else they send drops it and is
handled as usual, and a question left unanswered for `ANSWER_WITHIN` is forgotten (a "yes" the next day is
not an answer to it).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from bot import dialog

Choice = Literal["start", "global", "cancel"]
ANSWER_WITHIN = timedelta(hours=1)

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
    asked_at: datetime = field(default_factory=lambda: datetime.now().astimezone())

    def dump(self) -> str:
        """The question as the session keeps it (JSON)."""
        return json.dumps({
            "edit": _edit_fields(self.edit), "estimated_s": self.estimated_s,
            "message": [_edit_fields(e) for e in self.message], "index": self.index,
            "chosen": [list(c) for c in self.chosen], "asked_at": self.asked_at.isoformat(),
        })

    @classmethod
    def load(cls, stored: str | None, now: datetime | None = None) -> PendingSlowEdit | None:
        """The kept question; None when there is none, it is too old to answer, or it cannot be read."""
        if stored is None:
            return None
        try:
            data = json.loads(stored)
            pending = cls(
                edit=dialog.Edit(**data["edit"]), estimated_s=float(data["estimated_s"]),
                message=tuple(dialog.Edit(**e) for e in data["message"]), index=int(data["index"]),
                chosen=tuple((int(i), str(m)) for i, m in data["chosen"]),
                asked_at=datetime.fromisoformat(data["asked_at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        if (now or datetime.now().astimezone()) - pending.asked_at > ANSWER_WITHIN:
            return None
        return pending


def _edit_fields(edit: dialog.Edit) -> dict[str, Any]:
    return asdict(edit)
