"""Several edits from one message ("smile and add glasses"): each its own stored step, one picture.

Each part is edited at the latent the earlier parts lead to (a mapper's step depends on where it starts),
then all parts are stored in one change, so the picture is rendered once and "undo" removes the last part.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot import dialog
from bot.core import wording
from bot.i18n import _
from bot.sessions import NewEdit, Person
from engine.interface import EngineAPI
from engine.values import EditResult, Instruction, LatentState, Progress


@dataclass(frozen=True)
class Part:
    """One edit of the message, as the engine made it."""

    edit: dialog.Edit
    result: EditResult

    def stored(self) -> NewEdit:
        """What the session store keeps for this part (the instruction as JSON, so a drop can redo it)."""
        instruction = {"target": self.edit.target, "neutral": self.edit.neutral, "strength": self.edit.strength}
        return NewEdit(
            text=self.edit.text,
            instruction=json.dumps(instruction),
            method=self.result.method,
            reason=self.result.reason,
            strength=self.result.strength,
            step_kind=self.result.step.kind,
            step=self.result.step.array,
        )


async def edit_in_turn(
    engine: EngineAPI, person: Person, state: LatentState, edits: Sequence[dialog.Edit],
    on_progress: Callable[[Progress], object] | None = None,
) -> list[Part]:
    """Edit each part at the state the parts before it lead to; nothing is stored here.

    Args:
        engine: the engine.
        person: who asks (the engine's fair-share key).
        state: the session's current latent and steps.
        edits: the parts, in the order written.
        on_progress: the engine's progress callback, for an optimization among the parts.
    Returns:
        the parts with the engine's results, in order.
    """
    parts: list[Part] = []
    for edit in edits:
        instruction = Instruction(edit.target, edit.neutral, edit.strength)
        result = await engine.edit(state, instruction, caller=person, on_progress=on_progress)
        parts.append(Part(edit, result))
        state = LatentState(state.w_plus, (*state.steps, result.step))
    return parts


def caption(parts: Sequence[Part]) -> str:
    """The reply: every part with its one-line "how", in order."""
    lines = [f"{number}. {part.edit.text} ({wording.how(part.result)})" for number, part in enumerate(parts, 1)]
    return "\n".join([_("Done, {count} edits (\"undo\" takes back the last):", count=len(parts)), *lines])
