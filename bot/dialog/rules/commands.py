"""Stage 2: whole-message commands ("undo", "/drop beard", "more x2", "drop the beard", "撤销")."""

from __future__ import annotations

import re

from bot.dialog import phrases, phrases_zh
from bot.dialog.commands import (
    Cancel,
    Compare,
    Drop,
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
from bot.dialog.rules.base import Rule
from bot.dialog.rules.normalise import Message, normalise

_BY_KIND: dict[str, Parsed] = {
    "undo": Undo(), "redo": Redo(), "reset": Reset(), "history": History(), "compare": Compare(), "help": Help(),
    "privacy": Privacy(), "forget": Forget(), "forget_confirm": ForgetConfirm(), "start": Start(),
    "thanks": Thanks(), "more": More(phrases.MORE), "more_bit": More(phrases.MORE_BIT),
    "more_much": More(phrases.MORE_MUCH), "less": Less(1 / phrases.MORE), "less_bit": Less(1 / phrases.MORE_BIT),
    "less_much": Less(1 / phrases.MORE_MUCH), "cancel": Cancel(),
}
_COMMAND_PHRASES = phrases.COMMAND_PHRASES | phrases_zh.COMMAND_PHRASES

_NUMBER = r"(\d+(?:\.\d+)?)"
_FACTOR_WORDS = {"more": "more", "stronger": "more", "less": "less", "weaker": "less", "更多": "more",
                 "更强": "more", "更少": "less", "更弱": "less"}
_FACTOR_ALTERNATION = "|".join(sorted(_FACTOR_WORDS, key=len, reverse=True))
# (pattern, group of the number, group of the direction word or None for "more")
_FACTORS = (
    (re.compile(rf"^({_FACTOR_ALTERNATION})\s*(?:x|×|\*)?\s*{_NUMBER}\s*(?:x|×|times|倍)?$"), 2, 1),
    (re.compile(rf"^{_NUMBER}\s*(?:x|×|times|倍)\s*({_FACTOR_ALTERNATION})?$"), 1, 2),
    (re.compile(rf"^(?:x|×)\s*{_NUMBER}$"), 1, None),
)
_DROP = re.compile(rf"^({'|'.join(map(re.escape, sorted(phrases.DROP_VERBS, key=len, reverse=True)))})\s+(.+)$")
_DROP_SUFFIX = re.compile(rf"\s+(?:{'|'.join(map(re.escape, phrases.DROP_SUFFIXES))})$")
_ARTICLE = re.compile(rf"^(?:{'|'.join(map(re.escape, sorted(phrases.ARTICLES, key=len, reverse=True)))})\s+")
_LAST_ONE = ("", "it", "that", "this", "last", "last one", "previous", "latest")


def factor(text: str) -> More | Less | None:
    """ "more x2", "2x", "less x3", "3 times stronger", "2倍" → a clamped factor."""
    for pattern, number_group, word_group in _FACTORS:
        found = pattern.match(text)
        if found is None:
            continue
        number = min(max(float(found.group(number_group)), phrases.MIN_FACTOR), phrases.MAX_FACTOR)
        word = (found.group(word_group) if word_group else None) or "more"
        return More(number) if _FACTOR_WORDS[word] == "more" else Less(1 / number)
    return None


def drop_words(rest: str) -> Drop | Undo | Refusal:
    """What follows "drop": the words of an earlier edit, or "it" / "that" / nothing for the last one."""
    words = _ARTICLE.sub("", _DROP_SUFFIX.sub("", _ARTICLE.sub("", rest.strip())).strip())
    if words in _LAST_ONE:
        return Undo() if rest else Refusal("nonsense", phrases.MSG_DROP_WHAT)
    return Drop(words)


# --- rules --------------------------------------------------------------------------------------------------


def _question_mark(message: Message) -> Parsed | None:
    return Help() if message.raw == "?" else None


def _slash(message: Message) -> Parsed | None:
    """`/undo`, `/undo@MyBot`, `/drop beard`, `/forget confirm`, `/more x2`."""
    if not message.raw.startswith("/"):
        return None
    head, _, rest = message.raw[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    rest = normalise(rest)
    kind = phrases.SLASH_COMMANDS.get(name)
    if kind is None:
        shown = re.sub(r"[^\w]", "", name)[:30] or "?"
        return Refusal("nonsense", phrases.MSG_UNKNOWN_SLASH, (("name", shown),))
    if kind == "drop" or (kind == "undo" and rest):
        return drop_words(rest)
    if kind == "forget" and rest in ("confirm", "yes", "confirmed"):
        return ForgetConfirm()
    if kind in ("more", "less") and rest:
        scaled = factor(f"{kind} {rest}")
        if scaled is not None:
            return scaled
    return _BY_KIND[kind]


def _phrase(message: Message) -> Parsed | None:
    """A whole command phrase, read before politeness is stripped: "hi", "thanks", "do it again"."""
    kind = _COMMAND_PHRASES.get(message.norm)
    return None if kind is None else _BY_KIND[kind]


def _phrase_without_politeness(message: Message) -> Parsed | None:
    kind = _COMMAND_PHRASES.get(message.words)
    return None if kind is None else _BY_KIND[kind]


def _factor(message: Message) -> Parsed | None:
    return factor(message.words)


def _drop(message: Message) -> Parsed | None:
    """ "drop the beard", "undo the smile", "remove the mohawk edit"; plain "remove X" is an edit."""
    found = _DROP.match(message.words)
    if found is None:
        return None
    verb, rest = found.group(1), found.group(2)
    if verb in ("remove", "delete", "get rid of") and not _DROP_SUFFIX.search(rest):
        return None
    if verb == "forget" and rest in ("me", "everything", "about me", "all"):
        return None
    return drop_words(rest)


QUESTION_MARK = Rule("commands.question_mark", _question_mark)
SLASH = Rule("commands.slash", _slash)
PHRASE = Rule("commands.phrase", _phrase)
PHRASE_WITHOUT_POLITENESS = Rule("commands.phrase_without_politeness", _phrase_without_politeness)
FACTOR = Rule("commands.factor", _factor)
DROP = Rule("commands.drop", _drop)
