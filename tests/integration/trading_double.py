"""A trading venue for the bot-side rules while an exchange's own trading is not wired.

``EngineClient`` is an AccountClient whose orders go to the sandbox's shared matching
engine (``sandbox/matching.py``) in this process instead of over HTTP. It records every
call it receives in ``Venue.calls`` — the "upstream" the rule tests assert on — and can
hold an order's answer back after the engine accepted it (``Venue.hold``), like the
harness's ``stall_reply``. The market data (symbols, precision, book) stay the real
sandbox's. The per-exchange end-to-end tests use the real clients and sandboxes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from exchanges.accounts import AccountClient
from exchanges.credentials import CredentialField
from exchanges.errors import InsufficientFunds, InvalidOrder, OrderNotFound
from exchanges.models import (
    AccountCheck,
    Balance,
    Deposit,
    DepositAddress,
    Fee,
    Fill,
    Market,
    Order,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TradingCapabilities,
)
from sandbox.market import SimulatedMarket
from sandbox.matching import INSUFFICIENT, MatchError, MatchingEngine, SimOrder

ACCOUNT = "demo"
STATUS = {
    "open": OrderStatus.OPEN,
    "waiting": OrderStatus.OPEN,
    "partial": OrderStatus.PARTIALLY_FILLED,
    "filled": OrderStatus.FILLED,
    "cancelled": OrderStatus.CANCELLED,
}


@dataclass
class Venue:
    name: str
    engine: MatchingEngine
    capabilities: TradingCapabilities
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    hold: asyncio.Event | None = None  # set: answers flow; clear: place_order holds
    accepted: asyncio.Event = field(default_factory=asyncio.Event)
    fail_with: Exception | None = None  # the next place_order raises this
    lost_answer: Exception | None = None  # the next order is accepted, then this is raised
    deposit_list: list[Deposit] = field(default_factory=list)

    def orders(self) -> list[SimOrder]:
        return self.engine.orders(ACCOUNT)

    def placed(self) -> list[dict[str, Any]]:
        return [args for name, args in self.calls if name == "place_order"]


def to_order(exchange: str, o: SimOrder) -> Order:
    return Order(
        exchange=exchange,
        order_id=o.order_id,
        symbol=o.symbol,
        side=Side(o.side),
        type=OrderType.MARKET if o.price is None and not o.fills else OrderType.LIMIT,
        amount=o.amount,
        filled=o.filled,
        status=STATUS[o.status],
        price=o.price,
        average_price=o.average,
        client_order_id=o.client_order_id,
        created_at=datetime.fromtimestamp(o.created_at, UTC),
    )


class EngineClient(AccountClient):
    venue: ClassVar[Venue]
    credential_fields = (
        CredentialField("key", "API key"),
        CredentialField("secret", "API secret", secret=True),
    )

    def _record(self, name: str, **args: Any) -> None:
        self.venue.calls.append((name, args))

    async def verify(self) -> AccountCheck:
        return AccountCheck()

    async def balances(self) -> Sequence[Balance]:
        self.venue.engine.sweep()
        return [
            Balance(currency, available, locked)
            for currency, (available, locked) in self.venue.engine.balances(ACCOUNT).items()
        ]

    async def deposit_address(
        self, currency: str, network: str | None = None, *, owner: str | None = None
    ) -> DepositAddress:
        return DepositAddress(currency, "demo-address")

    async def trading_fee(self, market: Market) -> Fee | None:
        return Fee(maker_pct=Decimal("0.2"), taker_pct=Decimal("0.2"))

    async def place_order(self, request: OrderRequest) -> Order:
        m = request.market
        self._record(
            "place_order",
            symbol=m.symbol,
            side=request.side.value,
            amount=request.amount,
            price=request.price,
            client_order_id=request.client_order_id,
        )
        if self.venue.fail_with is not None:
            error, self.venue.fail_with = self.venue.fail_with, None
            raise error
        try:
            sim = self.venue.engine.place(
                ACCOUNT,
                symbol=m.symbol,
                base=m.base,
                quote=m.quote,
                side=request.side.value,
                amount=request.amount,
                price=request.price,
                client_order_id=request.client_order_id,
            )
        except MatchError as exc:
            if exc.reason == INSUFFICIENT:
                raise InsufficientFunds(self.name, exc.detail) from None
            raise InvalidOrder(self.name, exc.detail) from None
        self.venue.accepted.set()
        if self.venue.lost_answer is not None:
            error, self.venue.lost_answer = self.venue.lost_answer, None
            raise error
        if self.venue.hold is not None:
            await self.venue.hold.wait()
        return to_order(self.name, sim)

    async def cancel_order(self, order_id: str, market: Market | None = None) -> Order | None:
        self._record("cancel_order", order_id=order_id)
        try:
            return to_order(self.name, self.venue.engine.cancel(ACCOUNT, order_id))
        except MatchError:
            raise OrderNotFound(self.name, order_id) from None

    async def open_orders(self, market: Market | None = None) -> Sequence[Order]:
        self._record("open_orders")
        self.venue.engine.sweep()
        return [
            to_order(self.name, o)
            for o in self.venue.engine.orders(
                ACCOUNT, market.symbol if market else None, open_only=True
            )
        ]

    async def order(self, order_id: str, market: Market | None = None) -> Order:
        self._record("order", order_id=order_id)
        try:
            return to_order(self.name, self.venue.engine.get(ACCOUNT, order_id))
        except MatchError:
            raise OrderNotFound(self.name, order_id) from None

    async def order_by_client_id(self, client_order_id: str) -> Order | None:
        self._record("order_by_client_id", client_order_id=client_order_id)
        found = self.venue.engine.by_client_id(ACCOUNT, client_order_id)
        return to_order(self.name, found) if found is not None else None

    async def deposits(self, limit: int = 50) -> Sequence[Deposit]:
        self._record("deposits")
        return list(reversed(self.venue.deposit_list))[:limit]

    async def fills(self, market: Market | None = None, limit: int = 50) -> Sequence[Fill]:
        self._record("fills")
        out = [
            Fill(
                self.name, o.order_id, o.symbol, Side(o.side), p, a, datetime.fromtimestamp(t, UTC)
            )
            for o in self.venue.orders()
            for p, a, t in o.fills
        ]
        return sorted(out, key=lambda f: f.time, reverse=True)[:limit]


def install(
    app_services: Any,
    market: SimulatedMarket,
    exchange: str,
    balances: dict[str, tuple[Decimal, Decimal]],
    *,
    venue: Venue | None = None,
    **capabilities: Any,
) -> Venue:
    """Serve ``exchange``'s accounts from the engine: the bot's account factory for it
    becomes an EngineClient bound to ``venue`` (a new one by default)."""
    if venue is None:
        engine = MatchingEngine(market, exchange)
        engine.book(ACCOUNT, dict(balances))
        caps = TradingCapabilities(
            limit_orders=True,
            market_orders=capabilities.pop("market_orders", True),
            cancel=True,
            open_orders=True,
            client_order_ids=capabilities.pop("client_order_ids", False),
            deposits_history=True,
            account_events=capabilities.pop("account_events", "poll"),
        )
        venue = Venue(exchange, engine, caps)
    caps = venue.capabilities
    cls = type(
        "EngineClient_" + exchange,
        (EngineClient,),
        {"venue": venue, "name": exchange, "title": exchange, "trading": caps},
    )
    accounts = app_services.accounts
    _, url = accounts.factories[exchange]
    accounts.factories[exchange] = (cls, url)
    return venue
