"""Several edits in one message: "smile and add glasses", "make her older, then purple hair", "微笑并戴上眼镜".

The message is split on "and" / "then" / commas (并, 然后, ，, 再) only when every part, read on its own, is
an edit from the word tables: "salt and pepper hair" stays one edit, since "salt" alone is not one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.dialog import phrases
from bot.dialog.commands import Edit, Parsed, Refusal, SeveralEdits
from bot.dialog.rules.base import Rule, first_match
from bot.dialog.rules.normalise import Message

MAX_PARTS = 5
_SEPARATORS = re.compile(r"(?:[,;，；、]|\band then\b|\bthen\b|\band\b|&|并且|并|然后|再)", re.IGNORECASE)


def rule(single: Sequence[Rule[Message, Parsed]]) -> Rule[Message, Parsed]:
    """The rule that splits a message, reading each part with the `single` rules (those of one edit)."""

    def several(message: Message) -> Parsed | None:
        parts = [part.strip() for part in _SEPARATORS.split(message.raw) if part.strip()]
        if len(parts) < 2:
            return None
        edits: list[Edit] = []
        for part in parts:
            found = first_match(single, Message(part))
            if found is None or not isinstance(found[1], Edit) or not found[1].known:
                return None
            edits.append(found[1])
        if len(edits) > MAX_PARTS:
            return Refusal("too_many", phrases.MSG_TOO_MANY, (("count", str(MAX_PARTS)),))
        return SeveralEdits(tuple(edits))

    return Rule("frames.several_edits", several)
