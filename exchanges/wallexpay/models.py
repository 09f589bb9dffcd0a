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
