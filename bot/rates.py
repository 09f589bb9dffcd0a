"""WallexPay's rates and exchangeable pairs, the use case behind /rates.

WallexPay signs even its rate calls, so the operator's own processing key
(``WALLEXPAY_PROCESSING_KEY``/``_SECRET``) serves everyone's /rates; without one the
command says it is not configured instead of failing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.errors import BotError
from bot.health import Health
from exchanges.errors import RequestTimeout
from exchanges.wallexpay.client import WallexPayClient
from exchanges.wallexpay.models import CurrencyPair, Rate


class RatesNotConfigured(BotError):
    """No WallexPay processing key was configured for public rates."""


@dataclass(frozen=True, slots=True)
class RatesView:
    pairs: list[CurrencyPair]
    rate: Rate | None


class RatesService:
    def __init__(self, client: WallexPayClient, health: Health, *, timeout: float = 8.0) -> None:
        self.client = client
        self.health = health
        self.timeout = timeout

    async def rates(
        self, currency_from: str | None = None, currency_to: str | None = None
    ) -> RatesView:
        if not self.client.has_credentials:
            raise RatesNotConfigured("WALLEXPAY_PROCESSING_KEY is not set")
        async with self.health.track("wallexpay"):
            try:
                async with asyncio.timeout(self.timeout):
                    if currency_from and currency_to:
                        rate = await self.client.rates(currency_from, currency_to)
                        return RatesView([rate.pair], rate)
                    pairs = await self.client.pairs(currency_from, currency_to)
                    return RatesView(pairs, None)
            except TimeoutError:
                raise RequestTimeout("wallexpay", "no answer in time") from None

    async def close(self) -> None:
        await self.client.close()
