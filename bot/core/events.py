"""What adapters hand the core (events) and what they get back (replies): plain values, no platform types.

An adapter turns a platform update into one event, calls `Conversation.handle`, and turns each reply into
a platform message. Buttons carry a short payload (`ButtonPayload.encode`, at most 64 bytes, which is
Telegram's `callback_data` limit and well under Discord's 100-character `custom_id`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal

from bot import i18n
from bot.sessions import Person

ButtonAction = Literal["more", "less", "undo", "redo", "reset", "face"]
BUTTON_ACTIONS: tuple[ButtonAction, ...] = ("more", "less", "undo", "redo", "reset", "face")
BUTTON_LABELS: dict[ButtonAction, str] = {
    "more": "More", "less": "Less", "undo": "Undo", "redo": "Redo", "reset": "Reset", "face": "Face only",
}
MAX_PAYLOAD_BYTES = 64


# -- events -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoEvent:
    """A photo (the file's bytes, any common format); a caption is handled as a message right after it."""

    person: Person
    data: bytes
    caption: str | None = None
    language: str | None = None     # the platform's language code ("zh-hans", "en-US"), for the replies


@dataclass(frozen=True)
class TextEvent:
    """A text message."""

    person: Person
    text: str
    language: str | None = None     # the platform's language code ("zh-hans", "en-US"), for the replies


@dataclass(frozen=True)
class ButtonEvent:
    """A button pressed under an image: the action and the session version that image showed."""

    person: Person
    action: ButtonAction
    session_id: int
    version: int
    language: str | None = None     # the platform's language code ("zh-hans", "en-US"), for the replies

    @classmethod
    def from_payload(cls, person: Person, payload: str, language: str | None = None) -> ButtonEvent:
        """Rebuild the event from a button's payload; `BadPayload` when it is not one of ours."""
        decoded = ButtonPayload.decode(payload)
        return cls(person, decoded.action, decoded.session_id, decoded.version, language)


Event = PhotoEvent | TextEvent | ButtonEvent


def reply_language(event: Event) -> str:
    """The language to answer `event` in: the platform's, else the script of the person's words."""
    words = event.text if isinstance(event, TextEvent) else event.caption if isinstance(event, PhotoEvent) else None
    return i18n.language_for(event.language, words)


# -- buttons ------------------------------------------------------------------------------------------


class BadPayload(ValueError):
    """A button payload the core did not write (stale format, tampering, another bot's button)."""


@dataclass(frozen=True)
class ButtonPayload:
    """What a button carries: "sc1:<action>:<session id>:<version>" (the prefix versions the format)."""

    action: ButtonAction
    session_id: int
    version: int

    PREFIX = "sc1"

    def encode(self) -> str:
        text = f"{self.PREFIX}:{self.action}:{self.session_id}:{self.version}"
        if len(text.encode()) > MAX_PAYLOAD_BYTES:  # only with absurd ids; fail loudly, not on the platform
            raise ValueError(f"button payload {text!r} is longer than {MAX_PAYLOAD_BYTES} bytes")
        return text

    @classmethod
    def decode(cls, payload: str) -> ButtonPayload:
        parts = payload.split(":")
        if len(parts) != 4 or parts[0] != cls.PREFIX or parts[1] not in BUTTON_ACTIONS:
            raise BadPayload(f"not a button of this bot: {payload[:80]!r}")
        try:
            session_id, version = int(parts[2]), int(parts[3])
        except ValueError:
            raise BadPayload(f"not a button of this bot: {payload[:80]!r}") from None
        return cls(parts[1], session_id, version)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


def buttons_for(session_id: int, version: int) -> tuple[Button, ...]:
    """The buttons under a result image, tied to the session version it shows."""
    return tuple(
        Button(BUTTON_LABELS[action], ButtonPayload(action, session_id, version).encode()) for action in BUTTON_ACTIONS
    )


# -- replies ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextReply:
    text: str


@dataclass(frozen=True)
class ImageReply:
    """A picture to send: a JPEG to show inline, the full-size PNG to attach as a file, a caption, buttons."""

    jpeg: bytes
    png: bytes
    caption: str
    filename: str                                   # a name for the PNG file, e.g. "edit-3.png"
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    face_png: bytes | None = None                   # the face crop alone, where the platform shows it as a file


Reply = TextReply | ImageReply

# The adapter's status line: each call replaces the text of one status message ("optimizing: 40/80").
Status = Callable[[str], Awaitable[None]]


async def no_status(text: str) -> None:
    """A status callback that shows nothing (adapters without a status message, tests)."""
