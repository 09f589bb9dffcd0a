"""WallexPay's rates as an alert source: ``/alert wallexpay BTC/USDT above 100000``.

WallexPay is a payment gateway, not an exchange: no stream, no order book, no candles,
only ``currencies/rates`` per pair. So its alerts are fed by the stream supervisor's
adaptive polling (``StreamSupervisor.add_source``), one rate call per watched pair, and
a restart or a gap is caught up from the current rate alone (a level crossed and
crossed back while the bot was down is not seen: there is no history to look at).

The calls are signed with the operator's processing key (``bot/rates.py``); without
one, creating an alert says so (``RatesNotConfigured``) instead of failing silently.

A market here is a pair in WallexPay's direction, written ``FROM-TO`` (``BTC-USDT``);
its price is the pair's rate, units of ``quote`` per ``base`` (``exchanges/wallexpay/
models.py``). The user may type ``BTC/USDT``, ``btc-usdt``, ``BTC_USDT`` or ``BTCUSDT``.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from bot.rates import RatesNotConfigured, RatesService
from exchanges.errors import ExchangeError, UnknownSymbol
from exchanges.models import Market

log = logging.getLogger(__name__)

NAME = "wallexpay"
_SEPARATORS = re.compile(r"[/\-_:]")


def symbol_of(currency_from: str, currency_to: str) -> str:
    return f"{currency_from.upper()}-{currency_to.upper()}"


def split_symbol(symbol: str) -> tuple[str, str] | None:
    """``BTC-USDT`` (any separator, any case) → ("BTC", "USDT"); None without one."""
    parts = [p for p in _SEPARATORS.split(symbol.strip().upper()) if p]
    return (parts[0], parts[1]) if len(parts) == 2 else None


def places(value: Decimal) -> int:
    """Rates have no market precision; shown as /rates shows them (two places for large
    numbers, more for small ones), and polled prices are rounded the same way."""
    return 2 if abs(value) >= 100 else 4 if abs(value) >= 1 else 8


def rounded(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places(value)))


class WallexPayRates:
    """Pairs and current rates of WallexPay, shaped as markets and prices for alerts."""

    name = NAME

    def __init__(self, rates: RatesService) -> None:
        self.rates = rates

    async def market(self, text: str) -> tuple[Market, Decimal]:
        """The pair the user typed and its rate now; ``UnknownSymbol`` if not offered,
        ``RatesNotConfigured`` without the operator's key."""
        pair = split_symbol(text) or await self._split_joined(text)
        view = await self.rates.rates(*pair)
        rate = view.rate
        if rate is None:  # pragma: no cover - rates() with both codes always has one
            raise UnknownSymbol(NAME, text)
        symbol = symbol_of(rate.currency_from, rate.currency_to)
        market = Market(
            exchange=NAME,
            symbol=symbol,
            base=rate.base,
            quote=rate.quote,
            price_decimals=places(rate.rate),
            amount_decimals=8,
        )
        return market, rounded(rate.rate)

    async def _split_joined(self, text: str) -> tuple[str, str]:
        """``BTCUSDT``: find the offered pair spelled that way."""
        joined = text.strip().upper()
        view = await self.rates.rates()
        for pair in view.pairs:
            if pair.currency_from.upper() + pair.currency_to.upper() == joined:
                return pair.currency_from, pair.currency_to
        suggestions = sorted(
            symbol_of(p.currency_from, p.currency_to)
            for p in view.pairs
            if joined.startswith(p.currency_from.upper())
        )
        raise UnknownSymbol(NAME, text, suggestions[:5])

    async def price(self, symbol: str) -> Decimal:
        pair = split_symbol(symbol)
        if pair is None:
            raise UnknownSymbol(NAME, symbol)
        view = await self.rates.rates(*pair)
        if view.rate is None:  # pragma: no cover
            raise UnknownSymbol(NAME, symbol)
        return rounded(view.rate.rate)

    async def prices(self, symbols: Iterable[str]) -> Mapping[str, Decimal]:
        """Current rates of ``symbols``, for the poller; a pair that failed is left out,
        and when every one failed the first error is raised (the poller backs off)."""
        wanted = sorted(set(symbols))
        found = await asyncio.gather(*(self.price(s) for s in wanted), return_exceptions=True)
        prices: dict[str, Decimal] = {}
        errors: list[BaseException] = []
        for symbol, result in zip(wanted, found, strict=True):
            if isinstance(result, BaseException):
                errors.append(result)
                log.info("wallexpay rate of %s: %s", symbol, type(result).__name__)
            else:
                prices[symbol] = result
        if wanted and not prices and errors:
            first = errors[0]
            if isinstance(first, RatesNotConfigured):
                raise ExchangeError(NAME, "WALLEXPAY_PROCESSING_KEY is not set")
            if isinstance(first, ExchangeError):
                raise first
            if isinstance(first, Exception):
                raise ExchangeError(NAME, type(first).__name__) from first
            raise first
        return prices
