"""ALP.COM public market data (HTTP API v1), per the ALP.COM API document (seed 002).

The client takes the REST root (``ALP_API_URL``, ``https://alp.com``) and appends the
document's paths: ``/api/v1/currencies/``, ``/api/v1/pairs/``, ``/api/v1/ticker/``,
``/api/v1/orderbook/<pair_name>``, ``/api/v1/exchanges/`` and, outside ``/api/v1``, the
candles at ``/api/charts/<pair_symbol>/<timeframe>/chart``. Answers are bare JSON
lists/objects with numbers unquoted; ALP has no stream, so everything is polled.

Choices where the document is silent or contradicts itself:
- ``orderbook/<pair_name>`` and ``charts/.../chart`` are requested without a trailing
  slash, exactly as the document writes them (the other paths keep theirs).
- Order-book limits: the parameter table says ``limit_sell``/``limit_buy``, its code
  example ``limit_bids``/``limit_asks``; the table's names are sent (they match the
  answer's ``sell``/``buy`` keys). ``group=1`` is sent so each price is one level;
  equal prices are still summed in case a server lists single orders.
- ``pairs/``: ``price_precision``/``amount_precision`` are numbers of decimal places;
  ``minimum_order_size``/``maximum_order_size`` are amounts of the base currency (an
  order's ``amount`` is "amount of first currency of pair"). No minimum order value
  is documented, so ``min_notional`` stays empty.
- ``ticker/``: ``buy``/``sell`` are read as the best bid/ask (the example's ``buy`` <
  ``last`` < ``sell``); ``diff`` as the 24-hour change of ``last`` in the quote
  currency, so the percentage is ``diff / (last - diff) × 100``; ``vol`` as the 24-hour
  volume in the base currency (the unit of the charts' ``volume``). A ``0`` bid, ask,
  high or low (the example's ``"high": 0`` beside a non-zero ``last``) means "none".
  ``timestamp`` is Unix seconds with a fraction. The call is filtered with ``pair``;
  a list without that pair means the pair is not traded.
- ``exchanges/``: ``type`` is read as the taker's side; ``ordering=-id`` (the default)
  is sent explicitly so the latest trades come first.
- Charts: ``since``/``until`` are Unix seconds like the answer's ``time``. The document
  does not say which end ``limit`` keeps, so ``since`` is set to the open time of the
  ``count``-th latest candle and both readings give the same candles; the list is
  sorted oldest first whatever order it arrives in. Intervals offered are exactly the
  document's timeframes: 5, 15, 30, 60, 240 minutes and D.
- Errors: the document shows none. ALP's v1 is a Django REST Framework service, so
  they are DRF's: 400 ``{"<param>": ["reason"]}`` (a ``pair`` reason → unknown
  market, ``timeframe`` → unsupported interval, others → refused request), 404
  ``{"detail": "Not found."}`` for an unknown pair in the path, 401/403 → auth error,
  429 (the document's limit: 100 public calls a second per IP) → rate limited.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from exchanges.alp import parse
from exchanges.base import MarketDataClient
from exchanges.errors import UnsupportedInterval
from exchanges.intervals import interval_seconds, normalise_interval
from exchanges.models import Candle, Capabilities, Market, OrderBook, Ticker, Trade

# Our interval → the document's timeframe value.
TIMEFRAMES: dict[str, str] = {
    "5m": "5",
    "15m": "15",
    "30m": "30",
    "1h": "60",
    "4h": "240",
    "1d": "D",
}


class AlpClient(MarketDataClient):
    name = "alp"
    title = "ALP.COM"
    capabilities = Capabilities(
        candle_intervals=tuple(TIMEFRAMES),
        stream=False,
        notes=("no stream: market data is polled",),
    )

    async def _fetch_markets(self) -> Sequence[Market]:
        reply = await self.http.request("GET", "/api/v1/pairs/")
        return parse.markets(parse.checked(reply))

    async def currencies(self) -> dict[str, str]:
        """Every listed currency code with the sign ALP shows for it."""
        reply = await self.http.request("GET", "/api/v1/currencies/")
        return parse.currencies(parse.checked(reply))

    async def ticker(self, market: Market) -> Ticker:
        reply = await self.http.request("GET", "/api/v1/ticker/", params={"pair": market.symbol})
        body = parse.checked(reply, symbol=market.symbol)
        return parse.ticker(market, parse.ticker_entry(body, market.symbol))

    async def order_book(self, market: Market, limit: int = 10) -> OrderBook:
        params = {"limit_sell": str(limit), "limit_buy": str(limit), "group": "1"}
        reply = await self.http.request(
            "GET", f"/api/v1/orderbook/{quote(market.symbol, safe='')}", params=params
        )
        body = parse.checked(reply, symbol=market.symbol)
        return parse.order_book(market, body, limit, parse.utc_now(self.clock()))

    async def trades(self, market: Market, limit: int = 20) -> Sequence[Trade]:
        params = {"pair": market.symbol, "limit": str(limit), "ordering": "-id"}
        reply = await self.http.request("GET", "/api/v1/exchanges/", params=params)
        return parse.trades(market, parse.checked(reply, symbol=market.symbol), limit)

    async def candles(self, market: Market, interval: str, count: int = 120) -> Sequence[Candle]:
        key = normalise_interval(interval) or interval
        timeframe = TIMEFRAMES.get(key)
        seconds = interval_seconds(key)
        if timeframe is None or seconds is None:
            raise UnsupportedInterval(self.name, interval, tuple(TIMEFRAMES))
        until = int(self.clock())
        since = (until // seconds - count + 1) * seconds
        params = {"limit": str(count), "since": str(since), "until": str(until)}
        path = f"/api/charts/{quote(market.symbol, safe='')}/{timeframe}/chart"
        reply = await self.http.request("GET", path, params=params)
        body = parse.checked(
            reply, symbol=market.symbol, interval=interval, supported=tuple(TIMEFRAMES)
        )
        return parse.candles(body)[-count:]
