"""WallexPay JSON → models, and WallexPay's error answers → the error tree.

Pure functions over ``HttpReply``/decoded JSON so every mapping is testable on the
document's own example payloads without a network.

Error answers seen:
- validation: HTTP 400 ``{"errors": {"<param>": "<reason>"}}`` (the document's
  examples; Laravel may also give a list of reasons per parameter). A currency
  parameter "is invalid" means an unknown currency → ``UnknownSymbol``; anything
  else → ``RejectedRequest`` with the reasons.
- authorization: the document shows none. The CoinsPaid API v2 WallexPay mirrors
  answers HTTP 403 ``{"error": "Bad signature header", "code":
  "bad_header_signature"}`` (also ``required_header_signature``, ``bad_header_key``,
  ``required_header_key``) and 400 ``bad_content_format`` for a body that is not
  JSON. Any 401/403, or one of those header codes → ``AuthenticationError``.
- HTTP 429 (the document's Cloudflare "error code: 1015", which is not even JSON) and
  5xx are mapped by the pipeline before these functions see the reply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from exchanges.errors import (
    AuthenticationError,
    BadResponse,
    ExchangeError,
    RejectedRequest,
    UnknownSymbol,
)
from exchanges.http import HttpReply
from exchanges.models import Balance
from exchanges.wallexpay.models import Address, Currency, CurrencyPair, CurrencyType, Rate
from exchanges.wire import as_list, as_mapping, field, opt_decimal, to_decimal

NAME = "wallexpay"
AUTH_CODES = frozenset(
    {"bad_header_key", "required_header_key", "bad_header_signature", "required_header_signature"}
)
# Request parameters that name a currency: "is invalid" on one of them = unknown code.
CURRENCY_PARAMS = (
    "currency_from",
    "currency_to",
    "currency",
    "convert_to",
    "sender_currency",
    "receiver_currency",
)
_MAX_MESSAGE = 300


def data(reply: HttpReply, *, symbol: str = "", sent: Mapping[str, Any] | None = None) -> Any:
    """The ``data`` of a successful answer, or the error the answer states.

    ``symbol`` names the unknown market/currency in an ``UnknownSymbol``; with
    ``sent`` (the request's parameters) the code sent in the refused parameter does.
    """
    if reply.status >= 400:
        raise error(reply, symbol=symbol, sent=sent)
    body = as_mapping(NAME, reply.json(NAME), "answer")
    if "data" not in body:
        raise envelope_error(reply.status, body, symbol=symbol, sent=sent)
    return body["data"]


def ping(reply: HttpReply) -> None:
    """``GET /ping`` answers the plain text ``OK``."""
    if reply.status >= 400:
        raise error(reply)
    if reply.text.strip().strip('"') != "OK":
        raise BadResponse(NAME, "ping did not answer OK")


def error(
    reply: HttpReply, *, symbol: str = "", sent: Mapping[str, Any] | None = None
) -> ExchangeError:
    """The exception for a refused call (status ≥ 400 or an answer without data)."""
    try:
        body = reply.json(NAME)
    except BadResponse:
        if reply.status in (401, 403):
            return AuthenticationError(NAME, "the processing key or signature was refused")
        return BadResponse(NAME, f"HTTP {reply.status} with an answer that is not JSON")
    return envelope_error(reply.status, body, symbol=symbol, sent=sent)


def envelope_error(
    status: int, body: Any, *, symbol: str = "", sent: Mapping[str, Any] | None = None
) -> ExchangeError:
    if not isinstance(body, Mapping):
        if status in (401, 403):
            return AuthenticationError(NAME, "the processing key or signature was refused")
        return BadResponse(NAME, "the answer has neither data nor errors")
    stated = _short(body.get("error"))
    if status in (401, 403) or body.get("code") in AUTH_CODES:
        detail = f" ({stated})" if stated else ""
        return AuthenticationError(NAME, f"the processing key or signature was refused{detail}")
    errors = body.get("errors")
    if isinstance(errors, Mapping):
        for param in CURRENCY_PARAMS:
            if any("invalid" in r.lower() for r in _reasons(errors.get(param))):
                value = (sent or {}).get(param)
                named = value if isinstance(value, str) and value else symbol
                return UnknownSymbol(NAME, named or param)
        reasons = [r for v in errors.values() for r in _reasons(v)]
        return RejectedRequest(NAME, _short(" ".join(reasons)) or "request refused")
    if stated:
        return RejectedRequest(NAME, stated)
    if status >= 400:
        return RejectedRequest(NAME, f"request refused (HTTP {status})")
    return BadResponse(NAME, "the answer has neither data nor errors")


def _reasons(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value if isinstance(v, str | int)]
    return []


def _short(value: Any) -> str:
    return value.strip()[:_MAX_MESSAGE] if isinstance(value, str) else ""


def _code(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadResponse(NAME, f"field {what!r} is not a currency code")
    return value.strip().upper()


def _type(value: Any, what: str) -> CurrencyType:
    try:
        return CurrencyType(str(value).lower())
    except ValueError:
        raise BadResponse(NAME, f"field {what!r} is neither crypto nor fiat") from None


def _int(value: Any, what: str) -> int:
    number = to_decimal(NAME, value, what)
    if number != number.to_integral_value() or number < 0:
        raise BadResponse(NAME, f"field {what!r} is not a whole number")
    return int(number)


def currencies(data: Any) -> list[Currency]:
    return [currency(raw) for raw in as_list(NAME, data, "data")]


def currency(raw: Any) -> Currency:
    m = as_mapping(NAME, raw, "currency")
    return Currency(
        code=_code(field(NAME, m, "currency"), "currency"),
        type=_type(field(NAME, m, "type"), "type"),
        precision=_int(field(NAME, m, "precision"), "precision"),
        minimum_amount=opt_decimal(NAME, m.get("minimum_amount"), "minimum_amount"),
        deposit_fee_percent=opt_decimal(NAME, m.get("deposit_fee_percent"), "deposit_fee_percent"),
        withdrawal_fee_percent=opt_decimal(
            NAME, m.get("withdrawal_fee_percent"), "withdrawal_fee_percent"
        ),
        id=_int(m["id"], "id") if m.get("id") is not None else None,
    )


def pairs(data: Any) -> list[CurrencyPair]:
    return [pair(raw) for raw in as_list(NAME, data, "data")]


def pair(raw: Any) -> CurrencyPair:
    m = as_mapping(NAME, raw, "pair")
    sender = as_mapping(NAME, field(NAME, m, "currency_from"), "currency_from")
    receiver = as_mapping(NAME, field(NAME, m, "currency_to"), "currency_to")
    rate_from = opt_decimal(NAME, m.get("rate_from"), "rate_from")
    rate_to = opt_decimal(NAME, m.get("rate_to"), "rate_to")
    for name, value in (("rate_from", rate_from), ("rate_to", rate_to)):
        if value is not None and value <= 0:
            raise BadResponse(NAME, f"field {name!r} is not a positive number")
    return CurrencyPair(
        currency_from=_code(_inner(sender, "currency_from", "currency"), "currency_from.currency"),
        from_type=_type(_inner(sender, "currency_from", "type"), "currency_from.type"),
        currency_to=_code(_inner(receiver, "currency_to", "currency"), "currency_to.currency"),
        to_type=_type(_inner(receiver, "currency_to", "type"), "currency_to.type"),
        rate_from=rate_from,
        rate_to=rate_to,
        min_amount=opt_decimal(NAME, sender.get("min_amount"), "min_amount"),
        min_amount_deposit_with_exchange=opt_decimal(
            NAME,
            sender.get("min_amount_deposit_with_exchange"),
            "min_amount_deposit_with_exchange",
        ),
    )


def _inner(obj: Mapping[str, Any], parent: str, key: str) -> Any:
    if key not in obj:
        raise BadResponse(NAME, f"field '{parent}.{key}' is missing")
    return obj[key]


def rate(data: Any, currency_from: str, currency_to: str, now: datetime) -> Rate:
    """The asked pair out of a ``currencies/rates`` answer (a list of pairs, or one)."""
    items: Iterable[Any] = [data] if isinstance(data, Mapping) else as_list(NAME, data, "data")
    for found in pairs(list(items)):
        if (found.currency_from, found.currency_to) == (currency_from, currency_to):
            price = found.price
            if price is None:
                raise BadResponse(NAME, "field 'rate_to' is missing")
            return Rate(pair=found, rate=price, time=now)
    raise UnknownSymbol(NAME, f"{currency_from}/{currency_to}")


def balances(data: Any) -> list[Balance]:
    """``accounts/list``: one ``balance`` per currency, zero balances included.

    The document gives a single figure per currency and no amount on hold, so the
    whole balance is ``available`` and ``locked`` is zero.
    """
    out: list[Balance] = []
    for raw in as_list(NAME, data, "data"):
        m = as_mapping(NAME, raw, "balance")
        out.append(
            Balance(
                currency=_code(field(NAME, m, "currency"), "currency"),
                available=to_decimal(NAME, field(NAME, m, "balance"), "balance"),
                locked=Decimal(0),
            )
        )
    return out


def address(data: Any) -> Address:
    """``addresses/take``'s address object.

    The document's example writes ``"tag": tag-123`` (not JSON at all) and elsewhere
    ``"tag": null``: a string, a number or null is accepted, an empty tag is none.
    ``foreign_id`` is read as text even when a number comes back (the invoice example
    echoes ``"foreign_id": 164``).
    """
    m = as_mapping(NAME, data, "address")
    text = field(NAME, m, "address")
    if not isinstance(text, str) or not text.strip():
        raise BadResponse(NAME, "field 'address' is not an address")
    convert_to = m.get("convert_to")
    return Address(
        id=_int(field(NAME, m, "id"), "id"),
        currency=_code(field(NAME, m, "currency"), "currency"),
        address=text.strip(),
        foreign_id=_text(m.get("foreign_id"), "foreign_id"),
        convert_to=_code(convert_to, "convert_to") if convert_to else None,
        tag=_text(m.get("tag"), "tag"),
    )


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BadResponse(NAME, f"field {what!r} is not text")


def utc(clock_seconds: float) -> datetime:
    return datetime.fromtimestamp(clock_seconds, tz=UTC)
