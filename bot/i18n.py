"""The bot's four languages: gettext catalogs read with Babel, and locale-aware numbers.

Catalogs are plain ``.po`` files shipped in ``bot/locales`` (one per language,
``msgid`` is the English text, ``{name}`` placeholders). They are compiled in memory
at start with Babel, so there is no build step and no ``.mo`` file to forget. Numbers
go through Babel's CLDR data (grouping and decimal symbols per locale); Persian also
gets Persian digits, which CLDR names as its default numbering system.
"""

from __future__ import annotations

import gettext
import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES: tuple[str, ...] = ("en", "fa", "tr", "ru")
DEFAULT_LANGUAGE = "en"
LOCALES_DIR = Path(__file__).with_name("locales")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_LRM = "\u200e"


def places_of(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@dataclass(frozen=True)
class Lang:
    """One language: translate a message, format numbers and times for it."""

    code: str
    translations: gettext.NullTranslations

    @property
    def rtl(self) -> bool:
        return self.code == "fa"

    def __call__(self, message: str, **params: Any) -> str:
        text = self.translations.gettext(message)
        return text.format(**params) if params else text

    def plural(self, singular: str, plural: str, n: int, **params: Any) -> str:
        text = self.translations.ngettext(singular, plural, n)
        return text.format(n=self.integer(n), **params)

    def digits(self, text: str) -> str:
        return text.translate(_PERSIAN_DIGITS) if self.code == "fa" else text

    def number(self, value: Decimal, places: int | None = None, *, sign: bool = False) -> str:
        """Grouped, with exactly ``places`` decimals (or the value's own when None)."""
        shown = places_of(value) if places is None else max(places, 0)
        pattern = "#,##0" + ("." + "0" * shown if shown else "")
        if sign:
            pattern = "+" + pattern + ";-" + pattern
        locale = Locale.parse(self.code)
        text = format_decimal(
            value,
            format=pattern,
            locale=locale,
            decimal_quantization=True,
            numbering_system=locale.default_numbering_system if self.code == "fa" else "latn",
        )
        text = self.digits(text)
        # Keep signed numbers left-to-right inside right-to-left Persian text.
        return _LRM + text if self.rtl and sign else text

    def integer(self, n: int) -> str:
        return self.number(Decimal(n), 0)

    def time(self, when: datetime) -> str:
        return self.digits(when.strftime("%Y-%m-%d %H:%M:%S UTC"))

    def clock(self, when: datetime) -> str:
        return self.digits(when.strftime("%H:%M:%S"))


def _load(code: str) -> gettext.NullTranslations:
    path = LOCALES_DIR / f"{code}.po"
    if code == DEFAULT_LANGUAGE or not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class I18n:
    def __init__(self) -> None:
        self._langs = {code: Lang(code, _load(code)) for code in LANGUAGES}

    def get(self, code: str | None) -> Lang:
        return self._langs.get(self.pick(code), self._langs[DEFAULT_LANGUAGE])

    @staticmethod
    def pick(language_code: str | None) -> str:
        """Telegram's ``language_code`` (``fa``, ``pt-br``, ``ru-RU``) → one of ours."""
        if not language_code:
            return DEFAULT_LANGUAGE
        base = language_code.replace("_", "-").split("-")[0].lower()
        return base if base in LANGUAGES else DEFAULT_LANGUAGE


# How messages are marked in the source: ``lang("…")`` translates now, ``N_("…")``
# marks for later, ``UsageError(command, "…")`` carries a message translated when shown.
KEYWORDS: dict[str, Any] = {"lang": None, "N_": None, "UsageError": (2,)}
SOURCE_DIRS = ("bot", "handlers")


def extract_messages(root: Path) -> dict[str, list[tuple[str, int]]]:
    """Every message id marked in the product's source, with where it appears."""
    from babel.messages.extract import extract_from_dir

    found: dict[str, list[tuple[str, int]]] = {}
    for folder in SOURCE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(root / folder),
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
            comment_tags=(),
            strip_comment_tags=True,
        ):
            if isinstance(message, str) and message:
                found.setdefault(message, []).append((f"{folder}/{filename}", lineno))
    return found
