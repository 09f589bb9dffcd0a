"""Order matching against the simulated market, shared by the exchange sandboxes.

Every sandbox speaks its own document on the wire; underneath, orders behave alike:
a limit order locks its funds and fills when the venue's simulated price crosses its
limit; a market order fills at once at the current bid/ask; a stop-limit order waits
until the price reaches its stop, then rests as a limit order. Balances move exactly
(Decimal), and every change of an order is reported to the engine's listeners, so a
sandbox's private stream can push it.

Each sandbox keeps its own accounts; the engine works on the account's balance map,
``currency -> (available, locked)``, which it mutates in place. Fills happen in
``sweep()`` — called by each request the sandbox serves and by ``run()`` in the
background — so a test moves the price (``SimulatedMarket.shift``) and waits for the
fill event rather than sleeping. ``max_fill`` splits large fills over several sweeps,
which is how tests see partial fills.

This module imports nothing of Sarraf.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from sandbox.market import SimulatedMarket, quantize

Balances = MutableMapping[str, tuple[Decimal, Decimal]]
Listener = Callable[["SimOrder"], None]

OPEN = "open"
PARTIAL = "partial"
FILLED = "filled"
CANCELLED = "cancelled"
WAITING = "waiting"  # a stop-limit order whose stop has not been reached


class MatchError(Exception):
    """A refusal; ``reason`` is one of the constants below, each sandbox maps it to
    its document's own code and wording."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


INSUFFICIENT = "insufficient_funds"
NOT_FOUND = "order_not_found"
NOT_OPEN = "order_not_open"
BAD_AMOUNT = "bad_amount"


@dataclass
class SimOrder:
    order_id: str
    account: str
    symbol: str
    base: str
    quote: str
    side: str  # "buy" | "sell"
    amount: Decimal
    price: Decimal | None  # None: market order
    created_at: float
    stop_price: Decimal | None = None
    client_order_id: str | None = None
    filled: Decimal = Decimal(0)
    # Quote spent (buy) or received (sell) so far, before fees.
    filled_quote: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    status: str = OPEN
    updated_at: float = 0.0
    fills: list[tuple[Decimal, Decimal, float]] = field(default_factory=list)

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.filled

    @property
    def average(self) -> Decimal | None:
        return (self.filled_quote / self.filled) if self.filled else None

    @property
    def is_open(self) -> bool:
        return self.status in (OPEN, PARTIAL, WAITING)


@dataclass
class _Book:
    balances: Balances
    orders: dict[str, SimOrder] = field(default_factory=dict)


