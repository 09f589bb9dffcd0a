"""JSON as exchanges write it: exact decimal numbers, unquoted.

``json.dumps`` cannot write a ``Decimal`` as a number, and writing a float would lose
the exactness the sandbox exists to test. Decimals are swapped for markers, dumped,
and the markers replaced by the decimal's own text.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from aiohttp import web

_MARK = re.compile(r'"\x00dec:([-+0-9.eE]+)\x00"')


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"\x00dec:{value:f}\x00"
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark(v) for v in value]
    return value


def dumps(value: Any) -> str:
    text = json.dumps(_mark(value), ensure_ascii=False)
    return _MARK.sub(lambda m: m.group(1), text.replace("\\u0000", "\x00"))


def json_response(value: Any, status: int = 200) -> web.Response:
    return web.Response(text=dumps(value), status=status, content_type="application/json")
