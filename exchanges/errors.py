"""One explicit error tree for every upstream.

The network branch (``NetworkError``) means "try again later"; everything else under
``ExchangeError`` is the exchange saying no, which retrying will not change. Messages
never carry secrets: they hold only what the user may see.
"""

from __future__ import annotations

from collections.abc import Sequence


class ExchangeError(Exception):
    """Base of every error an exchange client raises."""

    def __init__(self, exchange: str, message: str = "") -> None:
        super().__init__(f"{exchange}: {message}" if message else exchange)
        self.exchange = exchange
        self.message = message


class NetworkError(ExchangeError):
    """Retryable: the request may succeed if sent again later."""


class ExchangeUnavailable(NetworkError):
    """Connection refused, 5xx, maintenance."""


class RequestTimeout(NetworkError):
    """No answer within the client's deadline."""


class RateLimited(NetworkError):
    def __init__(self, exchange: str, message: str = "", retry_after: float | None = None) -> None:
        super().__init__(exchange, message)
        self.retry_after = retry_after


class BadResponse(ExchangeError):
    """The upstream answered something we cannot read (not JSON, missing fields)."""


class UnknownSymbol(ExchangeError):
    def __init__(self, exchange: str, symbol: str, suggestions: Sequence[str] = ()) -> None:
        super().__init__(exchange, f"unknown market {symbol!r}")
        self.symbol = symbol
        self.suggestions = tuple(suggestions)


class UnsupportedInterval(ExchangeError):
    def __init__(self, exchange: str, interval: str, supported: Sequence[str]) -> None:
        super().__init__(exchange, f"interval {interval!r} not offered")
        self.interval = interval
        self.supported = tuple(supported)


class NotSupported(ExchangeError):
    """The system does not offer this operation at all."""


class RejectedRequest(ExchangeError):
    """The exchange refused the request for a reason it stated (its own message)."""


class AuthenticationError(ExchangeError):
    pass


class InsufficientFunds(ExchangeError):
    pass


class InvalidOrder(ExchangeError):
    pass


class OrderNotFound(ExchangeError):
    pass


class WithdrawalRejected(ExchangeError):
    pass


class BelowMinimum(InvalidOrder):
    """Amount or total under the market's (or withdrawal's) minimum."""


class BadPrecision(InvalidOrder):
    """Price or amount with more places (or off the tick/step) than the market allows."""


class MarketClosed(InvalidOrder):
    """The market is suspended or not tradable now."""


class InvalidNonce(ExchangeError):
    """The system refused the request's nonce/timestamp (clock skew, a reused nonce)."""


class QuoteExpired(ExchangeError):
    """A fixed-rate quote (WallexPay exchange/futures) is no longer valid."""
