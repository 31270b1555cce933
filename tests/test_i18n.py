"""The message catalogues: every sentence the code marks is in both languages, with the same placeholders,
and the compiled catalogues say it in the language asked for."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot import i18n

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def marked() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "bot", [("**.py", "python")], keywords=KEYWORDS, comment_tags=()
    ):
        found.update([message] if isinstance(message, str) else message)
    return found


def catalogue(language: str):
    with i18n.catalogue_path(language).open("rb") as source:
        return read_po(source, locale=language)


def placeholders(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}


def forms(message) -> list[tuple[str, str]]:
    """(id, translation) pairs, plural forms included."""
    ids = [message.id] if isinstance(message.id, str) else list(message.id)
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    return [(ids[min(i, len(ids) - 1)], text) for i, text in enumerate(strings)]


def test_the_code_marks_many_sentences():
    assert len(marked()) >= 15


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_marked_sentence_is_translated(language):
    entries = {message.id if isinstance(message.id, str) else message.id[0]: message
               for message in catalogue(language) if message.id}
    ids = {part for message in catalogue(language) if message.id
           for part in ([message.id] if isinstance(message.id, str) else message.id)}
    missing = marked() - ids
    assert not missing, f"not in the {language} catalogue (run scripts/catalogue.py): {sorted(missing)[:5]}"
    untranslated = [key for key, message in entries.items() if not all(text for _id, text in forms(message))]
    assert not untranslated, untranslated[:5]
    assert not [key for key, message in entries.items() if message.fuzzy]


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_placeholders_match(language):
    """A translation has the placeholders of its id (of the singular or the plural, for plural forms)."""
    for message in catalogue(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        for _msgid, text in forms(message):
            assert placeholders(text) in [placeholders(msgid) for msgid in ids], (language, message.id, text)


def test_chinese_translations_are_chinese():
    han = re.compile(r"[\u4e00-\u9fff]")
    for message in catalogue(i18n.CHINESE):
        for _msgid, text in forms(message):
            if message.id:
                assert han.search(text), text


def test_sentences_are_said_in_the_language_asked_for():
    with i18n.speaking(i18n.CHINESE):
        assert i18n._("Redone: {text}.", text="微笑") == "已重做：微笑。"
    with i18n.speaking(i18n.ENGLISH):
        assert i18n._("Redone: {text}.", text="smile") == "Redone: smile."
    with i18n.speaking("fr"):                           # not one of ours: English
        assert i18n._("Redone: {text}.", text="smile") == "Redone: smile."
    assert i18n.current() == i18n.ENGLISH               # outside, back to the default


@pytest.mark.parametrize(
    ("code", "text", "language"),
    [("zh-hans", "smile", "zh_Hans"), ("zh-CN", None, "zh_Hans"), ("zh_TW", None, "zh_Hans"), ("en", "微笑", "en"),
     ("en-US", None, "en"), ("fr", "微笑", "zh_Hans"), (None, "微笑", "zh_Hans"), (None, "smile", "en"),
     ("", None, "en"), ("de", "lächeln", "en")],
)
def test_reply_language(code, text, language):
    assert i18n.language_for(code, text) == language


def test_plural_forms_in_both_languages():
    from datetime import timedelta

    from bot.core import wording

    assert wording.forgotten(1).startswith("Done: deleted 1 photo and all its edits")
    assert wording.forgotten(3).startswith("Done: deleted 3 photos and all their edits")
    assert "after 1 day without use" in wording.privacy(timedelta(days=1))
    assert "after 1.5 days without use" in wording.privacy(timedelta(days=1.5))
    with i18n.speaking(i18n.CHINESE):
        assert wording.forgotten(3).startswith("完成：已删除 3 张照片")
        assert "30 天" in wording.privacy(timedelta(days=30))
        assert wording.history(2, ["微笑"]) == "这张照片有 2 处修改。已撤销（“重做”可以找回）：微笑。"


def test_a_catalogue_compiles_to_what_gettext_reads(tmp_path):
    mo = tmp_path / "messages.mo"
    data = i18n.compile_catalogue(i18n.catalogue_path(i18n.CHINESE), mo)
    assert mo.read_bytes() == data and data[:4] in (b"\xde\x12\x04\x95", b"\x95\x04\x12\xde")


def test_the_build_step_compiles_every_catalogue(tmp_path):
    written = i18n.compile_all(tmp_path)
    assert sorted(path.relative_to(tmp_path).as_posix() for path in written) == [
        f"bot/locale/{language}/LC_MESSAGES/messages.mo" for language in sorted(i18n.LANGUAGES)
    ]
    assert "cmdclass" in (ROOT / "setup.py").read_text() and "compile_all" in (ROOT / "setup.py").read_text()
