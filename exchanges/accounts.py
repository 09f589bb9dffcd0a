"""The contract of a signed, per-user account client, and the nonce source it may need.

An account client holds one user's ``Credentials`` for as long as one command needs
them; the bot builds it, makes its calls and closes it. ``credential_fields`` tells
/connect exactly what to ask for on that system.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Protocol

from exchanges.credentials import CredentialField, Credentials
from exchanges.errors import NotSupported
from exchanges.http import HttpPipeline
from exchanges.models import (
    AccountCheck,
    AccountProfile,
    Balance,
    Deposit,
    DepositAddress,
    ExchangeAddress,
    Fee,
    Fill,
    Market,
    Order,
    OrderRequest,
    Side,
    TradingCapabilities,
    Withdrawal,
    WithdrawalRequest,
    WithdrawalTerms,
)
from exchanges.streams import AccountStream


class NonceSource(Protocol):
    """Strictly increasing integers per scope (one API key), across restarts and
    concurrent calls; ``at_least`` moves the sequence past a value the upstream says
    it has already seen."""

    async def next_nonce(self, scope: str, at_least: int = 0) -> int: ...


class MemoryNonces:
    """A process-local NonceSource (tests, and systems that accept time-based nonces)."""

    def __init__(self, start: int = 0) -> None:
        self._last: dict[str, int] = {}
        self._start = start

    async def next_nonce(self, scope: str, at_least: int = 0) -> int:
        value = max(self._last.get(scope, self._start), at_least) + 1
        self._last[scope] = value
        return value


class AccountClient(ABC):
    name: str = ""
    title: str = ""
    credential_fields: tuple[CredentialField, ...] = ()
    trading: TradingCapabilities = TradingCapabilities()

    def __init__(
        self,
        http: HttpPipeline,
        credentials: Credentials,
        *,
        clock: Callable[[], float] = time.time,
        nonces: NonceSource | None = None,
    ) -> None:
        self.http = http
        self.credentials = credentials
        self.clock = clock
        self.nonces = nonces or MemoryNonces()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.http.base_url!r})"

    @abstractmethod
    async def verify(self) -> AccountCheck:
        """A harmless signed call proving the credentials; AuthenticationError if not."""

    @abstractmethod
    async def balances(self) -> Sequence[Balance]: ...

    @abstractmethod
    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        """``owner`` is a stable, opaque reference to the end user, for systems that tag
        addresses per customer (WallexPay's ``foreign_id``); others ignore it."""

    async def profile(self) -> AccountProfile:
        raise NotSupported(self.name, "no account profile")

    # --- trading: every method raises NotSupported unless ``trading`` says otherwise ---
    async def place_order(self, request: OrderRequest) -> Order:
        """Send one order, already rounded and checked; the exchange's answer as an Order."""
        raise NotSupported(self.name, "no trading")

    async def place_fast_order(
        self,
        market: Market,
        side: Side,
        *,
        total: Decimal | None = None,
        amount: Decimal | None = None,
    ) -> Order:
        """A "fast" order (``trading.fast_orders``: Narkasa): a market order sized by
        the quote ``total`` to spend (buy) or the base ``amount`` to sell."""
        raise NotSupported(self.name, "no fast orders")

    async def cancel_order(self, order_id: str, market: Market | None = None) -> Order | None:
        """Cancel one open order; the order's new state where the system returns it."""
        raise NotSupported(self.name, "no order cancelling")

    async def open_orders(self, market: Market | None = None) -> Sequence[Order]:
        raise NotSupported(self.name, "no open-orders list")

    async def order(self, order_id: str, market: Market | None = None) -> Order:
        """One order's current state (open or not); OrderNotFound if the system has none."""
        raise NotSupported(self.name, "no order lookup")

    async def order_by_client_id(self, client_order_id: str) -> Order | None:
        """The order sent with this client order id, or None: crash recovery."""
        raise NotSupported(self.name, "no client order ids")

    async def fills(self, market: Market | None = None, limit: int = 50) -> Sequence[Fill]:
        """The account's latest executions, newest first."""
        raise NotSupported(self.name, "no trade history")

    async def trading_fee(self, market: Market) -> Fee | None:
        """The account's fee on this market, for an order preview; None if unknown."""
        return None

    async def withdrawal_terms(self, currency: str, network: str | None = None) -> WithdrawalTerms:
        """Fee and limits of a withdrawal, for its preview (fields None where unknown)."""
        return WithdrawalTerms(currency=currency.upper(), network=network)

    async def withdraw(self, request: WithdrawalRequest) -> Withdrawal:
        raise NotSupported(self.name, "no withdrawals")

    async def deposits(self, limit: int = 50) -> Sequence[Deposit]:
        """Latest deposits, newest first (deposit alerts where no stream pushes them)."""
        raise NotSupported(self.name, "no deposit history")

    async def withdrawal_addresses(self, currency: str) -> Sequence[ExchangeAddress]:
        """The withdrawal addresses the user saved on the exchange for ``currency``."""
        raise NotSupported(self.name, "no saved withdrawal addresses")

    async def withdrawals(self, limit: int = 50) -> Sequence[Withdrawal]:
        """Latest withdrawals with their states, newest first (``trading.withdrawals_history``)."""
        raise NotSupported(self.name, "no withdrawal history")

    def account_stream(self, stream_url: str) -> AccountStream:
        """A private stream of this account's events at ``stream_url`` (the system's
        stream root, e.g. ``WALLEX_SOCKET_URL``), where ``trading.account_events`` is
        "stream". The stream holds these credentials for as long as it runs."""
        raise NotSupported(self.name, "no private stream")

    async def close(self) -> None:
        await self.http.close()
