"""The platform-independent bot: events in, replies out (see `Conversation.handle`).

Each event runs in the person's turn (`Turns`): their messages are handled in order, other people's at the
same time. State lives in the session store only (nothing in memory survives a message), so a restart loses
nothing and a button pressed on an old message is checked against the session's id and version.

Buttons on an outdated picture (the session moved on since it was sent) do nothing and say so: acting on
the latest picture instead would surprise someone scrolling back through the chat.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

import numpy as np

from bot import dialog, i18n
from bot.core import pictures, several, wording
from bot.core.events import (
    ButtonEvent,
    Event,
    ImageReply,
    PhotoEvent,
    Reply,
    Status,
    TextEvent,
    TextReply,
    buttons_for,
    no_status,
    reply_language,
)
from bot.core.turns import Turn, Turns
from bot.sessions import (
    ConcurrentEdit,
    CurrentState,
    NewEdit,
    NoSession,
    Person,
    Revision,
    SessionError,
    SessionStore,
    SessionSummary,
    SessionUnit,
)
from bot.sessions import config as session_config
from engine.editing import Instruction, NoRoute, PromptError
from engine.inversion import InversionError
from engine.service import (
    Cancelled,
    Engine,
    EngineBusy,
    EngineOutOfMemory,
    LatentState,
    ModelsMissing,
    Progress,
    Step,
)

log = logging.getLogger(__name__)


class StalePhoto(Exception):
    """The session's latent belongs to another generator than the one the engine runs now."""


