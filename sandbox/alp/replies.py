"""ALP.COM's error answers, and its per-caller rate limit.

The document shows no error body. Its v1 API has the marks of a Django REST Framework
service (paths ending in ``/``, ``limit``/``offset``/``ordering`` parameters, ``-id``
ordering), so the sandbox answers the way DRF does:

- an invalid query parameter, or a filter naming a pair or currency that does not
  exist: HTTP 400 ``{"<param>": ["<reason>"]}``;
- an unknown pair in the path (``orderbook/<pair_name>``, ``charts/<pair>/...``):
  HTTP 404 ``{"detail": "Not found."}``;
- over the rate limit: HTTP 429 ``{"detail": "Request was throttled. Expected
  available in N seconds."}`` with ``Retry-After: N``.

Limits come from the document: 100 calls a second per IP address for public methods,
2 a second per account for the authorised ones (keyed by the caller's ``X-KEY``).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from aiohttp import web

from sandbox.wire import json_response

INVALID_CHOICE = "Select a valid choice. That choice is not one of the available choices."
NOT_INTEGER = "A valid integer is required."


def field_error(param: str, reason: str) -> web.Response:
    return json_response({param: [reason]}, status=400)


def not_found() -> web.Response:
    return json_response({"detail": "Not found."}, status=404)


def throttled(wait: int) -> web.Response:
    unit = "second" if wait == 1 else "seconds"
    response = json_response(
        {"detail": f"Request was throttled. Expected available in {wait} {unit}."}, status=429
    )
    response.headers["Retry-After"] = str(wait)
    return response


def int_param(
    request: web.Request, name: str, default: int | None, minimum: int = 0
) -> int | web.Response | None:
    """A non-negative integer query parameter, its default, or DRF's 400 answer."""
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return field_error(name, NOT_INTEGER)
    if value < minimum:
        return field_error(name, f"Ensure this value is greater than or equal to {minimum}.")
    return value


class Throttle:
    """At most ``rate`` calls per second per key (sliding one-second window)."""

    def __init__(self, rate: int, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.now = now
        self._calls: dict[str, deque[float]] = {}

    def check(self, key: str) -> web.Response | None:
        """None when the call may go ahead (and counts it), else the 429 answer."""
        at = self.now()
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= at - 1.0:
            calls.popleft()
        if len(calls) >= self.rate:
            return throttled(max(1, math.ceil(calls[0] + 1.0 - at)))
        calls.append(at)
        return None
