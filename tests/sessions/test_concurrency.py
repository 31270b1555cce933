"""Many messages of one person at once: the history stays consistent, nothing lost, nothing duplicated."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import pytest
from sqlalchemy import text

from bot.sessions import ConcurrentEdit, SessionStore, retry_on_conflict

from .helpers import ALICE, BOB, latent, row_counts, w_plus_edit

WORKERS = 8
EDITS_PER_WORKER = 6


def test_concurrent_appends_from_one_person_all_land_once(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    store.start(BOB, latent(1), "ffhq")
    expected = [f"w{worker}-e{n}" for worker in range(WORKERS) for n in range(EDITS_PER_WORKER)]

    def worker(index: int) -> list[int]:
        versions = []
        for n in range(EDITS_PER_WORKER):
            versions.append(store.append(ALICE, w_plus_edit(n, f"w{index}-e{n}")).version)
            if n == 0:  # someone else in the same chat, at the same time
                store.append(BOB, w_plus_edit(n, f"bob w{index}"))
        return versions

    with ThreadPoolExecutor(WORKERS) as pool:
        versions = [v for result in pool.map(worker, range(WORKERS)) for v in result]

    summary = store.history(ALICE)
    assert sorted(e.text for e in summary.edits) == sorted(expected)
    assert len(summary.edits) == len(expected)  # nothing duplicated
    assert all(e.active for e in summary.edits)
    assert [e.index for e in summary.edits] == list(range(1, len(expected) + 1))
    assert len(set(versions)) == len(versions)  # every write saw its own version
    # Each worker's own edits keep their order.
    for index in range(WORKERS):
        mine = [e.text for e in summary.edits if e.text.startswith(f"w{index}-")]
        assert mine == [f"w{index}-e{n}" for n in range(EDITS_PER_WORKER)]
    steps = store.current(ALICE).steps
    assert len(steps) == len(expected)
    assert len(store.history(BOB).edits) == WORKERS
    assert row_counts(store.engine)["edits"] == len(expected) + WORKERS


def test_read_compute_write_with_expected_revision_retries_until_each_edit_lands_once(store: SessionStore) -> None:
    """The engine's pattern: read the state, compute a step from it (slow), append only if nothing changed."""
    store.start(ALICE, latent(), "ffhq")

    def edit(name: str) -> None:
        def attempt() -> None:
            state = store.current(ALICE)
            # A stand-in for a mapper step, which depends on its input: here, on how many steps are active.
            step = np.full((18, 512), float(len(state.steps)), dtype=np.float32)
            store.append(ALICE, replace(w_plus_edit(0, name), step=step), expect=state.revision)

        retry_on_conflict(attempt, attempts=500, base_delay_s=0.001, max_delay_s=0.02)

    names = [f"edit-{i}" for i in range(WORKERS * 3)]
    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(edit, names))

    state = store.current(ALICE)
    summary = store.history(ALICE)
    assert sorted(e.text for e in summary.edits) == sorted(names)
    # Every step was computed from exactly the state it was appended to: step k saw k earlier steps.
    for k, step in enumerate(state.steps):
        assert float(step.to_numpy()[0, 0]) == float(k)


def test_the_version_check_catches_a_writer_that_bypassed_the_lock(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    before = store.history(ALICE)
    with pytest.raises(ConcurrentEdit), store.unit(ALICE) as unit:
        unit.append(w_plus_edit(1, "mine"))
        # Stand-in for a writer outside the store: it changes the row under our feet.
        unit._orm.execute(text("UPDATE chat_sessions SET version = version + 10"))
        unit.undo()
        unit.summary()  # flushes: UPDATE ... WHERE version = <ours> matches nothing
    assert store.history(ALICE) == before
