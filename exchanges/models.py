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


# --- trading -----------------------------------------------------------------------
class OrderType(StrEnum):
    LIMIT = "limit"
    MARKET = "market"
    STOP_LIMIT = "stop_limit"


class OrderStatus(StrEnum):
    """Normalised order states; each client maps its document's states onto these."""

    OPEN = "open"  # accepted, nothing filled yet
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELLED = "cancelled"  # cancelled, possibly after a partial fill (see ``filled``)
    REJECTED = "rejected"

    @property
    def is_final(self) -> bool:
        return self in (OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What the bot asks an exchange to do, already rounded and checked (precision.py).

    ``price`` None means a market order. ``client_order_id`` is sent where the system
    accepts one (ALP v3), so a crash after sending can be reconciled without a duplicate.
    ``stop_price`` only for stop-limit orders where the system has them (Narkasa).
    """

    market: Market
    side: Side
    amount: Decimal
    price: Decimal | None = None
    client_order_id: str | None = None
    stop_price: Decimal | None = None

    @property
    def type(self) -> OrderType:
        if self.stop_price is not None:
            return OrderType.STOP_LIMIT
        return OrderType.MARKET if self.price is None else OrderType.LIMIT


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the exchange reports it. ``amount`` is in the base asset."""

    exchange: str
    order_id: str
    symbol: str
    side: Side
    type: OrderType
    amount: Decimal
    filled: Decimal
    status: OrderStatus
    price: Decimal | None = None
    average_price: Decimal | None = None
    client_order_id: str | None = None
    created_at: datetime | None = None
    fee: Decimal | None = None
    fee_currency: str | None = None
    stop_price: Decimal | None = None

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.filled


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of an order (a trade of the account)."""

    exchange: str
    order_id: str
    symbol: str
    side: Side
    price: Decimal
    amount: Decimal
    time: datetime
    trade_id: str | None = None
    fee: Decimal | None = None
    fee_currency: str | None = None


class TransferStatus(StrEnum):
    """Deposits and withdrawals, normalised from each document's own states."""

    PENDING = "pending"  # created / waiting for confirmation / processing
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WithdrawalTerms:
    """What a withdrawal of one currency costs and allows, where the system says."""

    currency: str
    network: str | None = None
    fee: Decimal | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    amount_decimals: int | None = None
    needs_memo: bool = False


@dataclass(frozen=True, slots=True)
class ExchangeAddress:
    """A withdrawal address saved on the exchange itself (Narkasa's ``addressList``)."""

    currency: str
    address: str
    network: str | None = None
    label: str | None = None
    memo: str | None = None


@dataclass(frozen=True, slots=True)
class WithdrawalRequest:
    currency: str
    amount: Decimal
    address: str
    network: str | None = None
    memo: str | None = None
    # Where the system takes one (WallexPay ``foreign_id``): makes a retry idempotent.
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Withdrawal:
    exchange: str
    withdrawal_id: str
    currency: str
    amount: Decimal
    address: str
    status: TransferStatus
    fee: Decimal | None = None
    network: str | None = None
    txid: str | None = None
    time: datetime | None = None


@dataclass(frozen=True, slots=True)
class Deposit:
    exchange: str
    deposit_id: str
    currency: str
    amount: Decimal
    status: TransferStatus
    address: str | None = None
    network: str | None = None
    txid: str | None = None
    time: datetime | None = None


@dataclass(frozen=True, slots=True)
class AccountEvent:
    """One push (or poll) from an account's private stream, normalised.

    ``kind``: ``order`` (``order`` set: a new state of one of the account's orders,
    fill or cancel), ``balance`` (``balances`` set), ``deposit`` (``deposit`` set) or
    ``withdrawal`` (``withdrawal`` set).
    """

    exchange: str
    kind: str
    order: Order | None = None
    balances: tuple[Balance, ...] = ()
    deposit: Deposit | None = None
    withdrawal: Withdrawal | None = None
    time: datetime | None = None


@dataclass(frozen=True, slots=True)
class TradingCapabilities:
    """What an account client can do with money, so the bot says "not offered" plainly."""

    limit_orders: bool = False
    market_orders: bool = False
    stop_limit_orders: bool = False
    cancel: bool = False
    open_orders: bool = False
    client_order_ids: bool = False
    withdraw: bool = False
    deposits_history: bool = False
    # "stream" where a private stream pushes account events, "poll" otherwise, "" none.
    account_events: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)
    withdrawals_history: bool = False
    fast_orders: bool = False
