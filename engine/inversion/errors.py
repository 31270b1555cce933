"""Why a photo could not be inverted, in words a person understands.

Every error a sender's photo can cause derives from `InversionError`, so the chat side catches one
type and shows `str(error)` as the reply. Problems of our own setup (a missing model file or
package) are not among them: they are not the sender's to fix.
"""

from __future__ import annotations


class InversionError(ValueError):
    """A photo that cannot be turned into a latent; the message is meant for the person who sent it."""


class NotAnImage(InversionError):
    """The file is not a picture format we can read."""


class DamagedImage(InversionError):
    """The file looks like a picture but is truncated or corrupt."""


class ImageTooLarge(InversionError):
    """The file or the picture exceeds the configured limits (bytes or pixels)."""


class ImageTooSmall(InversionError):
    """The picture has too few pixels to hold a usable face (e.g. a thumbnail)."""


class NoFaceFound(InversionError):
    """No human face was detected."""


class FaceTooSmall(InversionError):
    """The face is too small in the picture to give a usable 256 px crop."""