class Conversation:
    """The bot's behaviour, shared by every adapter.

    Args:
        engine: the engine service (shared by every chat of the process).
        store: the session store; called through `asyncio.to_thread` since it is synchronous.
        generator: the name sessions record for their latents; default: from the loaded models.
        retention: how long idle sessions are kept, for /privacy; default: the store's configuration.
        long_wait_s: a message waiting behind one that has run this long gets a "still working" status.
    """

    def __init__(
        self,
        engine: Engine,
        store: SessionStore,
        *,
        generator: str | None = None,
        retention: timedelta | None = None,
        long_wait_s: float = 2.0,
    ) -> None:
        self.engine = engine
        self.store = store
        self._generator = generator
        self._retention = retention
        self.turns = Turns(long_wait_s)

    async def handle(self, event: Event, status: Status = no_status) -> list[Reply]:
        """Handle one event in the person's turn and return the replies to send, in order.

        Args:
            event: a `PhotoEvent`, `TextEvent` or `ButtonEvent`.
            status: the adapter's status line, for slow work ("optimizing: step 20 of 80") and waiting
                notes; each call replaces the previous text. Errors it raises are logged and ignored.
        Never raises for the person's input or the engine's known errors: those become friendly replies.
        """
        say = _guarded(status)
        with i18n.speaking(reply_language(event)):
            async with self.turns.turn(event.person, lambda: say(wording.waiting())) as slot:
                try:
                    return await self._dispatch(event, say, slot)
                except Exception as exc:  # the last line of defence: one message fails, the bot goes on
                    return self._failure(exc, event)

    # ------------------------------------------------------------------ dispatch

    async def _dispatch(self, event: Event, status: Status, slot: Turn) -> list[Reply]:
        if isinstance(event, PhotoEvent):
            replies = await self._photo(event.person, event.data)
            if event.caption and event.caption.strip():
                replies += await self._text(event.person, event.caption, status, slot)
            return replies
        if isinstance(event, TextEvent):
            return await self._text(event.person, event.text, status, slot)
        if isinstance(event, ButtonEvent):
            return await self._button(event)
        raise TypeError(f"not an event: {event!r}")

    async def _text(self, person: Person, text: str, status: Status, slot: Turn) -> list[Reply]:
        parsed = dialog.parse(text)
        match parsed:
            case dialog.Refusal(template=template, params=params):
                return [TextReply(i18n._(template, **dict(params)))]
            case dialog.Edit():
                return await self._edit(person, parsed, status, slot)
            case dialog.SeveralEdits(parts=parts):
                return await self._several(person, parts, status, slot)
            case dialog.More(factor=factor) | dialog.Less(factor=factor):
                return await self._rescale(person, factor)
            case dialog.Undo():
                return await self._undo(person)
            case dialog.Redo():
                return await self._redo(person)
            case dialog.Reset():
                return await self._reset(person)
            case dialog.History():
                return await self._history(person)
            case dialog.Compare():
                return await self._compare(person)
            case dialog.Drop(words=words):
                return await self._drop(person, words)
            case dialog.Help():
                return [TextReply(i18n._(wording.HELP))]
            case dialog.Start():
                return [TextReply(wording.welcome())]
            case dialog.Thanks():
                return [TextReply(i18n._(wording.THANKS))]
            case dialog.Privacy():
                return [TextReply(wording.privacy(self._retention or session_config.retention()))]
            case dialog.Forget():
                return [TextReply(i18n._(wording.FORGET_ASK))]
            case dialog.ForgetConfirm():
                count = await asyncio.to_thread(self.store.forget, person)
                return [TextReply(wording.forgotten(count))]
        raise TypeError(f"unhandled message kind: {parsed!r}")

    async def _button(self, event: ButtonEvent) -> list[Reply]:
        person = event.person
        try:
            summary = await asyncio.to_thread(self.store.history, person)
        except NoSession:
            return [TextReply(i18n._(wording.OLD_PHOTO_BUTTON))]
        if summary.session_id != event.session_id:
            return [TextReply(i18n._(wording.OLD_PHOTO_BUTTON))]
        if summary.version != event.version:
            return [TextReply(i18n._(wording.OUTDATED_BUTTON))]
        expect = Revision(event.session_id, event.version)
        try:
            if event.action in ("more", "less"):
                factor = dialog.More().factor if event.action == "more" else dialog.Less().factor
                return await self._rescale(person, factor, expect=expect)
            return await {"undo": self._undo, "redo": self._redo, "reset": self._reset}[event.action](
                person, expect=expect
            )
        except ConcurrentEdit:
            return [TextReply(i18n._(wording.OUTDATED_BUTTON))]

    # ------------------------------------------------------------------ photo and edits

    async def _photo(self, person: Person, data: bytes) -> list[Reply]:
        inverted = await self.engine.invert(data, caller=person)
        name = await self.generator_name()
        image = await self.engine.render(LatentState(inverted.w_plus), caller=person)  # before anything is stored
        summary = await asyncio.to_thread(self.store.start, person, inverted.w_plus, name)
        return [_result(image, wording.photo_ready(inverted.notes), summary)]

    async def _edit(self, person: Person, edit: dialog.Edit, status: Status, slot: Turn) -> list[Reply]:
        current = await self._current(person)
        instruction = Instruction(edit.target, edit.neutral, edit.strength)
        relay = _ProgressRelay(status, slot)
        try:
            result = await self.engine.edit(_latent_state(current), instruction, caller=person, on_progress=relay)
        finally:
            await relay.flush()
        new = NewEdit(
            text=edit.text,
            instruction=_dump_instruction(instruction),
            method=result.method,
            reason=result.reason,
            strength=result.strength,
            step_kind=result.step.kind,
            step=result.step.array,
        )
        summary, image = await self._change(person, lambda unit: unit.append(new), current.revision)
        return [_result(image, wording.edited(edit.text, result), summary)]

    async def _several(
        self, person: Person, edits: tuple[dialog.Edit, ...], status: Status, slot: Turn
    ) -> list[Reply]:
        """Several edits from one message: each its own step (undo removes the last), one picture."""
        current = await self._current(person)
        relay = _ProgressRelay(status, slot)
        try:
            parts = await several.edit_in_turn(self.engine, person, _latent_state(current), edits, relay)
        finally:
            await relay.flush()

        def append_all(unit: SessionUnit) -> None:
            for part in parts:
                unit.append(part.stored())

        summary, image = await self._change(person, append_all, current.revision)
        return [_result(image, several.caption(parts), summary)]

    async def _rescale(self, person: Person, factor: float, *, expect: Revision | None = None) -> list[Reply]:
        summary, image = await self._change(person, lambda unit: unit.rescale_last(factor), expect)
        last = summary.active_edits[-1]
        return [_result(image, wording.scaled(last.scale, last.text), summary)]

    async def _undo(self, person: Person, *, expect: Revision | None = None) -> list[Reply]:
        summary, image = await self._change(person, SessionUnit.undo, expect)
        undone = next(edit for edit in summary.edits if not edit.active)
        return [_result(image, i18n._("Undone: {text}. {where}", text=undone.text, where=_where(summary)), summary)]

    async def _redo(self, person: Person, *, expect: Revision | None = None) -> list[Reply]:
        summary, image = await self._change(person, SessionUnit.redo, expect)
        return [_result(image, i18n._("Redone: {text}.", text=summary.active_edits[-1].text), summary)]

    async def _reset(self, person: Person, *, expect: Revision | None = None) -> list[Reply]:
        summary, image = await self._change(person, SessionUnit.reset, expect)
        if summary.can_redo:
            said = i18n._("Back to the original photo (\"redo\" brings the edits back one by one).")
        else:
            said = i18n._("Back to the original photo.")
        return [_result(image, said, summary)]

    async def _drop(self, person: Person, words: str) -> list[Reply]:
        """Remove the latest active edit whose words contain `words`; recompute later mapper steps, which were
        computed at a latent that included the dropped edit (global-direction and optimization steps are kept)."""
        summary = await asyncio.to_thread(self.store.history, person)
        current = await self._current(person)
        needle = words.lower().strip()
        active = summary.active_edits
        matches = [e for e in active if needle in e.text.lower() or needle in e.instruction.lower()]
        if not matches:
            return [TextReply(wording.no_match(words, [e.text for e in active]))]
        dropped = matches[-1]
        infos = {edit.id: edit for edit in summary.edits}
        base = current.latent.to_numpy().astype(np.float32)
        steps: list[Step] = []
        replacements: dict[int, np.ndarray] = {}
        after = False
        for stored in current.steps:
            if stored.edit_id == dropped.id:
                after = True
                continue
            info = infos[stored.edit_id]
            if after and info.method == "mapper":
                result = await self.engine.edit(
                    LatentState(base, tuple(steps)), _load_instruction(info.instruction, info.text), caller=person,
                    method="mapper",
                )
                replacements[stored.edit_id] = result.step.array
                steps.append(Step(result.step.kind, result.step.array * np.float32(stored.scale)))
            else:
                steps.append(Step(stored.kind.value, stored.to_numpy()))
        summary, image = await self._change(
            person, lambda unit: unit.drop_edit(dropped.id, replacements), current.revision
        )
        return [_result(image, i18n._("Dropped: {text}.", text=dropped.text), summary)]

    # ------------------------------------------------------------------ pictures

    async def _history(self, person: Person) -> list[Reply]:
        summary = await asyncio.to_thread(self.store.history, person)
        current = await self._current(person)
        state = _latent_state(current)
        infos = {edit.id: edit for edit in summary.edits}
        frames = [(await self.engine.render(LatentState(state.w_plus), caller=person, preview=True), "photo")]
        for i, stored in enumerate(current.steps, start=1):
            image = await self.engine.render(LatentState(state.w_plus, state.steps[:i]), caller=person, preview=True)
            info = infos[stored.edit_id]
            # "x", not "×": the font the picture is drawn with has no ×.
            frames.append((image, info.text if stored.scale == 1 else f"{info.text} x{stored.scale:.2g}"))
        strip = pictures.history_strip(frames)
        undone = [edit.text for edit in summary.edits if not edit.active]
        name = f"history-{current.session_id}-{current.version}"
        return [_image(strip, wording.history(len(current.steps), undone), name, ())]

    async def _compare(self, person: Person) -> list[Reply]:
        current = await self._current(person)
        state = _latent_state(current)
        before = await self.engine.render(LatentState(state.w_plus), caller=person)
        after = await self.engine.render(state, caller=person)
        image = pictures.side_by_side(before, after)
        return [_image(image, i18n._("Before and after."), f"compare-{current.session_id}-{current.version}", ())]

    async def _change(
        self, person: Person, change: Callable[[SessionUnit], object], expect: Revision | None
    ) -> tuple[SessionSummary, np.ndarray]:
        """Make one change to the session and render its result, storing it only once the picture exists.

        The change is first previewed on a snapshot (to learn the new state), then, after the render
        succeeded, made for real against the revision the preview read. So an error while rendering
        leaves the session as it was, and a session that moved on meanwhile raises `ConcurrentEdit`.
        """
        preview = await asyncio.to_thread(self.store.preview, person, change, expect=expect)
        if preview.state.generator != await self.generator_name():
            raise StalePhoto(preview.state.generator)
        image = await self.engine.render(_latent_state(preview.state), caller=person)
        summary = await asyncio.to_thread(self.store.change, person, change, expect=preview.revision)
        return summary, image

    async def _current(self, person: Person) -> CurrentState:
        current = await asyncio.to_thread(self.store.current, person)
        if current.generator != await self.generator_name():
            raise StalePhoto(current.generator)
        return current

    async def generator_name(self) -> str:
        """What sessions record as their generator: latents of another generator cannot be rendered."""
        if self._generator is None:
            models = await self.engine.start()
            prefix = "demo" if models.demo else "stylegan2-ffhq"
            self._generator = f"{prefix}-{models.generator.img_resolution}"
        return self._generator

    # ------------------------------------------------------------------ errors

    def _failure(self, exc: Exception, event: Event) -> list[Reply]:
        if isinstance(exc, NoSession):
            return [TextReply(i18n._(wording.ASK_FOR_PHOTO))]
        if isinstance(exc, ConcurrentEdit | SessionError | InversionError | PromptError | NoRoute):
            return [TextReply(str(exc))]
        if isinstance(exc, EngineBusy):
            return [TextReply(wording.busy(exc))]
        if isinstance(exc, EngineOutOfMemory):
            return [TextReply(i18n._(wording.OUT_OF_MEMORY))]
        if isinstance(exc, Cancelled):
            return [TextReply(i18n._(wording.CANCELLED))]
        if isinstance(exc, StalePhoto):
            return [TextReply(i18n._(wording.STALE_PHOTO))]
        if isinstance(exc, ModelsMissing):
            log.error("cannot edit photos: %s", exc)
            return [TextReply(i18n._(wording.NOT_READY))]
        reference = secrets.token_hex(4)
        log.error("unexpected error [ref %s] handling %s from %s", reference, type(event).__name__,
                  event.person.platform, exc_info=exc)
        return [TextReply(wording.oops(reference))]


