"""Orders: check and round before asking, send once after Confirm, recover after a crash.

``preview`` does every check an exchange would do, before anything is sent: the market
exists and trades, the amount and price fit its increments (rounded in the safe
direction, and the preview says so), its minimum amount and minimum total, and the
account's available balance. ``propose`` stores the preview as a pending confirmation
(``bot/confirmations.py``); only the one winning Confirm reaches ``execute``, which
marks the row *sent* before the request leaves and records the exchange's answer.

A crash (or a timeout) between "sent" and "recorded" leaves the outcome unknown. Then
the order is looked up, never re-sent: by its client order id where the system takes
one (``trading.client_order_ids``: ALP v3), otherwise among the account's open orders
and latest fills — same symbol, side, amount and price, made after the Confirm and not
already known to the bot. ``recover`` does this for every row a crash left behind and
tells the owner what became of it through the outbox.

Beyond plain limit and market orders (issue 11):
- Stop-limit orders (``trading.stop_limit_orders``: Narkasa) carry a stop price. It is
  rounded to the tick like the limit price and in the same direction (a buy down, a
  sell up): the stop then never triggers later than asked — a buy stop (Narkasa's
  ``GREATER``) fires when the price rises to it, a sell stop (``LESS``) when it falls
  to it. A stop the last price has already reached is not refused: the summary warns
  that the order becomes a limit order at once. Minimum total and balance are checked
  at the limit price, which is what the exchange locks.
- Fast orders (``trading.fast_orders``: Narkasa's ``fast-buy``/``fast-sell``) are sized
  as the document sizes them: a fast buy by the quote total to spend, a fast sell by
  the base amount to sell. The total is rounded down to the places the exchange takes
  for totals (``FastTotals``), the amount it buys is estimated from the order book.
- Cancelling several orders (``/cancel EXCHANGE ID ID …``) is one confirmation of kind
  ``cancels``; a client that cancels many in one call (``CancelsMany``: WEX
  ``CancelOrders``) gets one call, any other one call per id, in order. Each id's
  outcome is recorded, and an id that failed does not stop the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from functools import partial
from typing import Any, Protocol, TypeVar, runtime_checkable

from bot.accounts import AccountService
from bot.chats import ChatPreferences
from bot.confirmations import Action, ConfirmationStore, Pending, State, decimal_of
from bot.errors import BotError
from bot.i18n import Lang
from bot.market import MarketService
from exchanges.accounts import AccountClient
from exchanges.errors import (
    ExchangeError,
    NetworkError,
    NotSupported,
    OrderNotFound,
    RateLimited,
)
from exchanges.models import (
    Fee,
    Market,
    Order,
    OrderBook,
    OrderRequest,
    OrderStatus,
    OrderType,
    Side,
    TradingCapabilities,
)
from exchanges.precision import round_amount, round_price
from exchanges.wex.models import CancelResult
from storage.db import Database
from storage.repos import confirmations as confirmations_repo
from storage.repos import orders as orders_repo
from storage.repos import outbox

log = logging.getLogger(__name__)
T = TypeVar("T")

ORDER = "order"
CANCEL = "cancel"
CANCELS = "cancels"
KINDS = (ORDER, CANCEL, CANCELS)
MAX_CANCELS = 20
BOOK_DEPTH = 50
# How much earlier than our Confirm an exchange's clock may stamp the order.
CLOCK_SLACK = timedelta(seconds=30)
RATE_RETRIES = 2
MAX_RATE_WAIT = 3.0


# --- what the user can fix ------------------------------------------------------------
class TradingNotOffered(BotError):
    """The system has no orders of that kind (``what``: "limit", "market", "cancel",
    "stop-limit", "fast"...); ``offered_on`` names the systems that have them."""

    def __init__(self, exchange: str, what: str, offered_on: Sequence[str] = ()) -> None:
        super().__init__(f"{exchange}: no {what} orders")
        self.exchange = exchange
        self.what = what
        self.offered_on = tuple(offered_on)


@runtime_checkable
class FastTotals(Protocol):
    """A client that says how many places a fast order's quote total may have."""

    async def fast_total_decimals(self, market: Market) -> int: ...


@runtime_checkable
class CancelsMany(Protocol):
    """A client that cancels several orders in one call (WEX ``CancelOrders``)."""

    async def cancel_orders(self, order_ids: Sequence[str]) -> list[CancelResult]: ...


class MarketNotTrading(BotError):
    def __init__(self, market: Market) -> None:
        super().__init__(f"{market.exchange} {market.symbol} is not trading")
        self.market = market


class AmountBelowMinimum(BotError):
    def __init__(self, market: Market, amount: Decimal, minimum: Decimal) -> None:
        super().__init__(f"amount {amount} under {minimum}")
        self.market = market
        self.amount = amount
        self.minimum = minimum


class AmountAboveMaximum(BotError):
    def __init__(self, market: Market, amount: Decimal, maximum: Decimal) -> None:
        super().__init__(f"amount {amount} over {maximum}")
        self.market = market
        self.amount = amount
        self.maximum = maximum


