"""Several edits from one message ("smile and add glasses"): each its own stored step, one picture.

Each part is edited at the latent the earlier parts lead to (a mapper's step depends on where it starts),
then all parts are stored in one change, so the picture is rendered once and "undo" removes the last part.
Each part goes through the same door as a single edit (the caller's `edit_part`: fair use, the question before
a long optimization), and a part that would need that question stops the message (`SlowPart`) until it is
answered.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot import dialog
from bot.core import wording
from bot.i18n import _
from bot.sessions import NewEdit
from engine.errors import SlowEdit
from engine.values import EditResult, Instruction, LatentState, MethodChoice

EditPart = Callable[[LatentState, Instruction, MethodChoice], Awaitable[EditResult]]


class SlowPart(Exception):
    """Part `index` of the message fits only a long optimization: ask the person first (`SlowEdit` says how long)."""

    def __init__(self, index: int, slow: SlowEdit) -> None:
        self.index = index
        self.slow = slow
        super().__init__(f"part {index + 1}: {slow}")


@dataclass(frozen=True)
class Part:
    """One edit of a message (alone, or one of several), as the engine made it."""

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
    edit_part: EditPart, state: LatentState, edits: Sequence[dialog.Edit], methods: Mapping[int, MethodChoice] = {},
) -> list[Part]:
    """Edit each part at the state the parts before it lead to; nothing is stored here.

    Args:
        edit_part: makes one part's edit, as a single edit would be made (the engine behind the core's checks).
        state: the session's current latent and steps.
        edits: the parts, in the order written.
        methods: the method for a part, by index, when the person chose one ("start", "global"); else "auto".
    Returns:
        the parts with the engine's results, in order.
    Raises:
        SlowPart: a part would need a long optimization that the person was not asked about yet.
    """
    parts: list[Part] = []
    for index, edit in enumerate(edits):
        instruction = Instruction(edit.target, edit.neutral, edit.strength)
        try:
            result = await edit_part(state, instruction, methods.get(index, "auto"))
        except SlowEdit as slow:
            raise SlowPart(index, slow) from None
        parts.append(Part(edit, result))
        state = LatentState(state.w_plus, (*state.steps, result.step))
    return parts


def caption(parts: Sequence[Part]) -> str:
    """The reply: every part with its one-line "how", in order."""
    lines = [f"{number}. {part.edit.text} ({wording.how(part.result)})" for number, part in enumerate(parts, 1)]
    return "\n".join([_("Done, {count} edits (\"undo\" takes back the last):", count=len(parts)), *lines])
