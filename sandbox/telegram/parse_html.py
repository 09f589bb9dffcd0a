"""HTML parse_mode, ported from TDLib's parse_html.

Only Telegram's tags are accepted and every error names a UTF-8 byte offset, exactly as
the Bot API reports it after ``Bad Request: can't parse entities:``.
"""

from __future__ import annotations

from .entities import Entity, sort_entities
from .errors import entity_error
from .parse_common import SPACE, OpenEntity, byte_offset, checked_link, width

_HTML_TAGS = frozenset(
    [
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    ]
)


def _decode_html_entity(s: str, pos: int) -> tuple[int, int]:
    """(code point, position after it), or (0, pos) when ``&`` starts no known entity."""
    end = pos + 1
    code = 0
    if s[pos + 1] == "#":
        end += 1
        if s[pos + 2] == "x":
            end += 1
            while s[end] in "0123456789abcdefABCDEF" and s[end] != "\0":
                code = code * 16 + int(s[end], 16)
                end += 1
        else:
            while s[end].isascii() and s[end].isdigit():
                code = code * 10 + int(s[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while s[end].isascii() and s[end].isalpha():
            end += 1
        name = s[pos + 1 : end]
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
        if name not in named:
            return 0, pos
        code = ord(named[name])
    if s[end] == ";":
        end += 1
    return code, end


def parse_html(source: str) -> tuple[str, list[Entity]]:
    s = source + "\0"
    n = len(source)
    out: list[str] = []
    utf16 = 0
    entities: list[Entity] = []
    stack: list[OpenEntity] = []

    def fail(reason: str) -> Exception:
        return entity_error(reason)

    i = 0
    while i < n:
        c = s[i]
        if c == "&":
            code, after = _decode_html_entity(s, i)
            if code:
                if 0xD800 <= code <= 0xDFFF:
                    raise fail(
                        "Text contains invalid Unicode characters after decoding HTML entities, "
                        "check for unmatched surrogate code units"
                    )
                out.append(chr(code))
                utf16 += 2 if code > 0xFFFF else 1
                i = after
                continue
        if c != "<":
            out.append(c)
            utf16 += width(c)
            i += 1
            continue
        begin = i
        begin_bytes = byte_offset(source, begin)
        i += 1
        if s[i] != "/":
            while s[i] not in SPACE and s[i] != ">":
                i += 1
            if s[i] == "\0":
                raise fail(f"Unclosed start tag at byte offset {begin_bytes}")
            tag = s[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise fail(f'Unsupported start tag "{tag}" at byte offset {begin_bytes}')
            argument = ""
            expandable = False
            while s[i] != ">":
                while s[i] != "\0" and s[i] in SPACE:
                    i += 1
                if s[i] == ">":
                    break
                attr_begin = i
                while s[i] not in SPACE and s[i] not in "=>":
                    i += 1
                attr_name = s[attr_begin:i]
                if not attr_name:
                    raise fail(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin_bytes}'
                    )
                while s[i] != "\0" and s[i] in SPACE:
                    i += 1
                if s[i] != "=":
                    if tag == "blockquote" and attr_name.lower() == "expandable":
                        expandable = True
                        continue
                    if s[i] == "\0":
                        raise fail(f"Unclosed start tag at byte offset {begin_bytes}")
                    raise fail(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {begin_bytes}'
                    )
                i += 1
                while s[i] != "\0" and s[i] in SPACE:
                    i += 1
                if s[i] == "\0":
                    raise fail(f'Unclosed start tag "{tag}" at byte offset {begin_bytes}')
                if s[i] not in "'\"":
                    token_begin = i
                    while (s[i].isascii() and s[i].isalnum()) or s[i] in ".-":
                        i += 1
                    value = s[token_begin:i].lower()
                    if s[i] not in SPACE and s[i] != ">":
                        raise fail(
                            "Unexpected end of name token at byte offset "
                            f"{byte_offset(source, token_begin)}"
                        )
                else:
                    quote = s[i]
                    i += 1
                    chars: list[str] = []
                    while s[i] != quote and s[i] != "\0":
                        if s[i] == "&":
                            code, after = _decode_html_entity(s, i)
                            if code:
                                chars.append(chr(code))
                                i = after
                                continue
                        chars.append(s[i])
                        i += 1
                    if s[i] == quote:
                        i += 1
                    value = "".join(chars)
                if s[i] == "\0":
                    raise fail(f"Unclosed start tag at byte offset {begin_bytes}")
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {begin_bytes}')
            stack.append(OpenEntity(tag, argument, utf16, begin_bytes, len(out), expandable))
            i += 1
            continue
        if not stack:
            raise fail(f"Unexpected end tag at byte offset {begin_bytes}")
        while s[i] not in SPACE and s[i] != ">":
            i += 1
        end_tag = s[begin + 2 : i].lower()
        while s[i] != "\0" and s[i] in SPACE:
            i += 1
        if s[i] != ">":
            raise fail(f"Unclosed end tag at byte offset {begin_bytes}")
        top = stack.pop()
        if end_tag and end_tag != top.kind:
            raise fail(
                f'Unmatched end tag at byte offset {begin_bytes}, expected "</{top.kind}>", '
                f'found "</{end_tag}>"'
            )
        if utf16 > top.offset:
            _close_html(top, utf16, out, entities)
        i += 1
    if stack:
        raise fail(f"Can't find end tag corresponding to start tag {stack[-1].kind}")
    for entity in entities:
        if entity.type == "code":
            entity.extra.pop("language", None)
    return "".join(out), sort_entities(entities)


def _close_html(top: OpenEntity, utf16: int, out: list[str], entities: list[Entity]) -> None:
    offset, length = top.offset, utf16 - top.offset
    simple = {
        "i": "italic",
        "em": "italic",
        "b": "bold",
        "strong": "bold",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "u": "underline",
        "ins": "underline",
        "tg-spoiler": "spoiler",
        "span": "spoiler",
    }
    last = entities[-1] if entities else None
    same_span = last is not None and last.offset == offset and last.length == length
    if top.kind in simple:
        entities.append(Entity(simple[top.kind], offset, length))
    elif top.kind == "tg-emoji":
        if not top.argument.isdigit() or int(top.argument) == 0:
            raise entity_error("Invalid custom emoji identifier specified")
        entities.append(Entity("custom_emoji", offset, length, {"custom_emoji_id": top.argument}))
    elif top.kind == "a":
        url = checked_link(top.argument or "".join(out[top.out_len :]))
        if url:
            entities.append(Entity("text_link", offset, length, {"url": url}))
    elif top.kind == "pre":
        if last is not None and same_span and last.type == "code" and last.extra.get("language"):
            last.type = "pre"
        else:
            entities.append(Entity("pre", offset, length))
    elif top.kind == "code":
        if last is not None and same_span and last.type == "pre" and top.argument:
            last.extra["language"] = top.argument
        else:
            extra = {"language": top.argument} if top.argument else {}
            entities.append(Entity("code", offset, length, extra))
    else:
        kind = "expandable_blockquote" if top.expandable else "blockquote"
        entities.append(Entity(kind, offset, length))
