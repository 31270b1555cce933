"""One unit of work on one session: every change inside it commits together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import numpy as np
from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session

from bot.sessions.arrays import StoredArray, decode_shape, encode_shape
from bot.sessions.errors import EditNotFound, InvalidEdit, NoEditToRescale, NothingToRedo, NothingToUndo
from bot.sessions.models import ChatSession, Edit
from bot.sessions.records import (
    CurrentState,
    EditInfo,
    EditStep,
    NewEdit,
    Person,
    Revision,
    SessionSummary,
    StepKind,
    check_scale,
    check_step,
)


class SessionUnit:
    """The edit operations of one transaction on a person's current session.

    Made by `SessionStore.unit()`, which holds the session row's lock, bumps its version and commits on
    exit; an exception inside the `with` block rolls everything back.
    """

    def __init__(self, orm: Session, row: ChatSession, clock: Callable[[], datetime]) -> None:
        self._orm = orm
        self._row = row
        self._clock = clock

    @property
    def session_id(self) -> int:
        return self._row.id

    @property
    def revision(self) -> Revision:
        self._orm.flush()
        return Revision(self._row.id, self._row.version)

    def append(self, edit: NewEdit) -> EditInfo:
        """Add an edit after the current position; undone edits after it (the redo tail) are discarded."""
        row = self._row
        self._orm.execute(delete(Edit).where(Edit.session_id == row.id, Edit.seq > row.position))
        seq = row.position + 1
        edit_row = Edit(
            session_id=row.id,
            seq=seq,
            text=edit.text,
            instruction=edit.instruction,
            method=edit.method,
            reason=edit.reason,
            strength=edit.strength,
            scale=1.0,
            step_kind=edit.step_kind.value,
            step=edit.step.data,
            step_shape=encode_shape(edit.step.shape),
            step_dtype=edit.step.dtype,
            created_at=self._clock(),
        )
        self._orm.add(edit_row)
        row.position = seq
        return self._info(edit_row)

    def undo(self) -> None:
        """Step back one edit; raises `NothingToUndo` at the photo."""
        if self._row.position == 0:
            raise NothingToUndo()
        self._row.position = self._neighbour_seq(before=True) or 0

    def redo(self) -> None:
        """Re-apply the next undone edit; raises `NothingToRedo` when there is none."""
        following = self._neighbour_seq(before=False)
        if following is None:
            raise NothingToRedo()
        self._row.position = following

    def reset(self) -> None:
        """Back to the photo; the edits stay as a redo tail until the next new edit discards them."""
        self._row.position = 0

    def rescale_last(self, factor: float) -> EditInfo:
        """Multiply the last active edit's strength by `factor` ("more" > 1 > "less")."""
        factor = check_scale(factor)
        if self._row.position == 0:
            raise NoEditToRescale()
        edit = self._orm.scalars(
            select(Edit).where(Edit.session_id == self._row.id, Edit.seq == self._row.position)
        ).one()
        edit.scale = check_scale(edit.scale * factor)
        return self._info(edit)

    def drop_edit(self, edit_id: int, replacements: Mapping[int, StoredArray | np.ndarray] | None = None) -> None:
        """Remove one edit, keeping the others; `replacements` gives new steps for edits that depended on it.

        Args:
            edit_id: the edit to remove (active or undone).
            replacements: edit id -> new step (same shape), e.g. mapper steps recomputed without the dropped edit.
        """
        edit = self._own_edit(edit_id)
        replacements = dict(replacements or {})
        if edit_id in replacements:
            raise EditNotFound(f"Edit {edit_id} is being dropped, so it cannot also get a new step.")
        checked = {other: self._checked_step(self._own_edit(other), step) for other, step in replacements.items()}
        if edit.seq == self._row.position:
            self._row.position = self._neighbour_seq(before=True) or 0
        self._orm.delete(edit)
        for other, step in checked.items():
            self._store_step(self._own_edit(other), step)
        self._orm.flush()

    def replace_step(self, edit_id: int, step: StoredArray | np.ndarray) -> None:
        """Give an edit a recomputed step of the same kind and shape; its "more"/"less" scale stays."""
        edit = self._own_edit(edit_id)
        self._store_step(edit, self._checked_step(edit, step))

    def summary(self) -> SessionSummary:
        self._orm.flush()
        return build_summary(self._orm, self._row)

    def current(self) -> CurrentState:
        self._orm.flush()
        return build_current(self._orm, self._row)

    def _info(self, edit: Edit) -> EditInfo:
        self._orm.flush()
        index = self._orm.scalar(
            select(func.count()).select_from(Edit).where(Edit.session_id == self._row.id, Edit.seq <= edit.seq)
        )
        return edit_info(edit, int(index or 0), active=edit.seq <= self._row.position)

    def _neighbour_seq(self, *, before: bool) -> int | None:
        row = self._row
        if before:
            query = select(func.max(Edit.seq)).where(Edit.session_id == row.id, Edit.seq < row.position)
        else:
            query = select(func.min(Edit.seq)).where(Edit.session_id == row.id, Edit.seq > row.position)
        return self._orm.scalar(query)

    def _own_edit(self, edit_id: int) -> Edit:
        edit = self._orm.get(Edit, edit_id)
        if edit is None or edit.session_id != self._row.id:
            raise EditNotFound(f"Edit {edit_id} is not part of this photo's history.")
        return edit

    @staticmethod
    def _checked_step(edit: Edit, step: StoredArray | np.ndarray) -> StoredArray:
        stored = StoredArray.coerce(step)
        check_step(StepKind(edit.step_kind), stored)
        if stored.shape != decode_shape(edit.step_shape):
            raise InvalidEdit(
                f"The new step for edit {edit.id} has shape {stored.shape}, but the edit's step has "
                f"shape {decode_shape(edit.step_shape)}."
            )
        return stored

    @staticmethod
    def _store_step(edit: Edit, step: StoredArray) -> None:
        edit.step = step.data
        edit.step_dtype = step.dtype


