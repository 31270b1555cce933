"""The platform-independent bot: events in, replies out (see `Conversation.handle`).

Each event runs in the person's turn (`Turns`): their messages are handled in order, other people's at the
same time; processes sharing a PostgreSQL database keep that order between them too (`TurnQueue`). State
lives in the session store only (nothing in memory survives a message), so a restart loses nothing and a
button pressed on an old message is checked against the session's id and version.

Buttons on an outdated picture (the session moved on since it was sent) do nothing and say so: acting on
the latest picture instead would surprise someone scrolling back through the chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import secrets
from collections.abc import Callable
from datetime import timedelta

import numpy as np

from bot import dialog, i18n
from bot.core import photos, pictures, several, wording
from bot.core.admin import parse_admin, run_admin
from bot.core.cancelling import Stoppable
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
from bot.core.limits import Blocked, FairUse, LimitReached, Limits
from bot.core.picture_cache import Picture, PictureCache, derived_key, picture_key
from bot.core.slow_choice import PendingSlowEdit, parse_choice
from bot.core.turns import Turn, Turns
from bot.metrics import UNEXPECTED, BotMetrics
from bot.sessions import (
    ConcurrentEdit,
    CurrentState,
    NoSession,
    Person,
    Revision,
    SessionError,
    SessionPhoto,
    SessionStore,
    SessionSummary,
    SessionUnit,
)
from bot.sessions import config as session_config
from bot.sessions.stop_signal import StopSignals
from bot.sessions.turn_queue import TurnQueue
from bot.sessions.usage import UsageStore
from engine.errors import (
    Cancelled,
    EngineBusy,
    EngineOutOfMemory,
    EngineUnavailable,
    InversionError,
    ModelsMissing,
    ModelsNotReady,
    NoRoute,
    PromptError,
    SlowEdit,
)
from engine.interface import EngineAPI
from engine.values import EditResult, Instruction, LatentState, Method, MethodChoice, Progress, Step

log = logging.getLogger(__name__)


class StalePhoto(Exception):
    """The session's latent belongs to another generator than the one the engine runs now."""


