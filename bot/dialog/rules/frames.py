"""Stage 3: edit frames, the verbs around a thing ("make it ...", "add ...", "remove ...", "turn into ...").

`read_edit(words)` takes strength words ("slightly") and a trailing "more"/"less" off, then tries the
frames in order and, when none fits, the rules of the last stage (`concepts`): the vocabulary alone, and
finally the words themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from bot.dialog import phrases
from bot.dialog.commands import Edit, Refusal
from bot.dialog.rules.base import Rule, first_match
from bot.dialog.rules.concepts import FILLER, KNOWN, OPEN, Reading, bare, concept, hair, hairstyle

Reader = Callable[[str], Reading | None]


def _alternation(words) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_OBJECT = _alternation(phrases.OBJECTS)
_REMOVE_VERBS = ("remove", "no", "without", "take off", "take away", "get rid of", "lose", "delete", "erase",
                 "shave off", "no more", "ditch", "drop", "not", "minus", "w/o")
_ADD_VERBS = ("add", "give", "put on", "put", "wear", "wearing", "with", "grow", "gimme", "get", "has", "have",
              "having", "plus", "w/")
_STRENGTH = re.compile(rf"\b(?:{_alternation(phrases.STRENGTH_WORDS)})\b")
_TAIL = re.compile(r"(.+?)\s+(more|less)")
_ON_OBJECT = re.compile(rf"\s+(?:on|to|for)\s+(?:{_OBJECT})$")
# Words of the edit frames: a message made only of these ("make it", "add", "turn into") asks for nothing.
_FRAME_WORDS = frozenset(" ".join((*_REMOVE_VERBS, *_ADD_VERBS, *phrases.OBJECTS, *phrases.ARTICLES)).split()) | {
    "make", "turn", "change", "transform", "morph", "convert", "into", "look", "looks", "looking", "appear",
    "seem", "like", "as", "become", "be", "let", "dye", "colour", "color", "paint", "take", "off", "on"}
_OPEN_THING_WORDS = 3           # "turn into a lion": a thing of up to this many words counts as understood


@dataclass(frozen=True)
class Request:
    """The words of an edit with its modifiers taken off: "make it a bit cuter more" → "make it cuter"."""

    plain: str                  # what the frames read
    strength: float | None      # from a strength word ("slightly": 0.5); None = the method's default
    tails: tuple[str, ...]      # trailing "more" / "less", innermost first


@lru_cache(maxsize=512)
def request(words: str) -> Request | None:
    """Take strength words and trailing "more"/"less" off; None when only frame words are left ("make it")."""
    found = _STRENGTH.search(words)
    strength = None if found is None else phrases.STRENGTH_WORDS[found.group(0)]
    plain = (" ".join(_STRENGTH.sub(" ", words).split()) or words) if found else words
    tails: list[str] = []
    while (tail := _TAIL.fullmatch(plain)) is not None:
        plain = tail.group(1)
        tails.insert(0, tail.group(2))
    if plain not in phrases.SET_PHRASES and set(plain.split()) <= _FRAME_WORDS | FILLER:
        return None
    return Request(plain, strength, tuple(tails))


def read_edit(words: str) -> tuple[str, Edit | Refusal] | None:
    """Read an edit from politeness-free words: (the rule that read it, the `Edit`); None when none fits.

    A refusal comes back when the words were read but their modifier cannot apply ("turn into a lion less").
    """
    wanted = request(words)
    if wanted is None:
        return None
    found = first_match(EDIT_RULES, wanted.plain)
    if found is None:
        return None
    name, reading = found
    strength = wanted.strength
    for tail in wanted.tails:
        if tail == "more":
            strength = wanted.strength or phrases.STRONG
        elif reading.neutral is None:
            return name, Refusal("nonsense", phrases.MSG_NONSENSE)
        else:                                       # "smile less": back the other way
            reading, strength = Reading(reading.neutral, reading.target, reading.known), wanted.strength
    return name, Edit(reading.target, reading.neutral, strength, words, known=reading.known)


# --- readers of the words a frame captured -------------------------------------------------------------------


def _read_part(captured: str) -> Reading | None:
    """ "hair purple" → ("face with purple hair", "face with hair"); "nose big" → ("face with big nose", "face")."""
    part, _, rest = captured.partition(" ")
    rest = re.sub(r"^(?:to|into)\s+", "", rest)
    if part == "hair":
        return hair(rest)
    return Reading(f"face with {bare(rest)} {part}", "face")


def _read_transform(captured: str) -> Reading | None:
    """Something to become: a celebrity's mapper text, an adjective ("turn him old"), or the thing itself."""
    thing = bare(captured)
    if not thing:
        return None
    if thing in phrases.CELEBRITIES:
        return Reading(phrases.CELEBRITIES[thing], None)
    if thing == captured:
        known = concept(thing)
        if known is not None:
            return known
    return Reading(thing, None, len(thing.split()) <= _OPEN_THING_WORDS)


