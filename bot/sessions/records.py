"""Plain values the store takes and gives back; callers never see ORM rows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

import numpy as np

from bot.sessions.arrays import StoredArray
from bot.sessions.errors import InvalidEdit

MAX_STEP_BYTES = 256 * 1024  # a W+ step at 1024 px is 36 KB, a StyleSpace step 36 KB
MAX_LATENT_BYTES = 1024 * 1024
MAX_PHOTO_BYTES = 16 * 1024 * 1024  # a kept copy is ≤ 2048 px: about 0.2–1.5 MB as a JPEG
MAX_PLACEMENT_CHARS = 16 * 1024
MAX_IDENTITY_BYTES = 8 * 1024  # an ArcFace embedding: 512 float16 = 1 kB, float32 = 2 kB


class StepKind(StrEnum):
    W_PLUS = "w_plus"  # added to the photo's W+ latent, float32 [num_ws, 512]
    STYLE = "style"  # added to the style vectors, all layers concatenated, float32 [sum of channels]


@dataclass(frozen=True)
class Person:
    """Who a session belongs to: one person in one chat on one platform."""

    platform: str
    chat_id: str
    user_id: str

    def __post_init__(self) -> None:
        for name, limit in (("platform", 32), ("chat_id", 64), ("user_id", 64)):
            value = getattr(self, name)
            if not isinstance(value, str) or not value or len(value) > limit:
                raise InvalidEdit(f"{name} must be a non-empty string of at most {limit} characters.")


@dataclass(frozen=True)
class Revision:
    """Which session and which version of it a caller has read; writes may insist on it (`expect=`)."""

    session_id: int
    version: int


def check_step(kind: StepKind, step: StoredArray) -> None:
    if kind is StepKind.W_PLUS and len(step.shape) != 2:
        raise InvalidEdit(f"A W+ step must be 2-D [num_ws, w_dim], not shape {step.shape}.")
    if kind is StepKind.STYLE and len(step.shape) != 1:
        raise InvalidEdit(f"A StyleSpace step must be 1-D (all layers concatenated), not shape {step.shape}.")
    if step.nbytes > MAX_STEP_BYTES:
        raise InvalidEdit(f"A step of {step.nbytes} bytes is larger than the {MAX_STEP_BYTES} allowed.")


def check_scale(factor: float) -> float:
    factor = float(factor)
    if not (math.isfinite(factor) and factor > 0):
        raise InvalidEdit(f"A strength factor must be a positive number, not {factor!r}.")
    return factor


@dataclass(frozen=True, kw_only=True)
class NewEdit:
    """An edit to append: the words, the parsed instruction, the router's choice and why, and the step."""

    text: str
    instruction: str
    method: str
    reason: str
    strength: float
    step_kind: StepKind
    step: StoredArray  # a numpy array is accepted and converted

    def __post_init__(self) -> None:
        try:
            kind = StepKind(self.step_kind)
        except ValueError:
            raise InvalidEdit(f"Unknown step kind {self.step_kind!r}; expected 'w_plus' or 'style'.") from None
        if not self.method or len(self.method) > 32:
            raise InvalidEdit("The edit method must be a name of 1 to 32 characters.")
        if not math.isfinite(float(self.strength)):
            raise InvalidEdit(f"The edit strength must be a finite number, not {self.strength!r}.")
        step = StoredArray.coerce(self.step)
        check_step(kind, step)
        object.__setattr__(self, "step_kind", kind)
        object.__setattr__(self, "strength", float(self.strength))
        object.__setattr__(self, "step", step)


@dataclass(frozen=True, kw_only=True)
class SessionPhoto:
    """The photo a session edits, as kept: a stripped copy, where its face is, and an identity reference.

    `placement` is opaque here (JSON written by the engine); `identity` is raw bytes of an embedding or None.
    """

    data: bytes
    width: int
    height: int
    placement: str
    faces: int = 1
    identity: bytes | None = None
    content_type: str = "image/jpeg"

    def __post_init__(self) -> None:
        if not 0 < len(self.data) <= MAX_PHOTO_BYTES:
            raise InvalidEdit(f"A kept photo must have 1 to {MAX_PHOTO_BYTES} bytes, not {len(self.data)}.")
        if not (isinstance(self.width, int) and isinstance(self.height, int) and self.width > 0 and self.height > 0):
            raise InvalidEdit(f"A kept photo needs a positive size, not {self.width}×{self.height}.")
        if not 0 < len(self.placement) <= MAX_PLACEMENT_CHARS:
            raise InvalidEdit(f"A photo's placement must have 1 to {MAX_PLACEMENT_CHARS} characters.")
        if not 0 < len(self.content_type) <= 64:
            raise InvalidEdit("A photo's content type must have 1 to 64 characters.")
        if self.faces < 1:
            raise InvalidEdit("A kept photo has at least one face.")
        if self.identity is not None and len(self.identity) > MAX_IDENTITY_BYTES:
            raise InvalidEdit(f"An identity reference of {len(self.identity)} bytes is over {MAX_IDENTITY_BYTES}.")


@dataclass(frozen=True)
class Preview:
    """A change tried on a snapshot of the session: the state it would give, and the revision it started from.

    Commit it with `SessionStore.change(person, change, expect=preview.revision)`.
    """

    state: CurrentState
    revision: Revision


@dataclass(frozen=True)
class EditInfo:
    """An edit as the history lists it (no step data)."""

    id: int
    index: int  # 1-based place in the session's list
    text: str
    instruction: str
    method: str
    reason: str
    strength: float  # as the step was made
    scale: float  # "more"/"less" factor; the effective strength is strength * scale
    step_kind: StepKind
    created_at: datetime
    active: bool  # False once undone (the redo tail)


@dataclass(frozen=True)
class EditStep:
    """An active edit's change to the photo, in order of application."""

    edit_id: int
    kind: StepKind
    step: StoredArray
    scale: float

    def to_numpy(self) -> np.ndarray:
        """The step as applied: stored step times the "more"/"less" scale."""
        array = self.step.to_numpy()
        return array if self.scale == 1.0 else (array * np.asarray(self.scale, dtype=array.dtype))


@dataclass(frozen=True)
class SessionSummary:
    """A session's metadata and full edit list (undone edits included), as returned by every write."""

    session_id: int
    version: int
    person: Person
    generator: str
    created_at: datetime
    updated_at: datetime
    edits: tuple[EditInfo, ...] = field(default_factory=tuple)

    @property
    def revision(self) -> Revision:
        return Revision(self.session_id, self.version)

    @property
    def active_edits(self) -> tuple[EditInfo, ...]:
        return tuple(edit for edit in self.edits if edit.active)

    @property
    def can_undo(self) -> bool:
        return any(edit.active for edit in self.edits)

    @property
    def can_redo(self) -> bool:
        return any(not edit.active for edit in self.edits)


@dataclass(frozen=True)
class CurrentState:
    """What the engine needs to render the current image: the photo's latent plus the active steps in order."""

    session_id: int
    version: int
    generator: str
    latent: StoredArray
    steps: tuple[EditStep, ...]

    @property
    def revision(self) -> Revision:
        return Revision(self.session_id, self.version)
