"""Message text → what the person wants (`Edit`, `SeveralEdits`, a command, or a `Refusal`).

Deterministic and table-driven: one ordered list of named rules (`RULES`), the first that answers wins.
The rules come from four stages, one module each under `bot.dialog.rules`: `normalise` (the text as the
others read it, and refusals that need no vocabulary), `commands` (whole-message commands), `frames` (the
verbs of an edit: "make it ...", "add ...", "remove ...", "turn into ...") and `concepts` (the vocabulary
of faces, then the words themselves, so CLIP still gets a chance). Chinese sits beside English: its
commands are rows of the same tables, its edits are read into the English phrase with the same meaning.

Ambiguities decided here:
- "remove the beard" is an edit (a face without a beard); "drop the beard", "undo the beard" and
  "remove the beard edit" drop an earlier edit.
- "forget" / "forget me" asks to delete everything; "/forget confirm" or "yes, delete" confirms it.
- "more" alone scales the last edit; "more hair" is a new edit.
- "smile and add glasses" is two edits; "salt and pepper hair" is one: a message is split only when every
  part is an edit read from the word tables.
- Words in a script CLIP does not read (Chinese outside the table, Cyrillic, ...) never go to CLIP as they
  are: the answer says what works instead.
"""

from __future__ import annotations

from bot.dialog import phrases
from bot.dialog.commands import Parsed, Refusal
from bot.dialog.rules import chinese, commands, frames, normalise, several
from bot.dialog.rules.base import Rule, first_match
from bot.dialog.rules.normalise import Message


def _edit(message: Message) -> Parsed | None:
    found = frames.read_edit(message.words)
    return None if found is None else found[1]


def _not_understood(message: Message) -> Parsed:
    return Refusal("nonsense", phrases.MSG_NONSENSE)


# One edit (or command) per message, in order; the first rule that answers wins.
SINGLE_RULES: tuple[Rule[Message, Parsed], ...] = (
    normalise.EMPTY,
    normalise.TOO_LONG,
    commands.QUESTION_MARK,
    normalise.SYMBOLS_ONLY,
    commands.SLASH,
    normalise.UNSAFE,
    commands.PHRASE,
    normalise.POLITENESS_ONLY,
    commands.PHRASE_WITHOUT_POLITENESS,
    commands.FACTOR,
    normalise.NO_LETTERS,
    normalise.GIBBERISH,
    commands.DROP,
    chinese.DROP,
    chinese.EDIT,
    chinese.NOT_READ,
    Rule("frames.edit", _edit),
    Rule("concepts.not_understood", _not_understood),
)
_BEFORE_EDITS = SINGLE_RULES.index(chinese.DROP) + 1
# All rules: several edits in one message are tried once the message is known to be no command.
RULES = (*SINGLE_RULES[:_BEFORE_EDITS], several.rule(SINGLE_RULES), *SINGLE_RULES[_BEFORE_EDITS:])


def parse(text: str) -> Parsed:
    """Read one message.

    Args:
        text: what the person wrote, as received.
    Returns:
        an `Edit`, `SeveralEdits`, a command (`More`, `Undo`, `Drop`, ...), `Thanks`, or a `Refusal` with a
        friendly message.
    """
    found = first_match(RULES, Message(text))
    assert found is not None            # the last rule always answers
    return found[1]
