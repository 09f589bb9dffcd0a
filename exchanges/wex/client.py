"""WEX (ex-BTC-e) public market data, Public API v3.

The seed document (004, Russian) is WEX's Trade API; for pairs and their limits it
sends the reader to "метод info в PublicAPI v3", WEX's companion document: ``GET
{root}/api/3/<method>/<pairs>`` with ``info`` (no pairs), ``ticker``, ``depth`` and
``trades``, several pairs joined by ``-``, optional ``limit`` (150 by default, at most
5000) and ``ignore_invalid=1``. Pairs are lower-case ``base_quote`` (``btc_usd``).

Choices where the documents are silent or ambiguous:
- Ticker ``buy``/``sell`` ("цена покупки"/"цена продажи") are read from the trader's
  side: ``buy`` is the price one can buy at, the best ask; ``sell`` the price one can
  sell at, the best bid. The document's own example settles it: ``buy`` 101.9 is above
  ``sell`` 101.773 (= ``last``); the other reading would make a crossed book.
- ``vol`` is the 24h volume in the quote currency and ``vol_cur`` in the base: the
  example's ``vol`` / ``vol_cur`` = 1632898.2249 / 16541.51969 ≈ 98.7, a BTC price in
  USD near ``avg``, not a volume ratio of one currency.
- ``avg`` is the midpoint of ``high`` and ``low`` (the example: (109.88 + 91.14) / 2 =
  100.51), not the 24h open, so no 24h change is reported (``change_24h_pct`` None).
- ``decimal_places`` ("знаков после запятой при торгах") is read as the *price's*
  places: the example gives 3 for btc_usd, matching the Trade example's ``rate``
  7566.351. Amounts take 8 places on every pair (the depth example's 2.48502251).
  ``min_amount`` becomes the market's minimum; ``min_price``, ``max_price`` and ``fee``
  have no field in the shared Market and are not carried. A ``hidden`` pair still
  trades (the document says so), so it stays active.
- Trade ``type``: ``ask`` is a sale, ``bid`` a purchase (the document's words).
- Invalid pairs: the document says the API answers an error for a disabled or
  non-existent pair unless ``ignore_invalid=1`` is sent, without showing the text. The
  error uses the envelope of the Trade API, ``{"success": 0, "error": "…"}``, with
  BTC-e's ``Invalid pair name: <pair>`` → UnknownSymbol, and ``Empty pair list`` (every
  pair dropped by ``ignore_invalid``) → UnknownSymbol too. One-pair calls do not send
  ``ignore_invalid``, so the error names the pair; ``tickers`` (several pairs) does, and
  leaves out pairs missing from the answer. Other ``error`` texts → RejectedRequest.
- ``depth`` has no timestamp: the book's time is the client's clock when it arrived.
- Candles: WEX has none. They are built from the most trades one call returns (5000)
  by ``exchanges.candles.candles_from_trades``; the intervals offered are the ones that
  give a useful number of candles over the hours those trades typically span. When
  the answer is full, the oldest candle is dropped: older trades of its bucket fell
  off the list, so its open, low, high and volume would be wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from exchanges.base import MarketDataClient
from exchanges.candles import candles_from_trades
from exchanges.errors import UnsupportedInterval
from exchanges.intervals import interval_seconds, normalise_interval
from exchanges.models import Candle, Capabilities, Market, OrderBook, Ticker, Trade
from exchanges.wex import parse

API = "/api/3"
MAX_LIMIT = 5000
CANDLE_INTERVALS: tuple[str, ...] = ("1m", "5m", "15m", "30m", "1h")


def _limit(value: int) -> str:
    return str(min(max(value, 1), MAX_LIMIT))


class WexClient(MarketDataClient):
    name = "wex"
    title = "WEX"
    capabilities = Capabilities(
        candle_intervals=CANDLE_INTERVALS,
        candles_from_trades=True,
        notes=("candles are built from the latest 5000 trades",),
    )

    async def _fetch_markets(self) -> Sequence[Market]:
        reply = await self.http.request("GET", f"{API}/info")
        return parse.markets(parse.body(reply))

    async def ticker(self, market: Market) -> Ticker:
        reply = await self.http.request("GET", f"{API}/ticker/{market.symbol}")
        answer = parse.body(reply, pair=market.symbol)
        return parse.ticker(market, parse.of_pair(answer, market.symbol))

    async def tickers(self, markets: Sequence[Market]) -> dict[str, Ticker]:
        """Tickers of several markets in one call, by symbol; markets WEX no longer
        lists are left out instead of failing the whole call."""
        wanted = {m.symbol: m for m in markets}
        if not wanted:
            return {}
        reply = await self.http.request(
            "GET", f"{API}/ticker/{'-'.join(wanted)}", params={"ignore_invalid": "1"}
        )
        answer = parse.body(reply, pair="-".join(wanted))
        return {
            symbol: parse.ticker(market, answer[symbol])
            for symbol, market in wanted.items()
            if symbol in answer
        }

    async def order_book(self, market: Market, limit: int = 10) -> OrderBook:
        reply = await self.http.request(
            "GET", f"{API}/depth/{market.symbol}", params={"limit": _limit(limit)}
        )
        answer = parse.body(reply, pair=market.symbol)
        raw = parse.of_pair(answer, market.symbol)
        return parse.order_book(market, raw, limit, parse.utc_now(self.clock()))

    async def trades(self, market: Market, limit: int = 20) -> Sequence[Trade]:
        reply = await self.http.request(
            "GET", f"{API}/trades/{market.symbol}", params={"limit": _limit(limit)}
        )
        answer = parse.body(reply, pair=market.symbol)
        return parse.trades(market, parse.of_pair(answer, market.symbol))[:limit]

    async def candles(self, market: Market, interval: str, count: int = 120) -> Sequence[Candle]:
        key = normalise_interval(interval) or interval
        seconds = interval_seconds(key)
        if key not in CANDLE_INTERVALS or seconds is None:
            raise UnsupportedInterval(self.name, interval, CANDLE_INTERVALS)
        trades = await self.trades(market, MAX_LIMIT)
        candles = candles_from_trades(trades, seconds)
        if len(trades) >= MAX_LIMIT and len(candles) > 1:
            candles = candles[1:]
        return candles[-count:] if count > 0 else []
