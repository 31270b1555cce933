"""Values and small helpers shared by the session tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import Engine, text

from bot.sessions import NewEdit, Person, SessionPhoto, StepKind
from bot.sessions.models import Base


def empty_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the session schema."""
    with engine.connect() as connection:
        return {
            table.name: connection.execute(text(f"SELECT COUNT(*) FROM {table.name}")).scalar_one()
            for table in Base.metadata.sorted_tables
        }


class Clock:
    """A settable clock, so retention tests need no sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


ALICE = Person("telegram", "chat-1", "alice")
BOB = Person("telegram", "chat-1", "bob")


def latent(seed: int = 0, num_ws: int = 18) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((num_ws, 512), dtype=np.float32)


def w_plus_edit(seed: int, text_: str = "make it cuter", num_ws: int = 18) -> NewEdit:
    return NewEdit(
        text=text_,
        instruction=f"edit:{text_}",
        method="mapper",
        reason="a trained mapper matches the prompt",
        strength=0.1,
        step_kind=StepKind.W_PLUS,
        step=np.random.default_rng(1000 + seed).standard_normal((num_ws, 512), dtype=np.float32),
    )


def style_edit(seed: int, text_: str = "remove makeup", channels: int = 9088) -> NewEdit:
    return NewEdit(
        text=text_,
        instruction=f"edit:{text_}",
        method="global_direction",
        reason="142 relevant channels above the threshold",
        strength=4.0,
        step_kind="style",
        step=np.random.default_rng(2000 + seed).standard_normal(channels, dtype=np.float32),
    )


def kept_photo(data: bytes = b"\xff\xd8jpeg bytes", identity: bytes | None = b"\x00\x3c" * 512) -> SessionPhoto:
    """A kept photo as the core stores it (the bytes need not be a real JPEG here)."""
    placement = '{"transform": {"quad": [[0, 0], [0, 8], [8, 8], [8, 0]], "size": 256, "image_size": [16, 12]}}'
    return SessionPhoto(data=data, width=16, height=12, placement=placement, faces=2, identity=identity)


EditFactory = Callable[[int], NewEdit]
