"""Message text → what the person wants (`Edit`, a command, or a `Refusal`).

Deterministic and table-driven (word tables in `phrases`): normalise, refuse what cannot be handled,
strip politeness, then try whole-message commands, "drop <edit>", and the edit frames ("make it ...",
"add ...", "remove ...", "turn into ..."), in that order. Anything else with real words becomes an edit
whose target is the words themselves, so CLIP still gets a chance.

Ambiguities decided here:
- "remove the beard" is an edit (a face without a beard); "drop the beard", "undo the beard" and
  "remove the beard edit" drop an earlier edit.
- "forget" / "forget me" asks to delete everything; "/forget confirm" or "yes, delete" confirms it.
- "more" alone scales the last edit; "more hair" is a new edit.
"""

from __future__ import annotations

import re
import unicodedata

from bot.dialog import phrases as P
from bot.dialog.commands import (
    Cancel,
    Compare,
    Drop,
    Edit,
    Forget,
    ForgetConfirm,
    Help,
    History,
    Less,
    More,
    Parsed,
    Privacy,
    Redo,
    Refusal,
    Reset,
    Start,
    Thanks,
    Undo,
)

_SIMPLE = {
    "undo": Undo(), "redo": Redo(), "reset": Reset(), "history": History(), "compare": Compare(), "help": Help(),
    "privacy": Privacy(), "forget": Forget(), "forget_confirm": ForgetConfirm(), "start": Start(),
    "thanks": Thanks(), "more": More(P.MORE), "more_bit": More(P.MORE_BIT), "more_much": More(P.MORE_MUCH),
    "less": Less(1 / P.MORE), "less_bit": Less(1 / P.MORE_BIT), "less_much": Less(1 / P.MORE_MUCH),
    "cancel": Cancel(),
}


