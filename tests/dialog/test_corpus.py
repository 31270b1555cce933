"""Every phrasing in the corpus parses to what the table says."""

from __future__ import annotations

import pytest

from bot.dialog import Edit, Less, More, Refusal, parse
from tests.dialog.corpus import CORPUS, E, R


def test_corpus_is_large_and_unique():
    texts = [text for text, _ in CORPUS]
    assert len(texts) >= 150
    assert len(set(texts)) == len(texts)


@pytest.mark.parametrize(("text", "expected"), CORPUS, ids=[repr(text)[:40] for text, _ in CORPUS])
def test_phrasing(text, expected):
    got = parse(text)
    if isinstance(expected, E):
        assert isinstance(got, Edit), got
        assert (got.target, got.neutral) == (expected.target, expected.neutral)
        if expected.strength is None:
            assert got.strength is None
        else:
            assert got.strength == pytest.approx(expected.strength)
    elif isinstance(expected, R):
        assert isinstance(got, Refusal), got
        assert got.reason == expected.reason
        assert got.message.strip()
    elif isinstance(expected, More | Less):
        assert type(got) is type(expected), got
        assert got.factor == pytest.approx(expected.factor)
    else:
        assert got == expected
