"""Wallex JSON → models, and Wallex's error envelope → the error tree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from exchanges.errors import BadResponse, RejectedRequest, UnknownSymbol, UnsupportedInterval
from exchanges.http import HttpReply
from exchanges.models import BookLevel, Candle, Market, OrderBook, Side, Ticker, Trade
from exchanges.wire import (
    as_list,
    as_mapping,
    field,
    from_timestamp,
    opt_decimal,
    parse_iso_time,
    to_decimal,
)

NAME = "wallex"


def result(reply: HttpReply, *, symbol: str = "", interval: str = "") -> Any:
    """The ``result`` of a successful envelope, or the matching error."""
    body = reply.json(NAME)
    envelope = as_mapping(NAME, body, "answer")
    if envelope.get("success") is True and reply.status < 400:
        return field(NAME, envelope, "result")
    raise envelope_error(envelope, symbol=symbol, interval=interval)


def envelope_error(
    envelope: Mapping[str, Any], *, symbol: str = "", interval: str = "", supported: Sequence[str] = ()
) -> Exception:
    message = str(envelope.get("message") or "request refused")
    details = envelope.get("result")
    if isinstance(details, Mapping):
        if "symbol" in details:
            return UnknownSymbol(NAME, symbol or "?")
        if "resolution" in details:
            return UnsupportedInterval(NAME, interval or "?", supported)
        reasons = [str(r) for v in details.values() if isinstance(v, list) for r in v]
        if reasons:
            message = f"{message} {' '.join(reasons)}"
    return RejectedRequest(NAME, message)


def markets(result: Any) -> list[Market]:
    symbols = as_mapping(NAME, field(NAME, result, "symbols"), "symbols")
    out = []
    for raw in symbols.values():
        m = as_mapping(NAME, raw, "market")
        amount_places = int(to_decimal(NAME, m.get("stepSize", m.get("baseAssetPrecision")), "stepSize"))
        price_places = int(to_decimal(NAME, m.get("tickSize", m.get("quotePrecision")), "tickSize"))
        out.append(
            Market(
                exchange=NAME,
                symbol=str(field(NAME, m, "symbol")),
                base=str(field(NAME, m, "baseAsset")).upper(),
                quote=str(field(NAME, m, "quoteAsset")).upper(),
                price_decimals=price_places,
                amount_decimals=amount_places,
                min_amount=opt_decimal(NAME, m.get("minQty"), "minQty"),
                max_amount=opt_decimal(NAME, m.get("maxQty"), "maxQty"),
                min_notional=opt_decimal(NAME, m.get("minNotional"), "minNotional"),
            )
        )
    return out


def market_stats(result: Any, symbol: str) -> Mapping[str, Any]:
    symbols = as_mapping(NAME, field(NAME, result, "symbols"), "symbols")
    if symbol not in symbols:
        raise UnknownSymbol(NAME, symbol)
    return as_mapping(NAME, field(NAME, symbols[symbol], "stats"), "stats")


def ticker(market: Market, stats: Mapping[str, Any], now: datetime) -> Ticker:
    return Ticker(
        market=market,
        last=to_decimal(NAME, field(NAME, stats, "lastPrice"), "lastPrice"),
        bid=opt_decimal(NAME, stats.get("bidPrice"), "bidPrice"),
        ask=opt_decimal(NAME, stats.get("askPrice"), "askPrice"),
        change_24h_pct=opt_decimal(NAME, stats.get("24h_ch"), "24h_ch"),
        volume_24h=opt_decimal(NAME, stats.get("24h_volume"), "24h_volume"),
        quote_volume_24h=opt_decimal(NAME, stats.get("24h_quoteVolume"), "24h_quoteVolume"),
        high_24h=opt_decimal(NAME, stats.get("24h_highPrice"), "24h_highPrice"),
        low_24h=opt_decimal(NAME, stats.get("24h_lowPrice"), "24h_lowPrice"),
        time=now,
    )


def _levels(raw: Any, what: str, limit: int) -> tuple[BookLevel, ...]:
    levels = []
    for item in as_list(NAME, raw, what)[:limit]:
        levels.append(
            BookLevel(
                price=to_decimal(NAME, field(NAME, item, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, item, "quantity"), "quantity"),
            )
        )
    return tuple(levels)


def order_book(market: Market, result: Any, limit: int, now: datetime) -> OrderBook:
    bids = sorted(_levels(field(NAME, result, "bid"), "bid", 10_000), key=lambda lv: -lv.price)
    asks = sorted(_levels(field(NAME, result, "ask"), "ask", 10_000), key=lambda lv: lv.price)
    return OrderBook(market=market, bids=tuple(bids[:limit]), asks=tuple(asks[:limit]), time=now)


def trades(market: Market, result: Any, limit: int) -> list[Trade]:
    out = []
    for raw in as_list(NAME, field(NAME, result, "latestTrades"), "latestTrades")[:limit]:
        out.append(
            Trade(
                market=market,
                price=to_decimal(NAME, field(NAME, raw, "price"), "price"),
                amount=to_decimal(NAME, field(NAME, raw, "quantity"), "quantity"),
                side=Side.BUY if raw.get("isBuyOrder") else Side.SELL,
                time=parse_iso_time(NAME, field(NAME, raw, "timestamp"), "timestamp"),
            )
        )
    return out


def candles(body: Any) -> list[Candle]:
    data = as_mapping(NAME, body, "history")
    status = data.get("s")
    if status == "no_data":
        return []
    if status != "ok":
        raise BadResponse(NAME, f"history status {status!r}")
    columns = {k: as_list(NAME, field(NAME, data, k), k) for k in ("t", "o", "h", "l", "c", "v")}
    n = len(columns["t"])
    if any(len(col) != n for col in columns.values()):
        raise BadResponse(NAME, "history columns differ in length")
    out = []
    for i in range(n):
        out.append(
            Candle(
                time=from_timestamp(NAME, columns["t"][i], "t"),
                open=to_decimal(NAME, columns["o"][i], "o"),
                high=to_decimal(NAME, columns["h"][i], "h"),
                low=to_decimal(NAME, columns["l"][i], "l"),
                close=to_decimal(NAME, columns["c"][i], "c"),
                volume=to_decimal(NAME, columns["v"][i], "v"),
            )
        )
    return out


def utc_now(clock_seconds: float) -> datetime:
    return datetime.fromtimestamp(clock_seconds, tz=UTC)


