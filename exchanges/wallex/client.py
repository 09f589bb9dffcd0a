"""Wallex public market data (REST v1), per the Wallex API document (seed 000).

Choices where the document is silent or unclear:
- ``stepSize``/``tickSize`` in ``/v1/markets`` are read as *numbers of decimal
  places* (the example gives ``6`` and ``0`` for BTCTMN, matching
  ``baseAssetPrecision``/``quotePrecision``), not as increments.
- The ticker comes from the ``stats`` of ``/v1/markets`` (one call serves every
  market); there is no per-symbol ticker endpoint.
- Errors: the document shows none. Wallex is a Laravel application and answers bad
  input with HTTP 422 ``{"success": false, "message": …, "result": {param: [reason]}}``;
  a ``symbol`` reason means an unknown market, ``resolution`` an unknown interval.
- ``/v1/currencies/stats`` (the world's prices in USD, not Wallex's books) is read
  by ``currency_stats``; ``/price wallex`` adds a coin's line from it (``world.py``).
- ``udf/history`` returns ``{"s": "no_data"}`` for an empty range (the UDF convention
  its path names); the candle intervals offered are exactly the document's table
  (60, 180, 360, 720 minutes, D, 2D, 3D).
"""

from __future__ import annotations

from collections.abc import Sequence

from exchanges.base import MarketDataClient
from exchanges.errors import UnsupportedInterval
from exchanges.intervals import interval_seconds, normalise_interval
from exchanges.models import Candle, Capabilities, Market, OrderBook, Ticker, Trade
from exchanges.wallex import parse
from exchanges.wallex.world import WorldStats, world_stats

RESOLUTIONS: dict[str, str] = {
    "1h": "60",
    "3h": "180",
    "6h": "360",
    "12h": "720",
    "1d": "D",
    "2d": "2D",
    "3d": "3D",
}


class WallexClient(MarketDataClient):
    name = "wallex"
    title = "Wallex"
    capabilities = Capabilities(candle_intervals=tuple(RESOLUTIONS), stream=True)
    markets_ttl = 60.0

    async def _fetch_markets(self) -> Sequence[Market]:
        reply = await self.http.request("GET", "/v1/markets")
        return parse.markets(parse.result(reply))

    async def ticker(self, market: Market) -> Ticker:
        reply = await self.http.request("GET", "/v1/markets")
        stats = parse.market_stats(parse.result(reply, symbol=market.symbol), market.symbol)
        return parse.ticker(market, stats, parse.utc_now(self.clock()))

    async def currency_stats(self) -> dict[str, WorldStats]:
        """Every coin's world price and rank: ``GET /v1/currencies/stats`` (``world.py``)."""
        reply = await self.http.request("GET", "/v1/currencies/stats")
        return world_stats(parse.result(reply))

    async def order_book(self, market: Market, limit: int = 10) -> OrderBook:
        reply = await self.http.request("GET", "/v1/depth", params={"symbol": market.symbol})
        body = parse.result(reply, symbol=market.symbol)
        return parse.order_book(market, body, limit, parse.utc_now(self.clock()))

    async def trades(self, market: Market, limit: int = 20) -> Sequence[Trade]:
        reply = await self.http.request("GET", "/v1/trades", params={"symbol": market.symbol})
        return parse.trades(market, parse.result(reply, symbol=market.symbol), limit)

    async def candles(self, market: Market, interval: str, count: int = 120) -> Sequence[Candle]:
        key = normalise_interval(interval) or interval
        resolution = RESOLUTIONS.get(key)
        seconds = interval_seconds(key)
        if resolution is None or seconds is None:
            raise UnsupportedInterval(self.name, interval, tuple(RESOLUTIONS))
        end = int(self.clock())
        params = {
            "symbol": market.symbol,
            "resolution": resolution,
            "from": str(end - seconds * count),
            "to": str(end),
        }
        reply = await self.http.request("GET", "/v1/udf/history", params=params)
        body = reply.json(self.name)
        if reply.status >= 400 or (isinstance(body, dict) and body.get("success") is False):
            raise parse.envelope_error(
                body if isinstance(body, dict) else {},
                symbol=market.symbol,
                interval=interval,
                supported=tuple(RESOLUTIONS),
            )
        return parse.candles(body)[-count:]
