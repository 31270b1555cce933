"""What the bot says: every sentence the core sends lives here, so tone and facts stay in one place.

Each sentence is a message id of the catalogues in `bot/locale` (English and Simplified Chinese): constants
are marked with `N_` and translated where they are said (`bot.i18n._`), functions translate as they build.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from bot.i18n import N_, _, ngettext
from engine.errors import EngineBusy
from engine.values import EditResult, Method

HELP = N_(
    "Send me a photo with a face, then tell me what to change, in plain words:\n"
    "  \"make it cuter\", \"add a beard\", \"remove makeup\", \"purple hair\", \"turn into a lion\"\n"
    "Every message edits the latest result, so edits add up; \"smile and add glasses\" makes two.\n"
    "  more / less: make the last edit stronger or weaker\n"
    "  undo / redo / start over: step back, forward, or back to the photo\n"
    "  drop the beard: remove an earlier edit and keep the others\n"
    "  history: all steps in one picture; compare: before and after\n"
    "  /privacy: what I keep; /forget: delete everything\n"
    "我也懂中文：发送“帮助”。"
)
WELCOME = N_("Hi! I edit faces from plain words. {help}")
THANKS = N_("You're welcome! Tell me what to change next, or send another photo.")
ASK_FOR_PHOTO = N_("Send me a photo with a face first; then tell me what to change.")

def welcome() -> str:
    return _(WELCOME, help=_(HELP))


FORGET_ASK = N_(
    "This deletes everything I keep about you: your photos, their face codes and all their edits, in every chat "
    "on this platform. It cannot be undone. To go ahead, send \"/forget confirm\" (or \"yes, delete\")."
)
NOT_READY = N_("Sorry, I'm not ready to edit photos yet: my model files are still being set up. Please try later.")
OUT_OF_MEMORY = N_("Sorry, I ran out of memory on that one. Please try again in a moment.")
ENGINE_UNAVAILABLE = N_(
    "Sorry, the picture engine is not answering right now; nothing was changed. Please try again in a moment."
)
CANCELLED = N_("Stopped; your picture is as it was.")
STALE_PHOTO = N_("That photo was prepared with a different model than I run now; please send it again.")
BAD_BUTTON = N_("I don't recognise that button any more; please type what you want instead (e.g. \"undo\").")
OLD_PHOTO_BUTTON = N_("That button belongs to an earlier photo. Buttons act on the picture they're under only.")
OUTDATED_BUTTON = N_(
    "That picture is outdated: you've changed it since. Use the buttons under the latest picture, "
    "or type what you want (\"undo\", \"more\", ...)."
)


FACE_ONLY = N_("The face alone, as I drew it.")
IDENTITY_CHANGED = N_("This changed who it looks like; \"less\" softens it.")


def loose_likeness(score: float) -> str:
    return _("Heads-up: my redrawing of this face is only a loose likeness (identity match {score}), so "
             "edits may look less like the person. A sharper, front-facing photo usually works better.",
             score=format(score, ".2f"))


def privacy(retention: timedelta) -> str:
    days = retention.total_seconds() / 86400
    shown = format(days, "g")
    period = ngettext("{count} day", "{count} days", 1 if days == 1 else 2, count=shown)
    return _(
        "What I keep, for each photo you send, linked to your account id on this platform: a copy of the photo "
        "(at most 2048 pixels on its longer side, with every metadata field removed: no location, no camera "
        "details), where the face is in it, the numbers that describe the face (a latent code it is redrawn "
        "from), a face-identity code used only to tell you when an edit changes who it looks like, and your "
        "list of edits with their words. I don't share anything. "
        "A photo and all of that are deleted after {period} without use; /forget deletes everything now. "
        "To share the bot fairly I also count your requests (when, not what) for a day; /forget leaves those counts.",
        period=period,
    )


def forgotten(count: int) -> str:
    if count == 0:
        return _("Done. I had nothing stored about you.")
    return ngettext(
        "Done: deleted 1 photo and all its edits. Send a new photo any time.",
        "Done: deleted {count} photos and all their edits. Send a new photo any time.",
        count,
    )


def how(result: EditResult) -> str:
    """One short line on what the engine did: "global direction, 37 channels, strength 4.1"; and, when a
    mapper would have served the prompt but is still on its way, that it is coming."""
    pending = result.route.pending_mapper
    if pending:
        return _("{how}; mapper '{name}' is not here yet: downloading it for next time", how=_method(result),
                 name=pending)
    return _method(result)


def _method(result: EditResult) -> str:
    route = result.route
    if route.method is Method.MAPPER:
        mapper = _("latent mapper '{name}'", name=route.mapper or result.prompt)
        return mapper + _strength(result.strength, 1.0)
    if route.method is Method.GLOBAL_DIRECTION:
        strength = f"{result.strength:.2g}"
        if route.channels is not None:
            return _("global direction, {channels} channels, strength {strength}", channels=route.channels,
                     strength=strength)
        return _("global direction, strength {strength}", strength=strength)
    seconds = f"{result.seconds:.0f}"
    if route.steps:
        return _("optimization, {steps} steps, {seconds} s", steps=route.steps, seconds=seconds)
    return _("optimization, {seconds} s", seconds=seconds)


def _strength(value: float, default: float) -> str:
    shown = format(value, ".2g")
    return "" if abs(value - default) < 1e-6 else _(", strength {value}", value=shown)


def edited(text: str, result: EditResult) -> str:
    return _("Done: {text}\n({how})", text=text, how=how(result))


def busy(exc: EngineBusy) -> str:
    wait = max(round(exc.estimated_wait_s), 1)
    return _("I'm busy with many requests right now ({reason}); please try again in about {wait} s.", reason=exc.reason,
             wait=wait)


def getting_ready(percent: float, stage: str) -> str:
    """While the models are fetched or loaded at first start: "Getting the models ready: 37 % (...)"."""
    return _("Getting the models ready: {percent} % ({stage}). Please send that again in a minute.",
             percent=format(percent, ".0f"), stage=stage)


def oops(reference: str) -> str:
    return _("Sorry, something went wrong on my side (reference {reference}). Your picture is unchanged.",
             reference=reference)


def waiting() -> str:
    return _("Still working on your previous message; this one comes right after.")


def optimizing(step: int, total: int) -> str:
    return _("No quick method fits, so I'm optimizing: step {step} of {total}...", step=step, total=total)


SLOW_CANCELLED = N_("OK, cancelled; your picture is as it was.")


def slow_choice(text: str, estimated_s: float) -> str:
    minutes = max(round(estimated_s / 60), 1)
    return ngettext(
        "No quick method fits \"{text}\", and optimizing it would take about a minute on this machine.\n"
        "Reply \"start\" to run it anyway, \"global\" to use a quick global direction instead "
        "(it may change less, or other things too), or \"cancel\".",
        "No quick method fits \"{text}\", and optimizing it would take about {count} minutes on this machine.\n"
        "Reply \"start\" to run it anyway, \"global\" to use a quick global direction instead "
        "(it may change less, or other things too), or \"cancel\".",
        minutes,
        text=text,
    )


def optimization_queued(position: int, wait_s: float) -> str:
    wait = format(max(wait_s, 1), ".0f")
    return ngettext(
        "No quick method fits, so I'll optimize. 1 other optimization is ahead of yours (about {wait} s)...",
        "No quick method fits, so I'll optimize. {count} other optimizations are ahead of yours (about {wait} s)...",
        position,
        wait=wait,
    )


def scaled(factor: float, text: str) -> str:
    shown = format(factor, ".2g")
    if factor > 1:
        return _("Stronger: {text} (×{factor})", text=text, factor=shown)
    return _("Weaker: {text} (×{factor})", text=text, factor=shown)


def photo_ready(notes: tuple[str, ...]) -> str:
    lines = [*notes, _("Got it! This is the face as I see it. Now tell me what to change (e.g. \"make it cuter\").")]
    return "\n".join(lines)


def no_match(words: str, texts: list[str]) -> str:
    if not texts:
        return _("There's no edit to drop yet (I looked for \"{words}\").", words=words)
    listed = ", ".join(f"\"{t}\"" for t in texts)
    return _("I can't find an edit about \"{words}\". The edits so far: {listed}.", words=words, listed=listed)


def history(count: int, undone: list[str]) -> str:
    if count == 0:
        done = _("No edits yet on this photo.")
    else:
        done = ngettext("1 edit on this photo.", "{count} edits on this photo.", count)
    if undone:
        done += _(" Undone (\"redo\" brings them back): {texts}.", texts=", ".join(undone))
    return done


# -- control: network trouble on the platform's side, stopping, albums ---------------------------------------

PHOTO_NOT_FETCHED = N_("I couldn't fetch your photo (a network problem on the way); please send it again.")
ANSWER_NOT_SENT = N_(
    "Sorry, a network problem kept my last answer from reaching you. Nothing is lost: type \"compare\" to see "
    "your picture as it is now."
)
NOTHING_TO_STOP = N_("There's nothing running to stop right now.")
ALBUM_FIRST_ONLY = N_(
    "You sent several photos at once; I'm editing the first one. Send the others one at a time to edit them."
)


# -- fair use ---------------------------------------------------------------------------------------------------

BLOCKED = N_(
    "Sorry, an admin of this bot has paused your access. If you think that's a mistake, please ask them."
)
ADMIN_USAGE = "Admin commands: /stats, /block ID, /unblock ID (ID: a user id, or platform:id)."
ADMIN_NOT_BLOCKABLE = "That person is an admin of this bot; remove them from [admins] in the config file first."
_LIMITS = {
    "photo": N_("You've reached the limit of {limit} photos an hour, so others get their turn too."),
    "edit": N_("You've reached the limit of {limit} edits an hour, so others get their turn too."),
    "optimization": N_("You've reached the limit of {limit} slow edits a day, so others get their turn too."),
}


def limit_reached(kind: str, limit: int, resets_at: datetime, now: datetime) -> str:
    """The friendly refusal, saying when the person can go on (UTC time and how long from now)."""
    minutes = max(1, math.ceil((resets_at - now).total_seconds() / 60))
    wait = f"{minutes} min" if minutes < 90 else f"{minutes / 60:.1f} h"
    reached = _(_LIMITS[kind], limit=limit)
    when = _("You can go on at {time} UTC (in about {wait}).", time=resets_at.strftime("%H:%M"), wait=wait)
    extra = _(" Quick edits (the ones I don't have to optimize) still work.") if kind == "optimization" else ""
    return f"{reached} {when}{extra}"


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
