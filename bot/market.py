"""Market queries: the use case behind /price, /book and /trades.

Transport-free: it takes names and symbols as the user typed them, returns models, and
raises ``BotError``/``ExchangeError`` — the handlers decide how that reads in chat.
Every upstream call is bounded by a deadline so a stalled exchange can never hang a
reply, and queries across exchanges run concurrently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from bot.errors import NotListedAnywhere, UnknownExchange
from bot.health import Health
from bot.prices import LastPrices
from exchanges.base import MarketDataClient
from exchanges.errors import ExchangeError, NetworkError, RequestTimeout, UnknownSymbol
from exchanges.models import Candle, Market, OrderBook, Ticker, Trade

T = TypeVar("T")


FIAT_QUOTES = ("TMN", "TRY")
STABLE = "USDT"


@dataclass(frozen=True, slots=True)
class Spread:
    """Highest bid and lowest ask across exchanges; a negative ``pct`` is a crossed market."""

    bid_exchange: str
    bid: Decimal
    ask_exchange: str
    ask: Decimal

    @property
    def pct(self) -> Decimal:
        return (self.ask - self.bid) / self.bid * 100


@dataclass(frozen=True, slots=True)
class ImpliedRate:
    """USDT priced in a local currency through a coin: BTC/TMN ÷ BTC/USDT."""

    fiat: str
    rate: Decimal
    exchange: str
    via: str


@dataclass(frozen=True, slots=True)
class Quote:
    """One exchange's answer in a query across exchanges: a ticker or why not."""

    exchange: str
    title: str
    ticker: Ticker | None
    error: ExchangeError | None


@dataclass(frozen=True, slots=True)
class Comparison:
    quotes: list[Quote]
    spread: Spread | None
    implied: list[ImpliedRate]


def cross_spread(quotes: Sequence[Quote]) -> Spread | None:
    """Best bid and best ask over exchanges quoting the same currency; None with fewer
    than two exchanges, since a spread within one exchange is already in its line."""
    bids = [(q.ticker.bid, q.exchange) for q in quotes if q.ticker and q.ticker.bid]
    asks = [(q.ticker.ask, q.exchange) for q in quotes if q.ticker and q.ticker.ask]
    if len({q.exchange for q in quotes if q.ticker}) < 2 or not bids or not asks:
        return None
    bid, bid_ex = max(bids)
    ask, ask_ex = min(asks)
    return Spread(bid_ex, bid, ask_ex, ask)


class MarketService:
    def __init__(
        self,
        clients: Mapping[str, MarketDataClient],
        health: Health,
        *,
        timeout: float = 8.0,
    ) -> None:
        self.clients = dict(clients)
        self.health = health
        self.timeout = timeout
        self.last_prices: LastPrices | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.clients)

    def client(self, name: str) -> MarketDataClient:
        client = self.clients.get(name.strip().lower())
        if client is None:
            raise UnknownExchange(name, self.names)
        return client

    def is_exchange(self, name: str) -> bool:
        return name.strip().lower() in self.clients

    async def _call(self, client: MarketDataClient, work: Awaitable[T]) -> T:
        async with self.health.track(client.name):
            try:
                async with asyncio.timeout(self.timeout):
                    return await work
            except TimeoutError:
                raise RequestTimeout(client.name, "no answer in time") from None

    async def market(self, exchange: str, symbol: str) -> tuple[MarketDataClient, Market]:
        client = self.client(exchange)
        return client, await self._call(client, client.resolve(symbol))

    async def ticker(self, exchange: str, symbol: str) -> Ticker:
        client, market = await self.market(exchange, symbol)
        try:
            return await self._call(client, client.ticker(market))
        except NetworkError:
            last = self.last_prices.get(client.name, market.symbol) if self.last_prices else None
            if last is None:
                raise
            # The exchange is not answering, but a stream told us a price: show it, marked stale.
            return Ticker(
                market, last.price, last.bid, last.ask, None, None, time=last.time, stale=True
            )

    async def order_book(self, exchange: str, symbol: str, depth: int = 10) -> OrderBook:
        client, market = await self.market(exchange, symbol)
        return await self._call(client, client.order_book(market, depth))

    async def trades(self, exchange: str, symbol: str, limit: int = 12) -> Sequence[Trade]:
        client, market = await self.market(exchange, symbol)
        return await self._call(client, client.trades(market, limit))

    async def candles(
        self, exchange: str, market: Market, interval: str, count: int
    ) -> Sequence[Candle]:
        client = self.client(exchange)
        return await self._call(client, client.candles(market, interval, count))

    async def markets(self, exchange: str) -> list[Market]:
        client = self.client(exchange)
        found = await self._call(client, client.markets())
        return sorted(found.values(), key=lambda m: (m.quote, m.base))

    async def compare(self, symbol: str) -> Comparison:
        """The symbol on every exchange, the spread across them and, for a USDT market,
        the USDT rate in toman and lira implied by the same coin's local markets."""
        quotes = await self.ticker_everywhere(symbol)
        priced = [q.ticker for q in quotes if q.ticker is not None]
        implied: list[ImpliedRate] = []
        base = priced[0].market.base
        if priced[0].market.quote == STABLE and base != STABLE:
            locals_ = await asyncio.gather(
                *(self._local_quotes(f"{base}/{fiat}") for fiat in FIAT_QUOTES)
            )
            usdt_last = sorted(t.last for t in priced)[len(priced) // 2]
            for fiat_quotes in locals_:
                for q in fiat_quotes:
                    if q.ticker is not None and usdt_last > 0:
                        implied.append(
                            ImpliedRate(
                                q.ticker.market.quote, q.ticker.last / usdt_last, q.exchange, base
                            )
                        )
        return Comparison(quotes, cross_spread(quotes), implied)

    async def _local_quotes(self, symbol: str) -> list[Quote]:
        try:
            return [q for q in await self.ticker_everywhere(symbol) if q.ticker is not None]
        except NotListedAnywhere:
            return []

    async def ticker_everywhere(self, symbol: str) -> list[Quote]:
        """The symbol on every exchange that lists it, fetched concurrently.

        An exchange that does not list it is left out; one that failed or did not answer
        in time stays in the list with its error, so the reply can say so.
        """

        async def one(client: MarketDataClient) -> Quote:
            try:
                ticker = await self._call(client, self._ticker_of(client, symbol))
                return Quote(client.name, client.title, ticker, None)
            except ExchangeError as exc:
                return Quote(client.name, client.title, None, exc)

        quotes = await asyncio.gather(*(one(c) for c in self.clients.values()))
        found = [q for q in quotes if not isinstance(q.error, UnknownSymbol)]
        if not any(q.ticker for q in found):
            raise NotListedAnywhere(symbol, [q.exchange for q in found])
        return found

    @staticmethod
    async def _ticker_of(client: MarketDataClient, symbol: str) -> Ticker:
        return await client.ticker(await client.resolve(symbol))

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.clients.values()), return_exceptions=True)
