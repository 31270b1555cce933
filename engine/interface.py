"""The seam between the chat side and the engine: what a bot may ask of an engine, wherever it runs.

`engine.service.Engine` (models in this process) and `bot.remote.RemoteEngine` (a Ray Serve application over
HTTP) both satisfy `EngineAPI`. The bot core is written against this protocol and the torch-free values and
errors it names, so a bot process that talks to a remote engine never imports torch.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Protocol

import numpy as np

from engine.values import EditResult, Instruction, Inverted, LatentState, MethodChoice, ProgressCallback


class EngineAPI(Protocol):
    """Every call may raise `engine.errors.ModelsNotReady` while the models load, `EngineBusy` when the queue
    is full and (remote) `EngineUnavailable` when the engine cannot be reached; cancelling the awaiting task
    cancels the work (an optimization stops at its next step)."""

    async def generator_name(self) -> str:
        """What sessions record as their generator ("stylegan2-ffhq-1024"): latents of another cannot be drawn."""
        ...

    async def invert(self, photo: bytes, caller: Hashable) -> Inverted:
        """Find, align and encode the photo's largest face (`InversionError` when the photo cannot be used)."""
        ...

    async def identity(self, face: np.ndarray, caller: Hashable) -> np.ndarray | None:
        """The unit ArcFace embedding of a face crop; None when the engine has no ArcFace."""
        ...

    async def edit(
        self,
        state: LatentState,
        instruction: Instruction,
        caller: Hashable,
        *,
        method: MethodChoice = "auto",
        on_progress: ProgressCallback | None = None,
        ask_first: bool = False,
    ) -> EditResult:
        """Route `instruction` and compute its step at the image of `state` (see `Engine.edit`)."""
        ...

    async def render(self, state: LatentState, caller: Hashable, *, preview: bool = False) -> np.ndarray:
        """The image of `state`, uint8 [H, W, 3]."""
        ...

    async def close(self) -> None:
        """Stop taking work and free what the engine holds."""
        ...
