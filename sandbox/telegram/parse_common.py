"""Pieces shared by the parse_mode parsers: positions, spaces and link checking.

TDLib reports parse errors at UTF-8 byte offsets and measures entities in UTF-16 units,
while Python indexes code points; these helpers keep the three apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPACE = " \t\r\n\0\x0b\x0c"
LINK_SCHEMES = frozenset({"http", "https", "ftp", "tg", "ton", "tonsite"})
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


@dataclass
class OpenEntity:
    kind: str
    argument: str
    offset: int
    byte_offset: int
    out_len: int
    expandable: bool = False


def width(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def checked_link(url: str) -> str | None:
    """A usable link target, or None so the entity is dropped as TDLib drops it."""
    url = url.strip()
    if not url or any(ch in url for ch in " \n\t"):
        return None
    scheme = _SCHEME.match(url)
    if scheme and not (scheme.group(1).isdigit()):
        if scheme.group(1).lower() not in LINK_SCHEMES:
            return None
        return url
    host = url.split("/", 1)[0].split("?", 1)[0]
    if "." in host and not host.startswith(".") and not host.endswith("."):
        return "http://" + url
    return None
