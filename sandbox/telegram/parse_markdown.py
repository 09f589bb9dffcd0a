"""MarkdownV2 and legacy Markdown parse modes, ported from TDLib.

MarkdownV2 is strict: every reserved character outside an entity must be escaped, which
is the usual way a bot's message with a price like ``1.5`` gets refused.
"""

from __future__ import annotations

import re
from typing import Any

from .entities import Entity, sort_entities
from .errors import entity_error
from .parse_common import SPACE, OpenEntity, byte_offset, checked_link, width

_TD_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}
_EMOJI_URL = re.compile(r"^tg://emoji\?id=(\d+)$")


def _reserved(ch: str) -> Exception:
    return entity_error(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")


def _td_name(entry: OpenEntity) -> str:
    if entry.kind == "pre" and entry.argument:
        return "PreCode"
    return _TD_NAMES[entry.kind]


def _read_url(s: str, i: int, n: int) -> tuple[str, int]:
    url: list[str] = []
    while i < n and s[i] != ")":
        if s[i] == "\\" and 0 < ord(s[i + 1]) <= 126:
            url.append(s[i + 1])
            i += 2
            continue
        url.append(s[i])
        i += 1
    return "".join(url), i


def parse_markdown_v2(source: str) -> tuple[str, list[Entity]]:
    s = source + "\0\0\0"
    n = len(source)
    out: list[str] = []
    utf16 = 0
    entities: list[Entity] = []
    stack: list[OpenEntity] = []
    have_blockquote = False
    i = 0
    while i < n:
        c = s[i]
        if c == "\\" and 0 < ord(s[i + 1]) <= 126:
            out.append(s[i + 1])
            utf16 += 1
            i += 2
            continue
        in_code = bool(stack) and stack[-1].kind in ("code", "pre")
        reserved = "`" if in_code else "_*[]()~`>#+-=|{}.!\n"
        if c not in reserved:
            out.append(c)
            utf16 += width(c)
            i += 1
            continue
        is_end = False
        if stack:
            top_kind = stack[-1].kind
            if have_blockquote and c == "\n" and (i + 1 == n or s[i + 1] != ">"):
                is_end = True
            elif top_kind == "bold":
                is_end = c == "*"
            elif top_kind == "italic":
                is_end = c == "_" and s[i + 1] != "_"
            elif top_kind == "code":
                is_end = c == "`"
            elif top_kind == "pre":
                is_end = c == "`" and s[i + 1] == "`" and s[i + 2] == "`"
            elif top_kind in ("text_link", "custom_emoji"):
                is_end = c == "]"
            elif top_kind == "underline":
                is_end = c == "_" and s[i + 1] == "_"
            elif top_kind == "strikethrough":
                is_end = c == "~"
            elif top_kind == "spoiler":
                is_end = c == "|" and s[i + 1] == "|"
        if not is_end:
            opened_at = byte_offset(source, i)
            kind = ""
            argument = ""
            if c == "_":
                if s[i + 1] == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if s[i + 1] != "|":
                    raise _reserved(c)
                i += 1
                kind = "spoiler"
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if s[i + 1] == "`" and s[i + 2] == "`":
                    i += 3
                    kind = "pre"
                    lang_end = i
                    while s[lang_end] not in SPACE and s[lang_end] != "`":
                        lang_end += 1
                    if i != lang_end and lang_end < n and s[lang_end] != "`":
                        argument = s[i:lang_end]
                        i = lang_end
                    if s[i] in "\n\r":
                        if s[i + 1] in "\n\r" and s[i] != s[i + 1]:
                            i += 2
                        else:
                            i += 1
                    i -= 1
                else:
                    kind = "code"
            elif c == "!":
                if s[i + 1] != "[":
                    raise _reserved(c)
                i += 1
                kind = "custom_emoji"
            elif c == "\n":
                out.append("\n")
                utf16 += 1
                if i + 1 < n and s[i + 1] == ">":
                    i += 1
                    if not have_blockquote:
                        kind = "blockquote"
                        have_blockquote = True
            elif c == ">" and i == 0:
                kind = "blockquote"
                have_blockquote = True
            else:
                raise _reserved(c)
            if kind:
                stack.append(OpenEntity(kind, argument, utf16, opened_at, len(out)))
            i += 1
            continue
        top = stack[-1]
        if c == "\n" and top.kind != "blockquote":
            raise entity_error(
                f"Can't find end of {_td_name(top)} entity at byte offset {top.byte_offset}"
            )
        skip = utf16 == top.offset
        extra: dict[str, Any] = {}
        kind = top.kind
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
            if top.argument:
                extra["language"] = top.argument
        elif kind == "text_link":
            if s[i + 1] != "(":
                url = "".join(out[top.out_len :])
            else:
                url_begin = i + 2
                url, i = _read_url(s, i + 2, n)
                if s[i] != ")":
                    raise entity_error(
                        f"Can't find end of a URL at byte offset {byte_offset(source, url_begin)}"
                    )
            link = checked_link(url)
            if link is None:
                skip = True
            else:
                extra["url"] = link
        elif kind == "custom_emoji":
            if s[i + 1] != "(":
                raise entity_error("Custom emoji entity must contain a tg://emoji URL")
            url_begin = i + 2
            url, i = _read_url(s, i + 2, n)
            if s[i] != ")":
                raise entity_error(
                    "Can't find end of a custom emoji URL at byte offset "
                    f"{byte_offset(source, url_begin)}"
                )
            emoji = _EMOJI_URL.match(url)
            if emoji is None:
                raise entity_error("Custom emoji URL must have an emoji identifier")
            extra["custom_emoji_id"] = emoji.group(1)
        elif kind == "blockquote":
            have_blockquote = False
            out.append(c)
            utf16 += 1
        if not skip:
            entities.append(Entity(kind, top.offset, utf16 - top.offset, extra))
        stack.pop()
        i += 1
    if have_blockquote and stack and stack[-1].kind == "blockquote":
        top = stack.pop()
        if utf16 != top.offset:
            entities.append(Entity("blockquote", top.offset, utf16 - top.offset))
    if stack:
        top = stack[-1]
        raise entity_error(
            f"Can't find end of {_td_name(top)} entity at byte offset {top.byte_offset}"
        )
    return "".join(out), sort_entities(entities)


def parse_markdown(source: str) -> tuple[str, list[Entity]]:
    """Legacy ``Markdown``: only ``*bold*``, ``_italic_``, code, pre and links, no nesting."""
    s = source + "\0\0\0"
    n = len(source)
    out: list[str] = []
    utf16 = 0
    entities: list[Entity] = []
    i = 0
    while i < n:
        c = s[i]
        if c == "\\" and s[i + 1] in "_*`[":
            out.append(s[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in "_*`[":
            out.append(c)
            utf16 += width(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = ""
        i += 1
        if c == "`" and s[i] == "`" and s[i + 1] == "`":
            i += 2
            is_pre = True
            lang_end = i
            while s[lang_end] not in SPACE and s[lang_end] != "`":
                lang_end += 1
            if i != lang_end and lang_end < n and s[lang_end] != "`":
                language = s[i:lang_end]
                i = lang_end
            if s[i] in "\n\r":
                i += 2 if s[i + 1] in "\n\r" and s[i] != s[i + 1] else 1
        offset = utf16
        while i < n and (s[i] != end_char or (is_pre and not (s[i + 1] == "`" == s[i + 2]))):
            out.append(s[i])
            utf16 += width(s[i])
            i += 1
        if i >= n:
            raise entity_error(
                f"Can't find end of the entity starting at byte offset {byte_offset(source, begin)}"
            )
        if offset != utf16:
            length = utf16 - offset
            if c == "_":
                entities.append(Entity("italic", offset, length))
            elif c == "*":
                entities.append(Entity("bold", offset, length))
            elif c == "[":
                if s[i + 1] != "(":
                    url = source[begin + 1 : i]
                else:
                    i += 2
                    start = i
                    while i < n and s[i] != ")":
                        i += 1
                    url = source[start:i]
                link = checked_link(url)
                if link:
                    entities.append(Entity("text_link", offset, length, {"url": link}))
            elif is_pre:
                extra = {"language": language} if language else {}
                entities.append(Entity("pre", offset, length, extra))
            else:
                entities.append(Entity("code", offset, length))
        if is_pre:
            i += 2
        i += 1
    return "".join(out), sort_entities(entities)