def _read_make(captured: str) -> Reading | None:
    known = concept(captured)
    if known is not None:
        return known
    thing = bare(captured)
    if not thing:
        return None
    if thing != captured:                           # "make him a pirate": a thing to become
        return Reading(thing, None, len(thing.split()) <= _OPEN_THING_WORDS)
    if len(thing.split()) == 1 and thing.isalpha() and thing not in FILLER:
        return Reading(f"{thing} face", "face")     # "make it sparkly": an adjective we have no table row for
    return Reading(thing, None, known=False) if set(thing.split()) - FILLER else None


def _read_add(captured: str) -> Reading | None:
    known = concept(captured)
    if known is not None:
        return known
    if not captured or not (set(captured.split()) - FILLER):
        return None
    return Reading(f"face with {captured}", "face", known=False)


def _read_remove(captured: str) -> Reading | None:
    thing = bare(captured)
    if thing in ("", "it", "that", "this"):
        return None
    noun = phrases.NOUNS.get(thing)
    style = hairstyle(thing)
    if noun is None and style is not None:
        noun = f"a {style.target}"
    if noun is None:
        base = phrases.ADJECTIVES.get(thing) or phrases.VERBS.get(thing)
        if base is not None:                        # "no smile": back from the smiling face
            return Reading("face", f"{base} face")
        return Reading(f"face without {thing}", f"face with {thing}", known=False)
    return Reading(f"face without {noun}", f"face with {noun}")


def _frame(pattern: str, reader: Reader) -> Reader:
    """A reader of the words `pattern` captures, with a trailing "on him" / "for her" taken off."""
    compiled = re.compile(pattern)

    def read(plain: str) -> Reading | None:
        found = compiled.match(plain)
        return None if found is None else reader(_ON_OBJECT.sub("", found.group(1)).strip())

    return read


_BE_LIKE = rf"^(?:(?:make|let)\s+(?:{_OBJECT})\s+)?(?:look|looks|looking|appear|seem)\s+(?:more\s+)?like\s+(.+)$"
_BE = rf"^(?:(?:make|let)\s+(?:{_OBJECT})\s+)?(?:look|looks|looking|appear|seem|be)\s+(.+)$"

# Tried in order: the first frame whose reader answers wins.
EDIT_RULES: tuple[Rule[str, Reading], ...] = (
    Rule("frames.part", _frame(
        rf"^(?:make|dye|colou?r|paint|turn|change|get)\s+(?:the|his|her|their|my|its)\s+"
        rf"((?:{_alternation(phrases.FACE_PARTS)})\s+(?:to\s+|into\s+)?.+)$", _read_part)),
    Rule("frames.look_like", _frame(_BE_LIKE, _read_transform)),
    Rule("frames.turn_into", _frame(
        rf"^(?:turn|change|transform|morph|convert|make)\s+(?:(?:{_OBJECT})\s+)?into\s+(.+)$", _read_transform)),
    Rule("frames.become", _frame(r"^(?:become|like|as)\s+(.+)$", _read_transform)),
    Rule("frames.look", _frame(_BE, _read_make)),
    Rule("frames.make", _frame(rf"^(?:make|turn|get)\s+(?:{_OBJECT})\s+(.+)$", _read_make)),
    Rule("frames.take_off", _frame(r"^(?:take|get)\s+(.+?)\s+off$", _read_remove)),
    Rule("frames.remove", _frame(rf"^(?:{_alternation(_REMOVE_VERBS)})\s+(.+)$", _read_remove)),
    Rule("frames.add", _frame(rf"^(?:{_alternation(_ADD_VERBS)})\s+(?:(?:{_OBJECT})\s+)?(.+)$", _read_add)),
    KNOWN,
    OPEN,
)
