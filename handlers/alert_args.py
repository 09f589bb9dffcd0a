"""Reading ``/alert EXCHANGE SYMBOL …`` into an AlertRequest, with a sentence for every mistake.

Forms: ``above|below|cross PRICE`` or ``change PCT [WINDOW]``, then optionally ``once``
(the default) or ``every [COOLDOWN]``, then optionally ``until DATE|DURATION``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.alerts.model import Kind
from bot.alerts.service import AlertRequest
from exchanges.intervals import interval_seconds
from handlers.args import UsageError, parse_decimal

DEFAULT_WINDOW = 3600
DEFAULT_COOLDOWN = 15 * 60
MAX_WINDOW = 7 * 86400
_PCT = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)%?$")
_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


def parse_when(text: str, now: datetime) -> datetime | None:
    seconds = interval_seconds(text)
    if seconds is not None:
        return now + timedelta(seconds=seconds)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def parse_alert(words: list[str], now: datetime) -> AlertRequest:
    """``words`` after the exchange and the symbol."""
    if not words:
        raise UsageError(
            "alert", "Say when: above, below or cross a price, or change by a percentage."
        )
    kind_word = words[0].lower()
    rest = words[1:]
    try:
        kind = Kind(kind_word)
    except ValueError:
        raise UsageError(
            "alert",
            "“{word}” is not a condition: use above, below, cross or change.",
            word=words[0],
        ) from None
    price = pct = None
    window = None
    if kind is Kind.CHANGE:
        if not rest or not (m := _PCT.match(rest[0])):
            raise UsageError("alert", "After change, give a percentage such as 5 or -3.5%.")
        pct = Decimal(m.group(1) + m.group(2))
        if pct == 0 or abs(pct) > 1000:
            raise UsageError("alert", "The percentage must be between 0 and 1000, not 0.")
        rest = rest[1:]
        window = DEFAULT_WINDOW
        if rest and interval_seconds(rest[0]) is not None:
            window = interval_seconds(rest[0])
            assert window is not None
            if window > MAX_WINDOW:
                raise UsageError("alert", "The window can be at most 7d.")
            rest = rest[1:]
    else:
        if not rest:
            raise UsageError("alert", "After {kind}, give a price.", kind=kind_word)
        price = parse_decimal(rest[0])
        if price is None or price <= 0:
            raise UsageError("alert", "“{price}” is not a price.", price=rest[0])
        rest = rest[1:]
    repeat_every: int | None = None
    if rest and rest[0].lower() == "once":
        rest = rest[1:]
    elif rest and rest[0].lower() == "every":
        rest = rest[1:]
        repeat_every = DEFAULT_COOLDOWN
        if rest and interval_seconds(rest[0]) is not None:
            repeat_every = interval_seconds(rest[0])
            rest = rest[1:]
    until = None
    if rest and rest[0].lower() == "until":
        if len(rest) < 2:
            raise UsageError("alert", "After until, give a date (2026-12-31) or a duration (3d).")
        until = parse_when(rest[1], now)
        if until is None:
            raise UsageError(
                "alert", "“{when}” is not a date (2026-12-31) or a duration (3d).", when=rest[1]
            )
        if until <= now:
            raise UsageError("alert", "That time has already passed.")
        rest = rest[2:]
    if rest:
        raise UsageError("alert", "I did not understand “{words}”.", words=" ".join(rest))
    signed = kind is Kind.CHANGE and words[1].startswith("+")
    return AlertRequest(kind, price, pct, window, repeat_every, until, signed)
