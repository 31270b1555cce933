"""The bot's two languages: English and Simplified Chinese, through gettext catalogues (Babel).

Every sentence the bot sends is an English message id in `bot/locale/<language>/LC_MESSAGES/messages.po`,
with `{placeholders}` filled after translation. The `.mo` files are compiled when the package is built or
installed (`setup.py`); a missing or stale one is compiled from its `.po` on first use, so a checkout runs.

The reply language is set per event (`speaking`), so the sentences' own code needs no language argument.
"""

from __future__ import annotations

import functools
import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

log = logging.getLogger(__name__)

ENGLISH, CHINESE = "en", "zh_Hans"
LANGUAGES = (ENGLISH, CHINESE)
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_language: ContextVar[str] = ContextVar("reply_language", default=ENGLISH)


def N_(message: str) -> str:
    """Marks a sentence for the catalogue where it is defined; translated later, where it is said."""
    return message


def catalogue_path(language: str, suffix: str = ".po") -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def compile_catalogue(po: Path, mo: Path | None = None) -> bytes:
    """The compiled form of a `.po` file; also written to `mo` when given (and writable)."""
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parents[1].name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    if mo is not None:
        try:
            mo.write_bytes(buffer.getvalue())
        except OSError as exc:              # an installed package may be read-only: use it from memory
            log.debug("could not write %s: %s", mo, exc)
    return buffer.getvalue()


def compile_all(target_root: Path) -> list[Path]:
    """Compile every catalogue to `<target_root>/bot/locale/<language>/LC_MESSAGES/messages.mo` (the build step)."""
    written = []
    for po in sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        mo = target_root / po.relative_to(LOCALE_DIR.parents[1]).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        compile_catalogue(po, mo)
        written.append(mo)
    return written


@functools.cache
def translations(language: str) -> Translations:
    """The language's compiled catalogue, compiled from its `.po` first when missing or older."""
    po, mo = catalogue_path(language), catalogue_path(language, ".mo")
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as compiled:
            return Translations(compiled, domain=DOMAIN)
    return Translations(io.BytesIO(compile_catalogue(po, mo)), domain=DOMAIN)


def language_for(platform_code: str | None, text: str | None = None) -> str:
    """The reply language: the platform's (Telegram `language_code`, Discord `locale`) when it is one of
    ours, else the script of the person's message, else English.

    Args:
        platform_code: "zh-hans", "zh-CN", "en-US", "fr", ... or None.
        text: what the person wrote, if anything.
    """
    code = (platform_code or "").strip().lower().replace("_", "-")
    if code.startswith("zh"):
        return CHINESE
    if code.startswith("en"):
        return ENGLISH
    return CHINESE if text and _HAN.search(text) else ENGLISH


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Say everything inside in `language` (one of `LANGUAGES`; anything else means English)."""
    token = _language.set(language if language in LANGUAGES else ENGLISH)
    try:
        yield
    finally:
        _language.reset(token)


def current() -> str:
    return _language.get()


def _(message: str, **params: object) -> str:
    """`message` in the current language, its `{placeholders}` filled in."""
    text = translations(_language.get()).gettext(message)
    return text.format(**params) if params else text


def translate(language: str, message: str, **params: object) -> str:
    """`message` in `language`, outside any event (an adapter's own answer)."""
    with speaking(language):
        return _(message, **params)


def ngettext(singular: str, plural: str, number: int, /, **params: object) -> str:
    """The singular or plural form for `number` in the current language (Chinese has one form); `{count}` in
    the sentence is `number` unless `params` gives another (a formatted one)."""
    text = translations(_language.get()).ngettext(singular, plural, number)
    return text.format(**{"count": number, **params})
