"""Candle intervals as users write them (``15m``, ``4h``, ``1d``) and their length."""

from __future__ import annotations

import re

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_FORM = re.compile(r"^(\d{1,3})\s*([mhdw])$")


def interval_seconds(text: str) -> int | None:
    match = _FORM.match(text.strip().lower())
    if not match:
        return None
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    return seconds or None


def normalise_interval(text: str) -> str | None:
    """``60m`` → ``1h``; None when the text is not an interval at all."""
    seconds = interval_seconds(text)
    if seconds is None:
        return None
    for unit, size in sorted(_UNITS.items(), key=lambda kv: -kv[1]):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return None
