"""Understanding messages: text → an `Edit`, a command, or a friendly `Refusal` (see `parse`)."""

from bot.dialog.commands import (
    Cancel,
    Command,
    Compare,
    Drop,
    Edit,
    Forget,
    ForgetConfirm,
    Help,
    History,
    Less,
    More,
    Parsed,
    Privacy,
    Redo,
    Refusal,
    Reset,
    Start,
    Thanks,
    Undo,
)
from bot.dialog.parse import parse
from bot.dialog.phrases import MAX_LENGTH

__all__ = [
    "MAX_LENGTH", "Cancel", "Command", "Compare", "Drop", "Edit", "Forget", "ForgetConfirm", "Help", "History", "Less",
    "More", "Parsed", "Privacy", "Redo", "Refusal", "Reset", "Start", "Thanks", "Undo", "parse",
]
