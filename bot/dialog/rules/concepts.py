"""Stage 4: the vocabulary of faces. A phrase → `Reading(target, neutral)` in StyleCLIP's wording.

Every reader here looks words up in the tables of `bot.dialog.phrases`; none of them calls back into the
frames (`frames` reads a sentence's verb, then hands the rest to `concept`).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.dialog import phrases
from bot.dialog.rules.base import Rule

_ARTICLE = re.compile(rf"^(?:{'|'.join(map(re.escape, sorted(phrases.ARTICLES, key=len, reverse=True)))})\s+")
_HAIR = (re.compile(r"(.+?)\s+(?:hair|hairs|haircut)"), re.compile(r"hair\s+(.+)"))
_EYES = re.compile(r"(.+)\s+eyes")
_HAIRSTYLE_SUFFIX = re.compile(r"\s+(?:hairstyle|hair style|hair-do|hairdo)$")


_QUESTION_WORDS = ("what", "why", "how", "who", "when", "where", "is", "are", "do", "does", "did", "can", "will")
FILLER = frozenset({"it", "him", "her", "them", "me", "the", "and", "this", "that", "yes", "no", "yeah", "nope",
                    "lol", "ok", "okay", "hmm", "idk", "you", "a", "an", "so", "oh", "ah", "uh", "um", "yo", "sure",
                    "fine", "good", "bad", "well", "what", "why", "test", "testing", "face", "photo", "picture",
                    "image", "pic", "eyes", "head", "person"})


class Reading(NamedTuple):
    """What CLIP compares: the face to reach (`target`) against the face it is now (`neutral`, or None)."""

    target: str
    neutral: str | None
    known: bool = True          # every word came from the tables; False: the person's own words go to CLIP


def bare(phrase: str) -> str:
    """Without a leading article: "a beard" → "beard"."""
    return _ARTICLE.sub("", phrase).strip()


def concept(phrase: str) -> Reading | None:
    """A known thing a face can be or have, "more"/"less" of one included; None when the words are not known."""
    phrase = phrase.strip()
    if phrase.startswith("more "):
        return _more_of(phrase[5:])
    if phrase.startswith("less "):
        return less_of(bare(phrase[5:]))
    return _known(phrase)


def _more_of(rest: str) -> Reading | None:
    noun = _noun(bare(rest))
    if noun is not None:
        return Reading(f"face with more {noun}", f"face with {noun}")
    return _known(rest)


def less_of(name: str) -> Reading | None:
    """ "less hair" → fewer of a thing; "less old" → the opposite, or back from it towards a plain face."""
    noun = _noun(name)
    if noun is not None:
        return Reading(f"face with less {noun}", f"face with {noun}")
    base = phrases.ADJECTIVES.get(name) or phrases.VERBS.get(name)
    if base is None:
        return None
    if base in phrases.OPPOSITES:
        return Reading(f"{phrases.OPPOSITES[base]} face", f"{base} face")
    return Reading("face", f"{base} face")


def _known(phrase: str) -> Reading | None:
    """One lookup after another in the tables, most specific first."""
    name = bare(phrase)
    if phrase in phrases.SET_PHRASES:
        return Reading(*phrases.SET_PHRASES[phrase])
    if name in phrases.CELEBRITIES:
        return Reading(phrases.CELEBRITIES[name], None)
    if name.endswith(" face") and name[:-5] in phrases.ADJECTIVES:    # "angry face"
        return adjective(phrases.ADJECTIVES[name[:-5]])
    base = phrases.ADJECTIVES.get(name) or (phrases.VERBS.get(name) if name == phrase else None)
    if base is not None:
        return adjective(base)
    if name in phrases.VERBS:                       # "a smile", "a wink"
        return Reading(f"{phrases.VERBS[name]} face", "face")
    style = hairstyle(name)
    if style is not None:
        return style
    for pattern in _HAIR:
        described = pattern.fullmatch(name)
        if described is not None:
            return hair(described.group(1))
    if name in phrases.HAIR_PERSONS:
        return hair(phrases.HAIR_PERSONS[name])
    if name in phrases.NOUNS:
        return Reading(f"face with {phrases.NOUNS[name]}", "face")
    eyes = _EYES.fullmatch(name)
    if eyes is not None:
        return Reading(f"face with {eyes.group(1)} eyes", "face", known=False)
    return None


def adjective(base: str) -> Reading:
    """ "cute" → ("cute face", "face"), or the special pair StyleCLIP uses ("bald face" against "face with hair")."""
    return Reading(*phrases.SPECIAL_ADJECTIVES.get(base, (f"{base} face", "face")))


def _noun(name: str) -> str | None:
    """The article-free name of a known thing ("beard", "hair"), or None."""
    if name in phrases.NOUNS:
        return bare(phrases.NOUNS[name])
    return name if name in phrases.HAIR_WORDS or name.endswith(" hair") else None


def hairstyle(name: str) -> Reading | None:
    """A named hairstyle → the released mapper's text ("mohawk hairstyle")."""
    style = phrases.HAIRSTYLES.get(_HAIRSTYLE_SUFFIX.sub("", name))
    return None if style is None else Reading(f"{style} hairstyle", "face")


def hair(description: str) -> Reading:
    """ "purple" → ("face with purple hair", "face with hair"); known when every word describes hair."""
    description = bare(description.replace(" coloured", "").replace(" colored", ""))
    known = description in phrases.HAIR_WORDS or all(word in phrases.HAIR_WORDS for word in description.split())
    return Reading(f"face with {description} hair", "face with hair", known)


def _open(phrase: str) -> Reading | None:
    """The words themselves, so CLIP still gets a chance; not questions, filler, or only very short words."""
    words = phrase.split()
    if words[0] in _QUESTION_WORDS or not (set(words) - FILLER) or not any(len(word) >= 3 for word in words):
        return None
    return Reading(phrase, None, known=False)


KNOWN = Rule("concepts.known", concept)
OPEN = Rule("concepts.open", _open)
