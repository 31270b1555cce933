"""Chinese beside English: drops ("撤销胡子"), edits read into their English twin, and a friendly answer for
text in a script CLIP does not read.

An edit is read in three steps: peel the strength suffix ("一点"), peel prefixes in any order (who: "让他",
how strongly: "稍微", what is done: "加", "去掉", "变成"), then look the rest up in `phrases_zh`. The English
phrase built from that ("add beard", "no smile", "look like beyonce") goes through the English frames, so
both languages reach CLIP with the same targets.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.dialog import phrases, phrases_zh
from bot.dialog.commands import Drop, Edit, Parsed, Refusal
from bot.dialog.rules import frames
from bot.dialog.rules.base import Rule
from bot.dialog.rules.normalise import Message

_PREFIXES: dict[str, tuple[str, float | str | None]] = {
    **{token: ("object", None) for token in phrases_zh.OBJECTS},
    **{token: ("strength", value) for token, value in phrases_zh.STRENGTH_PREFIXES.items()},
    **{token: ("verb", kind) for token, kind in phrases_zh.VERBS.items()},
}
_LONGEST_FIRST = sorted(_PREFIXES, key=len, reverse=True)
_HAIR_WORD = "|".join(map(re.escape, sorted(phrases_zh.HAIR_WORDS, key=len, reverse=True)))
_DYE = "|".join(map(re.escape, phrases_zh.DYE_VERBS))
_HAIR_ONLY = re.compile(rf"((?:{_HAIR_WORD})+)色?的?")                               # 紫色 (after 染成)
_HAIR = (
    re.compile(rf"((?:{_HAIR_WORD})+)色?的?(?:头发|发型|发)"),                       # 紫色头发, 紫发, 长卷发
    re.compile(rf"(?:头发|发色)(?:{_DYE})?(?:更)?((?:{_HAIR_WORD})+)色?的?"),          # 头发染成紫色
)
_EYE_WORD = "|".join(map(re.escape, sorted(phrases_zh.EYE_WORDS, key=len, reverse=True)))
_EYES = (re.compile(rf"({_EYE_WORD})色?的?(?:眼睛|眼)"), re.compile(rf"眼睛(?:变成|变得|变)?({_EYE_WORD})色?"))
_PART = re.compile(rf"({'|'.join(sorted(phrases_zh.FACE_PARTS, key=len, reverse=True))})(?:变成|变得|变)?"
                   rf"({'|'.join(phrases_zh.PART_WORDS)})")
_DROP = re.compile(rf"^({'|'.join(phrases_zh.DROP_VERBS)})(.+?)({'|'.join(phrases_zh.DROP_SUFFIXES)})?$")


class Thing(NamedTuple):
    """What the Chinese words name, in English, and how the English frames read that kind of thing."""

    kind: str                   # adjective, expression, noun, hairstyle, celebrity, phrase, hair
    english: str


class Request(NamedTuple):
    thing: Thing
    verb: str | None            # add, remove, become, less, more; None when the words only name the thing
    strength: float | None


def thing(words: str) -> Thing | None:
    """The thing Chinese words name ("胡子" → a noun, "beard"), or None when the tables do not know it."""
    for kind, table in (("phrase", phrases_zh.SET_PHRASES), ("adjective", phrases_zh.ADJECTIVES),
                        ("expression", phrases_zh.EXPRESSIONS), ("noun", phrases_zh.NOUNS),
                        ("hairstyle", phrases_zh.HAIRSTYLES), ("celebrity", phrases_zh.CELEBRITIES)):
        if words in table:
            return Thing(kind, table[words])
    for suffix in phrases_zh.HAIRSTYLE_SUFFIXES:
        if words.endswith(suffix) and words[: -len(suffix)] in phrases_zh.HAIRSTYLES:
            return Thing("hairstyle", phrases_zh.HAIRSTYLES[words[: -len(suffix)]])
    for pattern in _HAIR:
        found = pattern.fullmatch(words)
        if found is not None:
            return Thing("hair", f"{_describe(found.group(1), phrases_zh.HAIR_WORDS)} hair")
    for pattern in _EYES:
        found = pattern.fullmatch(words)
        if found is not None:
            return Thing("noun", f"{phrases_zh.EYE_WORDS[found.group(1)]} eyes")
    found = _PART.fullmatch(words)
    if found is not None:
        part, word = phrases_zh.FACE_PARTS[found.group(1)], phrases_zh.PART_WORDS[found.group(2)]
        return Thing("phrase", f"make his {part} {word}")
    return None


def _describe(words: str, table: dict[str, str]) -> str:
    """ "紫色卷" → "purple curly": the longest table word at each position."""
    described = []
    while words:
        token = next(t for t in sorted(table, key=len, reverse=True) if words.startswith(t))
        described.append(table[token])
        words = words[len(token):]
    return " ".join(dict.fromkeys(described))


def read_request(words: str) -> Request | None:
    """Peel the strength suffix and the prefixes until the rest names a thing; None when it never does."""
    strength: float | None = None
    verb: str | None = None
    for suffix in sorted(phrases_zh.STRENGTH_SUFFIXES, key=len, reverse=True):
        if words.endswith(suffix) and len(words) > len(suffix) and thing(words) is None:
            words, strength = words[: -len(suffix)], phrases_zh.STRENGTH_SUFFIXES[suffix]
            break
    for suffix, kind in phrases_zh.VERB_SUFFIXES.items():
        if words.endswith(suffix) and len(words) > len(suffix) and thing(words) is None:
            words, verb = words[: -len(suffix)], kind
            break
    dye = False
    while (named := thing(words)) is None:
        token = next((t for t in _LONGEST_FIRST if words.startswith(t) and len(words) > len(t)), None)
        if token is None:
            dyed = _HAIR_ONLY.fullmatch(words) if dye else None
            if dyed is None:
                return None
            return Request(Thing("hair", f"{_describe(dyed.group(1), phrases_zh.HAIR_WORDS)} hair"), "add", strength)
        kind, value = _PREFIXES[token]
        words = words[len(token):]
        if kind == "strength":
            strength = strength if value is None else value
        elif kind == "verb" and verb is None:
            verb, dye = str(value), token in phrases_zh.DYE_VERBS
    return Request(named, verb, strength)


def english(request: Request) -> str | None:
    """The English request with the same meaning: ("noun", "beard") + remove → "remove beard"."""
    kind, words = request.thing
    if request.verb == "remove":
        if kind in ("noun", "hairstyle", "hair"):
            return f"remove {words}"
        return f"no {words}" if kind in ("adjective", "expression") else None
    if request.verb in ("less", "more"):
        return f"{request.verb} {words}" if kind in ("noun", "adjective", "expression", "hair") else None
    if kind == "noun":
        return f"add {words}"
    if kind == "celebrity":
        return f"look like {words}"
    return words


# --- rules --------------------------------------------------------------------------------------------------


def _edit(message: Message) -> Parsed | None:
    if not message.han:
        return None
    request = read_request(message.words.replace(" ", ""))
    phrase = None if request is None else english(request)
    found = None if phrase is None else frames.read_edit(phrase)
    if found is None or not isinstance(found[1], Edit):
        return None
    edit = found[1]
    return Edit(edit.target, edit.neutral, request.strength, message.words, known=True)


def _drop(message: Message) -> Parsed | None:
    """ "撤销胡子", "取消眼镜", "去掉胡子那一步": drop an earlier edit, matched by its words."""
    if not message.han:
        return None
    found = _DROP.fullmatch(message.words.replace(" ", ""))
    if found is None or (found.group(1) not in phrases_zh.DROP_ALWAYS and found.group(3) is None):
        return None
    words = found.group(2).removeprefix("掉").removesuffix("的").strip()
    return Drop(words) if words else None


def _not_read(message: Message) -> Parsed | None:
    """Words in a script CLIP does not read, that no rule turned into an edit: say what works instead."""
    if message.latin_only:
        return None
    if message.han:
        return Refusal("language", phrases.MSG_CHINESE_NOT_KNOWN)
    return Refusal("language", phrases.MSG_SCRIPT_NOT_READ)


EDIT = Rule("chinese.edit", _edit)
DROP = Rule("chinese.drop", _drop)
NOT_READ = Rule("chinese.not_read", _not_read)