class MatchingEngine:
    def __init__(
        self,
        market: SimulatedMarket,
        venue: str,
        *,
        fee_rate: Decimal = Decimal("0.002"),
        price_decimals: Callable[[str, str], int] = lambda base, quote: 8,
        first_id: int = 1000,
    ) -> None:
        self.market = market
        self.venue = venue
        self.fee_rate = fee_rate
        self.price_decimals = price_decimals
        self.max_fill: Decimal | None = None
        # Optional per-order fee rate (maker/taker, per account or market); ``fee_rate``
        # when None.
        self.fee_rate_for: Callable[[SimOrder], Decimal] | None = None
        self._ids = itertools.count(first_id)
        self._books: dict[str, _Book] = {}
        self.listeners: list[Listener] = []

    # --- accounts ---------------------------------------------------------------
    def book(self, account: str, balances: Balances) -> None:
        """Register (or re-bind) an account's balance map."""
        existing = self._books.get(account)
        if existing is None:
            self._books[account] = _Book(balances)
        else:
            existing.balances = balances

    def balances(self, account: str) -> Balances:
        return self._books[account].balances

    # --- prices -----------------------------------------------------------------
    def last(self, base: str, quote: str) -> Decimal:
        price = self.market.price(base, quote, venue=self.venue)
        return quantize(price, self.price_decimals(base, quote))

    def bid_ask(self, base: str, quote: str) -> tuple[Decimal, Decimal]:
        last = self.market.price(base, quote, venue=self.venue)
        half = self.market.spread(base, quote) / 2
        decimals = self.price_decimals(base, quote)
        return quantize(last * (1 - half), decimals), quantize(last * (1 + half), decimals)

    # --- orders -----------------------------------------------------------------
    def place(
        self,
        account: str,
        *,
        symbol: str,
        base: str,
        quote: str,
        side: str,
        amount: Decimal,
        price: Decimal | None = None,
        stop_price: Decimal | None = None,
        client_order_id: str | None = None,
    ) -> SimOrder:
        """Lock the funds and accept the order (a market order fills before returning)."""
        if amount <= 0 or (price is not None and price <= 0):
            raise MatchError(BAD_AMOUNT, "amount and price must be positive")
        book = self._books[account]
        now = self.market.now()
        order = SimOrder(
            order_id=str(next(self._ids)),
            account=account,
            symbol=symbol,
            base=base.upper(),
            quote=quote.upper(),
            side=side,
            amount=amount,
            price=price,
            stop_price=stop_price,
            client_order_id=client_order_id,
            created_at=now,
            updated_at=now,
            status=WAITING if stop_price is not None else OPEN,
        )
        if price is None:
            bid, ask = self.bid_ask(base, quote)
            at = ask if side == "buy" else bid
            need = amount * at * (1 + self.rate_of(order)) if side == "buy" else amount
            self._lock(book.balances, order.quote if side == "buy" else order.base, need)
            order.price = None
            self._fill(book.balances, order, amount, at, locked_at=at, fee_in_lock=True)
        else:
            self._lock(book.balances, *self._locks(order))
            if stop_price is None:
                self._take(book.balances, order)
        book.orders[order.order_id] = order
        self._tell(order)
        return order

    def cancel(self, account: str, order_id: str) -> SimOrder:
        order = self.get(account, order_id)
        if not order.is_open:
            raise MatchError(NOT_OPEN, order_id)
        currency, locked = self._locks(order, remaining=True)
        self._unlock(self._books[account].balances, currency, locked)
        order.status = CANCELLED
        order.updated_at = self.market.now()
        self._tell(order)
        return order

    def get(self, account: str, order_id: str) -> SimOrder:
        order = self._books[account].orders.get(order_id) if account in self._books else None
        if order is None:
            raise MatchError(NOT_FOUND, order_id)
        return order

    def by_client_id(self, account: str, client_order_id: str) -> SimOrder | None:
        book = self._books.get(account)
        if book is None:
            return None
        return next((o for o in book.orders.values() if o.client_order_id == client_order_id), None)

    def orders(
        self, account: str, symbol: str | None = None, *, open_only: bool = False
    ) -> list[SimOrder]:
        book = self._books.get(account)
        if book is None:
            return []
        found = [
            o
            for o in book.orders.values()
            if (symbol is None or o.symbol == symbol) and (o.is_open or not open_only)
        ]
        return sorted(found, key=lambda o: (o.created_at, int(o.order_id)), reverse=True)

    # --- matching ---------------------------------------------------------------
    def sweep(self) -> list[SimOrder]:
        """Fill what the current price crosses; returns the orders that changed."""
        changed = []
        for book in self._books.values():
            for order in list(book.orders.values()):
                if order.is_open and self._match(book.balances, order):
                    changed.append(order)
        for order in changed:
            self._tell(order)
        return changed

    async def run(self, interval: float = 0.25) -> None:
        """Sweep forever (cancel the task to stop)."""
        while True:
            self.sweep()
            await asyncio.sleep(interval)

    def rate_of(self, order: SimOrder) -> Decimal:
        """The fee rate charged on ``order``'s fills."""
        return self.fee_rate if self.fee_rate_for is None else self.fee_rate_for(order)

    def _take(self, balances: Balances, order: SimOrder) -> None:
        """A limit order the price already crosses on arrival trades at once at the
        market's price (better than its limit), as a taker does on a real book; a resting
        order later fills at its own limit (``_match``)."""
        assert order.price is not None
        bid, ask = self.bid_ask(order.base, order.quote)
        if order.side == "buy" and ask <= order.price:
            at = ask
        elif order.side == "sell" and bid >= order.price:
            at = bid
        else:
            return
        amount = order.remaining if self.max_fill is None else min(order.remaining, self.max_fill)
        self._fill(balances, order, amount, at, locked_at=order.price)

    def _match(self, balances: Balances, order: SimOrder) -> bool:
        last = self.last(order.base, order.quote)
        triggered = False
        if order.status == WAITING:
            assert order.stop_price is not None
            reached = last >= order.stop_price if order.side == "buy" else last <= order.stop_price
            if not reached:
                return False
            order.status = OPEN
            order.updated_at = self.market.now()
            triggered = True
        assert order.price is not None
        crosses = last <= order.price if order.side == "buy" else last >= order.price
        if not crosses:
            return triggered
        amount = order.remaining
        if self.max_fill is not None:
            amount = min(amount, self.max_fill)
        self._fill(balances, order, amount, order.price, locked_at=order.price)
        return True

    def _fill(
        self,
        balances: Balances,
        order: SimOrder,
        amount: Decimal,
        price: Decimal,
        *,
        locked_at: Decimal,
        fee_in_lock: bool = False,
    ) -> None:
        quote_amount = amount * price
        rate = self.rate_of(order)
        if order.side == "buy":
            fee = (amount * rate).quantize(Decimal("1e-12"), ROUND_DOWN)
            spent_lock = amount * locked_at * ((1 + rate) if fee_in_lock else 1)
            self._spend(balances, order.quote, spent_lock, refund=spent_lock - quote_amount)
            self._credit(balances, order.base, amount - fee)
        else:
            fee = (quote_amount * rate).quantize(Decimal("1e-12"), ROUND_DOWN)
            self._spend(balances, order.base, amount)
            self._credit(balances, order.quote, quote_amount - fee)
        order.filled += amount
        order.filled_quote += quote_amount
        order.fee += fee
        now = self.market.now()
        order.fills.append((price, amount, now))
        order.status = FILLED if order.remaining <= 0 else PARTIAL
        order.updated_at = now

    def _locks(self, order: SimOrder, *, remaining: bool = False) -> tuple[str, Decimal]:
        amount = order.remaining if remaining else order.amount
        if order.side == "buy":
            assert order.price is not None
            return order.quote, amount * order.price
        return order.base, amount

    # --- balances ---------------------------------------------------------------
    @staticmethod
    def _lock(balances: Balances, currency: str, amount: Decimal) -> None:
        available, locked = balances.get(currency, (Decimal(0), Decimal(0)))
        if amount > available:
            raise MatchError(INSUFFICIENT, f"{currency}: need {amount}, have {available}")
        balances[currency] = (available - amount, locked + amount)

    @staticmethod
    def _unlock(balances: Balances, currency: str, amount: Decimal) -> None:
        available, locked = balances.get(currency, (Decimal(0), Decimal(0)))
        balances[currency] = (available + amount, locked - amount)

    @staticmethod
    def _spend(
        balances: Balances, currency: str, amount: Decimal, refund: Decimal = Decimal(0)
    ) -> None:
        available, locked = balances.get(currency, (Decimal(0), Decimal(0)))
        balances[currency] = (available + refund, locked - amount)

    @staticmethod
    def _credit(balances: Balances, currency: str, amount: Decimal) -> None:
        available, locked = balances.get(currency, (Decimal(0), Decimal(0)))
        balances[currency] = (available + amount, locked)

    def _tell(self, order: SimOrder) -> None:
        for listener in list(self.listeners):
            listener(order)
