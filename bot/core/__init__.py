"""The platform-independent bot: `Conversation.handle(event, status)` → replies.

Adapters (console, Telegram, Discord) build events from platform updates, pass an async `status(text)`
callback for progress, and send the replies back; see `bot.core.events` for the values they exchange.
"""

from bot.core import pictures, wording
from bot.core.conversation import Conversation
from bot.core.events import (
    MAX_PAYLOAD_BYTES,
    BadPayload,
    Button,
    ButtonAction,
    ButtonEvent,
    ButtonPayload,
    Event,
    ImageReply,
    PhotoEvent,
    Reply,
    Status,
    TextEvent,
    TextReply,
    buttons_for,
    no_status,
)
from bot.sessions import Person

__all__ = [
    "MAX_PAYLOAD_BYTES", "BadPayload", "Button", "ButtonAction", "ButtonEvent", "ButtonPayload", "Conversation",
    "Event", "ImageReply", "Person", "PhotoEvent", "Reply", "Status", "TextEvent", "TextReply", "buttons_for",
    "no_status", "pictures", "wording",
]
