"""What a message means: small frozen dataclasses, one per kind of request.

`Edit` carries CLIP-style texts only (no engine imports): the core builds the engine's
`Instruction(target, neutral, strength)` from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Edit:
    """Change the face. StyleCLIP compares `target` with `neutral` ("smiling face" vs "face")."""

    target: str                 # what the face should show, e.g. "face with a beard"
    neutral: str | None         # what it shows now, e.g. "face"; None when the phrasing gives none
    strength: float | None      # multiplier of the method's default strength; None = default
    text: str                   # the person's words (politeness stripped), for history and replies
    known: bool = field(default=True, compare=False)    # read from the word tables; False: CLIP gets the words


@dataclass(frozen=True)
class SeveralEdits:
    """Several edits in one message ("smile and add glasses"), in the order written: each its own step."""

    parts: tuple[Edit, ...]


@dataclass(frozen=True)
class More:
    """Scale the last edit's strength up by `factor` (> 1)."""

    factor: float = 1.5


@dataclass(frozen=True)
class Less:
    """Scale the last edit's strength down by `factor` (< 1)."""

    factor: float = 1 / 1.5


@dataclass(frozen=True)
class Undo:
    """Step back one edit."""


@dataclass(frozen=True)
class Redo:
    """Step forward one undone edit."""


@dataclass(frozen=True)
class Reset:
    """Back to the original photo (the edits stay in the history)."""


@dataclass(frozen=True)
class History:
    """Show the steps so far."""


@dataclass(frozen=True)
class Compare:
    """Show the original and the current result side by side."""


@dataclass(frozen=True)
class Drop:
    """Remove an earlier edit, named by its words ("beard"), keeping the later ones."""

    words: str


@dataclass(frozen=True)
class Cancel:
    """Stop the running optimization ("stop", "/cancel", "取消"); read before the person's queue."""


@dataclass(frozen=True)
class Help:
    """Say what the bot can do."""


@dataclass(frozen=True)
class Privacy:
    """Say what is stored and for how long."""


@dataclass(frozen=True)
class Forget:
    """Ask to delete everything stored about this person (needs a `ForgetConfirm`)."""


@dataclass(frozen=True)
class ForgetConfirm:
    """Confirmed: delete everything ("/forget confirm" or "yes, delete")."""


@dataclass(frozen=True)
class Start:
    """The platform's first message ("/start")."""


@dataclass(frozen=True)
class Thanks:
    """A thank-you with nothing to do; a short friendly answer is enough."""


RefusalReason = Literal["empty", "nonsense", "too_long", "unsafe", "emoji_only", "language", "too_many"]


@dataclass(frozen=True)
class Refusal:
    """Nothing to do: why, and a short friendly message that says what to try instead.

    `template` is the English sentence with `{placeholders}`, also the message catalogue's key, so the core
    can say it in the person's language; `message` is the English text.
    """

    reason: RefusalReason
    template: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def message(self) -> str:
        return self.template.format(**dict(self.params))


Command = (
    More | Less | Undo | Redo | Reset | History | Compare | Drop | Cancel | Help | Privacy | Forget | ForgetConfirm
    | Start
)
Parsed = Edit | SeveralEdits | Command | Thanks | Refusal