class Conversation:
    """The bot's behaviour, shared by every adapter.

    Args:
        engine: the engine (in this process, or a remote one), shared by every chat of the process.
        store: the session store; called through `asyncio.to_thread` since it is synchronous.
        generator: the name sessions record for their latents; default: from the loaded models.
        retention: how long idle sessions are kept, for /privacy; default: the store's configuration.
        long_wait_s: a message waiting behind one that has run this long gets a "still working" status.
        picture_cache: pictures already drawn (default: a new `PictureCache`), so states shown again are
            not drawn again.
        fair_use: per-person limits and the admins, counted in the store's database; None: no limits.
        metrics: what the bot counts and times (default: a new `BotMetrics` with a registry of its own).

    Every picture answered is the person's own photo with the edited face blended in (see `photos`);
    `face_files` also attaches the face crop to each (the local chat sets it).
    """

    def __init__(
        self,
        engine: EngineAPI,
        store: SessionStore,
        *,
        generator: str | None = None,
        retention: timedelta | None = None,
        long_wait_s: float = 2.0,
        picture_cache: PictureCache | None = None,
        fair_use: FairUse | None = None,
        metrics: BotMetrics | None = None,
    ) -> None:
        self.engine = engine
        self.pictures = picture_cache if picture_cache is not None else PictureCache()
        self.store = store
        self._generator = generator
        self._retention = retention
        self.turns = Turns(long_wait_s)
        self.queue = TurnQueue(store.engine, long_wait_s=long_wait_s)  # across processes; nothing on SQLite
        self.face_files = False
        self.stoppable = Stoppable()
        self.stop_signals = StopSignals(self.queue, self.stoppable.stop)  # stops across processes; not on SQLite
        self.limits = Limits(fair_use, UsageStore(store.engine) if fair_use is not None else None)
        self.metrics = metrics if metrics is not None else BotMetrics()

    async def handle(self, event: Event, status: Status = no_status) -> list[Reply]:
        """Handle one event in the person's turn and return the replies to send, in order.

        Args:
            event: a `PhotoEvent`, `TextEvent` or `ButtonEvent`.
            status: the adapter's status line, for slow work ("optimizing: step 20 of 80") and waiting
                notes; each call replaces the previous text. Errors it raises are logged and ignored.
        Never raises for the person's input or the engine's known errors: those become friendly replies.
        """
        say = _guarded(status)
        with i18n.speaking(reply_language(event)), self.metrics.handled(event) as answered:
            if isinstance(event, TextEvent) and isinstance(dialog.parse(event.text), dialog.Cancel):
                return answered(await self.cancel(event.person))  # before the person's turn: it ends the running one
            await self.stop_signals.listen()  # a "stop" sent to another process reaches this one's work
            async with (  # the line across processes first: a message's place is taken on arrival
                self.queue.turn(event.person, lambda: say(wording.waiting())),
                self.turns.turn(event.person, lambda: say(wording.waiting())) as slot,
            ):
                try:
                    return answered(await self._dispatch(event, say, slot))
                except Exception as exc:  # the last line of defence: one message fails, the bot goes on
                    return answered(self._failure(exc, event))

    async def cancel(self, person: Person) -> list[Reply]:
        """Stop the person's running optimization now (not in their turn); the session stays as it was.

        Processes sharing a PostgreSQL database: when nothing of the person runs here, the process holding
        their turn is asked to stop it (`StopSignals`).

        Returns:
            nothing when something was stopped (the stopped message answers "Stopped"); when a long
            optimization was only offered, that it is not started; else a note saying there was nothing to stop.
        """
        if await self.stoppable.stop(person):
            return []
        if await self._take_question(person) is not None:  # the answer to "start it, or...?"
            return [TextReply(i18n._(wording.SLOW_CANCELLED))]
        if await self.stop_signals.ask(person):
            return []
        return [TextReply(i18n._(wording.NOTHING_TO_STOP))]

    def stoppable_now(self, person: Person) -> bool:
        """Whether `cancel(person)` would stop something (adapters offer a Cancel button then)."""
        return self.stoppable.running(person)

    # ------------------------------------------------------------------ dispatch

    async def _dispatch(self, event: Event, status: Status, slot: Turn) -> list[Reply]:
        await self.limits.check_blocked(event.person)
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
        pending = await self._take_question(person)
        if pending is not None and (choice := parse_choice(text)) is not None:
            if choice == "cancel":
                return [TextReply(i18n._(wording.SLOW_CANCELLED))]
            method = "optimization" if choice == "start" else "global_direction"
            if pending.message:
                methods = {**dict(pending.chosen), pending.index: method}
                return await self._several(person, pending.message, status, slot, methods=methods)
            return await self._edit(person, pending.edit, status, slot, method=method)
        if self.limits.is_admin(person) and (command := parse_admin(text, person.platform)):
            return await run_admin(command, self.limits, (len(self.turns), self.stoppable.count()))
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
            case dialog.Cancel():  # a photo's caption; a message of its own never gets here
                return await self.cancel(person)
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
                self.pictures.forget(person)
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
        if event.action == "face":
            return await self._face_only(person)
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
        await self.limits.take(person, "photo")
        inverted = await self.engine.invert(data, caller=person)
        name = await self.generator_name()
        image = await self._render(LatentState(inverted.w_plus), person)  # before anything is stored
        reference, notes = await self._first_look(person, inverted, image.image)
        kept = photos.to_record(inverted, reference)
        picture = await asyncio.to_thread(self._in_photo, person, kept, image)
        summary = await asyncio.to_thread(self.store.start, person, inverted.w_plus, name, photo=kept)
        return [_result(picture, wording.photo_ready(tuple(notes)), summary)]

    async def _first_look(self, person: Person, inverted, image: np.ndarray) -> tuple[np.ndarray | None, list[str]]:
        """The identity reference (ArcFace of the reconstruction, None without ArcFace) and the first reply's
        notes: which face was used, and whether the reconstruction is already a loose likeness."""
        notes = list(inverted.notes)
        reference = await self.engine.identity(image, caller=person)
        if reference is not None:
            score = photos.similarity(await self.engine.identity(inverted.aligned, caller=person), reference)
            if score < photos.RECONSTRUCTION_FLOOR:
                notes.append(wording.loose_likeness(score))
        return reference, notes

    async def _identity_line(self, person: Person, picture: photos.Picture) -> str:
        """One more line when the edited face no longer looks like the same person; else nothing."""
        if picture.reference is None:
            return ""
        embedding = await self.engine.identity(picture.face.image, caller=person)
        if embedding is None or photos.similarity(embedding, picture.reference) >= photos.EDIT_FLOOR:
            return ""
        return "\n" + i18n._(wording.IDENTITY_CHANGED)

    async def _face_only(self, person: Person) -> list[Reply]:
        """The "Face only" button: the aligned crop of the current picture, as the engine drew it."""
        current = await self._current(person)
        image = await self._render(_latent_state(current), person)
        return [_image(image, i18n._(wording.FACE_ONLY), f"face-{current.session_id}-v{current.version}", ())]

    async def _edit(
        self, person: Person, edit: dialog.Edit, status: Status, slot: Turn, *, method: MethodChoice = "auto"
    ) -> list[Reply]:
        """Route and apply an edit; a long optimization on a CPU is asked about first (`slow_choice`)."""
        current = await self._current(person)
        instruction = Instruction(edit.target, edit.neutral, edit.strength)
        relay = _ProgressRelay(status, slot)
        try:
            result = await self.stoppable.run(
                person, self._part_editor(person, relay)(_latent_state(current), instruction, method)
            )
        except SlowEdit as slow:
            return await self._ask(person, PendingSlowEdit(edit, slow.estimated_s))
        finally:
            await relay.flush()
        new = several.Part(edit, result).stored()
        summary, image = await self._change(person, lambda unit: unit.append(new), current.revision)
        return [_result(image, wording.edited(edit.text, result) + await self._identity_line(person, image), summary)]

    async def _ask(self, person: Person, pending: PendingSlowEdit) -> list[Reply]:
        """Ask before a long optimization; the question waits on the session for the person's next message."""
        await asyncio.to_thread(self.store.ask, person, pending.dump())
        return [TextReply(wording.slow_choice(pending.edit.text, pending.estimated_s))]

    async def _take_question(self, person: Person) -> PendingSlowEdit | None:
        """The question asked before a long optimization, if one awaits this message (it is answered now)."""
        return PendingSlowEdit.load(await asyncio.to_thread(self.store.take_question, person))

    def _part_editor(self, person: Person, relay: _ProgressRelay) -> several.EditPart:
        """One edit as a message makes it, alone or as a part of several: counted against fair use, made with the
        quick methods only once the day's optimizations are used up, a long optimization asked about first
        (`SlowEdit`, when the method is "auto"), and counted once it ran."""

        async def edit_part(state: LatentState, instruction: Instruction, method: MethodChoice) -> EditResult:
            await self.limits.take(person, "edit")
            refused = await self.limits.optimization_refused(person)
            result = await self._edit_within_limits(state, instruction, person, relay, refused, method)
            if result.method == "optimization":
                await self.limits.optimized(person)
            return result

        return edit_part

    async def _edit_within_limits(
        self, state: LatentState, instruction: Instruction, person: Person, relay: _ProgressRelay,
        refused: LimitReached | None, method: MethodChoice,
    ) -> EditResult:
        """The engine's edit; once the day's optimizations are used up, only the quick methods are tried."""
        if refused is None:
            return await self.engine.edit(
                state, instruction, caller=person, on_progress=relay, method=method, ask_first=method == "auto"
            )
        for quick in ("mapper", "global_direction"):  # the router's order, without its last resort
            with contextlib.suppress(NoRoute):
                return await self.engine.edit(state, instruction, caller=person, method=quick)
        raise refused

    async def _several(
        self, person: Person, edits: tuple[dialog.Edit, ...], status: Status, slot: Turn,
        *, methods: dict[int, MethodChoice] | None = None,
    ) -> list[Reply]:
        """Several edits from one message: each its own step (undo removes the last), one picture. Each part is made
        as a single edit would be (`_part_editor`); a part that needs a long optimization is asked about first,
        and the answer makes the whole message."""
        current = await self._current(person)
        relay = _ProgressRelay(status, slot)
        methods = methods or {}
        try:
            parts = await self.stoppable.run(
                person, several.edit_in_turn(self._part_editor(person, relay), _latent_state(current), edits, methods)
            )
        except several.SlowPart as slow:
            chosen = tuple(methods.items())
            return await self._ask(person, PendingSlowEdit(edits[slow.index], slow.slow.estimated_s, edits, slow.index,
                                                           chosen))
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
        caption = wording.scaled(last.scale, last.text) + await self._identity_line(person, image)
        return [_result(image, caption, summary)]

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
            if after and stored.method is Method.MAPPER:
                result = await self.engine.edit(
                    LatentState(base, tuple(steps)), _load_instruction(info.instruction, info.text), caller=person,
                    method=Method.MAPPER.value,
                )
                replacements[stored.edit_id] = result.step.array
                steps.append(Step(result.step.kind, result.step.array * np.float32(stored.scale), stored.method))
            else:
                steps.append(Step(stored.kind, stored.to_numpy(), stored.method))
        summary, image = await self._change(
            person, lambda unit: unit.drop_edit(dropped.id, replacements), current.revision
        )
        return [_result(image, i18n._("Dropped: {text}.", text=dropped.text), summary)]

    # ------------------------------------------------------------------ pictures

    # History and compare show the face crops, not the photo: at thumbnail size, and side by side, the face
    # is what reads; in a whole photo it would be a few pixels of each frame.

    async def _history(self, person: Person) -> list[Reply]:
        summary = await asyncio.to_thread(self.store.history, person)
        current = await self._current(person)
        state = _latent_state(current)
        infos = {edit.id: edit for edit in summary.edits}
        frames = [(await self._thumbnail(LatentState(state.w_plus), person), "photo")]
        for i, stored in enumerate(current.steps, start=1):
            image = await self._thumbnail(LatentState(state.w_plus, state.steps[:i]), person)
            info = infos[stored.edit_id]
            # "x", not "×": the font the picture is drawn with has no ×.
            frames.append((image, info.text if stored.scale == 1 else f"{info.text} x{stored.scale:.2g}"))
        key = derived_key("history", *((f.key, label) for f, label in frames))
        strip = self.pictures.get(key) or self.pictures.put(
            key, Picture(pictures.history_strip([(f.image, label) for f, label in frames]), key), person
        )
        undone = [edit.text for edit in summary.edits if not edit.active]
        name = f"history-{current.session_id}-{current.version}"
        return [_image(strip, wording.history(len(current.steps), undone), name, ())]

    async def _compare(self, person: Person) -> list[Reply]:
        current = await self._current(person)
        state = _latent_state(current)
        before = await self._render(LatentState(state.w_plus), person)
        after = await self._render(state, person)
        key = derived_key("compare", before.key, after.key)
        image = self.pictures.get(key) or self.pictures.put(
            key, Picture(pictures.side_by_side(before.image, after.image), key), person
        )
        return [_image(image, i18n._("Before and after."), f"compare-{current.session_id}-{current.version}", ())]

    async def _change(
        self, person: Person, change: Callable[[SessionUnit], object], expect: Revision | None
    ) -> tuple[SessionSummary, photos.Picture]:
        """Make one change to the session and render its result, storing it only once the picture exists.

        The change is first previewed on a snapshot (to learn the new state), then, after the render
        succeeded, made for real against the revision the preview read. So an error while rendering
        leaves the session as it was, and a session that moved on meanwhile raises `ConcurrentEdit`.
        """
        preview = await asyncio.to_thread(self.store.preview, person, change, expect=expect)
        if preview.state.generator != await self.generator_name():
            raise StalePhoto(preview.state.generator)
        image = await self._render(_latent_state(preview.state), person)
        picture = await asyncio.to_thread(lambda: self._in_photo(person, self.store.photo(person), image))
        summary = await asyncio.to_thread(self.store.change, person, change, expect=preview.revision)
        return summary, picture

    def _in_photo(self, person: Person, record: SessionPhoto | None, face: Picture) -> photos.Picture:
        """`face` in the person's kept photo, from the cache when pasted before (worker thread: decodes, pastes).

        Sessions without a kept photo are answered with the crop."""
        if record is None:
            return photos.Picture(face, face, None, self.face_files)
        key = derived_key("in-photo", face.key, photos.record_key(record))
        shown = self.pictures.get(key)
        if shown is None:
            pasted = photos.from_record(record).around(face.image)
            shown = self.pictures.put(key, Picture(pasted, key), person)
        return photos.Picture(shown, face, photos.identity_of(record), self.face_files)

    async def _render(self, state: LatentState, person: Person, *, preview: bool = False) -> Picture:
        """The picture of `state`, from the cache when it was drawn before (see `PictureCache`)."""
        key = await self._key(state, preview)
        cached = self.pictures.get(key)
        if cached is not None:
            return cached
        image = await self.engine.render(state, caller=person, preview=preview)
        return self.pictures.put(key, Picture(image, key), person)

    async def _thumbnail(self, state: LatentState, person: Person) -> Picture:
        """A picture of `state` for the history strip: the full-size one when it was shown already (the strip
        shrinks it anyway), else a cheap preview."""
        return self.pictures.get(await self._key(state, False)) or await self._render(state, person, preview=True)

    async def _key(self, state: LatentState, preview: bool) -> str:
        steps = ((step.kind, step.array) for step in state.steps)
        return picture_key(state.w_plus, steps, "preview" if preview else "full", await self.generator_name())

    async def _current(self, person: Person) -> CurrentState:
        current = await asyncio.to_thread(self.store.current, person)
        if current.generator != await self.generator_name():
            raise StalePhoto(current.generator)
        return current

    async def generator_name(self) -> str:
        """What sessions record as their generator: latents of another generator cannot be rendered."""
        if self._generator is None:
            self._generator = await self.engine.generator_name()  # ModelsNotReady while they load
        return self._generator

    # ------------------------------------------------------------------ errors

    def _failure(self, exc: Exception, event: Event) -> list[Reply]:
        explained = self._explained(exc)
        self.metrics.failed(UNEXPECTED if explained is None else type(exc).__name__)
        if explained is not None:
            return explained
        reference = secrets.token_hex(4)
        log.error("unexpected error [ref %s] handling %s from %s", reference, type(event).__name__,
                  event.person.platform, exc_info=exc)
        return [TextReply(wording.oops(reference))]

    def _explained(self, exc: Exception) -> list[Reply] | None:
        """The reply that explains a known failure; None for an unexpected one (a bug)."""
        if isinstance(exc, NoSession):
            return [TextReply(i18n._(wording.ASK_FOR_PHOTO))]
        if isinstance(exc, ConcurrentEdit | SessionError | InversionError | PromptError | NoRoute):
            return [TextReply(str(exc))]
        if isinstance(exc, EngineBusy):
            return [TextReply(wording.busy(exc))]
        if isinstance(exc, EngineOutOfMemory):
            return [TextReply(i18n._(wording.OUT_OF_MEMORY))]
        if isinstance(exc, EngineUnavailable):
            log.warning("the engine failed a request: %s", exc)
            return [TextReply(i18n._(wording.ENGINE_UNAVAILABLE))]
        if isinstance(exc, Cancelled):
            return [TextReply(i18n._(wording.CANCELLED))]
        if isinstance(exc, LimitReached):
            return [TextReply(wording.limit_reached(exc.kind, exc.limit, exc.resets_at, exc.now))]
        if isinstance(exc, Blocked):
            return [TextReply(i18n._(wording.BLOCKED))]
        if isinstance(exc, StalePhoto):
            return [TextReply(i18n._(wording.STALE_PHOTO))]
        if isinstance(exc, ModelsMissing):
            log.error("cannot edit photos: %s", exc)
            return [TextReply(i18n._(wording.NOT_READY))]
        if isinstance(exc, ModelsNotReady):
            return [TextReply(wording.getting_ready(exc.percent, exc.stage))]
        return None


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
        tuple(Step(s.kind, s.to_numpy().astype(np.float32, copy=False), s.method) for s in current.steps),
    )


def _result(picture: photos.Picture, caption: str, summary: SessionSummary) -> ImageReply:
    """A result picture (the photo with the face) with buttons tied to the session version it shows."""
    name = f"photo-{summary.session_id}-v{summary.version}"
    reply = _image(picture.shown, caption, name, buttons_for(summary.session_id, summary.version))
    if picture.face_file and picture.in_photo:
        return dataclasses.replace(reply, face_png=picture.face.png())
    return reply


def _image(image: Picture, caption: str, name: str, buttons) -> ImageReply:
    return ImageReply(image.jpeg(), image.png(), caption, f"{name}.png", tuple(buttons))


def _where(summary: SessionSummary) -> str:
    active = summary.active_edits
    if not active:
        return i18n._("Now showing the original photo.")
    return i18n._("Now showing: after {text}.", text=active[-1].text)


def _load_instruction(stored: str, fallback: str) -> Instruction:
    try:
        data = json.loads(stored)
        return Instruction(str(data["target"]), data.get("neutral"), data.get("strength"))
    except (ValueError, KeyError, TypeError):
        return Instruction(fallback)


