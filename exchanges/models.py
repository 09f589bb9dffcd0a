"""Normalised market data shared by every exchange client.

Frozen dataclasses so a value handed to a handler or cached cannot change under
another reader; every amount is a ``Decimal`` because these numbers are money and a
float would silently round them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"


@dataclass(frozen=True, slots=True)
class Market:
    """One tradable pair as the exchange defines it.

    ``symbol`` is the exchange's own spelling (``BTCTMN``, ``BTC_USDT``, ``btc_usd``);
    ``base``/``quote`` are upper-case asset codes so markets of different exchanges
    can be compared. ``price_decimals`` / ``amount_decimals`` are how many places the
    exchange accepts; ``tick_size`` / ``step_size`` are set where the exchange states
    an increment instead.
    """

    exchange: str
    symbol: str
    base: str
    quote: str
    price_decimals: int
    amount_decimals: int
    tick_size: Decimal | None = None
    step_size: Decimal | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    min_notional: Decimal | None = None
    active: bool = True

    @property
    def pair(self) -> str:
        return f"{self.base}/{self.quote}"


@dataclass(frozen=True, slots=True)
class Ticker:
    market: Market
    last: Decimal
    bid: Decimal | None
    ask: Decimal | None
    change_24h_pct: Decimal | None
    volume_24h: Decimal | None
    quote_volume_24h: Decimal | None = None
    high_24h: Decimal | None = None
    low_24h: Decimal | None = None
    time: datetime | None = None
    # True when this is the last price seen on a stream, not a fresh answer.
    stale: bool = False


@dataclass(frozen=True, slots=True)
class BookLevel:
    price: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class OrderBook:
    market: Market
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    time: datetime | None = None

    @property
    def best_bid(self) -> BookLevel | None:
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> BookLevel | None:
        return self.asks[0] if self.asks else None


@dataclass(frozen=True, slots=True)
class Trade:
    market: Market
    price: Decimal
    amount: Decimal
    side: Side | None
    time: datetime
    trade_id: str | None = None


@dataclass(frozen=True, slots=True)
class Candle:
    time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a system can do, so the bot can say "not offered" instead of failing."""

    order_book: bool = True
    trades: bool = True
    candles: bool = True
    candle_intervals: tuple[str, ...] = ()
    stream: bool = False
    # True where the system has no candle endpoint and candles are built from its trades.
    candles_from_trades: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Balance:
    currency: str
    available: Decimal
    locked: Decimal

    @property
    def total(self) -> Decimal:
        return self.available + self.locked


@dataclass(frozen=True, slots=True)
class DepositAddress:
    currency: str
    address: str
    network: str | None = None
    memo: str | None = None


@dataclass(frozen=True, slots=True)
class KeyRights:
    """What an API key may do, where the system says (None: it does not say)."""

    info: bool | None = None
    trade: bool | None = None
    withdraw: bool | None = None


@dataclass(frozen=True, slots=True)
class Fee:
    """A fee level: maker and taker as percentages (0.1 means 0.1 %)."""

    maker_pct: Decimal | None
    taker_pct: Decimal | None
    level: str | None = None
    market: str | None = None


@dataclass(frozen=True, slots=True)
class AccountProfile:
    """What a system tells about the account, as label/value lines to show, plus fees."""

    lines: tuple[tuple[str, str], ...] = ()
    fees: tuple[Fee, ...] = ()


@dataclass(frozen=True, slots=True)
class AccountCheck:
    """The answer of /connect's harmless signed call: who the key belongs to, what it may do."""

    account_label: str | None = None
    rights: KeyRights | None = None


@dataclass(frozen=True, slots=True)
class Tick:
    """One price event from a stream (or a poll), normalised.

    ``symbol`` is the exchange's own market symbol; ``price`` the last trade price
    (or the ticker's last); ``bid``/``ask`` where the event carries them.
    """

    exchange: str
    symbol: str
    price: Decimal
    time: datetime
    bid: Decimal | None = None
    ask: Decimal | None = None
    source: str = "stream"