def _alternation(words) -> str:
    """Regex alternation of phrases, longest first, so "can you" wins over "can"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_OBJ = _alternation(P.OBJECTS)
_ART = _alternation(P.ARTICLES)
_LEADING = re.compile(rf"^(?:{_alternation(P.POLITE_LEADING)})\b[\s,]*")
_TRAILING = re.compile(rf"[\s,]*\b(?:{_alternation(P.POLITE_TRAILING)})$")
_STRENGTH = re.compile(rf"\b(?:{_alternation(P.STRENGTH_WORDS)})\b")
_NUMBER = r"(\d+(?:\.\d+)?)"
_FACTOR = (
    re.compile(rf"^(more|stronger|less|weaker)\s*(?:x|×|\*)?\s*{_NUMBER}\s*(?:x|×|times)?$"),
    re.compile(rf"^{_NUMBER}\s*(?:x|×|times)\s*(more|stronger|less|weaker)?$"),
    re.compile(rf"^(?:x|×)\s*{_NUMBER}()$"),
)

_REMOVE_VERBS = ("remove", "no", "without", "take off", "take away", "get rid of", "lose", "delete", "erase",
                 "shave off", "no more", "ditch", "drop", "not", "minus", "w/o")
_ADD_VERBS = ("add", "give", "put on", "put", "wear", "wearing", "with", "grow", "gimme", "get", "has", "have",
              "having", "plus", "w/")

# Edit frames, tried in order: (pattern, how to read the captured words).
_FRAMES: tuple[tuple[re.Pattern, str], ...] = tuple((re.compile(p), kind) for p, kind in (
    (rf"^(?:make|dye|colou?r|paint|turn|change|get)\s+(?:the|his|her|their|my|its)\s+((?:{_alternation(P.FACE_PARTS)})"
     r"\s+(?:to\s+|into\s+)?.+)$", "part"),
    (rf"^(?:(?:make|let)\s+(?:{_OBJ})\s+)?(?:look|looks|looking|appear|seem)\s+(?:more\s+)?like\s+(.+)$", "transform"),
    (rf"^(?:turn|change|transform|morph|convert|make)\s+(?:(?:{_OBJ})\s+)?into\s+(.+)$", "transform"),
    (r"^(?:become|like|as)\s+(.+)$", "transform"),
    (rf"^(?:(?:make|let)\s+(?:{_OBJ})\s+)?(?:look|looks|looking|appear|seem|be)\s+(.+)$", "make"),
    (rf"^(?:make|turn|get)\s+(?:{_OBJ})\s+(.+)$", "make"),
    (r"^(?:take|get)\s+(.+?)\s+off$", "remove"),
    (rf"^(?:{_alternation(_REMOVE_VERBS)})\s+(.+)$", "remove"),
    (rf"^(?:{_alternation(_ADD_VERBS)})\s+(?:(?:{_OBJ})\s+)?(.+)$", "add"),
))
_DROP = re.compile(rf"^(?:{_alternation(P.DROP_VERBS)})\s+(.+)$")
_DROP_SUFFIX = re.compile(rf"\s+(?:{_alternation(P.DROP_SUFFIXES)})$")
_ARTICLE = re.compile(rf"^(?:{_ART})\s+")
_ON_OBJ = re.compile(rf"\s+(?:on|to|for)\s+(?:{_OBJ})$")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_QUESTION_WORDS = ("what", "why", "how", "who", "when", "where", "is", "are", "do", "does", "did", "can", "will")
_FILLER = frozenset({"it", "him", "her", "them", "me", "the", "and", "this", "that", "yes", "no", "yeah", "nope",
                     "lol", "ok", "okay", "hmm", "idk", "you", "a", "an", "so", "oh", "ah", "uh", "um", "yo", "sure",
                     "fine", "good", "bad", "well", "what", "why", "test", "testing", "face", "photo", "picture",
                     "image", "pic", "eyes", "head", "person"})
# Words of the edit frames: a message made only of these ("make it", "add", "turn into") asks for nothing.
_FRAME_WORDS = frozenset(" ".join((*_REMOVE_VERBS, *_ADD_VERBS, *P.OBJECTS, *P.ARTICLES)).split()) | {
    "make", "turn", "change", "transform", "morph", "convert", "into", "look", "looks", "looking", "appear",
    "seem", "like", "as", "become", "be", "let", "dye", "colour", "color", "paint", "take", "off", "on"}


def parse(text: str) -> Parsed:
    """Read one message.

    Args:
        text: what the person wrote, as received.
    Returns:
        an `Edit`, a command (`More`, `Undo`, `Drop`, ...), `Thanks`, or a `Refusal` with a friendly message.
    """
    raw = (text or "").strip()
    if not raw:
        return Refusal("empty", P.MSG_EMPTY)
    if len(raw) > P.MAX_LENGTH:
        return Refusal("too_long", P.MSG_TOO_LONG)
    if raw == "?":
        return Help()
    if not any(ch.isalnum() for ch in raw):
        if any(_is_emoji(ch) for ch in raw):
            return Refusal("emoji_only", P.MSG_EMOJI)
        return Refusal("nonsense", P.MSG_NONSENSE)
    if raw.startswith("/"):
        return _slash(raw)
    norm = _normalize(raw)
    if not any(ch.isalpha() for ch in norm):
        return _numbers_only(norm)
    if _unsafe(norm):
        return Refusal("unsafe", P.MSG_UNSAFE)
    return _parse_words(norm)


def _parse_words(norm: str) -> Parsed:
    """Commands, drops and edits from normalised words."""
    if norm in P.COMMAND_PHRASES:       # before politeness stripping: "hi", "thanks", "do it again"
        return _SIMPLE[P.COMMAND_PHRASES[norm]]
    words = _strip_politeness(norm)
    if not words:
        return Refusal("nonsense", P.MSG_NONSENSE)
    if words in P.COMMAND_PHRASES:
        return _SIMPLE[P.COMMAND_PHRASES[words]]
    factor = _factor(words)
    if factor is not None:
        return factor
    if any(_gibberish(w) for w in words.split()):
        return Refusal("nonsense", P.MSG_NONSENSE)
    dropped = _drop(words)
    if dropped is not None:
        return dropped
    edit = _edit(words)
    if edit is not None:
        return edit
    return Refusal("nonsense", P.MSG_NONSENSE)


# --- normalising and refusing -------------------------------------------------------------------------------


def _normalize(raw: str) -> str:
    """Lower case, curly quotes straightened, emoji and punctuation dropped, spaces collapsed."""
    s = unicodedata.normalize("NFC", raw).lower().replace("’", "'").replace("‘", "'").replace("&", " and ")
    s = re.sub(r"[^\w\s'+/×\-.]", " ", s)          # keep "make-up", "before/after", "x1.5", "ctrl+z"
    s = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", s)       # dots only inside numbers
    s = re.sub(r"(^|\s)['\-/]+|['\-/]+(\s|$)", r"\1 \2", s)
    return " ".join(s.replace("_", " ").split())


def _is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk") or 0x1F000 <= ord(ch) <= 0x1FAFF or ch in "\u200d\ufe0f"


def _unsafe(norm: str) -> bool:
    words = set(norm.split())
    return bool(words & P.UNSAFE_WORDS) or any(re.search(rf"\b{re.escape(p)}\b", norm) for p in P.UNSAFE_PHRASES)


def _gibberish(word: str) -> bool:
    """Keyboard mash: a 5-key run of a keyboard row, no vowels, 6 consonants or 4 equal letters in a row."""
    if not word.isalpha() or not word.isascii():
        return False
    if len(word) >= 5 and any(word[i:i + 5] in row or word[i:i + 5] in row[::-1]
                              for row in _KEYBOARD_ROWS for i in range(len(word) - 4)):
        return True
    if len(word) >= 3 and not re.search(r"[aeiouy]", word):
        return True
    if len(word) >= 6 and (set(word) <= set(_KEYBOARD_ROWS[1]) or re.fullmatch(r"(.{2,4})\1+", word)):
        return True                                 # "asdfasdf", "hahaha"
    return bool(re.search(r"[^aeiouy]{6}", word) or re.search(r"(.)\1{3}", word) or len(word) > 30)


def _numbers_only(norm: str) -> Parsed:
    """Digits and signs without letters: only "2x" / "x2"-like factors mean something."""
    return _factor(norm) or Refusal("nonsense", P.MSG_NONSENSE)


def _strip_politeness(s: str) -> str:
    """Drop leading and trailing politeness, whole words only, until nothing changes."""
    while True:
        stripped = _TRAILING.sub("", _LEADING.sub("", s)).strip(" ,")
        if stripped == s:
            return s
        s = stripped


# --- commands -----------------------------------------------------------------------------------------------


def _slash(raw: str) -> Parsed:
    """`/undo`, `/undo@MyBot`, `/drop beard`, `/forget confirm`, `/more x2`."""
    head, _, rest = raw[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    rest = _normalize(rest)
    kind = P.SLASH_COMMANDS.get(name)
    if kind is None:
        shown = re.sub(r"[^\w]", "", name)[:30] or "?"
        return Refusal("nonsense", P.MSG_UNKNOWN_SLASH.format(name=shown))
    if kind == "drop" or (kind == "undo" and rest):
        return _drop_words(rest)
    if kind == "forget" and rest in ("confirm", "yes", "confirmed"):
        return ForgetConfirm()
    if kind in ("more", "less") and rest:
        factor = _factor(f"{kind} {rest}")
        if factor is not None:
            return factor
    return _SIMPLE[kind]


def _factor(s: str) -> More | Less | None:
    """ "more x2", "2x", "less x3", "3 times stronger" → a clamped factor."""
    for pattern in _FACTOR:
        m = pattern.match(s)
        if m is None:
            continue
        groups = m.groups()
        number = float(groups[1] if pattern is _FACTOR[0] else groups[0])
        word = groups[0] if pattern is _FACTOR[0] else (groups[1] or "more")
        n = min(max(number, P.MIN_FACTOR), P.MAX_FACTOR)
        return More(n) if word in ("more", "stronger") else Less(1 / n)
    return None


def _drop(words: str) -> Drop | Undo | Refusal | None:
    """ "drop the beard", "undo the smile", "remove the mohawk edit"; plain "remove X" is an edit."""
    m = _DROP.match(words)
    if m is None:
        return None
    verb = words[: m.start(1)].strip()
    rest = m.group(1)
    if verb in ("remove", "delete", "get rid of") and not _DROP_SUFFIX.search(rest):
        return None
    if verb == "forget" and rest in ("me", "everything", "about me", "all"):
        return None
    return _drop_words(rest)


def _drop_words(rest: str) -> Drop | Undo | Refusal:
    words = _DROP_SUFFIX.sub("", _ARTICLE.sub("", rest.strip())).strip()
    words = _ARTICLE.sub("", words)
    if words in ("", "it", "that", "this", "last", "last one", "previous", "latest"):
        return Undo() if rest else Refusal("nonsense", P.MSG_DROP_WHAT)
    return Drop(words)


# --- edits --------------------------------------------------------------------------------------------------


def _edit(words: str) -> Edit | None:
    """Edit frames on the words, with strength words taken out first; a trailing "more"/"less" scales it."""
    strength, plain = _strength(words)
    if plain not in P.SET_PHRASES and set(plain.split()) <= _FRAME_WORDS | _FILLER:
        return None
    tail = re.fullmatch(r"(.+?)\s+(more|less)", plain)
    if tail is not None:
        edit = _edit(tail.group(1))
        if edit is None:
            return None
        if tail.group(2) == "more":
            return Edit(edit.target, edit.neutral, strength or P.STRONG, words)
        if edit.neutral is None:
            return None
        return Edit(edit.neutral, edit.target, strength, words)      # "smile less": back the other way
    for pattern, kind in _FRAMES:
        m = pattern.match(plain)
        if m is None:
            continue
        pair = _READERS[kind](_ON_OBJ.sub("", m.group(1)).strip())
        if pair is not None:
            return Edit(pair[0], pair[1], strength, words)
    pair = _concept(plain)
    if pair is None:
        if plain.split()[0] in _QUESTION_WORDS or not (set(plain.split()) - _FILLER):
            return None
        if not any(len(w) >= 3 for w in plain.split()):
            return None
        pair = (plain, None)
    return Edit(pair[0], pair[1], strength, words)


def _strength(words: str) -> tuple[float | None, str]:
    """The first strength word ("slightly", "very") and the words without any of them."""
    found = _STRENGTH.search(words)
    if found is None:
        return None, words
    plain = " ".join(_STRENGTH.sub(" ", words).split())
    return P.STRENGTH_WORDS[found.group(0)], plain or words


def _bare(x: str) -> str:
    return _ARTICLE.sub("", x).strip()


def _concept(x: str) -> tuple[str, str | None] | None:
    """A known thing a face can be or have → (target, neutral); None when the words are not known."""
    x = x.strip()
    if x.startswith("more "):
        noun = _noun(_bare(x[5:]))
        return (f"face with more {noun}", f"face with {noun}") if noun else _concept(x[5:])
    if x.startswith("less "):
        return _less(_bare(x[5:]))
    b = _bare(x)
    if x in P.SET_PHRASES:
        return P.SET_PHRASES[x]
    if b in P.CELEBRITIES:
        return P.CELEBRITIES[b], None
    if b.endswith(" face") and b[:-5] in P.ADJECTIVES:    # "angry face"
        return _concept(b[:-5])
    adjective = P.ADJECTIVES.get(b) or (P.VERBS.get(b) if b == x else None)
    if adjective is not None:
        return P.SPECIAL_ADJECTIVES.get(adjective, (f"{adjective} face", "face"))
    if b in P.VERBS:                               # "a smile", "a wink"
        return f"{P.VERBS[b]} face", "face"
    hairstyle = _hairstyle(b)
    if hairstyle is not None:
        return hairstyle
    hair = re.fullmatch(r"(.+?)\s+(?:hair|hairs|haircut)", b) or re.fullmatch(r"hair\s+(.+)", b)
    if hair is not None:
        return _hair(hair.group(1))
    if b in P.HAIR_PERSONS:
        return _hair(P.HAIR_PERSONS[b])
    if b in P.NOUNS:
        return f"face with {P.NOUNS[b]}", "face"
    eyes = re.fullmatch(r"(.+)\s+eyes", b)
    if eyes is not None:
        return f"face with {eyes.group(1)} eyes", "face"
    return None


def _noun(b: str) -> str | None:
    """The article-free name of a known thing ("beard", "hair"), or None."""
    if b in P.NOUNS:
        return _bare(P.NOUNS[b])
    return b if b in P.HAIR_WORDS or b.endswith(" hair") else None


def _less(b: str) -> tuple[str, str | None] | None:
    """ "less hair" → fewer of a thing; "less old" → the opposite, or back from it towards a plain face."""
    noun = _noun(b)
    if noun is not None:
        return f"face with less {noun}", f"face with {noun}"
    base = P.ADJECTIVES.get(b) or P.VERBS.get(b)
    if base is None:
        return None
    if base in P.OPPOSITES:
        return f"{P.OPPOSITES[base]} face", f"{base} face"
    return "face", f"{base} face"


def _hairstyle(b: str) -> tuple[str, str] | None:
    name = re.sub(r"\s+(?:hairstyle|hair style|hair-do|hairdo)$", "", b)
    if name in P.HAIRSTYLES:
        return f"{P.HAIRSTYLES[name]} hairstyle", "face"
    return None


def _hair(description: str) -> tuple[str, str]:
    """ "purple" → ("face with purple hair", "face with hair")."""
    description = _bare(description.replace(" coloured", "").replace(" colored", ""))
    return f"face with {description} hair", "face with hair"


def _read_part(x: str) -> tuple[str, str] | None:
    """ "hair purple" → ("face with purple hair", "face with hair"); "nose big" → ("face with big nose", "face")."""
    part, _, rest = x.partition(" ")
    rest = re.sub(r"^(?:to|into)\s+", "", rest)
    if part == "hair":
        return _hair(rest)
    return f"face with {_bare(rest)} {part}", "face"


def _read_transform(x: str) -> tuple[str, str | None] | None:
    b = _bare(x)
    if not b:
        return None
    if b in P.CELEBRITIES:
        return P.CELEBRITIES[b], None
    if b == x:                                      # "turn him old": an adjective rather than a thing
        pair = _concept(b)
        if pair is not None:
            return pair
    return b, None


def _read_make(x: str) -> tuple[str, str | None] | None:
    pair = _concept(x)
    if pair is not None:
        return pair
    b = _bare(x)
    if not b:
        return None
    if b != x:                                      # "make him a pirate": a thing to become
        return b, None
    if len(b.split()) == 1 and b.isalpha() and b not in _FILLER:
        return f"{b} face", "face"                 # "make it sparkly": an adjective we have no table row for
    return (b, None) if set(b.split()) - _FILLER else None


def _read_add(x: str) -> tuple[str, str | None] | None:
    pair = _concept(x)
    if pair is not None:
        return pair
    if not x or not (set(x.split()) - _FILLER):
        return None
    return f"face with {x}", "face"


def _read_remove(x: str) -> tuple[str, str | None] | None:
    b = _bare(x)
    if b in ("", "it", "that", "this"):
        return None
    noun = P.NOUNS.get(b)
    if noun is None and b in P.HAIRSTYLES:
        noun = f"a {P.HAIRSTYLES[b]} hairstyle"
    if noun is None:
        adjective = P.ADJECTIVES.get(b) or P.VERBS.get(b)
        if adjective is not None:                   # "no smile": back from the smiling face
            return "face", f"{adjective} face"
        noun = b
    return f"face without {noun}", f"face with {noun}"


_READERS = {"part": _read_part, "transform": _read_transform, "make": _read_make, "add": _read_add,
            "remove": _read_remove}
