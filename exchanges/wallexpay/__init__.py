"""WallexPay: merchant crypto payments API v2 (signed JSON POST calls)."""

from exchanges.wallexpay.auth import Credentials, Secret
from exchanges.wallexpay.client import WallexPayClient
from exchanges.wallexpay.models import Currency, CurrencyPair, CurrencyType, Rate

__all__ = [
    "Credentials",
    "Currency",
    "CurrencyPair",
    "CurrencyType",
    "Rate",
    "Secret",
    "WallexPayClient",
]
