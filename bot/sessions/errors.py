"""Typed errors of the session store; adapters turn them into replies, so messages speak to people."""

from __future__ import annotations


class SessionError(Exception):
    """Base class of every error the session store raises on purpose."""


class DatabaseConfigError(SessionError):
    """The database URL or its driver is unusable."""


class SchemaOutOfDate(SessionError):
    """The database schema is not at the revision this code expects."""


class NoSession(SessionError):
    """The person has no session yet (no photo sent)."""

    def __init__(self, message: str = "There is no photo to edit yet: send a photo first.") -> None:
        super().__init__(message)


class NothingToUndo(SessionError):
    def __init__(self, message: str = "Nothing to undo: this is the original photo.") -> None:
        super().__init__(message)


class NothingToRedo(SessionError):
    def __init__(self, message: str = "Nothing to redo.") -> None:
        super().__init__(message)


class NoEditToRescale(SessionError):
    def __init__(self, message: str = "There is no edit to make stronger or weaker yet.") -> None:
        super().__init__(message)


class EditNotFound(SessionError):
    """An edit id that is not part of the person's current session."""


class InvalidEdit(SessionError, ValueError):
    """A value the store refuses: an edit or array of the wrong kind, shape, dtype or size, a bad strength
    factor, or an empty or overlong id."""


class ConcurrentEdit(SessionError):
    """Another message of the same person changed the session first; retry from a fresh read."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "Another edit of this photo is in progress; please try again in a moment.")
