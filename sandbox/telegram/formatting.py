"""parse_mode dispatch and explicit ``entities``: the text and entities Telegram stores.

The parsers themselves live in ``parse_html`` and ``parse_markdown``; this module adds
what Telegram does around them: choosing by parse_mode, accepting pre-built entities and
detecting links, mentions and commands in the resulting plain text.
"""

from __future__ import annotations

from typing import Any

from .entities import Entity, find_entities, sort_entities, utf16_len
from .errors import bad_request
from .parse_html import parse_html
from .parse_markdown import parse_markdown, parse_markdown_v2

_ENTITY_TYPES = frozenset(
    [
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    ]
)
_OPAQUE = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})


def _explicit_entities(raw: Any, text: str) -> list[Entity]:
    if not isinstance(raw, list):
        raise bad_request("can't parse entities JSON object")
    limit = utf16_len(text)
    result = []
    for item in raw:
        if not isinstance(item, dict) or item.get("type") not in _ENTITY_TYPES:
            raise bad_request("can't parse MessageEntity JSON object")
        offset, length = item.get("offset"), item.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0:
            raise bad_request("can't parse MessageEntity JSON object")
        length = min(length, limit - offset)
        if length <= 0:
            continue
        extra = {k: v for k, v in item.items() if k not in ("type", "offset", "length")}
        result.append(Entity(str(item["type"]), offset, length, extra))
    return sort_entities(result)


def format_text(
    text: str, parse_mode: str | None, entities: Any = None
) -> tuple[str, list[Entity]]:
    """Text and entities as Telegram stores them, including the links and mentions it finds."""
    if entities is not None:
        plain, parsed = text, _explicit_entities(entities, text)
    elif not parse_mode:
        plain, parsed = text, []
    else:
        mode = parse_mode.lower()
        if mode == "html":
            plain, parsed = parse_html(text)
        elif mode == "markdownv2":
            plain, parsed = parse_markdown_v2(text)
        elif mode == "markdown":
            plain, parsed = parse_markdown(text)
        else:
            raise bad_request("unsupported parse_mode")
    blocked = [(e.offset, e.offset + e.length) for e in parsed if e.type in _OPAQUE]
    for found in find_entities(plain):
        end = found.offset + found.length
        if all(end <= lo or found.offset >= hi for lo, hi in blocked):
            parsed.append(found)
    return plain, sort_entities(parsed)
