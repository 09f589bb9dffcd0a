"""What the ALP.COM sandbox lists, and how ALP writes its numbers.

The document writes every amount as an unquoted JSON number: ``pairs/`` pads its order
sizes to eight places (``100000000.00000000``, ``0.00000001``), ``exchanges/`` pads
prices and amounts to eight places (``839.36000000``), the order book and charts give
the pair's own places (``911.519``, ``0.000446``), and ``ticker/`` writes bare numbers
(``0.076``, ``0``). The helpers below produce exactly those shapes as ``Decimal`` so
``sandbox.wire`` writes them unquoted and exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Context, Decimal

from sandbox.market import quantize


@dataclass(frozen=True, slots=True)
class AlpPair:
    base: str
    quote: str
    price_precision: int
    amount_precision: int
    minimum_order_size: str
    maximum_order_size: str
    liquidity_type: int = 10

    @property
    def name(self) -> str:
        return f"{self.base}_{self.quote}"


# BTC_USD carries the document's own example values; the rest are ALP's USDT and BTC
# books with precisions of the same kind.
PAIRS: tuple[AlpPair, ...] = (
    AlpPair("BTC", "USD", 2, 6, "0.00000001", "100000000"),
    AlpPair("BTC", "USDT", 2, 6, "0.00001", "100"),
    AlpPair("ETH", "USDT", 2, 4, "0.0001", "5000"),
    AlpPair("LTC", "USDT", 2, 4, "0.001", "50000"),
    AlpPair("SOL", "USDT", 3, 3, "0.01", "50000"),
    AlpPair("TRX", "USDT", 5, 1, "10", "10000000"),
    AlpPair("DOGE", "USDT", 5, 0, "10", "10000000"),
    AlpPair("ETH", "BTC", 6, 4, "0.001", "5000"),
    AlpPair("LTC", "BTC", 8, 3, "0.01", "50000"),
)
# ``sign`` as ``currencies/`` shows it (the document gives Ƀ and Ξ).
SIGNS: dict[str, str] = {
    "BTC": "Ƀ",
    "ETH": "Ξ",
    "LTC": "Ł",
    "SOL": "◎",
    "TRX": "TRX",
    "DOGE": "Ð",
    "USDT": "₮",
    "USD": "$",
}
# The document's timeframe table: value in the path → candle length in seconds.
TIMEFRAMES: dict[str, int] = {
    "5": 300,
    "15": 900,
    "30": 1800,
    "60": 3600,
    "240": 4 * 3600,
    "D": 86400,
}
VENUE = "alp"


class Positional(Decimal):
    """A Decimal that writes itself as ``0.00000001``, never ``1E-8``.

    ``sandbox.wire`` writes a Decimal with its ``str``, which turns small values into
    exponent notation; the document never shows that form.
    """

    def __str__(self) -> str:
        return Decimal.__format__(self, "f")

    def __format__(self, specifier: str, context: Context | None = None, /) -> str:
        return Decimal.__format__(self, specifier or "f")


def fixed(value: float | Decimal, places: int) -> Decimal:
    """Rounded to ``places`` and written with exactly that many places."""
    return Positional(quantize(value, places))


def padded(value: float | Decimal, places: int, pad: int = 8) -> Decimal:
    """Rounded to the pair's ``places``, then written with ``pad`` places (``839.36000000``)."""
    return Positional(quantize(quantize(value, places), max(places, pad)))


def bare(value: float | Decimal, places: int) -> Decimal:
    """Rounded to ``places`` and written without trailing zeros (``0.076``, ``0``)."""
    exact = quantize(value, places)
    if exact == exact.to_integral_value():
        return Positional(exact.quantize(Decimal(1)))
    return Positional(exact.normalize())
