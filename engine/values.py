"""Names and plain values the engine shares with the chat side: the editing methods, the step kinds, and how
an edit was made. Plain enums and dataclasses only (no torch), so a thin bot process can import them.

The session database keeps these names as strings; its migrations spell them out as they were when written.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Method(StrEnum):
    """StyleCLIP's three ways to edit (DESIGN.md), cheapest first."""

    MAPPER = "mapper"  # a latent mapper trained for one prompt: a W+ step
    GLOBAL_DIRECTION = "global_direction"  # a text direction in StyleSpace: a StyleSpace step
    OPTIMIZATION = "optimization"  # gradient descent on W+: a W+ step


class StepKind(StrEnum):
    """Where an edit's change is added when the picture is drawn."""

    W_PLUS = "w_plus"  # to the photo's W+ latent, float32 [num_ws, w_dim]
    STYLE = "style"  # to the style vectors, all layers concatenated, float32 [sum of channels]


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
