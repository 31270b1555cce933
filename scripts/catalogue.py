"""Refresh the message catalogues from the code: extract every marked sentence (`_`, `N_`, `ngettext`),
merge it into `bot/locale/{en,zh_Hans}/LC_MESSAGES/messages.po`, and copy English ids into the English
catalogue. Translations already there are kept; new Chinese entries are left empty and listed, to be filled.

    .venv/bin/python scripts/catalogue.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.i18n import CHINESE, DOMAIN, ENGLISH, LANGUAGES, catalogue_path  # noqa: E402

KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def template() -> Catalog:
    """Every sentence marked in `bot/`, in the order the files define them."""
    catalog = Catalog(domain=DOMAIN)
    method_map = [("**.py", "python")]
    for filename, _line, message, _comments, _context in extract_from_dir(
        ROOT / "bot", method_map, keywords=KEYWORDS, comment_tags=()
    ):
        catalog.add(message, locations=[(f"bot/{filename}", 0)])
    return catalog


def refresh(language: str, source: Catalog) -> list[str]:
    """Merge `source` into the language's catalogue; returns the ids still untranslated."""
    path = catalogue_path(language)
    if path.exists():
        with path.open("rb") as existing:
            catalog = read_po(existing, locale=language)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(locale=language, domain=DOMAIN, project="styleclip-bot", version="0.1",
                          copyright_holder="the styleclip-bot authors", fuzzy=False)
    created = catalog.creation_date
    catalog.update(source, no_fuzzy_matching=True)
    catalog.creation_date = catalog.revision_date = created     # stable headers: no diff without a change
    catalog.last_translator = catalog.language_team = "the styleclip-bot authors"
    catalog.msgid_bugs_address = ""
    catalog.header_comment = f"# The bot sentences ({language}): made by scripts/catalogue.py, translated by hand."
    missing = []
    for message in catalog:
        if not message.id:
            continue
        if language == ENGLISH:
            message.string = message.id
        elif not (all(message.string) if isinstance(message.string, tuple) else message.string):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    with path.open("wb") as out:
        write_po(out, catalog, no_location=True, omit_header=False, width=120, ignore_obsolete=True)
    return missing


def main() -> int:
    untranslated = 0
    for language in LANGUAGES:
        for message in refresh(language, template()):
            print(f"{language}: untranslated: {message!r}")
            untranslated += language == CHINESE
    return 1 if untranslated else 0


if __name__ == "__main__":
    sys.exit(main())