class TotalBelowMinimum(BotError):
    def __init__(self, market: Market, total: Decimal, minimum: Decimal) -> None:
        super().__init__(f"total {total} under {minimum}")
        self.market = market
        self.total = total
        self.minimum = minimum


class NotEnoughBalance(BotError):
    def __init__(self, exchange: str, currency: str, needed: Decimal, available: Decimal) -> None:
        super().__init__(f"{currency}: need {needed}, have {available}")
        self.exchange = exchange
        self.currency = currency
        self.needed = needed
        self.available = available


class NoLiquidity(BotError):
    def __init__(self, market: Market, side: Side) -> None:
        super().__init__(f"{market.symbol}: empty book for a {side}")
        self.market = market
        self.side = side


class OutcomeUnknown(BotError):
    """The exchange did not answer the order and could not be asked about it yet."""

    def __init__(self, exchange: str) -> None:
        super().__init__(f"{exchange}: outcome unknown")
        self.exchange = exchange


class BadOrderNumber(BotError):
    """Zero or negative amount/price (the parser catches the rest)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} must be positive")
        self.what = what


# --- plain logic ----------------------------------------------------------------------
def round_up_to(value: Decimal, decimals: int | None, step: Decimal | None) -> Decimal:
    """Toward +infinity to the step (or places): a sell price is never made lower."""
    if step is not None and step > 0:
        return (value / step).to_integral_value(rounding=ROUND_UP) * step
    if decimals is not None:
        return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_UP)
    return value


def safe_price(market: Market, side: Side, price: Decimal) -> Decimal:
    """A buy limit rounds down (never pay more), a sell limit up (never sell for less)."""
    if side is Side.BUY:
        return round_price(market, price)
    return round_up_to(price, market.price_decimals, market.tick_size)


def walk_book(book: OrderBook, side: Side, amount: Decimal) -> tuple[Decimal, bool] | None:
    """The average price a market order of ``amount`` would get from the book shown,
    and whether the book shown covers it (if not, the rest is priced at its last level)."""
    levels = book.asks if side is Side.BUY else book.bids
    if not levels:
        return None
    left = amount
    cost = Decimal(0)
    for level in levels:
        take = min(left, level.amount)
        cost += take * level.price
        left -= take
        if left <= 0:
            return cost / amount, True
    cost += left * levels[-1].price
    return cost / amount, False


def fee_pct(fee: Fee | None, order_type: OrderType) -> Decimal | None:
    if fee is None:
        return None
    first, second = (
        (fee.taker_pct, fee.maker_pct)
        if order_type is OrderType.MARKET
        else (fee.maker_pct, fee.taker_pct)
    )
    return first if first is not None else second


@dataclass(frozen=True, slots=True)
class OrderPreview:
    """Everything the summary shows, already checked."""

    market: Market
    side: Side
    amount: Decimal
    price: Decimal | None  # None: a market order
    estimated_price: Decimal
    total: Decimal
    fee: Decimal | None
    fee_pct: Decimal | None
    spend_currency: str
    available: Decimal
    amount_given: Decimal | None = None  # set when the amount was rounded
    price_given: Decimal | None = None  # set when the price was rounded
    book_covers: bool = True
    stop_price: Decimal | None = None  # a stop-limit order's trigger
    stop_given: Decimal | None = None  # set when the stop was rounded
    last_price: Decimal | None = None  # the market's last price, for a stop's warning
    best_bid: Decimal | None = None  # the top of the book, shown with a stop
    best_ask: Decimal | None = None
    fast: bool = False  # a fast order (a fast buy: ``total`` is what it spends)
    total_given: Decimal | None = None  # set when a fast buy's total was rounded

    @property
    def exchange(self) -> str:
        return self.market.exchange

    @property
    def order_type(self) -> OrderType:
        if self.stop_price is not None:
            return OrderType.STOP_LIMIT
        return OrderType.MARKET if self.price is None else OrderType.LIMIT

    @property
    def stop_reached(self) -> bool:
        """The last price is already at the stop: the order rests as a limit at once."""
        if self.stop_price is None or self.last_price is None:
            return False
        if self.side is Side.BUY:
            return self.last_price >= self.stop_price
        return self.last_price <= self.stop_price


def check_order(
    market: Market,
    side: Side,
    amount: Decimal,
    price: Decimal | None,
    *,
    book: OrderBook | None,
    fee: Fee | None,
    available: Decimal,
) -> OrderPreview:
    """The preview of an order, or the BotError that names what to change. No I/O."""
    if amount <= 0:
        raise BadOrderNumber("amount")
    if price is not None and price <= 0:
        raise BadOrderNumber("price")
    if not market.active:
        raise MarketNotTrading(market)
    rounded_amount = round_amount(market, amount)
    rounded_price = safe_price(market, side, price) if price is not None else None
    if rounded_price is not None and rounded_price <= 0:
        raise BadOrderNumber("price")
    minimum = market.min_amount
    if rounded_amount <= 0 or (minimum is not None and rounded_amount < minimum):
        step = market.step_size or Decimal(1).scaleb(-market.amount_decimals)
        raise AmountBelowMinimum(market, rounded_amount, max(minimum or Decimal(0), step))
    if market.max_amount is not None and rounded_amount > market.max_amount:
        raise AmountAboveMaximum(market, rounded_amount, market.max_amount)
    covers = True
    if rounded_price is None:
        walked = walk_book(book, side, rounded_amount) if book is not None else None
        if walked is None:
            raise NoLiquidity(market, side)
        estimated, covers = walked
    else:
        estimated = rounded_price
    total = rounded_amount * estimated
    if market.min_notional is not None and total < market.min_notional:
        raise TotalBelowMinimum(market, total, market.min_notional)
    order_type = OrderType.MARKET if rounded_price is None else OrderType.LIMIT
    pct = fee_pct(fee, order_type)
    fee_amount = total * pct / 100 if pct is not None else None
    spend = market.quote if side is Side.BUY else market.base
    needed = total if side is Side.BUY else rounded_amount
    if available < needed:
        raise NotEnoughBalance(market.exchange, spend, needed, available)
    return OrderPreview(
        market=market,
        side=side,
        amount=rounded_amount,
        price=rounded_price,
        estimated_price=estimated,
        total=total,
        fee=fee_amount,
        fee_pct=pct,
        spend_currency=spend,
        available=available,
        amount_given=amount if rounded_amount != amount else None,
        price_given=price if price is not None and rounded_price != price else None,
        book_covers=covers,
    )


def check_stop_order(
    market: Market,
    side: Side,
    amount: Decimal,
    price: Decimal,
    stop: Decimal,
    *,
    fee: Fee | None,
    available: Decimal,
    last: Decimal | None,
) -> OrderPreview:
    """A stop-limit order's preview: the limit order's checks, then the stop on the tick
    in the same direction as the price (a buy down, a sell up: never triggering later
    than asked). No I/O."""
    if stop <= 0:
        raise BadOrderNumber("stop")
    preview = check_order(market, side, amount, price, book=None, fee=fee, available=available)
    rounded = safe_price(market, side, stop)
    if rounded <= 0:
        raise BadOrderNumber("stop")
    return replace(
        preview,
        stop_price=rounded,
        stop_given=stop if rounded != stop else None,
        last_price=last,
    )


def walk_book_total(book: OrderBook, total: Decimal) -> tuple[Decimal, Decimal, bool] | None:
    """What spending ``total`` of the quote on the asks shown buys: (base amount,
    average price, whether the book shown covers it; the rest is priced at its last
    level)."""
    if not book.asks or total <= 0:
        return None
    left = total
    bought = Decimal(0)
    for level in book.asks:
        cost = level.amount * level.price
        if cost >= left:
            bought += left / level.price
            return bought, total / bought, True
        bought += level.amount
        left -= cost
    bought += left / book.asks[-1].price
    return bought, total / bought, False


def check_fast_buy(
    market: Market,
    total: Decimal,
    *,
    total_decimals: int,
    book: OrderBook | None,
    fee: Fee | None,
    available: Decimal,
) -> OrderPreview:
    """A fast buy spending ``total`` of the quote: the total rounded down to the places
    the exchange takes, its minimum total, the amount it buys estimated from the book
    (and that amount's minimum), the quote balance. No I/O."""
    if total <= 0:
        raise BadOrderNumber("total")
    if not market.active:
        raise MarketNotTrading(market)
    rounded = total.quantize(Decimal(1).scaleb(-total_decimals), rounding=ROUND_DOWN)
    smallest = Decimal(1).scaleb(-total_decimals)
    if rounded <= 0:
        raise TotalBelowMinimum(market, rounded, max(market.min_notional or smallest, smallest))
    if market.min_notional is not None and rounded < market.min_notional:
        raise TotalBelowMinimum(market, rounded, market.min_notional)
    walked = walk_book_total(book, rounded) if book is not None else None
    if walked is None:
        raise NoLiquidity(market, Side.BUY)
    bought, average, covers = walked
    amount = round_amount(market, bought)
    if amount <= 0 or (market.min_amount is not None and amount < market.min_amount):
        step = market.step_size or Decimal(1).scaleb(-market.amount_decimals)
        raise AmountBelowMinimum(market, amount, max(market.min_amount or Decimal(0), step))
    pct = fee_pct(fee, OrderType.MARKET)
    if available < rounded:
        raise NotEnoughBalance(market.exchange, market.quote, rounded, available)
    return OrderPreview(
        market=market,
        side=Side.BUY,
        amount=amount,
        price=None,
        estimated_price=average,
        total=rounded,
        fee=rounded * pct / 100 if pct is not None else None,
        fee_pct=pct,
        spend_currency=market.quote,
        available=available,
        book_covers=covers,
        fast=True,
        total_given=total if rounded != total else None,
    )


def matches(order: Order, payload: Mapping[str, Any], since: datetime) -> bool:
    """Is ``order`` the one a confirmation asked for (no client id to go by)?"""
    if order.symbol != payload["symbol"] or order.side.value != payload["side"]:
        return False
    fast_buy = bool(payload.get("fast")) and payload["side"] == Side.BUY.value
    # A fast buy is known by the total it spent (its answers carry no base amount).
    expected = decimal_of(payload, "total") if fast_buy else decimal_of(payload, "amount")
    if order.amount != expected:
        return False
    stop = decimal_of(payload, "stop")
    if stop is not None and order.stop_price is not None and order.stop_price != stop:
        return False
    price = decimal_of(payload, "price")
    if price is not None and order.price is not None and order.price != price:
        return False
    if price is not None and order.type is OrderType.MARKET:
        return False
    return order.created_at is None or order.created_at >= since - CLOCK_SLACK


# --- outcomes -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Recovered:
    """What recovery found for one row: the order (placed), or None (never placed)."""

    action: Action
    order: Order | None
    sent: bool  # False: the crash came before the request left
    still_open: tuple[str, ...] = ()  # a several-order cancel: the ids still open


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """One id of a several-order cancel: cancelled, or why not (``not_found``: it was
    no longer open; ``error``: the exchange's words; ``unknown``: no answer)."""

    order_id: str
    cancelled: bool
    not_found: bool = False
    unknown: bool = False
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "cancelled": self.cancelled,
            "not_found": self.not_found,
            "unknown": self.unknown,
            "error": self.error,
        }


