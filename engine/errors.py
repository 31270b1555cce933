"""Every error the engine raises on purpose, in one module that imports neither torch nor Ray.

The chat side catches these whether the engine runs in its own process or behind HTTP (the remote client
raises the same classes), so a thin bot process imports this module and `engine.values` only.

- `InversionError` and its subclasses: the sender's photo cannot be used; the message is for them.
- `PromptError`, `NoRoute`: the prompt cannot be served as asked; the message is for the sender too.
- `EngineError` and its subclasses: the engine's own state (busy, loading, cancelled, out of memory, away).
- `ModelsMissing`: a model file is not installed; the operator's to fix, not the sender's.
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


class EngineError(RuntimeError):
    """Base class of every error the engine service raises on purpose."""


class EngineBusy(EngineError):
    """The queue is full, or this caller already has as many requests waiting as allowed."""

    def __init__(self, reason: str, queue_position: int, estimated_wait_s: float) -> None:
        self.reason = reason
        self.queue_position = queue_position
        self.estimated_wait_s = estimated_wait_s
        super().__init__(f"{reason} (queue position {queue_position}, about {estimated_wait_s:.0f} s)")


class EngineOutOfMemory(EngineError):
    """Even a batch of one did not fit in device memory."""


class SlowEdit(EngineError):
    """Only an optimization fits and it would take long here: the caller asked to hear that first
    (`Engine.edit(..., ask_first=True)`) and may ask again with `method="optimization"` to start it."""

    def __init__(self, estimated_s: float, steps: int, reason: str) -> None:
        self.estimated_s = estimated_s
        self.steps = steps
        self.reason = reason  # the router's explanation of why no quick method fits
        super().__init__(f"an optimization of {steps} steps would take about {estimated_s:.0f} s ({reason})")


class Cancelled(EngineError):
    """The caller cancelled a long-running request."""


class ModelsNotReady(EngineError):
    """The models are still being fetched or loaded in the background; ask again shortly.

    Attributes:
        percent: how much of the current stage is done (0-100).
        stage: what is happening ("downloading the models", "computing StyleSpace statistics", ...).
    """

    def __init__(self, percent: float, stage: str) -> None:
        self.percent = percent
        self.stage = stage
        super().__init__(f"getting the models ready: {stage}, {percent:.0f} %")


class EngineUnavailable(EngineError):
    """The remote engine could not be reached or failed mid-request (e.g. a replica restarting): try again."""


class PromptError(ValueError):
    """A prompt CLIP cannot take: empty, or longer than its 77-token context."""


class NoRoute(ValueError):
    """The method asked for cannot serve this prompt (no matching mapper, no usable direction)."""


class ModelsMissing(RuntimeError):
    """A model file the engine needs is not in the cache."""
