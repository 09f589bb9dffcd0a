"""Reading values off the wire without ever passing through float.

JSON bodies are decoded with ``parse_float=Decimal``; these helpers accept the
remaining shapes exchanges use (numeric strings, ints) and turn anything else into a
``BadResponse`` naming the field, so a malformed upstream reply becomes a sentence,
not a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from exchanges.errors import BadResponse


def to_decimal(exchange: str, value: Any, field: str) -> Decimal:
    if isinstance(value, bool | float):
        # floats never reach here from our decoder; refuse them rather than round.
        raise BadResponse(exchange, f"field {field!r} is not an exact number")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise BadResponse(exchange, f"field {field!r} is not a number") from None
    else:
        raise BadResponse(exchange, f"field {field!r} is missing or not a number")
    if not result.is_finite():
        raise BadResponse(exchange, f"field {field!r} is not a finite number")
    return result


def opt_decimal(exchange: str, value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    return to_decimal(exchange, value, field)


def field(exchange: str, obj: Any, key: str) -> Any:
    if not isinstance(obj, Mapping) or key not in obj:
        raise BadResponse(exchange, f"field {key!r} is missing")
    return obj[key]


def as_mapping(exchange: str, obj: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(obj, Mapping):
        raise BadResponse(exchange, f"{what} is not an object")
    return obj


def as_list(exchange: str, obj: Any, what: str) -> list[Any]:
    if not isinstance(obj, list):
        raise BadResponse(exchange, f"{what} is not a list")
    return obj


def parse_iso_time(exchange: str, value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise BadResponse(exchange, f"field {field!r} is not a time")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadResponse(exchange, f"field {field!r} is not a time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def from_timestamp(exchange: str, value: Any, field: str, *, millis: bool = False) -> datetime:
    number = to_decimal(exchange, value, field)
    seconds = number / 1000 if millis else number
    try:
        return datetime.fromtimestamp(int(seconds), tz=UTC)
    except (OverflowError, ValueError, OSError):
        raise BadResponse(exchange, f"field {field!r} is not a time") from None
