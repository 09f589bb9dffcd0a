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
from exchanges.wallexpay.models import (
    Address,
    Currency,
    CurrencyPair,
    CurrencyType,
    FuturesConfirmation,
    FuturesRates,
    Invoice,
    Quote,
    Rate,
    Transaction,
)
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


# --- payments -------------------------------------------------------------------------
def _required(raw: Mapping[str, Any], key: str) -> str:
    value = field(NAME, raw, key)
    if value is None or value == "":
        raise BadResponse(NAME, f"field {key!r} is empty")
    return str(value)


def _opt_text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    return None if value is None or value == "" else str(value)


def _when(raw: Mapping[str, Any], key: str) -> datetime:
    return utc(float(to_decimal(NAME, field(NAME, raw, key), key)))


def _opt_when(raw: Mapping[str, Any], key: str) -> datetime | None:
    return None if raw.get(key) in (None, "") else _when(raw, key)


def quote(body: Any) -> Quote:
    """``exchange/calculate``'s ``data``; ``ts_release`` missing is ``ts_fixed`` +
    ``fix_period``."""
    q = as_mapping(NAME, body, "quote")
    fixed_at = _when(q, "ts_fixed")
    period = opt_decimal(NAME, q.get("fix_period"), "fix_period")
    release = _opt_when(q, "ts_release")
    if release is None:
        if period is None:
            raise BadResponse(NAME, "the quote has neither ts_release nor fix_period")
        release = utc(fixed_at.timestamp() + float(period))
    return Quote(
        sender_amount=to_decimal(NAME, field(NAME, q, "sender_amount"), "sender_amount"),
        sender_currency=_required(q, "sender_currency").upper(),
        receiver_amount=to_decimal(NAME, field(NAME, q, "receiver_amount"), "receiver_amount"),
        receiver_currency=_required(q, "receiver_currency").upper(),
        price=to_decimal(NAME, field(NAME, q, "price"), "price"),
        fixed_at=fixed_at,
        release_at=release,
        fix_period=None if period is None else int(period),
        fee_amount=opt_decimal(NAME, q.get("fee_amount"), "fee_amount"),
        fee_currency=_opt_text(q, "fee_currency"),
    )


def transaction(body: Any) -> Transaction:
    """A withdrawal's or an exchange's ``data`` (``withdrawal/crypto``,
    ``exchange/fixed``, ``exchange/now``)."""
    t = as_mapping(NAME, body, "transaction")
    sender_amount = t.get("sender_amount", t.get("amount"))
    return Transaction(
        id=_required(t, "id"),
        type=str(t.get("type") or ""),
        status=_required(t, "status"),
        sender_amount=to_decimal(NAME, sender_amount, "sender_amount"),
        sender_currency=_required(t, "sender_currency").upper(),
        receiver_amount=to_decimal(NAME, field(NAME, t, "receiver_amount"), "receiver_amount"),
        receiver_currency=_required(t, "receiver_currency").upper(),
        foreign_id=_opt_text(t, "foreign_id"),
        fee_amount=opt_decimal(NAME, t.get("fee_amount"), "fee_amount"),
        fee_currency=_opt_text(t, "fee_currency"),
        price=opt_decimal(NAME, t.get("price"), "price"),
    )


def futures_rates(body: Any) -> FuturesRates:
    f = as_mapping(NAME, body, "futures rates")
    rates: dict[str, dict[Decimal, Decimal]] = {}
    for pair, tiers in as_mapping(NAME, field(NAME, f, "rates"), "rates").items():
        rates[str(pair)] = {
            to_decimal(NAME, amount, "rate amount"): to_decimal(NAME, price, "rate")
            for amount, price in as_mapping(NAME, tiers, f"rates.{pair}").items()
        }
    return FuturesRates(
        addresses=tuple(
            address(a) for a in as_list(NAME, field(NAME, f, "addresses"), "addresses")
        ),
        fixed_at=_when(f, "ts_fixed"),
        release_at=_when(f, "ts_release"),
        rates=rates,
    )


def futures_confirmation(body: Any) -> FuturesConfirmation:
    f = as_mapping(NAME, body, "futures")
    return FuturesConfirmation(
        futures_id=_required(f, "futures_id"),
        sender_currency=_required(f, "sender_currency").upper(),
        receiver_currency=_required(f, "receiver_currency").upper(),
        price=to_decimal(NAME, field(NAME, f, "price"), "price"),
        address=address(field(NAME, f, "address")),
        sender_amount=to_decimal(NAME, field(NAME, f, "sender_amount"), "sender_amount"),
        receiver_amount=to_decimal(NAME, field(NAME, f, "receiver_amount"), "receiver_amount"),
        fixed_at=_when(f, "ts_fixed"),
        release_at=_when(f, "ts_release"),
        fee_amount=opt_decimal(NAME, f.get("fee_amount"), "fee_amount"),
        fee_currency=_opt_text(f, "fee_currency"),
    )


def invoice(body: Any) -> Invoice:
    """``invoices/create``'s ``data``. ``foreign_id`` comes back as a number in the
    document's example (``164``); it is read as text. ``name`` is the title."""
    i = as_mapping(NAME, body, "invoice")
    return Invoice(
        id=_required(i, "id"),
        url=_required(i, "url"),
        status=_required(i, "status"),
        currency=_required(i, "currency").upper(),
        amount=to_decimal(NAME, field(NAME, i, "amount"), "amount"),
        foreign_id=_opt_text(i, "foreign_id"),
        title=_opt_text(i, "name"),
        sender_currency=_opt_text(i, "sender_currency"),
        sender_amount=opt_decimal(NAME, i.get("sender_amount"), "sender_amount"),
        fixed_at=_opt_when(i, "fixed_at"),
        release_at=_opt_when(i, "release_at"),
    )
