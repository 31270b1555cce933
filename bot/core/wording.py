"""What the bot says: every sentence the core sends lives here, so tone and facts stay in one place.

Each sentence is a message id of the catalogues in `bot/locale` (English and Simplified Chinese): constants
are marked with `N_` and translated where they are said (`bot.i18n._`), functions translate as they build.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.i18n import N_, _, ngettext
from engine.service import EditResult, EngineBusy

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
    "This deletes everything I keep about you: your photos' face codes and all their edits, in every chat "
    "on this platform. It cannot be undone. To go ahead, send \"/forget confirm\" (or \"yes, delete\")."
)
NOT_READY = N_("Sorry, I'm not ready to edit photos yet: my model files are still being set up. Please try later.")
OUT_OF_MEMORY = N_("Sorry, I ran out of memory on that one. Please try again in a moment.")
CANCELLED = N_("Stopped; your picture is as it was.")
STALE_PHOTO = N_("That photo was prepared with a different model than I run now; please send it again.")
BAD_BUTTON = N_("I don't recognise that button any more; please type what you want instead (e.g. \"undo\").")
OLD_PHOTO_BUTTON = N_("That button belongs to an earlier photo. Buttons act on the picture they're under only.")
OUTDATED_BUTTON = N_(
    "That picture is outdated: you've changed it since. Use the buttons under the latest picture, "
    "or type what you want (\"undo\", \"more\", ...)."
)


def privacy(retention: timedelta) -> str:
    days = retention.total_seconds() / 86400
    shown = format(days, "g")
    period = ngettext("{count} day", "{count} days", 1 if days == 1 else 2, count=shown)
    return _(
        "What I keep: for each photo you send, the numbers that describe the face (a latent code the picture is "
        "redrawn from) and your list of edits with their words, linked to your account id on this platform. "
        "I don't keep the photo file itself, and I don't share anything. "
        "A photo and its edits are deleted after {period} without use; /forget deletes everything now.",
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
    """One short line on what the engine did: "global direction, 37 channels, strength 4.1"."""
    if result.method == "mapper":
        name = re.search(r"mapper '([^']+)'", result.reason)
        mapper = _("latent mapper '{name}'", name=name.group(1) if name else result.prompt)
        return mapper + _strength(result.strength, 1.0)
    if result.method == "global_direction":
        channels = re.search(r"(\d+) channels", result.reason)
        strength = f"{result.strength:.2g}"
        if channels:
            return _("global direction, {channels} channels, strength {strength}", channels=channels.group(1),
                     strength=strength)
        return _("global direction, strength {strength}", strength=strength)
    if result.method == "optimization":
        steps = result.details.get("steps")
        seconds = f"{result.seconds:.0f}"
        if steps:
            return _("optimization, {steps} steps, {seconds} s", steps=int(steps), seconds=seconds)
        return _("optimization, {seconds} s", seconds=seconds)
    return result.method


def _strength(value: float, default: float) -> str:
    shown = format(value, ".2g")
    return "" if abs(value - default) < 1e-6 else _(", strength {value}", value=shown)


def edited(text: str, result: EditResult) -> str:
    return _("Done: {text}\n({how})", text=text, how=how(result))


def busy(exc: EngineBusy) -> str:
    wait = max(round(exc.estimated_wait_s), 1)
    return _("I'm busy with many requests right now ({reason}); please try again in about {wait} s.", reason=exc.reason,
             wait=wait)


def oops(reference: str) -> str:
    return _("Sorry, something went wrong on my side (reference {reference}). Your picture is unchanged.",
             reference=reference)


def waiting() -> str:
    return _("Still working on your previous message; this one comes right after.")


def optimizing(step: int, total: int) -> str:
    return _("No quick method fits, so I'm optimizing: step {step} of {total}...", step=step, total=total)


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
