"""The fa, tr and ru catalogs translate every message the source marks, safely.

When a developer adds a message, ``scripts/update_catalogs.py`` merges it into the
catalogs untranslated and these tests name it until it is translated. A translation
must keep the message's ``{placeholders}`` and HTML tags, since the text is filled
with ``str.format`` and sent with Telegram's HTML parse mode.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, LOCALES_DIR, I18n, extract_messages

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [code for code in LANGUAGES if code != DEFAULT_LANGUAGE]
_TAG = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)\b[^>]*>")


@cache
def source_messages() -> tuple[str, ...]:
    return tuple(sorted(extract_messages(ROOT)))


@cache
def catalog(code: str) -> Catalog:
    with (LOCALES_DIR / f"{code}.po").open("rb") as fh:
        return read_po(fh, locale=code)


@cache
def i18n() -> I18n:
    return I18n()


def translation(code: str, msgid: str) -> str:
    message = catalog(code).get(msgid)
    if message is None or message.fuzzy or not isinstance(message.string, str):
        return ""
    return message.string


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def tags(text: str) -> Counter[str]:
    return Counter(match.group(0).lower() for match in _TAG.finditer(text))


def translated_messages(code: str) -> list[tuple[str, str]]:
    """(msgid, translation) for every source message the catalog translates."""
    pairs = [(msgid, translation(code, msgid)) for msgid in source_messages()]
    return [(msgid, text) for msgid, text in pairs if text.strip()]


def test_the_source_has_messages() -> None:
    assert len(source_messages()) > 50


def test_the_languages_are_the_expected_ones() -> None:
    assert TRANSLATED == ["fa", "tr", "ru"]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated(code: str) -> None:
    missing = [msgid for msgid in source_messages() if not translation(code, msgid).strip()]
    assert not missing, (
        f"{len(missing)} message(s) have no (or only a fuzzy) translation in {code}.po; "
        "run scripts/update_catalogs.py and translate:\n"
        + "\n".join(f"  {msgid!r}" for msgid in missing)
    )


@pytest.mark.parametrize("code", TRANSLATED)
def test_placeholders_are_kept(code: str) -> None:
    wrong = [
        f"  {msgid!r}: expected {sorted(placeholders(msgid))}, got {sorted(placeholders(text))}"
        for msgid, text in translated_messages(code)
        if placeholders(text) != placeholders(msgid)
    ]
    assert not wrong, f"{code}.po changes placeholders:\n" + "\n".join(wrong)


@pytest.mark.parametrize("code", TRANSLATED)
def test_html_tags_are_kept(code: str) -> None:
    wrong = [
        f"  {msgid!r}: expected {sorted(tags(msgid).elements())}, "
        f"got {sorted(tags(text).elements())}"
        for msgid, text in translated_messages(code)
        if tags(text) != tags(msgid)
    ]
    assert not wrong, f"{code}.po changes HTML tags:\n" + "\n".join(wrong)


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_translation_formats(code: str) -> None:
    lang = i18n().get(code)
    failures = []
    for msgid, _text in translated_messages(code):
        params = {name: "x" for name in placeholders(msgid)}
        try:
            lang(msgid, **params)
        except Exception as exc:  # collect every broken message
            failures.append(f"  {msgid!r}: {type(exc).__name__}: {exc}")
    assert not failures, f"{code}.po has translations that do not format:\n" + "\n".join(failures)


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_is_really_loaded(code: str) -> None:
    assert i18n().get(code)("Asks (sellers)") != "Asks (sellers)"
    assert i18n().get(code)("Usage: {usage}", usage="/lang fa") != "Usage: /lang fa"


def test_english_is_the_message_itself() -> None:
    assert i18n().get("en")("Asks (sellers)") == "Asks (sellers)"


@pytest.mark.parametrize(("code", "name"), [("fa", "فارسی"), ("tr", "Türkçe"), ("ru", "русском")])
def test_language_switch_names_the_new_language(code: str, name: str) -> None:
    assert name in i18n().get(code)("From now on I answer in English in this chat.")
