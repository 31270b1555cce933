"""Understanding messages: text → an `Edit` (or several), a command, or a friendly `Refusal` (see `parse`)."""

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
    SeveralEdits,
    Start,
    Thanks,
    Undo,
)
from bot.dialog.parse import parse
from bot.dialog.phrases import MAX_LENGTH

__all__ = [
    "MAX_LENGTH", "Cancel", "Command", "Compare", "Drop", "Edit", "Forget", "ForgetConfirm", "Help", "History", "Less",
    "More", "Parsed", "Privacy", "Redo", "Refusal", "Reset", "SeveralEdits", "Start", "Thanks", "Undo", "parse",
]
