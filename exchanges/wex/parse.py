"""WEX Public API v3 JSON → models, and WEX's error envelope → the error tree.

Every public answer is an object keyed by pair name (``{"btc_usd": {...}}``), except
``info``; a refused request is ``{"success": 0, "error": "<text>"}`` instead. The
reading of ``buy``/``sell``, ``vol``/``vol_cur`` and ``decimal_places`` is argued in
the client's module docstring.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from exchanges.errors import BadResponse, RejectedRequest, UnknownSymbol
from exchanges.http import HttpReply
from exchanges.models import BookLevel, Market, OrderBook, Side, Ticker, Trade
from exchanges.wire import as_list, as_mapping, field, from_timestamp, opt_decimal, to_decimal

NAME = "wex"
# Amounts are accepted with 8 places on every pair; ``decimal_places`` is the price's.
AMOUNT_DECIMALS = 8

_INVALID_PAIR = re.compile(r"^invalid pair name:?\s*(?P<pair>\S*)", re.IGNORECASE)
_EMPTY_LIST = re.compile(r"^empty pair list", re.IGNORECASE)


def body(reply: HttpReply, *, pair: str = "") -> Mapping[str, Any]:
    """The decoded answer, or the error its envelope states.

    The envelope is read whatever the HTTP status (below 500, which the pipeline
    already maps): the document does not tie its errors to a status code.
    """
    decoded = as_mapping(NAME, reply.json(NAME), "answer")
    if "success" in decoded and decoded.get("success") != 1:
        raise envelope_error(decoded, pair=pair)
    if reply.status >= 400:
        raise RejectedRequest(NAME, f"HTTP {reply.status}")
    return decoded


def envelope_error(envelope: Mapping[str, Any], *, pair: str = "") -> Exception:
    message = str(envelope.get("error") or "request refused")
    invalid = _INVALID_PAIR.match(message)
    if invalid:
        return UnknownSymbol(NAME, invalid.group("pair") or pair or "?")
    if _EMPTY_LIST.match(message):
        # Every listed pair was invalid and ``ignore_invalid=1`` dropped them all.
        return UnknownSymbol(NAME, pair or "?")
    return RejectedRequest(NAME, message)


def split_pair(pair: str) -> tuple[str, str]:
    base, sep, quote = pair.partition("_")
    if not sep or not base or not quote or "_" in quote:
        raise BadResponse(NAME, f"pair name {pair!r} is not base_quote")
    return base.upper(), quote.upper()


def markets(info: Mapping[str, Any]) -> list[Market]:
    pairs = as_mapping(NAME, field(NAME, info, "pairs"), "pairs")
    out = []
    for name, raw in pairs.items():
        spec = as_mapping(NAME, raw, f"pair {name}")
        base, quote = split_pair(str(name))
        places = to_decimal(NAME, field(NAME, spec, "decimal_places"), "decimal_places")
        if places != places.to_integral_value() or places < 0:
            raise BadResponse(NAME, "field 'decimal_places' is not a count of places")
        out.append(
            Market(
                exchange=NAME,
                symbol=str(name),
                base=base,
                quote=quote,
                price_decimals=int(places),
                amount_decimals=AMOUNT_DECIMALS,
                min_amount=opt_decimal(NAME, spec.get("min_amount"), "min_amount"),
                # A hidden pair still trades; it is only left off the site's front page.
                active=True,
            )
        )
    return out


def of_pair(answer: Mapping[str, Any], pair: str) -> Any:
    """The part of a multi-pair answer for ``pair``; missing means the pair was dropped
    (``ignore_invalid=1``) or disabled."""
    if pair not in answer:
        raise UnknownSymbol(NAME, pair)
    return answer[pair]


def ticker(market: Market, raw: Any) -> Ticker:
    t = as_mapping(NAME, raw, "ticker")
    return Ticker(
        market=market,
        last=to_decimal(NAME, field(NAME, t, "last"), "last"),
        # ``sell`` is the price you can sell at (best bid), ``buy`` the one you can buy at.
        bid=opt_decimal(NAME, t.get("sell"), "sell"),
        ask=opt_decimal(NAME, t.get("buy"), "buy"),
        change_24h_pct=None,
        volume_24h=opt_decimal(NAME, t.get("vol_cur"), "vol_cur"),
        quote_volume_24h=opt_decimal(NAME, t.get("vol"), "vol"),
        high_24h=opt_decimal(NAME, t.get("high"), "high"),
        low_24h=opt_decimal(NAME, t.get("low"), "low"),
        time=from_timestamp(NAME, field(NAME, t, "updated"), "updated"),
    )


def _levels(raw: Any, what: str) -> list[BookLevel]:
    levels = []
    for item in as_list(NAME, raw, what):
        pair = as_list(NAME, item, f"{what} level")
        if len(pair) != 2:
            raise BadResponse(NAME, f"a level of {what!r} is not [price, amount]")
        levels.append(
            BookLevel(
                price=to_decimal(NAME, pair[0], f"{what} price"),
                amount=to_decimal(NAME, pair[1], f"{what} amount"),
            )
        )
    return levels


def order_book(market: Market, raw: Any, limit: int, now: datetime) -> OrderBook:
    depth = as_mapping(NAME, raw, "depth")
    bids = sorted(_levels(field(NAME, depth, "bids"), "bids"), key=lambda lv: -lv.price)
    asks = sorted(_levels(field(NAME, depth, "asks"), "asks"), key=lambda lv: lv.price)
    return OrderBook(market=market, bids=tuple(bids[:limit]), asks=tuple(asks[:limit]), time=now)


_SIDES = {"bid": Side.BUY, "ask": Side.SELL}


def _trade_id(value: Any) -> str:
    number = to_decimal(NAME, value, "tid")
    if number != number.to_integral_value():
        raise BadResponse(NAME, "field 'tid' is not an integer")
    return str(int(number))


def trades(market: Market, raw: Any) -> list[Trade]:
    """Newest first, as WEX lists them."""
    out = []
    for item in as_list(NAME, raw, "trades"):
        tr = as_mapping(NAME, item, "trade")
        kind = field(NAME, tr, "type")
        if kind not in _SIDES:
            raise BadResponse(NAME, f"field 'type' is {kind!r}, not 'bid' or 'ask'")
        out.append(
            Trade(
                market=market,
                price=to_decimal(NAME, field(NAME, tr, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, tr, "amount"), "amount"),
                side=_SIDES[kind],
                time=from_timestamp(NAME, field(NAME, tr, "timestamp"), "timestamp"),
                trade_id=_trade_id(field(NAME, tr, "tid")),
            )
        )
    out.sort(key=lambda t: (t.time, int(t.trade_id or 0)), reverse=True)
    return out


def utc_now(clock_seconds: float) -> datetime:
    return datetime.fromtimestamp(clock_seconds, tz=UTC)
