"""The values the engine and the chat side exchange: methods, step kinds, a session's latent state, an edit's
request and result, an optimization's progress. Plain enums, dataclasses and numpy arrays (no torch, no Ray),
so a thin bot process that talks to a remote engine imports this module, `engine.errors` and `engine.photos`.

The session database keeps these names as strings; its migrations spell them out as they were when written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np

from engine.photos.keep import KeptPhoto
from engine.photos.paste import FacePlacement


class Method(StrEnum):
    """StyleCLIP's three ways to edit (DESIGN.md), cheapest first."""

    MAPPER = "mapper"  # a latent mapper trained for one prompt: a W+ step
    GLOBAL_DIRECTION = "global_direction"  # a text direction in StyleSpace: a StyleSpace step
    OPTIMIZATION = "optimization"  # gradient descent on W+: a W+ step


class StepKind(StrEnum):
    """Where an edit's change is added when the picture is drawn."""

    W_PLUS = "w_plus"  # to the photo's W+ latent, float32 [num_ws, w_dim]
    STYLE = "style"  # to the style vectors, all layers concatenated, float32 [sum of channels]


MethodChoice = Literal["auto", "mapper", "global_direction", "optimization"]  # "auto" or a `Method` value

METHOD_NAMES: tuple[str, ...] = tuple(m.value for m in Method)
STEP_KIND_NAMES: tuple[str, ...] = tuple(k.value for k in StepKind)


def step_kind_of(method: Method | str) -> StepKind:
    """The kind of step a method makes."""
    return StepKind.STYLE if Method(method) is Method.GLOBAL_DIRECTION else StepKind.W_PLUS


@dataclass(frozen=True, kw_only=True)
class EditRoute:
    """How one edit was made, as facts (the router's prose is in `EditResult.reason`).

    Fields that do not apply to the method are None.
    """

    method: Method
    mapper: str | None = None  # the mapper's name (mapper edits)
    similarity: float | None = None  # CLIP similarity of the prompt to the mapper's text, when matched by it
    channels: int | None = None  # StyleSpace channels moved (global direction)
    beta: float | None = None  # the disentanglement threshold β (global direction)
    alpha: float | None = None  # the strength the step was made with (α for a global direction)
    steps: int | None = None  # optimization steps run
    seconds: float | None = None  # time the edit took in the engine
    pending_mapper: str | None = None  # a mapper that fits but is not installed yet (e.g. still downloading)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method(self.method))


@dataclass(frozen=True)
class Instruction:
    """A parsed edit request."""

    target: str                 # what the face should show ("curly hair", "face with a beard")
    neutral: str | None = None  # what it shows now; "face" when not given
    strength: float | None = None   # multiplies the chosen method's default strength (None = 1)


@dataclass(frozen=True)
class Step:
    """One active edit of a session, as applied: W+ [num_ws, w_dim] or StyleSpace (all layers concatenated)."""

    kind: StepKind
    array: np.ndarray
    method: Method | None = None       # how it was made, when known

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", StepKind(self.kind))
        if self.method is not None:
            object.__setattr__(self, "method", Method(self.method))


@dataclass(frozen=True)
class LatentState:
    """What an image is made of: the photo's latent and the active steps, in order."""

    w_plus: np.ndarray                 # float32 [num_ws, w_dim]
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class Inverted:
    w_plus: np.ndarray                 # float32 [num_ws, w_dim]
    aligned: np.ndarray                # uint8 [256, 256, 3], the crop the encoder saw
    notes: tuple[str, ...]             # worth telling the sender ("I found 2 faces and used the largest")
    seconds: float
    photo: KeptPhoto | None = None     # the stripped copy of the photo to keep (≤ 2048 px, no metadata)
    placement: FacePlacement | None = None  # where the face lies in `photo`, for pasting edits back
    faces: int = 1                     # faces found; the largest was used


@dataclass(frozen=True)
class EditResult:
    """A new step and how it was made: the facts in `route`, the router's explanation in `reason`."""

    step: Step                         # strength included: store it as it is
    route: EditRoute
    reason: str
    strength: float
    prompt: str
    seconds: float

    @property
    def method(self) -> Method:
        return self.route.method


@dataclass(frozen=True)
class Progress:
    """An optimization's progress, for a status message."""

    step: int                          # 0 while waiting in the queue
    total: int
    loss: float                        # NaN while waiting
    preview: np.ndarray | None = None  # uint8 [H, W, 3], every `preview_every` steps
    queue_position: int = 0            # optimizations ahead of this one (0 once it runs)
    estimated_wait_s: float = 0.0


ProgressCallback = Callable[[Progress], object]