# ---------------------------------------------------------------------- helpers


class _ProgressRelay:
    """Turns the engine's progress callbacks (sync, on the event loop) into status updates, dropping the ones
    that arrive while an update is still being sent, so a slow platform never holds the optimization up."""

    def __init__(self, status: Status, slot: Turn) -> None:
        self._status = status
        self._slot = slot
        self._language = i18n.current()         # progress arrives from the engine's task, outside the event's
        self._latest: str | None = None
        self._task: asyncio.Task | None = None

    def __call__(self, progress: Progress) -> None:
        self._slot.slow = True
        with i18n.speaking(self._language):
            if progress.queue_position:
                self._latest = wording.optimization_queued(progress.queue_position, progress.estimated_wait_s)
            else:
                self._latest = wording.optimizing(progress.step, progress.total)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._send())

    async def _send(self) -> None:
        while self._latest is not None:
            text, self._latest = self._latest, None
            await self._status(text)

    async def flush(self) -> None:
        """Wait for the last update, so no status arrives after the reply."""
        if self._task is not None:
            await self._task


def _guarded(status: Status) -> Status:
    async def say(text: str) -> None:
        try:
            await status(text)
        except Exception:
            log.warning("the status callback failed", exc_info=True)

    return say


def _latent_state(current: CurrentState) -> LatentState:
    return LatentState(
        current.latent.to_numpy().astype(np.float32, copy=False),
        tuple(Step(s.kind.value, s.to_numpy().astype(np.float32, copy=False)) for s in current.steps),
    )


def _result(image: np.ndarray, caption: str, summary: SessionSummary) -> ImageReply:
    """A result picture with buttons tied to the session version it shows."""
    name = f"photo-{summary.session_id}-v{summary.version}"
    return _image(image, caption, name, buttons_for(summary.session_id, summary.version))


def _image(image, caption: str, name: str, buttons) -> ImageReply:
    return ImageReply(pictures.jpeg_bytes(image), pictures.png_bytes(image), caption, f"{name}.png", tuple(buttons))


def _where(summary: SessionSummary) -> str:
    active = summary.active_edits
    if not active:
        return i18n._("Now showing the original photo.")
    return i18n._("Now showing: after {text}.", text=active[-1].text)


def _dump_instruction(instruction: Instruction) -> str:
    """The parsed instruction as the store keeps it (JSON), so a dropped edit's later mapper steps can be redone."""
    return json.dumps({"target": instruction.target, "neutral": instruction.neutral, "strength": instruction.strength})


def _load_instruction(stored: str, fallback: str) -> Instruction:
    try:
        data = json.loads(stored)
        return Instruction(str(data["target"]), data.get("neutral"), data.get("strength"))
    except (ValueError, KeyError, TypeError):
        return Instruction(fallback)