def build_summary(orm: Session, row: ChatSession) -> SessionSummary:
    # Plain rows, not ORM objects: listing a long history stays cheap.
    edits = orm.execute(select(*_INFO_COLUMNS).where(Edit.session_id == row.id).order_by(Edit.seq)).all()
    return SessionSummary(
        session_id=row.id,
        version=row.version,
        person=Person(row.platform, row.chat_id, row.user_id),
        generator=row.generator,
        created_at=row.created_at,
        updated_at=row.updated_at,
        edits=tuple(edit_info(edit, index, edit.seq <= row.position) for index, edit in enumerate(edits, start=1)),
    )


_INFO_COLUMNS = (
    Edit.id, Edit.seq, Edit.text, Edit.instruction, Edit.method, Edit.reason, Edit.strength, Edit.scale,
    Edit.step_kind, Edit.created_at,
)


def edit_info(edit: Edit | Row, index: int, active: bool) -> EditInfo:
    return EditInfo(
        id=edit.id,
        index=index,
        text=edit.text,
        instruction=edit.instruction,
        method=edit.method,
        reason=edit.reason,
        strength=edit.strength,
        scale=edit.scale,
        step_kind=StepKind(edit.step_kind),
        created_at=edit.created_at,
        active=active,
    )


def build_current(orm: Session, row: ChatSession) -> CurrentState:
    edits = orm.execute(
        select(Edit.id, Edit.step_kind, Edit.step, Edit.step_shape, Edit.step_dtype, Edit.scale)
        .where(Edit.session_id == row.id, Edit.seq <= row.position)
        .order_by(Edit.seq)
    ).all()
    return CurrentState(
        session_id=row.id,
        version=row.version,
        generator=row.generator,
        latent=StoredArray(bytes(row.latent), decode_shape(row.latent_shape), row.latent_dtype),
        steps=tuple(
            EditStep(
                edit_id=edit.id,
                kind=StepKind(edit.step_kind),
                step=StoredArray(bytes(edit.step), decode_shape(edit.step_shape), edit.step_dtype),
                scale=edit.scale,
            )
            for edit in edits
        ),
    )
