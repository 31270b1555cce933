"""The parser as an ordered list of named rules: names, order, and the debug log of which rule fired."""

from __future__ import annotations

import logging

import pytest

from bot.dialog import Refusal, SeveralEdits, parse
from bot.dialog.parse import RULES, SINGLE_RULES
from bot.dialog.rules import chinese, commands, frames, normalise


def test_rule_names_are_unique_and_name_their_stage():
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert {name.split(".")[0] for name in names} <= {"normalise", "commands", "frames", "concepts", "chinese"}


def test_stages_run_in_order_normalise_commands_frames_concepts():
    names = [rule.name for rule in SINGLE_RULES]
    assert names[0].startswith("normalise.")
    assert names[-1] == "concepts.not_understood"
    assert names.index(commands.DROP.name) < names.index("frames.edit")
    assert names.index(normalise.GIBBERISH.name) < names.index(commands.DROP.name)
    assert names.index(chinese.EDIT.name) < names.index(chinese.NOT_READ.name) < names.index("frames.edit")


def test_the_rule_that_fired_is_logged_without_the_text(caplog):
    with caplog.at_level(logging.DEBUG, logger="bot.dialog"):
        parse("give him a secret-beard-word")
        parse("undo")
    fired = [record.getMessage() for record in caplog.records]
    assert any("frames.add" in line for line in fired), fired
    assert any("commands.phrase" in line for line in fired), fired
    assert not any("secret" in line for line in fired)


def test_frames_take_modifiers_off_before_reading():
    wanted = frames.request("make it a bit cuter more")
    assert wanted is not None
    assert (wanted.plain, wanted.strength, wanted.tails) == ("make it cuter", 0.5, ("more",))
    assert frames.request("make it") is None


def test_a_modifier_that_cannot_apply_is_refused_not_guessed():
    assert parse("turn into a lion less").reason == "nonsense"


@pytest.mark.parametrize(
    ("text", "targets"),
    [
        ("smile and add glasses", ["smiling face", "face with glasses"]),
        ("make her older, then purple hair", ["old face", "face with purple hair"]),
        ("add a beard; make him bald", ["face with a beard", "bald face"]),
        ("make it cuter and then give him a mohawk", ["cute face", "mohawk hairstyle"]),
        ("smile & close her eyes", ["smiling face", "face with closed eyes"]),
        ("微笑并戴上眼镜", ["smiling face", "face with glasses"]),
        ("变老，然后紫色头发", ["old face", "face with purple hair"]),
        ("加胡子再戴眼镜", ["face with a beard", "face with glasses"]),
        ("卷发、化妆", ["face with curly hair", "face with makeup"]),
    ],
)
def test_several_edits_in_one_message(text, targets):
    got = parse(text)
    assert isinstance(got, SeveralEdits), got
    assert [part.target for part in got.parts] == targets


@pytest.mark.parametrize(
    "text",
    ["salt and pepper hair", "add salt and pepper hair", "black and white", "before and after",
     "smile, please", "hey bot, make him older", "smile and undo", "再来点", "turn into a lion and a tiger"],
)
def test_a_message_is_split_only_when_every_part_is_an_edit(text):
    assert not isinstance(parse(text), SeveralEdits)


def test_too_many_edits_at_once_are_refused_kindly():
    got = parse("smile, add glasses, add a beard, purple hair, make him older, add a hat")
    assert isinstance(got, Refusal) and got.reason == "too_many" and "5" in got.message
