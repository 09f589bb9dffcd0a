"""The contract every exchange client fulfils, and the behaviour they all share.

Services in ``bot/`` only see ``MarketDataClient``; which system is behind it is a
name in the registry. Market metadata is cached here (it changes rarely and every
command needs it to resolve a symbol), with a single in-flight refresh so a burst of
commands after expiry causes one upstream call, not one per command.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence

from exchanges.errors import UnknownSymbol
from exchanges.http import HttpPipeline
from exchanges.models import Candle, Capabilities, Market, OrderBook, Ticker, Trade
from exchanges.symbols import find_market, suggest

Clock = Callable[[], float]


class MarketDataClient(ABC):
    """Public market data of one system."""

    name: str = ""
    title: str = ""
    capabilities: Capabilities = Capabilities()
    markets_ttl: float = 300.0

    def __init__(self, http: HttpPipeline, *, clock: Clock = time.time) -> None:
        self.http = http
        self.clock = clock
        self._markets: dict[str, Market] | None = None
        self._markets_at = 0.0
        self._markets_lock = asyncio.Lock()

    async def markets(self) -> Mapping[str, Market]:
        """All markets by the exchange's own symbol, refreshed after ``markets_ttl``."""
        if self._markets is not None and self.clock() - self._markets_at < self.markets_ttl:
            return self._markets
        async with self._markets_lock:
            if self._markets is None or self.clock() - self._markets_at >= self.markets_ttl:
                fetched = await self._fetch_markets()
                self._markets = {m.symbol: m for m in fetched}
                self._markets_at = self.clock()
        return self._markets

    async def resolve(self, text: str) -> Market:
        """The market a user meant by ``text`` in any accepted spelling."""
        markets = await self.markets()
        market = find_market(markets, text)
        if market is None:
            raise UnknownSymbol(self.name, text, suggest(markets.values(), text))
        return market

    async def close(self) -> None:
        await self.http.close()

    @abstractmethod
    async def _fetch_markets(self) -> Sequence[Market]: ...

    @abstractmethod
    async def ticker(self, market: Market) -> Ticker: ...

    @abstractmethod
    async def order_book(self, market: Market, limit: int = 10) -> OrderBook: ...

    @abstractmethod
    async def trades(self, market: Market, limit: int = 20) -> Sequence[Trade]: ...

    @abstractmethod
    async def candles(self, market: Market, interval: str, count: int = 120) -> Sequence[Candle]:
        """The latest ``count`` candles of ``interval`` (one of the capability's intervals)."""

    async def ping(self) -> None:
        """A cheap call proving the upstream answers; raises an ExchangeError if not."""
        await self.markets()
