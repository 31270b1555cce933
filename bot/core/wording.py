"""What the bot says: every sentence the core sends lives here, so tone and facts stay in one place."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.i18n import N_, _
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

FORGET_ASK = (
    "This deletes everything I keep about you: your photos' face codes and all their edits, in every chat "
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


def privacy(retention: timedelta) -> str:
    days = retention.total_seconds() / 86400
    period = f"{days:g} days" if days != 1 else "1 day"
    return (
        "What I keep: for each photo you send, the numbers that describe the face (a latent code the picture is "
        "redrawn from) and your list of edits with their words, linked to your account id on this platform. "
        "I don't keep the photo file itself, and I don't share anything. "
        f"A photo and its edits are deleted after {period} without use; /forget deletes everything now."
    )


def forgotten(count: int) -> str:
    if count == 0:
        return "Done. I had nothing stored about you."
    photos = "1 photo" if count == 1 else f"{count} photos"
    return f"Done: deleted {photos} and all their edits. Send a new photo any time."


def how(result: EditResult) -> str:
    """One short line on what the engine did: "global direction, 37 channels, strength 4.1"."""
    if result.method == "mapper":
        name = re.search(r"mapper '([^']+)'", result.reason)
        return f"latent mapper '{name.group(1) if name else result.prompt}'" + _strength(result.strength, 1.0)
    if result.method == "global_direction":
        channels = re.search(r"(\d+) channels", result.reason)
        count = f", {channels.group(1)} channels" if channels else ""
        return f"global direction{count}, strength {result.strength:.2g}"
    if result.method == "optimization":
        steps = result.details.get("steps")
        counted = f", {int(steps)} steps" if steps else ""
        return f"optimization{counted}, {result.seconds:.0f} s"
    return result.method


def _strength(value: float, default: float) -> str:
    return "" if abs(value - default) < 1e-6 else f", strength {value:.2g}"


def edited(text: str, result: EditResult) -> str:
    return _("Done: {text}\n({how})", text=text, how=how(result))


def busy(exc: EngineBusy) -> str:
    wait = max(round(exc.estimated_wait_s), 1)
    return f"I'm busy with many requests right now ({exc.reason}); please try again in about {wait} s."


def oops(reference: str) -> str:
    return f"Sorry, something went wrong on my side (reference {reference}). Your picture is unchanged."


def waiting() -> str:
    return "Still working on your previous message; this one comes right after."


def optimizing(step: int, total: int) -> str:
    return f"No quick method fits, so I'm optimizing: step {step} of {total}..."


def optimization_queued(position: int, wait_s: float) -> str:
    ahead = "1 other optimization is" if position == 1 else f"{position} other optimizations are"
    return f"No quick method fits, so I'll optimize. {ahead} ahead of yours (about {max(wait_s, 1):.0f} s)..."


def scaled(factor: float, text: str) -> str:
    return f"{'Stronger' if factor > 1 else 'Weaker'}: {text} (×{factor:.2g})"


def photo_ready(notes: tuple[str, ...]) -> str:
    lines = [*notes, _("Got it! This is the face as I see it. Now tell me what to change (e.g. \"make it cuter\").")]
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
