"""Every Chinese phrasing parses to what its English twin parses to: the same CLIP texts, the same mapper."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.dialog import Edit, Less, More, Refusal, parse
from bot.dialog.phrases import MSG_CHINESE_NOT_KNOWN
from tests.dialog.corpus import R
from tests.dialog.corpus_zh import CORPUS_ZH


def test_corpus_is_large_and_unique():
    texts = [text for text, _ in CORPUS_ZH]
    assert len(texts) >= 150
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize(("text", "twin"), CORPUS_ZH, ids=[text for text, _ in CORPUS_ZH])
def test_phrasing(text, twin):
    got = parse(text)
    if isinstance(twin, R):
        assert isinstance(got, Refusal), got
        assert got.reason == twin.reason
        return
    if not isinstance(twin, str):
        assert got == twin
        return
    expected = parse(twin)
    assert type(got) is type(expected), (got, expected)
    if isinstance(expected, Edit):
        assert (got.target, got.neutral) == (expected.target, expected.neutral)
        assert got.strength == (None if expected.strength is None else pytest.approx(expected.strength))
        assert got.text == text.rstrip("？！。，吧").removeprefix("请帮我").removeprefix("请") or got.text
    elif isinstance(expected, More | Less):
        assert got.factor == pytest.approx(expected.factor)
    else:
        assert got == expected


def test_a_chinese_edit_keeps_the_persons_words_for_history():
    got = parse("请给他加胡子，谢谢")
    assert isinstance(got, Edit) and got.text == "给他加胡子"


def test_chinese_outside_the_table_is_refused_with_chinese_examples():
    got = parse("让他变成一只狮子")
    assert isinstance(got, Refusal) and got.reason == "language"
    assert got.template == MSG_CHINESE_NOT_KNOWN and "微笑" in got.message


def test_other_scripts_are_refused_not_sent_to_clip():
    for text in ("Сделай его старше", "ابتسم", "笑顔にして", "웃게 해줘", "χαμόγελο"):
        got = parse(text)
        assert isinstance(got, Refusal) and got.reason == "language", text


def test_accented_latin_is_still_english():
    assert parse("make her look like beyoncé").target == "Beyonce"
    assert isinstance(parse("café au lait skin"), Edit)


def test_hairstyle_and_celebrity_targets_reach_the_same_mapper_as_english():
    from engine.editing.registry import RELEASED_MAPPERS, MapperRegistry

    registry = MapperRegistry({name: Path(f"{name}.pt") for name in RELEASED_MAPPERS})
    for text, name in [("莫西干", "mohawk"), ("爆炸头", "afro"), ("波波头", "bobcut"), ("锅盖头", "bowlcut"),
                       ("让他生气", "angry"), ("惊讶", "surprised"), ("像碧昂丝", "beyonce"), ("变成特朗普", "trump"),
                       ("霉霉", "taylor_swift"), ("像扎克伯格", "zuckerberg")]:
        got = parse(text)
        assert isinstance(got, Edit), text
        spec = registry.by_alias(got.target)
        assert spec is not None and spec.name == name, text
