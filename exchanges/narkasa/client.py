"""Narkasa public market data (REST v3), per the Narkasa API document (seed 001).

``NARKASA_API_URL`` is the REST root; every path here is ``/v3/api/...`` under it.

Choices where the document is silent or unclear:
- Markets: ``market/markets`` lists the symbols but carries no precision or limits;
  those come from ``market/info`` of each symbol (a few at a time, cached for
  ``markets_ttl``). A listed symbol whose info answers "Invalid symbol" is left out
  rather than failing the whole list. Places are ``precision.price`` and
  ``precision.amount``; ``minAmount`` is the base minimum and ``minTradeTotal`` the
  minimum order total in the quote currency. A market is active when both
  ``enable`` and ``orderEnable`` are true (the document writes them as the strings
  ``"true"``/``"false"``; JSON booleans are accepted too).
- Ticker: from ``market/24h``, where ``volumeQty`` is the base amount and ``volume``
  the quote amount (its example: 2 and 120004 = 2 × avg 60002). ``market/markets``
  uses ``volume`` for the base amount instead, so it is not used for tickers.
  ``changePercent`` is already a percentage (498 / 59502 ≈ 0.83 %). A best bid or ask
  of 0 is read as an empty side.
- Order book: ``market/orderbook`` answers only the first buy and sell order, so it
  serves a request for one level; deeper requests use ``market/depth``.
- Trades: no ``limit`` parameter exists; the answer is cut here, newest first. Trade
  ``type`` 1 (buyer is taker) is a buy, 0 (buyer is maker) a sell.
- Candles: ``startDate``/``endDate`` are sent in milliseconds (every time in the
  document is), covering ``count`` intervals back from now. The intervals are the
  document's table, m1 … d1, offered as 1m … 1d.
- Result codes: ``"00000"`` is success; an error body is ``{"code": 20001, "msg":
  …}`` (code as a number in the one example), read whatever the HTTP status.
  "Invalid symbol" (10037) and "Invalid Symbol" (20006) raise ``UnknownSymbol``;
  the key, account, IP, timestamp and permission codes (10010, 20000–20004, 20011)
  ``AuthenticationError``; every other code, including 90000 "Unexpected Error",
  ``RejectedRequest`` with the document's wording. The document lists no rate-limit
  code (its "Limits" section is empty), so rate limiting is recognised only by HTTP
  429, which the shared pipeline maps to ``RateLimited``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from exchanges.base import MarketDataClient
from exchanges.errors import UnknownSymbol, UnsupportedInterval
from exchanges.intervals import interval_seconds, normalise_interval
from exchanges.models import Candle, Capabilities, Market, OrderBook, Ticker, Trade
from exchanges.narkasa import parse

PREFIX = "/v3/api"
INTERVALS: dict[str, str] = {
    "1m": "m1",
    "3m": "m3",
    "5m": "m5",
    "15m": "m15",
    "30m": "m30",
    "1h": "h1",
    "2h": "h2",
    "4h": "h4",
    "1d": "d1",
}
INFO_CONCURRENCY = 4


class NarkasaClient(MarketDataClient):
    name = "narkasa"
    title = "Narkasa"
    capabilities = Capabilities(candle_intervals=tuple(INTERVALS))

    async def ping(self) -> None:
        reply = await self.http.request("GET", f"{PREFIX}/ping")
        parse.pong(parse.envelope(reply))

    async def server_time(self) -> datetime:
        reply = await self.http.request("GET", f"{PREFIX}/time")
        return parse.server_time(parse.envelope(reply))

    async def _fetch_markets(self) -> Sequence[Market]:
        reply = await self.http.request("GET", f"{PREFIX}/market/markets")
        symbols = parse.listed_symbols(parse.envelope(reply))
        gate = asyncio.Semaphore(INFO_CONCURRENCY)

        async def one(symbol: str) -> Market | None:
            async with gate:
                try:
                    return await self.market_info(symbol)
                except UnknownSymbol:
                    return None

        tasks = [asyncio.ensure_future(one(s)) for s in symbols]
        try:
            found = await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
        return [m for m in found if m is not None]

    async def market_info(self, symbol: str) -> Market:
        """One market's precision and limits, straight from ``market/info``."""
        reply = await self.http.request("GET", f"{PREFIX}/market/info", params={"symbol": symbol})
        return parse.market(parse.envelope(reply, symbol=symbol))

    async def ticker(self, market: Market) -> Ticker:
        body = await self._get("market/24h", market)
        return parse.ticker(market, body, parse.utc_now(self.clock()))

    async def order_book(self, market: Market, limit: int = 10) -> OrderBook:
        body = await self._get("market/orderbook" if limit <= 1 else "market/depth", market)
        return parse.order_book(market, body, limit, parse.utc_now(self.clock()))

    async def trades(self, market: Market, limit: int = 20) -> Sequence[Trade]:
        return parse.trades(market, await self._get("market/trades", market), limit)

    async def candles(self, market: Market, interval: str, count: int = 120) -> Sequence[Candle]:
        key = normalise_interval(interval) or interval
        native = INTERVALS.get(key)
        seconds = interval_seconds(key)
        if native is None or seconds is None:
            raise UnsupportedInterval(self.name, interval, tuple(INTERVALS))
        end = int(self.clock() * 1000)
        params = {
            "symbol": market.symbol,
            "interval": native,
            "startDate": str(end - seconds * 1000 * count),
            "endDate": str(end),
        }
        reply = await self.http.request("GET", f"{PREFIX}/market/candles", params=params)
        return parse.candles(parse.envelope(reply, symbol=market.symbol))[-count:]

    async def _get(self, endpoint: str, market: Market) -> Mapping[str, Any]:
        reply = await self.http.request(
            "GET", f"{PREFIX}/{endpoint}", params={"symbol": market.symbol}
        )
        return parse.envelope(reply, symbol=market.symbol)
