"""Merge new messages into the catalogs and fill their translations, under a lock.

Several developers (or helpers) working in one tree must not rewrite the catalogs at the
same time: ``scripts/update_catalogs.py`` rewrites every ``.po`` file whole. This script
takes an exclusive ``fcntl`` lock, runs that update, then fills the translations given in
a JSON file shaped ``{"English msgid": {"fa": "...", "tr": "...", "ru": "..."}}``.

Run from the repository root: ``python scripts/add_translations.py new.json``.
"""

from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from update_catalogs import main as update_catalogs  # noqa: E402

from bot.i18n import LANGUAGES, LOCALES_DIR  # noqa: E402


def fill(translations: dict[str, dict[str, str]]) -> None:
    for code in LANGUAGES:
        if code == "en":
            continue
        path = LOCALES_DIR / f"{code}.po"
        with path.open("rb") as fh:
            catalog = read_po(fh, locale=code)
        unknown = [msgid for msgid in translations if msgid not in catalog]
        if unknown:
            print(f"{code}: not in the source (yet): {unknown}")
        for message in catalog:
            entry = translations.get(str(message.id)) if message.id else None
            if entry and entry.get(code):
                message.string = entry[code]
        with path.open("wb") as fh:
            write_po(fh, catalog, sort_output=True, ignore_obsolete=True)


def main(argv: list[str]) -> None:
    translations: dict[str, dict[str, str]] = {}
    for name in argv:
        translations.update(json.loads(Path(name).read_text(encoding="utf-8")))
    with (LOCALES_DIR / ".catalogs.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        update_catalogs()
        fill(translations)


if __name__ == "__main__":
    main(sys.argv[1:])
