"""Prices for boards, from what the streams already know.

A board's price is the last one the stream listener (or its poller) recorded in
``LastPrices`` while it is younger than ``fresh_for`` seconds: then posting costs no
upstream call at all, however many feeds show that market. Only a market without a
fresh price is asked for its ticker, once for every board that needs it in the same
moment (concurrent askers share one call), and that answer counts as fresh too.

The 24-hour change needs the price of 24 hours ago, which no stream event carries. It
is derived from the exchange's own ticker (``last / (1 + change / 100)``), fetched at
most once per ``reference_ttl`` seconds per market, and applied to the live price.
When the ticker cannot be had, the line shows the price without a change.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from bot.feeds.model import Quote
from bot.market import MarketService
from bot.prices import LastPrices
from exchanges.errors import ExchangeError
from exchanges.models import Market, Ticker

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Polled:
    price: Decimal
    at: datetime
    fetched: float


class FeedQuotes:
    def __init__(
        self,
        market: MarketService,
        last: LastPrices,
        *,
        fresh_for: float = 120.0,
        reference_ttl: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.market_service = market
        self.last = last
        self.fresh_for = fresh_for
        self.reference_ttl = reference_ttl
        self.clock = clock
        self.upstream_calls = 0
        """Tickers fetched for boards (for tests and the benchmark)."""
        self._markets: dict[tuple[str, str], Market] = {}
        self._opens: dict[tuple[str, str], tuple[Decimal | None, float]] = {}
        self._polled: dict[tuple[str, str], _Polled] = {}
        self._inflight: dict[tuple[str, str], asyncio.Future[Ticker]] = {}

    async def resolve(self, exchange: str, text: str) -> Market:
        """The market a user typed (raises the exchange's UnknownSymbol/UnknownExchange)."""
        _, market = await self.market_service.market(exchange, text)
        self._markets[(market.exchange, market.symbol)] = market
        return market

    async def market(self, exchange: str, symbol: str) -> Market:
        known = self._markets.get((exchange, symbol))
        if known is not None:
            return known
        return await self.resolve(exchange, symbol)

    async def quote(self, exchange: str, symbol: str) -> Quote | None:
        """The line for one market now, or None when no price is known at all."""
        try:
            market = await self.market(exchange, symbol)
        except ExchangeError as error:
            log.info("feeds: %s %s unknown now: %s", exchange, symbol, type(error).__name__)
            return None
        key = (exchange, symbol)
        now = self.clock()
        tick = self.last.get(exchange, symbol)
        price: Decimal | None = None
        at: datetime | None = None
        if tick is not None and now - tick.time.timestamp() <= self.fresh_for:
            price, at = tick.price, tick.time
        else:
            polled = self._polled.get(key)
            if polled is not None and now - polled.fetched <= self.fresh_for:
                price, at = polled.price, polled.at
        opened = self._opens.get(key)
        if price is None or opened is None or now - opened[1] > self.reference_ttl:
            ticker = await self._ticker(key)
            if ticker is not None and not ticker.stale:
                fetched = self.clock()
                self._opens[key] = (_open_of(ticker), fetched)
                if price is None:
                    price = ticker.last
                    at = ticker.time or datetime.fromtimestamp(fetched, UTC)
                    self._polled[key] = _Polled(price, at, fetched)
        stale = False
        if price is None and tick is not None:  # nothing fresh: the last known, marked
            price, at, stale = tick.price, tick.time, True
        if price is None or at is None:
            return None
        open_price = self._opens.get(key, (None, 0.0))[0]
        change = None if not open_price else (price / open_price - 1) * 100
        return Quote(
            exchange=exchange,
            symbol=symbol,
            pair=market.pair,
            price=price,
            change_pct=change,
            price_decimals=market.price_decimals,
            at=at,
            stale=stale,
        )

    async def _ticker(self, key: tuple[str, str]) -> Ticker | None:
        """One ticker call per market at a time; concurrent askers share its answer."""
        waiting = self._inflight.get(key)
        if waiting is None:
            waiting = asyncio.get_running_loop().create_future()
            self._inflight[key] = waiting
            try:
                self.upstream_calls += 1
                ticker = await self.market_service.ticker(*key)
            except (ExchangeError, TimeoutError) as error:
                log.info("feeds: no ticker for %s %s: %s", *key, type(error).__name__)
                waiting.set_result(None)  # type: ignore[arg-type]
            except BaseException as error:
                waiting.set_exception(error)
                waiting.exception()  # retrieved: nobody else may be waiting
                raise
            else:
                waiting.set_result(ticker)
            finally:
                del self._inflight[key]
        return await asyncio.shield(waiting)


def _open_of(ticker: Ticker) -> Decimal | None:
    """The price 24 hours ago, from the exchange's last price and its 24-hour change."""
    change = ticker.change_24h_pct
    if change is None or change <= -100:
        return None
    return ticker.last / (1 + change / 100)
