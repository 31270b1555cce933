"""What the bot says: every sentence the core sends lives here, so tone and facts stay in one place."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from engine.service import EditResult, EngineBusy
from engine.values import Method

HELP = (
    "Send me a photo with a face, then tell me what to change, in plain words:\n"
    "  \"make it cuter\", \"add a beard\", \"remove makeup\", \"purple hair\", \"turn into a lion\"\n"
    "Every message edits the latest result, so edits add up.\n"
    "  more / less: make the last edit stronger or weaker\n"
    "  undo / redo / start over: step back, forward, or back to the photo\n"
    "  drop the beard: remove an earlier edit and keep the others\n"
    "  history: all steps in one picture; compare: before and after\n"
    "  /privacy: what I keep; /forget: delete everything"
)
WELCOME = "Hi! I edit faces from plain words. " + HELP
THANKS = "You're welcome! Tell me what to change next, or send another photo."
ASK_FOR_PHOTO = "Send me a photo with a face first; then tell me what to change."
FORGET_ASK = (
    "This deletes everything I keep about you: your photos, their face codes and all their edits, in every chat "
    "on this platform. It cannot be undone. To go ahead, send \"/forget confirm\" (or \"yes, delete\")."
)
NOT_READY = "Sorry, I'm not ready to edit photos yet: my model files are still being set up. Please try later."
OUT_OF_MEMORY = "Sorry, I ran out of memory on that one. Please try again in a moment."
CANCELLED = "Stopped; your picture is as it was."
STALE_PHOTO = "That photo was prepared with a different model than I run now; please send it again."
BAD_BUTTON = "I don't recognise that button any more; please type what you want instead (e.g. \"undo\")."
OLD_PHOTO_BUTTON = "That button belongs to an earlier photo. Buttons act on the picture they're under only."
OUTDATED_BUTTON = (
    "That picture is outdated: you've changed it since. Use the buttons under the latest picture, "
    "or type what you want (\"undo\", \"more\", ...)."
)


FACE_ONLY = "The face alone, as I drew it."
IDENTITY_CHANGED = "This changed who it looks like; \"less\" softens it."


def loose_likeness(score: float) -> str:
    return (f"Heads-up: my redrawing of this face is only a loose likeness (identity match {score:.2f}), so "
            "edits may look less like the person. A sharper, front-facing photo usually works better.")


def privacy(retention: timedelta) -> str:
    days = retention.total_seconds() / 86400
    period = f"{days:g} days" if days != 1 else "1 day"
    return (
        "What I keep, for each photo you send, linked to your account id on this platform: a copy of the photo "
        "(at most 2048 pixels on its longer side, with every metadata field removed: no location, no camera "
        "details), where the face is in it, the numbers that describe the face (a latent code it is redrawn "
        "from), a face-identity code used only to tell you when an edit changes who it looks like, and your "
        "list of edits with their words. I don't share anything. "
        f"A photo and all of that are deleted after {period} without use; /forget deletes everything now. "
        "To share the bot fairly I also count your requests (when, not what) for a day; /forget leaves those counts."
    )


def forgotten(count: int) -> str:
    if count == 0:
        return "Done. I had nothing stored about you."
    photos = "1 photo" if count == 1 else f"{count} photos"
    return f"Done: deleted {photos} and all their edits. Send a new photo any time."


def how(result: EditResult) -> str:
    """One short line on what the engine did: "global direction, 37 channels, strength 4.1"; and, when a
    mapper would have served the prompt but is still on its way, that it is coming."""
    pending = result.route.pending_mapper
    later = f"; mapper '{pending}' is not here yet: downloading it for next time" if pending else ""
    return _method(result) + later


def _method(result: EditResult) -> str:
    route = result.route
    if route.method is Method.MAPPER:
        return f"latent mapper '{route.mapper or result.prompt}'" + _strength(result.strength, 1.0)
    if route.method is Method.GLOBAL_DIRECTION:
        count = f", {route.channels} channels" if route.channels is not None else ""
        return f"global direction{count}, strength {result.strength:.2g}"
    counted = f", {route.steps} steps" if route.steps else ""
    return f"optimization{counted}, {result.seconds:.0f} s"


def _strength(value: float, default: float) -> str:
    return "" if abs(value - default) < 1e-6 else f", strength {value:.2g}"


def edited(text: str, result: EditResult) -> str:
    return f"Done: {text}\n({how(result)})"


def busy(exc: EngineBusy) -> str:
    wait = max(round(exc.estimated_wait_s), 1)
    return f"I'm busy with many requests right now ({exc.reason}); please try again in about {wait} s."


def getting_ready(percent: float, stage: str) -> str:
    """While the models are fetched or loaded at first start: "Getting the models ready: 37 % (...)"."""
    return f"Getting the models ready: {percent:.0f} % ({stage}). Please send that again in a minute."


def oops(reference: str) -> str:
    return f"Sorry, something went wrong on my side (reference {reference}). Your picture is unchanged."


def waiting() -> str:
    return "Still working on your previous message; this one comes right after."


def optimizing(step: int, total: int) -> str:
    return f"No quick method fits, so I'm optimizing: step {step} of {total}..."


SLOW_CANCELLED = "OK, cancelled; your picture is as it was."


def slow_choice(text: str, estimated_s: float) -> str:
    minutes = max(round(estimated_s / 60), 1)
    wait = "about a minute" if minutes == 1 else f"about {minutes} minutes"
    return (
        f"No quick method fits \"{text}\", and optimizing it would take {wait} on this machine.\n"
        "Reply \"start\" to run it anyway, \"global\" to use a quick global direction instead "
        "(it may change less, or other things too), or \"cancel\"."
    )


def optimization_queued(position: int, wait_s: float) -> str:
    ahead = "1 other optimization is" if position == 1 else f"{position} other optimizations are"
    return f"No quick method fits, so I'll optimize. {ahead} ahead of yours (about {max(wait_s, 1):.0f} s)..."


def scaled(factor: float, text: str) -> str:
    return f"{'Stronger' if factor > 1 else 'Weaker'}: {text} (×{factor:.2g})"


def photo_ready(notes: tuple[str, ...]) -> str:
    lines = [*notes, "Got it! This is the face as I see it. Now tell me what to change (e.g. \"make it cuter\")."]
    return "\n".join(lines)


def no_match(words: str, texts: list[str]) -> str:
    if not texts:
        return f"There's no edit to drop yet (I looked for \"{words}\")."
    listed = ", ".join(f"\"{t}\"" for t in texts)
    return f"I can't find an edit about \"{words}\". The edits so far: {listed}."


def history(count: int, undone: list[str]) -> str:
    done = "No edits yet on this photo." if count == 0 else f"{count} edit{'s' if count != 1 else ''} on this photo."
    if undone:
        done += f" Undone (\"redo\" brings them back): {', '.join(undone)}."
    return done



# -- control: network trouble on the platform's side, stopping, albums ---------------------------------------

PHOTO_NOT_FETCHED = "I couldn't fetch your photo (a network problem on the way); please send it again."
ANSWER_NOT_SENT = (
    "Sorry, a network problem kept my last answer from reaching you. Nothing is lost: type \"compare\" to see "
    "your picture as it is now."
)
NOTHING_TO_STOP = "There's nothing running to stop right now."
ALBUM_FIRST_ONLY = (
    "You sent several photos at once; I'm editing the first one. Send the others one at a time to edit them."
)


# -- fair use ---------------------------------------------------------------------------------------------------

BLOCKED = "Sorry, an admin of this bot has paused your access. If you think that's a mistake, please ask them."
ADMIN_USAGE = "Admin commands: /stats, /block ID, /unblock ID (ID: a user id, or platform:id)."
ADMIN_NOT_BLOCKABLE = "That person is an admin of this bot; remove them from [admins] in the config file first."
_LIMIT_NAMES = {"photo": ("photos", "an hour"), "edit": ("edits", "an hour"), "optimization": ("slow edits", "a day")}


def limit_reached(kind: str, limit: int, resets_at: datetime, now: datetime) -> str:
    """The friendly refusal, saying when the person can go on (UTC time and how long from now)."""
    things, per = _LIMIT_NAMES[kind]
    minutes = max(1, math.ceil((resets_at - now).total_seconds() / 60))
    wait = f"{minutes} min" if minutes < 90 else f"{minutes / 60:.1f} h"
    extra = (" Quick edits (the ones I don't have to optimize) still work." if kind == "optimization" else "")
    return (f"You've reached the limit of {limit} {things} {per}, so others get their turn too. "
            f"You can go on at {resets_at:%H:%M} UTC (in about {wait}).{extra}")


def blocked_now(target: str, block: bool, changed: bool) -> str:
    if not changed:
        return f"{target} was already {'blocked' if block else 'not blocked'}."
    return f"{target} is {'blocked now' if block else 'unblocked'}."


def stats(stats, handling: int, optimizing: int) -> str:
    """/stats: everyone's numbers today (UTC) and this process's queue."""
    methods = ", ".join(f"{name.replace('_', ' ')} {count}" for name, count in sorted(stats.methods_today.items()))
    busiest = ", ".join(f"{w.platform}:{w.user_id} ({n})" for w, n in stats.busiest)
    return "\n".join([
        f"People: {stats.people} ({stats.active_today} today, {stats.blocked} blocked)",
        f"Sessions: {stats.sessions}",
        f"Edits today: {stats.edits_today}" + (f" ({methods})" if methods else ""),
        f"Queue here: {handling} people being answered, {optimizing} optimizations running",
        f"Busiest today: {busiest or 'nobody yet'}",
    ])
