"""Stage 1: the message as the later stages read it, and the refusals that need no vocabulary.

`Message` holds the text three ways: `raw` (stripped), `norm` (lower case, punctuation and emoji gone) and
`words` (politeness stripped too), each computed once when a rule first asks for it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property

from bot.dialog import phrases, phrases_zh
from bot.dialog.commands import Parsed, Refusal
from bot.dialog.rules.base import Rule


def _alternation(words) -> str:
    """Regex alternation of phrases, longest first, so "can you" wins over "can"."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


_LEADING = re.compile(rf"^(?:{_alternation(phrases.POLITE_LEADING)})\b[\s,]*")
_TRAILING = re.compile(rf"[\s,]*\b(?:{_alternation(phrases.POLITE_TRAILING)})$")
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_BETWEEN_HAN = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])\s+(?=[\u3400-\u9fff\uf900-\ufaff])")


class Message:
    """One message, normalised on demand."""

    def __init__(self, text: str | None) -> None:
        self.raw = (text or "").strip()

    @cached_property
    def norm(self) -> str:
        return normalise(self.raw)

    @cached_property
    def words(self) -> str:
        return strip_politeness(self.norm)

    @cached_property
    def han(self) -> bool:
        """Whether the message has Chinese characters."""
        return bool(_HAN.search(self.raw))

    @cached_property
    def latin_only(self) -> bool:
        """Whether every letter is Latin (English and its accents: "beyoncé"); CLIP reads nothing else."""
        return all(not ch.isalpha() or ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")
                   for ch in self.norm)


def normalise(raw: str) -> str:
    """Lower case, curly quotes straightened, emoji and punctuation dropped, spaces collapsed (and dropped
    between Chinese characters, which need none)."""
    text = unicodedata.normalize("NFKC", raw).lower().replace("’", "'").replace("‘", "'").replace("&", " and ")
    text = re.sub(r"[^\w\s'+/×\-.]", " ", text)          # keep "make-up", "before/after", "x1.5", "ctrl+z"
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)       # dots only inside numbers
    text = re.sub(r"(^|\s)['\-/]+|['\-/]+(\s|$)", r"\1 \2", text)
    return _BETWEEN_HAN.sub("", " ".join(text.replace("_", " ").split()))


def strip_politeness(text: str) -> str:
    """Drop leading and trailing politeness (English whole words, Chinese particles) until nothing changes."""
    while True:
        stripped = _TRAILING.sub("", _LEADING.sub("", text)).strip(" ,")
        stripped = _strip_chinese(stripped)
        if stripped == text:
            return text
        text = stripped


def _strip_chinese(text: str) -> str:
    for leading in phrases_zh.POLITE_LEADING:
        if text.startswith(leading) and len(text) > len(leading):
            text = text[len(leading):].strip()
    for trailing in phrases_zh.POLITE_TRAILING:
        if text.endswith(trailing) and len(text) > len(trailing):
            text = text[: -len(trailing)].strip()
    return text


def is_emoji(ch: str) -> bool:
    return unicodedata.category(ch) in ("So", "Sk") or 0x1F000 <= ord(ch) <= 0x1FAFF or ch in "\u200d\ufe0f"


def is_gibberish(word: str) -> bool:
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


# --- rules --------------------------------------------------------------------------------------------------


def _empty(message: Message) -> Parsed | None:
    return Refusal("empty", phrases.MSG_EMPTY) if not message.raw else None


def _too_long(message: Message) -> Parsed | None:
    if len(message.raw) <= phrases.MAX_LENGTH:
        return None
    return Refusal("too_long", phrases.MSG_TOO_LONG, (("limit", str(phrases.MAX_LENGTH)),))


def _symbols_only(message: Message) -> Parsed | None:
    """No letters or digits at all: emoji get their own answer. ("?" is a command, read before this.)"""
    if any(ch.isalnum() for ch in message.raw):
        return None
    if any(is_emoji(ch) for ch in message.raw):
        return Refusal("emoji_only", phrases.MSG_EMOJI)
    return Refusal("nonsense", phrases.MSG_NONSENSE)


def _unsafe(message: Message) -> Parsed | None:
    norm = message.norm
    words = set(norm.split())
    if (words & phrases.UNSAFE_WORDS or any(re.search(rf"\b{re.escape(p)}\b", norm) for p in phrases.UNSAFE_PHRASES)
            or any(chinese in norm for chinese in phrases_zh.UNSAFE)):
        return Refusal("unsafe", phrases.MSG_UNSAFE)
    return None


def _no_letters(message: Message) -> Parsed | None:
    """Digits and signs that were not a factor ("2x"): nothing to do."""
    return None if any(ch.isalpha() for ch in message.norm) else Refusal("nonsense", phrases.MSG_NONSENSE)


def _politeness_only(message: Message) -> Parsed | None:
    return None if message.words else Refusal("nonsense", phrases.MSG_NONSENSE)


def _gibberish(message: Message) -> Parsed | None:
    if any(is_gibberish(word) for word in message.words.split()):
        return Refusal("nonsense", phrases.MSG_NONSENSE)
    return None


EMPTY = Rule("normalise.empty", _empty)
TOO_LONG = Rule("normalise.too_long", _too_long)
SYMBOLS_ONLY = Rule("normalise.symbols_only", _symbols_only)
UNSAFE = Rule("normalise.unsafe", _unsafe)
NO_LETTERS = Rule("normalise.no_letters", _no_letters)
POLITENESS_ONLY = Rule("normalise.politeness_only", _politeness_only)
GIBBERISH = Rule("normalise.gibberish", _gibberish)
