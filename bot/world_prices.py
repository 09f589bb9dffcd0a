"""A coin's world price (Wallex's ``/v1/currencies/stats``) beside Wallex's own price.

Why it is optional and bounded: the line is extra information under ``/price wallex``,
so it must never delay or break the price itself. One fetch serves every coin for
``ttl`` seconds (the list holds all of them), a fetch has ``deadline`` seconds, and any
failure means no line (and is not counted against Wallex's health: the price call
already says whether Wallex answers).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bot.market import MarketService
from exchanges.errors import ExchangeError
from exchanges.wallex.client import WallexClient
from exchanges.wallex.world import WorldStats

log = logging.getLogger(__name__)


class WorldPrices:
    def __init__(
        self,
        market: MarketService,
        *,
        ttl: float = 60.0,
        deadline: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.market = market
        self.ttl = ttl
        self.deadline = deadline
        self.clock = clock
        self._stats: dict[str, WorldStats] = {}
        self._at: float | None = None
        self._lock = asyncio.Lock()

    async def of(self, exchange: str, asset: str) -> WorldStats | None:
        """The asset's world stats when ``exchange`` is Wallex and they are at hand."""
        if not self.market.is_exchange(exchange):
            return None
        client = self.market.client(exchange)
        if not isinstance(client, WallexClient):
            return None
        async with self._lock:
            fresh = self._at is not None and self.clock() - self._at < self.ttl
            if not fresh:
                try:
                    async with asyncio.timeout(self.deadline):
                        self._stats = await client.currency_stats()
                    self._at = self.clock()
                except (ExchangeError, TimeoutError) as exc:
                    log.info("wallex currencies/stats unavailable: %s", type(exc).__name__)
                    return None
        return self._stats.get(asset.upper())
