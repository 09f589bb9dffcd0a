"""WallexPay's own values: currencies, exchangeable pairs and rates.

WallexPay is a merchant payment gateway, not an exchange with markets, so these are
not ``exchanges.models.Market``s. Frozen dataclasses with ``Decimal`` amounts, as
everywhere else in Sarraf.

How a pair's ``rate_from``/``rate_to`` read: the document's example gives, for
BTC→EUR, ``rate_from "1"``/``rate_to "8795.8"`` and, for EUR→BTC, ``"1"``/``"8885.73"``.
Read literally ("1 EUR gives 8885 BTC") the second is absurd; both are the price of
one BTC in EUR, the first when the merchant sells BTC, the second when it buys. So
the priced unit (``base``) is the crypto side and the pricing unit (``quote``) the
fiat side whatever the direction; between two cryptos the literal reading holds
(``base`` = from, ``quote`` = to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


class CurrencyType(StrEnum):
    CRYPTO = "crypto"
    FIAT = "fiat"


@dataclass(frozen=True, slots=True)
class Currency:
    """One entry of ``currencies/list``. The document gives no display name."""

    code: str
    type: CurrencyType
    precision: int
    minimum_amount: Decimal | None = None
    deposit_fee_percent: Decimal | None = None
    withdrawal_fee_percent: Decimal | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class CurrencyPair:
    """One entry of ``currencies/pairs`` (and of ``currencies/rates``).

    ``min_amount`` is the least amount of ``currency_from`` WallexPay exchanges;
    ``min_amount_deposit_with_exchange`` the least deposit converted on arrival
    (given for crypto senders only). The document states no maximum.
    """

    currency_from: str
    from_type: CurrencyType
    currency_to: str
    to_type: CurrencyType
    rate_from: Decimal | None = None
    rate_to: Decimal | None = None
    min_amount: Decimal | None = None
    min_amount_deposit_with_exchange: Decimal | None = None

    @property
    def base(self) -> str:
        """The currency the rate prices (see the module docstring)."""
        return self.currency_to if self._fiat_to_crypto else self.currency_from

    @property
    def quote(self) -> str:
        """The currency the rate is expressed in."""
        return self.currency_from if self._fiat_to_crypto else self.currency_to

    @property
    def price(self) -> Decimal | None:
        """Units of ``quote`` for one ``base`` (``rate_to / rate_from``)."""
        if self.rate_from is None or self.rate_to is None or not self.rate_from:
            return None
        if self.rate_from == 1:
            return self.rate_to
        return self.rate_to / self.rate_from

    @property
    def _fiat_to_crypto(self) -> bool:
        return self.from_type is CurrencyType.FIAT and self.to_type is not CurrencyType.FIAT


@dataclass(frozen=True, slots=True)
class Rate:
    """The rate of one pair as ``currencies/rates`` gave it.

    ``rate`` is the pair's price (units of ``quote`` per ``base``); ``time`` is when
    the answer arrived, as the document's answer carries no time of its own.
    """

    pair: CurrencyPair
    rate: Decimal
    time: datetime

    @property
    def currency_from(self) -> str:
        return self.pair.currency_from

    @property
    def currency_to(self) -> str:
        return self.pair.currency_to

    @property
    def base(self) -> str:
        return self.pair.base

    @property
    def quote(self) -> str:
        return self.pair.quote


@dataclass(frozen=True, slots=True)
class Address:
    """One deposit address as ``addresses/take`` gives it.

    ``foreign_id`` is the merchant's own reference, echoed back in callbacks about
    deposits to this address; ``convert_to`` is the currency every deposit is
    exchanged into on arrival (None: kept as received); ``tag`` is the destination
    tag/memo some currencies need besides the address (None where there is none).
    """

    id: int
    currency: str
    address: str
    foreign_id: str | None = None
    convert_to: str | None = None
    tag: str | None = None


# --- payments: exchange quotes, transactions, futures, invoices -------------------------
@dataclass(frozen=True, slots=True)
class Quote:
    """``exchange/calculate``: what ``sender_amount`` of ``sender_currency`` buys, at
    ``price``, fixed from ``fixed_at`` until ``release_at`` (``exchange/fixed`` within it)."""

    sender_amount: Decimal
    sender_currency: str
    receiver_amount: Decimal
    receiver_currency: str
    price: Decimal
    fixed_at: datetime
    release_at: datetime
    fix_period: int | None = None
    fee_amount: Decimal | None = None
    fee_currency: str | None = None

    @property
    def ts_fixed(self) -> int:
        return int(self.fixed_at.timestamp())

    @property
    def ts_release(self) -> int:
        return int(self.release_at.timestamp())

    def holds_at(self, now: datetime) -> bool:
        return now <= self.release_at


@dataclass(frozen=True, slots=True)
class Transaction:
    """A withdrawal or an exchange as WallexPay answered it (or a callback told it).

    ``status`` is WallexPay's own word: ``processing`` in an answer; ``not_confirmed``,
    ``confirmed``, ``cancelled`` or ``pending`` in callbacks."""

    id: str
    type: str
    status: str
    sender_amount: Decimal
    sender_currency: str
    receiver_amount: Decimal
    receiver_currency: str
    foreign_id: str | None = None
    fee_amount: Decimal | None = None
    fee_currency: str | None = None
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class FuturesRates:
    """``futures/rates`` for one exchange address: per pair (``BTCUSD``), the price per
    receiving amount tier, fixed from ``fixed_at`` to ``release_at``."""

    addresses: tuple[Address, ...]
    fixed_at: datetime
    release_at: datetime
    rates: dict[str, dict[Decimal, Decimal]]


@dataclass(frozen=True, slots=True)
class FuturesConfirmation:
    """``futures/confirm``: a deposit of ``sender_amount`` to ``address`` until
    ``release_at`` arrives as ``receiver_amount`` at ``price``."""

    futures_id: str
    sender_currency: str
    receiver_currency: str
    price: Decimal
    address: Address
    sender_amount: Decimal
    receiver_amount: Decimal
    fixed_at: datetime
    release_at: datetime
    fee_amount: Decimal | None = None
    fee_currency: str | None = None


class InvoiceStatus(StrEnum):
    """What the document shows (``created``) and what callbacks tell afterwards."""

    CREATED = "created"
    PAID = "paid"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Invoice:
    """``invoices/create``'s answer: the link the customer pays at."""

    id: str
    url: str
    status: str
    currency: str
    amount: Decimal
    foreign_id: str | None = None
    title: str | None = None
    sender_currency: str | None = None
    sender_amount: Decimal | None = None
    fixed_at: datetime | None = None
    release_at: datetime | None = None
