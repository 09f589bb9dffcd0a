"""WallexPay: merchant crypto payments API v2 (signed JSON POST calls)."""

from exchanges.wallexpay.account import DEFAULT_FOREIGN_ID, WallexPayAccount
from exchanges.wallexpay.auth import Credentials, Secret
from exchanges.wallexpay.client import WallexPayClient
from exchanges.wallexpay.models import Address, Currency, CurrencyPair, CurrencyType, Rate

__all__ = [
    "DEFAULT_FOREIGN_ID",
    "Address",
    "Credentials",
    "Currency",
    "CurrencyPair",
    "CurrencyType",
    "Rate",
    "Secret",
    "WallexPayAccount",
    "WallexPayClient",
]
