"""Every session operation, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bot.sessions import (
    ConcurrentEdit,
    EditNotFound,
    InvalidEdit,
    NoEditToRescale,
    NoSession,
    NothingToRedo,
    NothingToUndo,
    Person,
    SessionStore,
    SessionUnit,
    StepKind,
    StoredArray,
)
from bot.sessions.database import make_engine

from .helpers import ALICE, BOB, kept_photo, latent, row_counts, style_edit, w_plus_edit


def texts(summary) -> list[str]:
    return [edit.text for edit in summary.edits]


def active_ids(store: SessionStore, person: Person = ALICE) -> list[int]:
    return [step.edit_id for step in store.current(person).steps]


def test_start_keeps_latent_generator_and_photo(store: SessionStore) -> None:
    w = latent(1)
    summary = store.start(ALICE, w, "stylegan2-ffhq-config-f", photo=kept_photo())
    state = store.current(ALICE)
    assert state.session_id == summary.session_id
    assert state.generator == "stylegan2-ffhq-config-f"
    assert state.latent.shape == (18, 512) and state.latent.dtype == "float32"
    np.testing.assert_array_equal(state.latent.to_numpy(), w)
    assert state.steps == ()
    assert store.photo(ALICE) == kept_photo()
    store.start(BOB, w, "ffhq")
    assert store.photo(BOB) is None  # a session may start without one
    assert summary.person == ALICE and summary.edits == ()


def test_edits_compose_in_order_with_their_metadata(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    first, second = w_plus_edit(1, "make it cuter"), style_edit(2, "remove makeup")
    store.append(ALICE, first)
    summary = store.append(ALICE, second)

    assert [(e.index, e.text, e.method, e.step_kind, e.active) for e in summary.edits] == [
        (1, "make it cuter", "mapper", StepKind.W_PLUS, True),
        (2, "remove makeup", "global_direction", StepKind.STYLE, True),
    ]
    edit = summary.edits[1]
    assert (edit.instruction, edit.reason, edit.strength, edit.scale) == (
        "edit:remove makeup", "142 relevant channels above the threshold", 4.0, 1.0)
    steps = store.current(ALICE).steps
    assert [s.kind for s in steps] == [StepKind.W_PLUS, StepKind.STYLE]
    np.testing.assert_array_equal(steps[0].to_numpy(), first.step.to_numpy())
    np.testing.assert_array_equal(steps[1].to_numpy(), second.step.to_numpy())
    assert steps[1].step.shape == (9088,)


def test_undo_redo_and_reset_move_the_pointer(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    ids = [store.append(ALICE, w_plus_edit(i, f"edit {i}")).edits[-1].id for i in range(3)]

    assert [e.active for e in store.undo(ALICE).edits] == [True, True, False]
    assert active_ids(store) == ids[:2]
    assert store.redo(ALICE).can_redo is False
    assert active_ids(store) == ids
    with pytest.raises(NothingToRedo):
        store.redo(ALICE)
    for _ in range(3):
        store.undo(ALICE)
    with pytest.raises(NothingToUndo):
        store.undo(ALICE)
    assert active_ids(store) == []

    store.redo(ALICE)
    store.redo(ALICE)
    summary = store.reset(ALICE)
    assert [e.active for e in summary.edits] == [False, False, False]
    assert summary.can_undo is False and summary.can_redo is True
    store.redo(ALICE)
    assert active_ids(store) == ids[:1]


def test_new_edit_after_undo_discards_the_redo_tail(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    for i in range(3):
        store.append(ALICE, w_plus_edit(i, f"edit {i}"))
    store.undo(ALICE)
    store.undo(ALICE)
    summary = store.append(ALICE, style_edit(9, "new"))
    assert texts(summary) == ["edit 0", "new"]
    assert all(e.active for e in summary.edits)
    assert [e.index for e in summary.edits] == [1, 2]
    assert row_counts(store.engine)["edits"] == 2
    with pytest.raises(NothingToRedo):
        store.redo(ALICE)


def test_more_and_less_rescale_the_last_active_edit(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    first, second = w_plus_edit(1), style_edit(2)
    store.append(ALICE, first)
    store.append(ALICE, second)

    store.rescale_last(ALICE, 1.5)
    summary = store.rescale_last(ALICE, 0.5)
    assert [e.scale for e in summary.edits] == [1.0, 0.75]
    steps = store.current(ALICE).steps
    np.testing.assert_allclose(steps[1].to_numpy(), second.step.to_numpy() * 0.75, rtol=1e-6)
    np.testing.assert_array_equal(steps[0].to_numpy(), first.step.to_numpy())

    store.undo(ALICE)
    assert [e.scale for e in store.rescale_last(ALICE, 2.0).edits] == [2.0, 0.75]
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(InvalidEdit):
            store.rescale_last(ALICE, bad)
    store.reset(ALICE)
    with pytest.raises(NoEditToRescale):
        store.rescale_last(ALICE, 1.5)


def test_drop_an_earlier_edit_and_replace_later_steps_atomically(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    ids = [store.append(ALICE, w_plus_edit(i, f"edit {i}")).edits[-1].id for i in range(3)]
    recomputed = np.full((18, 512), 0.25, dtype=np.float32)

    summary = store.drop_edit(ALICE, ids[1], replacements={ids[2]: recomputed})
    assert texts(summary) == ["edit 0", "edit 2"]
    assert [e.index for e in summary.edits] == [1, 2]
    steps = store.current(ALICE).steps
    assert [s.edit_id for s in steps] == [ids[0], ids[2]]
    np.testing.assert_array_equal(steps[1].to_numpy(), recomputed)
    np.testing.assert_array_equal(steps[0].to_numpy(), w_plus_edit(0).step.to_numpy())

    # Dropping the last active edit moves the pointer back to the one before it.
    store.drop_edit(ALICE, ids[2])
    assert active_ids(store) == [ids[0]]
    with pytest.raises(NothingToRedo):
        store.redo(ALICE)


def test_a_failed_drop_changes_nothing(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    ids = [store.append(ALICE, w_plus_edit(i, f"edit {i}")).edits[-1].id for i in range(3)]
    before = store.current(ALICE)

    with pytest.raises(InvalidEdit):  # wrong shape for the replacement
        store.drop_edit(ALICE, ids[0], replacements={ids[2]: np.zeros((18, 256), np.float32)})
    with pytest.raises(EditNotFound):
        store.drop_edit(ALICE, ids[0], replacements={ids[0]: np.zeros((18, 512), np.float32)})
    with pytest.raises(EditNotFound):
        store.drop_edit(ALICE, 10**9)
    assert store.current(ALICE) == before

    store.start(BOB, latent(2), "ffhq")
    with pytest.raises(EditNotFound):  # someone else's edit
        store.drop_edit(BOB, ids[0])
    assert store.current(ALICE) == before


def test_people_in_one_chat_never_see_each_others_edits(store: SessionStore) -> None:
    alice_elsewhere = Person("telegram", "chat-2", "alice")
    alice_discord = Person("discord", "chat-1", "alice")
    for seed, person in enumerate((ALICE, BOB, alice_elsewhere, alice_discord)):
        store.start(person, latent(seed), "ffhq")
    store.append(ALICE, w_plus_edit(1, "alice's"))
    store.append(BOB, w_plus_edit(2, "bob's"))

    assert texts(store.history(ALICE)) == ["alice's"]
    assert texts(store.history(BOB)) == ["bob's"]
    assert texts(store.history(alice_elsewhere)) == []
    assert texts(store.history(alice_discord)) == []
    np.testing.assert_array_equal(store.current(BOB).latent.to_numpy(), latent(1))


def test_a_new_photo_starts_a_new_session_and_keeps_the_old_one(store: SessionStore) -> None:
    old = store.start(ALICE, latent(1), "ffhq")
    store.append(ALICE, w_plus_edit(1))
    new = store.start(ALICE, latent(2), "ffhq")
    assert new.session_id != old.session_id
    assert store.count_sessions(ALICE) == 2
    assert store.history(ALICE).edits == ()
    np.testing.assert_array_equal(store.current(ALICE).latent.to_numpy(), latent(2))
    assert row_counts(store.engine)["edits"] == 1


def test_every_operation_needs_a_photo_first(store: SessionStore) -> None:
    calls = [
        lambda: store.append(ALICE, w_plus_edit(1)),
        lambda: store.undo(ALICE),
        lambda: store.redo(ALICE),
        lambda: store.reset(ALICE),
        lambda: store.rescale_last(ALICE, 2.0),
        lambda: store.drop_edit(ALICE, 1),
        lambda: store.history(ALICE),
        lambda: store.current(ALICE),
        lambda: store.photo(ALICE),
        lambda: store.preview(ALICE, SessionUnit.reset),
        lambda: store.change(ALICE, SessionUnit.reset),
    ]
    for call in calls:
        with pytest.raises(NoSession, match="send a photo first"):
            call()


def test_a_stale_expected_revision_is_refused_and_changes_nothing(store: SessionStore) -> None:
    read = store.start(ALICE, latent(), "ffhq")
    after = store.append(ALICE, w_plus_edit(1), expect=read.revision)
    assert after.version > read.version
    with pytest.raises(ConcurrentEdit):
        store.append(ALICE, w_plus_edit(2, "late"), expect=read.revision)
    with pytest.raises(ConcurrentEdit):
        store.undo(ALICE, expect=read.revision)
    assert store.history(ALICE) == after
    # A new photo is a different session: an edit computed for the old one is refused too.
    store.start(ALICE, latent(3), "ffhq")
    with pytest.raises(ConcurrentEdit):
        store.append(ALICE, w_plus_edit(3), expect=after.revision)


def test_a_crash_inside_a_unit_of_work_leaves_nothing_half_written(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    ids = [store.append(ALICE, w_plus_edit(i, f"edit {i}")).edits[-1].id for i in range(2)]
    before_history, before_state = store.history(ALICE), store.current(ALICE)
    before_rows = row_counts(store.engine)

    with pytest.raises(RuntimeError, match="worker died"), store.unit(ALICE) as unit:
        unit.drop_edit(ids[0])
        unit.replace_step(ids[1], np.zeros((18, 512), np.float32))
        unit.append(style_edit(5, "half"))
        unit.rescale_last(3.0)
        raise RuntimeError("worker died")

    assert store.history(ALICE) == before_history
    assert store.current(ALICE) == before_state
    assert row_counts(store.engine) == before_rows


def test_a_unit_of_work_commits_all_its_changes_together(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    ids = [store.append(ALICE, w_plus_edit(i, f"edit {i}")).edits[-1].id for i in range(2)]
    with store.unit(ALICE) as unit:
        unit.drop_edit(ids[0])
        unit.replace_step(ids[1], np.ones((18, 512), np.float32))
        added = unit.append(style_edit(5, "third"))
        assert (added.index, added.text, added.active, added.scale) == (2, "third", True, 1.0)
        stronger = unit.rescale_last(2.0)
        assert (stronger.id, stronger.index, stronger.scale) == (added.id, 2, 2.0)
        inside = unit.summary()
    assert store.history(ALICE) == inside
    assert texts(inside) == ["edit 1", "third"]
    np.testing.assert_array_equal(store.current(ALICE).steps[0].to_numpy(), np.ones((18, 512), np.float32))


def test_state_survives_a_restart(store: SessionStore) -> None:
    store.start(ALICE, latent(4), "ffhq")
    store.append(ALICE, w_plus_edit(1))
    store.append(ALICE, style_edit(2))
    store.undo(ALICE)
    before = store.current(ALICE)
    reopened = SessionStore(make_engine(store.engine.url.render_as_string(hide_password=False)))
    try:
        assert reopened.current(ALICE) == before
        assert [e.active for e in reopened.history(ALICE).edits] == [True, False]
        reopened.redo(ALICE)
        assert len(reopened.current(ALICE).steps) == 2
    finally:
        reopened.close()


def test_bad_edits_are_refused_with_clear_errors(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    with pytest.raises(InvalidEdit, match="W\\+ step must be 2-D"):
        store.append(ALICE, replace(w_plus_edit(1), step=np.zeros(9088, np.float32)))
    with pytest.raises(InvalidEdit):
        store.start(BOB, np.zeros((18, 512), np.int32), "ffhq")
    with pytest.raises(InvalidEdit, match="generator"):
        store.start(BOB, latent(), "")
    with pytest.raises(InvalidEdit, match="larger than"):
        store.start(BOB, np.zeros((1024, 1024), np.float32), "ffhq")
    with pytest.raises(InvalidEdit, match="content type"):
        replace(kept_photo(), content_type="x" * 65)
    with pytest.raises(InvalidEdit, match="positive size"):
        replace(kept_photo(), width=0)
    with pytest.raises(InvalidEdit, match="identity reference"):
        replace(kept_photo(), identity=bytes(9000))
    assert StoredArray.from_numpy(latent()).nbytes == 18 * 512 * 4


def test_every_change_bumps_the_version_once_and_failures_not_at_all(store: SessionStore) -> None:
    versions = [store.start(ALICE, latent(), "ffhq").version]
    versions.append(store.append(ALICE, w_plus_edit(1)).version)
    versions.append(store.rescale_last(ALICE, 2.0).version)
    versions.append(store.undo(ALICE).version)
    with pytest.raises(NothingToUndo):
        store.undo(ALICE)
    versions.append(store.redo(ALICE).version)
    versions.append(store.reset(ALICE).version)
    assert versions == [1, 2, 3, 4, 5, 6]
    assert store.history(ALICE).version == store.current(ALICE).version == 6


def test_preview_shows_a_change_without_keeping_it(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    store.append(ALICE, w_plus_edit(1, "first"))
    read = store.append(ALICE, style_edit(2, "second"))
    rows = row_counts(store.engine)

    preview = store.preview(ALICE, SessionUnit.undo)
    assert preview.revision == read.revision
    assert [s.kind for s in preview.state.steps] == [StepKind.W_PLUS]
    assert store.history(ALICE) == read and row_counts(store.engine) == rows  # nothing kept, version unchanged

    added = store.preview(ALICE, lambda unit: unit.append(style_edit(3, "third")))
    assert len(added.state.steps) == 3 and store.history(ALICE) == read
    with pytest.raises(NothingToRedo):
        store.preview(ALICE, SessionUnit.redo)


def test_change_commits_against_the_revision_the_preview_read(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    store.append(ALICE, w_plus_edit(1, "first"))
    preview = store.preview(ALICE, SessionUnit.undo)
    after = store.change(ALICE, SessionUnit.undo, expect=preview.revision)
    assert after.version == preview.revision.version + 1
    assert store.current(ALICE).steps == preview.state.steps == ()

    stale = store.preview(ALICE, SessionUnit.redo)
    store.redo(ALICE)  # someone else got there first
    with pytest.raises(ConcurrentEdit):
        store.change(ALICE, SessionUnit.redo, expect=stale.revision)
    with pytest.raises(ConcurrentEdit):
        store.preview(ALICE, SessionUnit.undo, expect=stale.revision)
    assert len(store.current(ALICE).steps) == 1
