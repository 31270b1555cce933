"""Each stored step keeps the method that made it: a W+ step may come from a mapper or an optimization."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.sessions import InvalidEdit, SessionStore, StepKind
from engine.values import METHOD_NAMES, STEP_KIND_NAMES, Method

from .helpers import ALICE, latent, style_edit, w_plus_edit


def test_current_steps_carry_their_real_method(store: SessionStore) -> None:
    store.start(ALICE, latent(), "ffhq")
    store.append(ALICE, w_plus_edit(1, "give him a mohawk"))
    store.append(ALICE, replace(w_plus_edit(2, "turn into a lion"), method=Method.OPTIMIZATION))
    store.append(ALICE, style_edit(3))

    steps = store.current(ALICE).steps
    assert [(s.kind, s.method) for s in steps] == [
        (StepKind.W_PLUS, Method.MAPPER),
        (StepKind.W_PLUS, Method.OPTIMIZATION),
        (StepKind.STYLE, Method.GLOBAL_DIRECTION),
    ]


def test_an_unknown_method_is_refused_before_it_reaches_the_database() -> None:
    with pytest.raises(InvalidEdit, match="Unknown edit method 'teleport'"):
        replace(w_plus_edit(1), method="teleport")


def test_the_names_are_the_ones_the_first_migration_froze() -> None:
    """Migration 0001 spells the names out; renaming one would orphan every stored edit."""
    assert METHOD_NAMES == ("mapper", "global_direction", "optimization")
    assert STEP_KIND_NAMES == ("w_plus", "style")
