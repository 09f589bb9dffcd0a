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
from typing import TypeVar

from bot.errors import NotListedAnywhere, UnknownExchange
from bot.health import Health
from exchanges.base import MarketDataClient
from exchanges.errors import ExchangeError, RequestTimeout, UnknownSymbol
from exchanges.models import Candle, Market, OrderBook, Ticker, Trade

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Quote:
    """One exchange's answer in a query across exchanges: a ticker or why not."""

    exchange: str
    title: str
    ticker: Ticker | None
    error: ExchangeError | None


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
        return await self._call(client, client.ticker(market))

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
