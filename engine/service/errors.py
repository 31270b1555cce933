"""Typed errors of the engine service, for the chat side to turn into replies."""

from __future__ import annotations


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
