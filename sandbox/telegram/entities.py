"""MessageEntity arithmetic: UTF-16 offsets, entities Telegram finds by itself, trimming.

Telegram measures entity offsets and lengths in UTF-16 code units, so an emoji counts two;
python-telegram-bot slices text with those numbers, so getting them wrong breaks commands
and arguments in exactly the messages (emoji, Persian digits) a real bot will see.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any


def utf16_len(text: str) -> int:
    # The codec counts as fast as C can: two bytes per code unit, four per astral char.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class Entity:
    """A parsed entity; ``offset`` and ``length`` are UTF-16 code units."""

    type: str
    offset: int
    length: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_api(self) -> dict[str, Any]:
        return {"offset": self.offset, "length": self.length, "type": self.type, **self.extra}


# Priorities from TDLib's MessageEntity::get_type_priority: lower sorts first on equal spans.
_PRIORITY = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "text_link": 49,
    "text_mention": 49,
    "cashtag": 50,
    "phone_number": 50,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "expandable_blockquote": 0,
    "spoiler": 94,
    "custom_emoji": 99,
}


def sort_entities(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e.offset, -e.length, _PRIORITY.get(e.type, 50)))


def _is_word_char(ch: str) -> bool:
    return ch == "_" or unicodedata.category(ch)[0] in ("L", "N")


def _is_hashtag_char(ch: str) -> bool:
    code = ord(ch)
    if ch == "_" or code in (0x200C, 0xB7) or 0xD80 <= code <= 0xDFF:
        return True
    return unicodedata.category(ch) == "Nd" or unicodedata.category(ch)[0] == "L"


_ALNUM_UNDERSCORE = re.compile(r"[A-Za-z0-9_]*")
_URL = re.compile(
    r"(?<![\w@/.])(?:https?://)?(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
    r"(?::\d{1,5})?(?:/[^\s]*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,24}(?![\w.-])", re.IGNORECASE)


def _spans_bot_commands(text: str) -> list[tuple[int, int]]:
    """TDLib's match_bot_commands: ``/cmd`` (1-64 chars) with an optional ``@botname``."""
    spans = []
    pos = text.find("/")
    while pos != -1:
        prev = text[pos - 1] if pos > 0 else ""
        start = pos
        pos += 1
        if prev and (_is_word_char(prev) or prev in "/<>"):
            pos = text.find("/", pos)
            continue
        cmd = _ALNUM_UNDERSCORE.match(text, pos)
        end = cmd.end() if cmd else pos
        ok = 1 <= end - pos <= 64
        if ok and end < len(text) and text[end] == "@":
            mention = _ALNUM_UNDERSCORE.match(text, end + 1)
            mention_end = mention.end() if mention else end + 1
            ok = 3 <= mention_end - end - 1 <= 32
            end = mention_end
        nxt = text[end] if end < len(text) else ""
        if ok and not (nxt and (_is_word_char(nxt) or nxt in "/<>")):
            spans.append((start, end))
        pos = text.find("/", max(end, pos))
    return spans


def _spans_mentions(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in re.finditer("@", text):
        start = match.start()
        if start > 0 and _is_word_char(text[start - 1]):
            continue
        name = _ALNUM_UNDERSCORE.match(text, start + 1)
        end = name.end() if name else start + 1
        if not 2 <= end - start - 1 <= 32:
            continue
        if end < len(text) and _is_word_char(text[end]):
            continue
        spans.append((start, end))
    return spans


def _spans_tags(text: str, sigil: str) -> list[tuple[int, int]]:
    """Hashtags (``#`` + letters, at least one being a letter) and cashtags (``$`` + A-Z)."""
    spans = []
    for match in re.finditer(re.escape(sigil), text):
        start = match.start()
        if start > 0 and (_is_hashtag_char(text[start - 1]) or text[start - 1] == sigil == "$"):
            continue
        end = start + 1
        if sigil == "#":
            while end < len(text) and _is_hashtag_char(text[end]) and end - start <= 256:
                end += 1
            body = text[start + 1 : end]
            if not body or (end < len(text) and text[end] == "#"):
                continue
            if not any(unicodedata.category(ch)[0] == "L" for ch in body):
                continue
        else:
            if text.startswith("1INCH", end):
                end += 5
            else:
                while end < len(text) and "A" <= text[end] <= "Z":
                    end += 1
            if not 1 <= end - start - 1 <= 8:
                continue
            if end < len(text) and (_is_hashtag_char(text[end]) or text[end] == "$"):
                continue
        spans.append((start, end))
    return spans


def find_entities(text: str) -> list[Entity]:
    """Entities Telegram detects in plain text: commands, mentions, tags, links, e-mails."""
    found: list[tuple[int, int, str]] = []
    found += [(s, e, "mention") for s, e in _spans_mentions(text)]
    found += [(s, e, "bot_command") for s, e in _spans_bot_commands(text)]
    found += [(s, e, "hashtag") for s, e in _spans_tags(text, "#")]
    found += [(s, e, "cashtag") for s, e in _spans_tags(text, "$")]
    found += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    found += [(m.start(), m.end(), "url") for m in _URL.finditer(text)]
    found.sort(key=lambda span: (span[0], -(span[1] - span[0])))
    kept: list[tuple[int, int, str]] = []
    last_end = 0
    for start, end, kind in found:
        if start >= last_end:
            kept.append((start, end, kind))
            last_end = end
    return [
        Entity(kind, utf16_len(text[:start]), utf16_len(text[start:end]))
        for start, end, kind in kept
    ]


_TRIMMED = " \t\n\r\x0b\x0c\u00a0\u3000" + "".join(chr(c) for c in range(0x2000, 0x200B))


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace as Telegram does, moving and clipping entities with it."""
    stripped_left = text.lstrip(_TRIMMED)
    result = stripped_left.rstrip(_TRIMMED)
    shift = utf16_len(text) - utf16_len(stripped_left)
    limit = utf16_len(result)
    kept = []
    for entity in entities:
        start = max(entity.offset - shift, 0)
        end = min(entity.offset + entity.length - shift, limit)
        if end > start:
            kept.append(Entity(entity.type, start, end - start, dict(entity.extra)))
    return result, sort_entities(kept)
