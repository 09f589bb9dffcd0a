"""Extract every user-visible message into bot/locales/sarraf.pot and merge it into the
fa, tr and ru catalogs (new messages appear untranslated; tests/unit/test_catalogs.py
fails until they are translated).

Run from the repository root: ``python scripts/update_catalogs.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.i18n import LANGUAGES, LOCALES_DIR, extract_messages  # noqa: E402


def main() -> None:
    template = Catalog(project="sarraf", charset="utf-8")
    for message, locations in extract_messages(ROOT).items():
        template.add(message, locations=locations, flags=("python-brace-format",))
    with (LOCALES_DIR / "sarraf.pot").open("wb") as fh:
        write_po(fh, template, omit_header=False, sort_output=True)
    for code in LANGUAGES:
        if code == "en":
            continue
        path = LOCALES_DIR / f"{code}.po"
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=code)
        else:
            catalog = Catalog(locale=code, project="sarraf", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, sort_output=True, ignore_obsolete=True)
        missing = sum(1 for m in catalog if m.id and not m.string)
        print(f"{code}: {len(catalog) - 1} messages, {missing} untranslated")


if __name__ == "__main__":
    main()