class Texts(Protocol):
    """The message texts recovery needs (``handlers/trading_texts.py``)."""

    def recovered_text(self, lang: Lang, recovered: Recovered) -> str: ...


def order_result(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "status": order.status.value,
        "filled": str(order.filled),
        "amount": str(order.amount),
        "price": None if order.price is None else str(order.price),
        "average_price": None if order.average_price is None else str(order.average_price),
    }


class TradingService:
    def __init__(
        self,
        db: Database,
        market: MarketService,
        accounts: AccountService,
        confirmations: ConfirmationStore,
        chats: ChatPreferences,
        texts: Texts,
        *,
        on_order: Callable[[int, str], None] | None = None,
        wake: Callable[[], None] | None = None,
        recover_every: float = 30.0,
    ) -> None:
        self.db = db
        self.market = market
        self.accounts = accounts
        self.confirmations = confirmations
        self.chats = chats
        self.texts = texts
        # Told (user, exchange) whenever an order is placed or cancelled: the account
        # watcher polls that account fast for a while.
        self.on_order = on_order
        self.wake = wake
        self.recover_every = recover_every
        self._task: asyncio.Task[None] | None = None
        self._inflight: set[int] = set()
        self._pass: asyncio.Future[None] | None = None
        # Rows confirmed before this process started are a crash's leftovers; rows of
        # this process are recovered only once they have been unfinished for ``grace``.
        self.started_at = datetime.now(UTC)
        self.grace = timedelta(seconds=120)

    # --- capabilities -----------------------------------------------------------------
    def capabilities(self, exchange: str) -> TradingCapabilities:
        self.market.client(exchange)  # UnknownExchange for a name we do not know
        cls = self.accounts.factories.get(exchange)
        return cls[0].trading if cls is not None else TradingCapabilities()

    def offering(self, what: str) -> tuple[str, ...]:
        """The systems whose clients have orders of ``what`` ("stop-limit", "fast")."""
        flag = {"stop-limit": "stop_limit_orders", "fast": "fast_orders"}[what]
        return tuple(
            name
            for name, (cls, _) in self.accounts.factories.items()
            if getattr(cls.trading, flag, False)
        )

    def _require(self, exchange: str, what: str) -> None:
        caps = self.capabilities(exchange)
        flag = {"stop-limit": caps.stop_limit_orders, "fast": caps.fast_orders}[what]
        if not flag:
            raise TradingNotOffered(exchange, what, self.offering(what))

    async def _call(self, exchange: str, make: Callable[[], Awaitable[T]]) -> T:
        """One signed call; refused for the rate (ALP: 2 calls a second per account, and
        a 429 means nothing was done) it is made again after the wait asked, twice at most."""
        for attempt in range(RATE_RETRIES + 1):
            try:
                return await self.accounts.call(exchange, make())
            except RateLimited as exc:
                if attempt == RATE_RETRIES:
                    raise
                await asyncio.sleep(min(exc.retry_after or 1.0, MAX_RATE_WAIT))
        raise AssertionError("unreachable")

    # --- /buy, /sell --------------------------------------------------------------------
    async def preview(
        self,
        user_id: int,
        exchange: str,
        symbol: str,
        side: Side,
        amount: Decimal,
        price: Decimal | None,
        stop: Decimal | None = None,
    ) -> OrderPreview:
        """A limit order with ``price``, a market order without; with ``stop`` too, a
        stop-limit order (``price`` is then its limit)."""
        caps = self.capabilities(exchange)
        if stop is not None:
            self._require(exchange, "stop-limit")
            if price is None:
                raise BadOrderNumber("price")
        if price is None and not caps.market_orders:
            raise TradingNotOffered(exchange, "market")
        if price is not None and not caps.limit_orders:
            raise TradingNotOffered(exchange, "limit")
        _, market = await self.market.market(exchange, symbol)
        if not market.active:
            raise MarketNotTrading(market)
        if self.on_order is not None and caps.account_events == "stream":
            # The owner is trading now: the account's private stream is started from
            # here on, so it is listening before the order it would report on.
            self.on_order(user_id, exchange)
        book = None
        if price is None:
            book = await self.market.order_book(exchange, market.symbol, BOOK_DEPTH)
        async with self.accounts.session(user_id, exchange) as client:
            fee = await self._call(exchange, lambda: client.trading_fee(market))
            balances = await self._call(exchange, lambda: client.balances())
        spend = market.quote if side is Side.BUY else market.base
        available = next(
            (b.available for b in balances if b.currency.upper() == spend.upper()), Decimal(0)
        )
        if stop is not None and price is not None:
            ticker = await self.market.ticker(exchange, market.symbol)
            preview = check_stop_order(
                market,
                side,
                amount,
                price,
                stop,
                fee=fee,
                available=available,
                last=None if ticker.stale else ticker.last,
            )
            # The top of the book beside the stop (Narkasa: its one-level orderbook call).
            top = await self.market.order_book(exchange, market.symbol, 1)
            return replace(
                preview,
                best_bid=top.best_bid.price if top.best_bid else None,
                best_ask=top.best_ask.price if top.best_ask else None,
            )
        return check_order(market, side, amount, price, book=book, fee=fee, available=available)

    async def preview_fast(
        self, user_id: int, exchange: str, symbol: str, side: Side, value: Decimal
    ) -> OrderPreview:
        """A fast order as the document sizes it: a buy spends ``value`` of the quote, a
        sell sells ``value`` of the base."""
        self._require(exchange, "fast")
        if value <= 0:
            raise BadOrderNumber("total" if side is Side.BUY else "amount")
        _, market = await self.market.market(exchange, symbol)
        if not market.active:
            raise MarketNotTrading(market)
        if self.on_order is not None and self.capabilities(exchange).account_events == "stream":
            self.on_order(user_id, exchange)
        book = await self.market.order_book(exchange, market.symbol, BOOK_DEPTH)
        async with self.accounts.session(user_id, exchange) as client:
            fee = await self._call(exchange, lambda: client.trading_fee(market))
            balances = await self._call(exchange, lambda: client.balances())
            places = market.price_decimals
            if side is Side.BUY and isinstance(client, FastTotals):
                places = await self._call(exchange, lambda: client.fast_total_decimals(market))
        spend = market.quote if side is Side.BUY else market.base
        available = next(
            (b.available for b in balances if b.currency.upper() == spend.upper()), Decimal(0)
        )
        if side is Side.BUY:
            return check_fast_buy(
                market, value, total_decimals=places, book=book, fee=fee, available=available
            )
        preview = check_order(market, side, value, None, book=book, fee=fee, available=available)
        return replace(preview, fast=True)

    async def propose(self, user_id: int, chat_id: int, preview: OrderPreview) -> Pending:
        caps = self.capabilities(preview.exchange)
        payload: dict[str, Any] = {
            "exchange": preview.exchange,
            "symbol": preview.market.symbol,
            "side": preview.side.value,
            "amount": preview.amount,
            "price": preview.price,
        }
        if preview.stop_price is not None:
            payload["stop"] = preview.stop_price
        if preview.fast:
            payload["fast"] = True
            payload["total"] = preview.total
        return await self.confirmations.create(
            user_id=user_id,
            chat_id=chat_id,
            kind=ORDER,
            payload=payload,
            client_ref=caps.client_order_ids,
        )

    @contextlib.asynccontextmanager
    async def _executing(self, action: Action) -> AsyncIterator[None]:
        """While a confirmed row is being executed here, recovery leaves it alone; a
        failure before the request left settles it as failed (nothing was sent)."""
        self._inflight.add(action.id)
        try:
            yield
        except BaseException as exc:
            current = await self.confirmations.get(action.id)
            if current is not None and current.state is State.CONFIRMED:
                await self.confirmations.mark_failed(action.id, f"not sent: {type(exc).__name__}")
            raise
        finally:
            self._inflight.discard(action.id)

    async def execute(self, action: Action) -> Order:
        """Send the confirmed order once; the exchange's answer, or the error it gave."""
        async with self._executing(action):
            return await self._execute(action)

    async def _execute(self, action: Action) -> Order:
        payload = action.payload
        exchange = str(payload["exchange"])
        _, market = await self.market.market(exchange, str(payload["symbol"]))
        amount = decimal_of(payload, "amount")
        assert amount is not None
        side = Side(str(payload["side"]))
        request = OrderRequest(
            market=market,
            side=side,
            amount=amount,
            price=decimal_of(payload, "price"),
            client_order_id=action.client_ref
            if self.capabilities(exchange).client_order_ids
            else None,
            stop_price=decimal_of(payload, "stop"),
        )
        fast = bool(payload.get("fast"))
        total = decimal_of(payload, "total")

        def place(client: AccountClient) -> Awaitable[Order]:
            if not fast:
                return client.place_order(request)
            if side is Side.BUY:
                return client.place_fast_order(market, side, total=total)
            return client.place_fast_order(market, side, amount=amount)

        async with self.accounts.session(action.user_id, exchange) as client:
            if not await self.confirmations.mark_sent(action.id):
                raise RuntimeError(f"confirmation {action.id} was not ours to send")
            try:
                order = await self._call(exchange, lambda: place(client))
            except NetworkError:
                # The request may have arrived: look, never send again.
                try:
                    found = await self._find(client, action, market)
                except ExchangeError:
                    # Still no answer: the row stays "sent"; recovery settles it later.
                    raise OutcomeUnknown(exchange) from None
                if found is None:
                    await self.confirmations.mark_failed(action.id, "no answer; not found")
                    raise
                order = found
            except ExchangeError as exc:
                await self.confirmations.mark_failed(action.id, f"{type(exc).__name__}: {exc}")
                raise
        await self._record(action, order)
        return order

    async def _record(self, action: Action, order: Order) -> None:
        async with self.db.session() as session:
            await confirmations_repo.move(
                session,
                action.id,
                (confirmations_repo.CONFIRMED, confirmations_repo.SENT),
                confirmations_repo.DONE,
                datetime.now(UTC),
                result=order_result(order),
            )
            inserted = await orders_repo.track(
                session,
                user_id=action.user_id,
                chat_id=action.chat_id,
                exchange=order.exchange,
                order_id=order.order_id,
                symbol=order.symbol,
                side=order.side.value,
                amount=order.amount,
                price=order.price,
                filled=order.filled,
                status=order.status.value,
                client_order_id=order.client_order_id or action.client_ref,
                confirmation_id=action.id,
            )
            if not inserted:
                # The private stream reported it first; the reply tells the owner the
                # state answered here, so that is what alerts count from.
                row = await orders_repo.get(session, action.user_id, order.exchange, order.order_id)
                if row is not None and order.filled >= Decimal(row.filled):
                    await orders_repo.settle(
                        session,
                        action.user_id,
                        order.exchange,
                        order.order_id,
                        filled=order.filled,
                        status=order.status.value,
                    )
        if self.on_order is not None:
            self.on_order(action.user_id, order.exchange)

    async def _find(self, client: AccountClient, action: Action, market: Market) -> Order | None:
        """The order a confirmation sent, if the exchange has it; None if it has not."""
        exchange = market.exchange
        caps = self.capabilities(exchange)
        ref = action.client_ref
        if caps.client_order_ids and ref:
            return await self._call(exchange, partial(client.order_by_client_id, ref))
        since = action.confirmed_at or action.created_at
        async with self.db.session() as session:
            known = await orders_repo.claimed_ids(
                session, action.user_id, exchange, other_than=action.id
            )
        candidates = [
            o
            for o in await self._call(exchange, lambda: client.open_orders(market))
            if o.order_id not in known and matches(o, action.payload, since)
        ]
        if candidates:
            return min(candidates, key=lambda o: o.created_at or since)
        try:
            fills = await self._call(exchange, lambda: client.fills(market))
        except NotSupported:
            return None
        side = str(action.payload["side"])
        filled: dict[str, Decimal] = {}
        for fill in fills:
            if fill.order_id in known or fill.side.value != side or fill.symbol != market.symbol:
                continue
            if fill.time < since - CLOCK_SLACK:
                continue
            filled[fill.order_id] = filled.get(fill.order_id, Decimal(0)) + fill.amount
        for order_id in filled:
            try:
                order = await self._call(exchange, partial(client.order, order_id, market))
            except (NotSupported, OrderNotFound):
                continue
            if matches(order, action.payload, since):
                return order
        return None

    # --- /orders, /cancel -------------------------------------------------------------
    async def open_orders(self, user_id: int, exchange: str, symbol: str | None) -> list[Order]:
        caps = self.capabilities(exchange)
        market = (await self.market.market(exchange, symbol))[1] if symbol else None
        async with self.accounts.session(user_id, exchange) as client:
            if not caps.open_orders:
                raise TradingNotOffered(exchange, "open-orders")
            found = await self._call(exchange, lambda: client.open_orders(market))
        return sorted(
            found, key=lambda o: (o.symbol, o.created_at or datetime.min.replace(tzinfo=UTC))
        )

    async def find_order(self, user_id: int, exchange: str, order_id: str) -> Order | None:
        """The order among the open ones (what /cancel shows before asking)."""
        for order in await self.open_orders(user_id, exchange, None):
            if order.order_id == order_id:
                return order
        return None

    async def propose_cancel(
        self, user_id: int, chat_id: int, exchange: str, order: Order
    ) -> Pending:
        if not self.capabilities(exchange).cancel:
            raise TradingNotOffered(exchange, "cancel")
        return await self.confirmations.create(
            user_id=user_id,
            chat_id=chat_id,
            kind=CANCEL,
            payload={"exchange": exchange, "order_id": order.order_id, "symbol": order.symbol},
        )

    async def execute_cancel(self, action: Action) -> Order | None:
        async with self._executing(action):
            return await self._execute_cancel(action)

    async def _execute_cancel(self, action: Action) -> Order | None:
        payload = action.payload
        exchange = str(payload["exchange"])
        order_id = str(payload["order_id"])
        _, market = await self.market.market(exchange, str(payload["symbol"]))
        async with self.accounts.session(action.user_id, exchange) as client:
            if not await self.confirmations.mark_sent(action.id):
                raise RuntimeError(f"confirmation {action.id} was not ours to send")
            # The owner asked for this cancel and hears of it in the reply: the watched
            # order is marked cancelled *before* the request leaves, so the private
            # stream's push of the same cancel (which may arrive first) is no news.
            before = await self._mark_watched(action.user_id, exchange, order_id, None)
            try:
                order = await self._call(exchange, lambda: client.cancel_order(order_id, market))
            except ExchangeError as exc:
                await self.confirmations.mark_failed(action.id, f"{type(exc).__name__}: {exc}")
                if before is not None:
                    await self._mark_watched(action.user_id, exchange, order_id, before)
                raise
        result = order_result(order) if order is not None else {"order_id": order_id}
        await self.confirmations.mark_done(action.id, result)
        if self.on_order is not None:
            self.on_order(action.user_id, exchange)
        return order

    async def order_detail(
        self, user_id: int, exchange: str, order_id: str, symbol: str | None
    ) -> Order:
        """One order in full, from the exchange's own lookup (WEX ``OrderInfo``, Wallex,
        ALP); where the system has none, from its open orders."""
        market = (await self.market.market(exchange, symbol))[1] if symbol else None
        async with self.accounts.session(user_id, exchange) as client:
            try:
                return await self._call(exchange, lambda: client.order(order_id, market))
            except NotSupported:
                found = await self._call(exchange, lambda: client.open_orders(market))
        for order in found:
            if order.order_id == order_id:
                return order
        raise OrderNotFound(exchange, order_id)

    async def propose_cancels(
        self, user_id: int, chat_id: int, exchange: str, orders: Sequence[Order]
    ) -> Pending:
        """One confirmation for cancelling several open orders."""
        if not self.capabilities(exchange).cancel:
            raise TradingNotOffered(exchange, "cancel")
        return await self.confirmations.create(
            user_id=user_id,
            chat_id=chat_id,
            kind=CANCELS,
            payload={
                "exchange": exchange,
                "orders": [{"order_id": o.order_id, "symbol": o.symbol} for o in orders],
            },
        )

    async def execute_cancels(self, action: Action) -> list[CancelOutcome]:
        async with self._executing(action):
            return await self._execute_cancels(action)

    async def _execute_cancels(self, action: Action) -> list[CancelOutcome]:
        payload = action.payload
        exchange = str(payload["exchange"])
        wanted = [(str(o["order_id"]), str(o["symbol"])) for o in payload["orders"]]
        markets: dict[str, Market] = {}
        for _, symbol in wanted:
            if symbol not in markets:
                markets[symbol] = (await self.market.market(exchange, symbol))[1]
        async with self.accounts.session(action.user_id, exchange) as client:
            if not await self.confirmations.mark_sent(action.id):
                raise RuntimeError(f"confirmation {action.id} was not ours to send")
            before = {
                order_id: await self._mark_watched(action.user_id, exchange, order_id, None)
                for order_id, _ in wanted
            }
            if isinstance(client, CancelsMany):
                ids = [order_id for order_id, _ in wanted]
                try:
                    results = await self._call(exchange, lambda: client.cancel_orders(ids))
                except ExchangeError as exc:
                    await self.confirmations.mark_failed(action.id, f"{type(exc).__name__}: {exc}")
                    for order_id, status in before.items():
                        if status is not None:
                            await self._mark_watched(action.user_id, exchange, order_id, status)
                    raise
                outcomes = [CancelOutcome(r.order_id, r.cancelled, error=r.error) for r in results]
            else:
                outcomes = []
                for order_id, symbol in wanted:
                    outcomes.append(
                        await self._cancel_one(client, exchange, order_id, markets[symbol])
                    )
        for outcome in outcomes:
            status = before.get(outcome.order_id)
            if not outcome.cancelled and status is not None:
                await self._mark_watched(action.user_id, exchange, outcome.order_id, status)
        await self.confirmations.mark_done(action.id, {"outcomes": [o.as_json() for o in outcomes]})
        if self.on_order is not None:
            self.on_order(action.user_id, exchange)
        return outcomes

    async def _cancel_one(
        self, client: AccountClient, exchange: str, order_id: str, market: Market
    ) -> CancelOutcome:
        try:
            await self._call(exchange, lambda: client.cancel_order(order_id, market))
        except OrderNotFound:
            return CancelOutcome(order_id, False, not_found=True)
        except NetworkError:
            return CancelOutcome(order_id, False, unknown=True)
        except ExchangeError as exc:
            return CancelOutcome(order_id, False, error=exc.message)
        return CancelOutcome(order_id, True)

    async def _mark_watched(
        self, user_id: int, exchange: str, order_id: str, status: str | None
    ) -> str | None:
        """Set a watched order's status (None: cancelled); its status before, if watched."""
        async with self.db.session() as session:
            tracked = await orders_repo.get(session, user_id, exchange, order_id)
            if tracked is None:
                return None
            await orders_repo.settle(
                session,
                user_id,
                exchange,
                order_id,
                filled=Decimal(tracked.filled),
                status=status or OrderStatus.CANCELLED.value,
            )
            return tracked.status

    # --- crash recovery ---------------------------------------------------------------
    async def recover(self) -> list[Recovered]:
        """Settle every row a crash left between Confirm and its recorded outcome.

        ``confirmed`` rows never left (mark_sent comes first): they are failed and the
        owner told to send again. ``sent`` rows are looked up at the exchange; a row
        whose exchange does not answer stays ``sent`` for the next pass.
        """
        settled: list[Recovered] = []
        now = datetime.now(UTC)
        for action in await self.confirmations.unfinished(KINDS):
            confirmed = action.confirmed_at or action.created_at
            if action.id in self._inflight or (
                confirmed >= self.started_at and confirmed > now - self.grace
            ):
                continue  # being executed by this process, or only just left it
            try:
                outcome = await self._recover_one(action)
            except (TimeoutError, NetworkError) as exc:
                log.warning("recovery of confirmation %s waits: %s", action.id, exc)
                continue
            except Exception:
                log.exception("recovery of confirmation %s failed", action.id)
                continue
            if outcome is not None:
                settled.append(outcome)
        if settled and self.wake is not None:
            self.wake()
        return settled

    async def _recover_one(self, action: Action) -> Recovered | None:
        exchange = str(action.payload["exchange"])
        if action.state is State.CONFIRMED:
            outcome = Recovered(action, None, sent=False)
            await self._settle(action, outcome, failed="stopped before sending")
            return outcome
        if action.kind == CANCELS:
            return await self._recover_cancels(action)
        _, market = await self.market.market(exchange, str(action.payload["symbol"]))
        async with self.accounts.session(action.user_id, exchange) as client:
            if action.kind == CANCEL:
                order_id = str(action.payload["order_id"])
                still_open = {
                    o.order_id: o
                    for o in await self._call(exchange, lambda: client.open_orders(market))
                }.get(order_id)
                if still_open is None:
                    try:
                        found: Order | None = await self._call(
                            exchange, lambda: client.order(order_id, market)
                        )
                    except (NotSupported, OrderNotFound):
                        found = None
                    outcome = Recovered(action, found, sent=True)
                    await self._settle(action, outcome, done={"order_id": order_id})
                else:
                    outcome = Recovered(action, still_open, sent=True)
                    await self._mark_watched(
                        action.user_id, exchange, order_id, still_open.status.value
                    )
                    await self._settle(action, outcome, failed="cancel not confirmed")
                return outcome
            order = await self._find(client, action, market)
        outcome = Recovered(action, order, sent=True)
        if order is None:
            await self._settle(action, outcome, failed="not found at the exchange")
        else:
            await self._record(action, order)
            await self._settle(action, outcome)
        return outcome

    async def _recover_cancels(self, action: Action) -> Recovered:
        """A several-order cancel cut off after sending: each id still open was not
        cancelled (its watched state comes back), the others were."""
        exchange = str(action.payload["exchange"])
        ids = [str(o["order_id"]) for o in action.payload["orders"]]
        async with self.accounts.session(action.user_id, exchange) as client:
            open_now = {
                o.order_id: o for o in await self._call(exchange, lambda: client.open_orders())
            }
        still = tuple(i for i in ids if i in open_now)
        for order_id in still:
            await self._mark_watched(
                action.user_id, exchange, order_id, open_now[order_id].status.value
            )
        outcome = Recovered(action, None, sent=True, still_open=still)
        await self._settle(
            action,
            outcome,
            done={
                "outcomes": [
                    CancelOutcome(i, i not in open_now, unknown=i in open_now).as_json()
                    for i in ids
                ]
            },
        )
        return outcome

    async def _settle(
        self,
        action: Action,
        outcome: Recovered,
        *,
        failed: str | None = None,
        done: dict[str, Any] | None = None,
    ) -> None:
        """The row's final state and the owner's message, in one commit."""
        lang = await self.chats.language(action.chat_id, None)
        text = self.texts.recovered_text(lang, outcome)
        now = datetime.now(UTC)
        unfinished = (confirmations_repo.CONFIRMED, confirmations_repo.SENT)
        async with self.db.session() as session:
            if failed is not None:
                await confirmations_repo.move(
                    session, action.id, unfinished, confirmations_repo.FAILED, now, error=failed
                )
            elif done is not None:
                await confirmations_repo.move(
                    session, action.id, unfinished, confirmations_repo.DONE, now, result=done
                )
            await outbox.enqueue(
                session,
                chat_id=action.chat_id,
                user_id=action.user_id,
                kind="recovered",
                dedupe=f"recovered:{action.id}",
                text=text,
            )

    async def start(self) -> None:
        """Recover at once, then keep retrying rows whose exchange did not answer."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="trading-recovery")

    async def _loop(self) -> None:
        while True:
            try:
                # A pass runs to its end even if the loop is stopped meanwhile: a
                # transaction cut off mid-way can leave SQLite locked.
                self._pass = asyncio.ensure_future(self._one_pass())
                await asyncio.shield(self._pass)
            except Exception:
                log.exception("trading recovery pass failed")
            await asyncio.sleep(self.recover_every)

    async def _one_pass(self) -> None:
        await self.confirmations.expire_stale()
        await self.recover()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        if self._pass is not None and not self._pass.done():
            await asyncio.wait({self._pass}, timeout=15)
