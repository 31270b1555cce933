"""Tricky cases of `parse`: what politeness stripping may eat, commands against edits, factors and limits."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from bot.dialog import MAX_LENGTH, Drop, Edit, Less, More, Refusal, Start, Undo, parse
from bot.dialog import phrases as P


def edit(text: str) -> Edit:
    got = parse(text)
    assert isinstance(got, Edit), got
    return got


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("make him look pleased please", "pleased face"),   # "please" only as a whole word at the end
        ("make it pretty", "pretty face"),                  # ends in "ty" (a trailing "thank you")
        ("add snow", "face with snow"),                     # ends in "now"
        ("okapi", "okapi"),                                 # starts with "ok"
        ("android", "android"),                             # starts with "and"
        ("add a sombrero", "face with a sombrero"),         # "so" is leading politeness
        ("hippie", "hippie"),                               # starts with "hi"
    ],
)
def test_politeness_stripping_keeps_real_words(text, target):
    assert edit(text).target == target


def test_edit_text_is_the_request_without_politeness():
    assert edit("Please, could you make it cuter? Thanks!").text == "make it cuter"
    assert edit("Hey bot, add GLASSES 😎").text == "add glasses"


def test_politeness_alone_is_not_an_edit():
    for text in ("please", "can you", "please thanks now"):
        assert isinstance(parse(text), Refusal), text


def test_undo_alone_and_undo_an_edit_by_name():
    assert parse("undo") == Undo()
    assert parse("undo that") == Undo()
    assert parse("drop it") == Undo()
    assert parse("undo the beard") == Drop("beard")
    assert parse("/undo the beard") == Drop("beard")


def test_remove_is_an_edit_unless_it_names_an_edit():
    assert edit("remove the beard").target == "face without a beard"
    assert parse("remove the beard edit") == Drop("beard")
    assert parse("drop the beard") == Drop("beard")
    assert parse("forget the beard") == Drop("beard")


def test_more_alone_scales_the_last_edit_more_with_words_is_an_edit():
    assert parse("more") == More(P.MORE)
    got = edit("more hair")
    assert (got.target, got.neutral) == ("face with more hair", "face with hair")


def test_less_is_not_found_inside_words():
    assert isinstance(parse("less"), Less)
    assert edit("hairless").target == "bald face"
    assert edit("bald").target == "bald face"
    got = edit("less hair")
    assert (got.target, got.neutral) == ("face with less hair", "face with hair")


def test_factor_words_are_ordered():
    bit, plain, much = (parse(t) for t in ("a bit more", "more", "much more"))
    assert 1 < bit.factor < plain.factor < much.factor
    bit, plain, much = (parse(t) for t in ("a bit less", "less", "much less"))
    assert 1 > bit.factor > plain.factor > much.factor
    assert parse("more").factor * parse("less").factor == pytest.approx(1)


@pytest.mark.parametrize(
    ("text", "factor"),
    [("more x2", 2.0), ("2x", 2.0), ("x1.5", 1.5), ("more ×3", 3.0), ("/more@MyBot x2", 2.0),
     ("more x1", P.MIN_FACTOR), ("more x100", P.MAX_FACTOR), ("less x2", 0.5), ("less x100", 1 / P.MAX_FACTOR)],
)
def test_numeric_factors_are_read_and_clamped(text, factor):
    assert parse(text).factor == pytest.approx(factor)


def test_strength_words():
    assert edit("make him look a bit older").strength == P.WEAK
    assert edit("make him look much older").strength == P.STRONG
    assert edit("make him older").strength is None
    assert edit("smile more").strength == P.STRONG
    less = edit("smile less")
    assert (less.target, less.neutral) == ("face", "smiling face")


def test_length_limit_is_on_the_message_not_surrounding_spaces():
    assert parse("x" * (MAX_LENGTH + 1)).reason == "too_long"
    assert parse("x" * MAX_LENGTH).reason == "nonsense"
    assert isinstance(parse("make it cuter" + " " * 400), Edit)


def test_unsafe_words_match_whole_words_only():
    assert parse("make her naked").reason == "unsafe"
    assert parse("add blood to the face").reason == "unsafe"
    assert isinstance(parse("add a bloodhound"), Edit)
    assert isinstance(parse("make him look like he is from essex"), Edit)


def test_emoji_only_against_emoji_with_words():
    assert parse("😀🎉").reason == "emoji_only"
    assert parse("👍🏽").reason == "emoji_only"                # with a skin-tone modifier
    assert edit("make it cuter 🙂").target == "cute face"


def test_slash_commands():
    assert parse("/start") == Start()
    assert parse("/start deep-link-payload") == Start()
    unknown = parse("/frobnicate@MyBot")
    assert unknown.reason == "nonsense" and "/frobnicate" in unknown.message and "/help" in unknown.message
    assert "drop" in parse("/drop").message


def test_refusal_messages_are_short_and_suggest_something():
    for text in ("", "😀", "asdfgh", "x" * 400, "make her naked"):
        got = parse(text)
        assert isinstance(got, Refusal)
        assert 0 < len(got.message) <= 160
        assert '"' in got.message                            # an example to try instead


def test_results_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        edit("smile").target = "frowning face"


def test_hairstyle_and_celebrity_targets_name_a_released_mapper():
    from engine.editing.registry import RELEASED_MAPPERS, MapperRegistry

    registry = MapperRegistry({name: Path(f"{name}.pt") for name in RELEASED_MAPPERS})
    for text, name in [("give her a mohawk", "mohawk"), ("afro", "afro"), ("give her a bob cut", "bobcut"),
                       ("bowl cut", "bowlcut"), ("make him angry", "angry"), ("look surprised", "surprised"),
                       ("make her look like beyonce", "beyonce"), ("turn him into trump", "trump"),
                       ("like taylor swift", "taylor_swift"), ("look like zuckerberg", "zuckerberg")]:
        spec = registry.by_alias(edit(text).target)
        assert spec is not None and spec.name == name, text


def test_dialog_does_not_import_the_engine():
    code = "import sys, bot.dialog; sys.exit(any(m.split('.')[0] in ('engine', 'torch') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parents[2]).returncode == 0
